"""Lebenslauf-Pool (§3.1.1): employable persons without a current CV.

A person is in the pool when marked employable (``Person.employable``), still with the provider
(no ``moved_away_on``) and no CV was produced for them by their own provider in the last six
months. „A CV produced“ is a download of the CV (PDF or DOCX) — written to the access log as a
``document`` entry „Lebenslauf (…)“ by the person's organisation; the CV itself is generated
from the case file each time, so its date is the day it was last produced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.models import AccessLog, MsaUser, Person

#: a CV older than this many months counts as missing
MAX_AGE_MONTHS = 6
CV_DETAIL = "Lebenslauf (%"


@dataclass(frozen=True)
class PoolRow:
    """One person of the pool."""

    person_id: int
    last_name: str
    first_name: str
    birth_date: dt.date
    file_number: str | None
    caseworker: str
    last_cv_at: dt.datetime | None


def cutoff(today: dt.date) -> dt.date:
    """The day six months before ``today`` (a CV produced before it is outdated)."""
    month = today.month - MAX_AGE_MONTHS
    year = today.year
    if month < 1:
        month += 12
        year -= 1
    for day in (today.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, 28)


def _last_cv() -> Any:
    """The time the person's own provider last produced the CV (correlated, per person)."""
    return (
        select(func.max(AccessLog.at))
        .where(
            AccessLog.person_id == Person.id,
            AccessLog.action == "document",
            AccessLog.detail.like(CV_DETAIL),
            AccessLog.organisation_id == Person.organisation_id,
        )
        .correlate(Person)
        .scalar_subquery()
    )


def pool_page(
    page: int,
    per_page: int,
    *,
    today: dt.date | None = None,
    caseworker_id: int | None = None,
) -> tuple[list[PoolRow], int]:
    """One page (0-based) of the pool, oldest CV first (none at all first), and the count.

    Scoped like every read of persons (app/security/scoping.py): a provider sees its own.
    """
    limit_at = dt.datetime.combine(cutoff(today or dt.date.today()), dt.time())
    last_cv = _last_cv()
    where = [
        Person.employable.is_(True),
        Person.moved_away_on.is_(None),
        or_(last_cv.is_(None), last_cv < limit_at),
    ]
    if caseworker_id is not None:
        where.append(Person.caseworker_id == caseworker_id)
    total = db.session.scalar(select(func.count(Person.id)).where(and_(*where))) or 0
    last = last_cv.label("last_cv_at")
    rows = db.session.execute(
        select(
            Person.id,
            Person.last_name,
            Person.first_name,
            Person.birth_date,
            Person.file_number,
            MsaUser.first_name.label("cw_first"),
            MsaUser.last_name.label("cw_last"),
            last,
        )
        .outerjoin(MsaUser, MsaUser.id == Person.caseworker_id)
        .where(*where)
        .order_by(last.is_not(None), last, Person.last_name, Person.first_name, Person.id)
        .limit(per_page)
        .offset(max(page, 0) * per_page)
    ).all()
    return [
        PoolRow(
            r.id,
            r.last_name,
            r.first_name,
            r.birth_date,
            r.file_number,
            f"{r.cw_first or ''} {r.cw_last or ''}".strip(),
            r.last_cv_at,
        )
        for r in rows
    ], int(total)

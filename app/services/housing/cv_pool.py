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


def _last_cvs() -> Any:
    """Per person and provider the time the CV was last produced — one grouped read of the
    CV entries of the access log (index ``ix_access_log_document``: the log's document
    entries only), joined to the persons; not a sub-query per person."""
    return (
        select(
            AccessLog.person_id.label("person_id"),
            AccessLog.organisation_id.label("organisation_id"),
            func.max(AccessLog.at).label("at"),
        )
        .where(AccessLog.action == "document", AccessLog.detail.like(CV_DETAIL))
        .group_by(AccessLog.person_id, AccessLog.organisation_id)
        .subquery("last_cv")
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
    A CV counts when the person's own (current) provider produced it.
    """
    limit_at = dt.datetime.combine(cutoff(today or dt.date.today()), dt.time())
    cv = _last_cvs()
    joined = and_(cv.c.person_id == Person.id, cv.c.organisation_id == Person.organisation_id)
    where = [
        Person.employable.is_(True),
        Person.moved_away_on.is_(None),
        or_(cv.c.at.is_(None), cv.c.at < limit_at),
    ]
    if caseworker_id is not None:
        where.append(Person.caseworker_id == caseworker_id)
    total = (
        db.session.scalar(
            select(func.count(Person.id)).select_from(Person).outerjoin(cv, joined).where(*where)
        )
        or 0
    )
    last = cv.c.at.label("last_cv_at")
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
        .select_from(Person)
        .outerjoin(cv, joined)
        .outerjoin(MsaUser, MsaUser.id == Person.caseworker_id)
        .where(*where)
        .order_by(cv.c.at.is_not(None), cv.c.at, Person.last_name, Person.first_name, Person.id)
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

"""Anonymous monthly counts that survive the destruction of case files (R-8.1).

Before ``msa purge-expired`` deletes a person, :func:`retain_counts` adds the person's share
of every month's figures to ``statistics_retained_month`` (Anlage 1: individual counselling,
education system, return counselling, persons in case management) and
``statistics_retained_referral`` (referrals per partner, topic and outcome). The keys are the
organisation and caseworker stored on the note, case or referral — the provider and caseworker
who documented it, whatever happened to the person later (a handover to another provider, a
destruction) — and the calendar month. No person id, no name, no text: the rows are counts of
at least the organisation × caseworker × month, like the figures submitted to the state.

:func:`app.services.statistics.monthly_counts` adds these rows to the counts of the remaining
records, so a destruction changes no figure of any month, provider or caseworker. Persons
present come from the custody periods, which stay as anonymous periods; :func:`retain_counts`
first ends them where counselling ended (own housing), which only the person's file knew. Group
sessions are not deleted by a purge (only the participant row goes) and need no retention.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Table, and_, case, cast, extract, func, or_, select
from sqlalchemy.engine import Connection

from app.models import (
    CaseEvent,
    CaseManagementCase,
    ChildPlace,
    ContactNote,
    HardshipProcedure,
    IntegrationCourse,
    Person,
    Referral,
)
from app.models.custody import CustodyPeriod
from app.models.figures import (
    RetainedAnnualCount,
    RetainedIndicatorCount,
    RetainedMonthCount,
    RetainedReferralCount,
)
from app.services.statistics.presence import clip_to_counselling

INDIVIDUAL_KINDS = ("individual", "accompaniment")
MONTH_COLUMNS = ("individual", "group_sessions", "education_system", "return_counselling")


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _months(first: dt.date, last: dt.date) -> list[tuple[int, int]]:
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _note_counts(
    conn: Connection, person_ids: Sequence[int]
) -> dict[tuple[int, ...], Counter[str]]:
    n = _table(ContactNote).c
    y = cast(extract("year", n.date), Integer)
    m = cast(extract("month", n.date), Integer)
    stmt = (
        select(
            n.organisation_id,
            n.caseworker_id,
            y,
            m,
            func.count(),
            func.sum(case((n.education_system.is_(True), 1), else_=0)),
            func.sum(case((n.return_counselling.is_(True), 1), else_=0)),
        )
        .where(n.person_id.in_(person_ids), n.kind.in_(INDIVIDUAL_KINDS))
        .group_by(n.organisation_id, n.caseworker_id, y, m)
    )
    out: dict[tuple[int, ...], Counter[str]] = {}
    for org, cw, year, month, ind, edu, ret in conn.execute(stmt):
        key = (int(org), int(cw), int(year), int(month))
        out.setdefault(key, Counter()).update(
            individual=int(ind or 0),
            education_system=int(edu or 0),
            return_counselling=int(ret or 0),
        )
    return out


def _case_management_counts(
    conn: Connection, person_ids: Sequence[int], today: dt.date
) -> dict[tuple[int, ...], set[int]]:
    """Persons in case management per (organisation, caseworker, year, month), same rule as the
    live counter: entered the assessment by the month's last day, not closed before its first."""
    c = _table(CaseManagementCase).c
    e = _table(CaseEvent).c
    entered = (
        select(e.case_id, func.min(e.occurred_on).label("entered_on"))
        .where(e.to_step == "assessment", e.person_id.in_(person_ids))
        .group_by(e.case_id)
        .subquery()
    )
    stmt = select(
        c.organisation_id, c.caseworker_id, c.person_id, entered.c.entered_on, c.closed_on
    ).join(entered, and_(entered.c.case_id == c.id))
    out: dict[tuple[int, ...], set[int]] = {}
    for org, cw, pid, entered_on, closed_on in conn.execute(stmt):
        last = closed_on or today
        for year, month in _months(entered_on, max(last, entered_on)):
            first_day = dt.date(year, month, 1)
            last_day = dt.date(year, month, calendar.monthrange(year, month)[1])
            if entered_on <= last_day and (closed_on is None or closed_on >= first_day):
                out.setdefault((int(org), int(cw), year, month), set()).add(int(pid))
    return out


def _referral_counts(conn: Connection, person_ids: Sequence[int]) -> Counter[tuple[Any, ...]]:
    r = _table(Referral).c
    y = cast(extract("year", r.date), Integer)
    m = cast(extract("month", r.date), Integer)
    stmt = (
        select(
            r.organisation_id,
            y,
            m,
            r.partner_id,
            func.coalesce(r.topic_code, ""),
            func.coalesce(r.outcome, ""),
            func.count(),
        )
        .where(r.person_id.in_(person_ids))
        .group_by(r.organisation_id, y, m, r.partner_id, r.topic_code, r.outcome)
    )
    out: Counter[tuple[Any, ...]] = Counter()
    for org, year, month, partner, topic, outcome, n in conn.execute(stmt):
        out[(int(org), int(year), int(month), int(partner), topic, outcome)] += int(n)
    return out


def _indicator_counts(
    conn: Connection, person_ids: Sequence[int]
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Moves into own housing (for the holder on that day, as the live indicator) and completed
    integration courses (for the organisation on the course) per organisation and month."""
    out: dict[tuple[Any, ...], dict[str, int]] = {}

    def add(org: int, day: dt.date, key: str) -> None:
        row = out.setdefault(
            (int(org), day.year, day.month), {"own_housing": 0, "completed_courses": 0}
        )
        row[key] += 1

    p = _table(Person).c
    cp = _table(CustodyPeriod).c
    own = p.moved_in_own_housing_on
    held = (
        select(cp.organisation_id, own)
        .join(_table(Person), p.id == cp.person_id)
        .where(
            cp.person_id.in_(person_ids),
            own.is_not(None),
            cp.started_on <= own,
            or_(cp.ended_on.is_(None), cp.ended_on > own, and_(cp.ended_on == own, cp.current)),
        )
    )
    for org, day in conn.execute(held):
        add(org, day, "own_housing")
    ic = _table(IntegrationCourse).c
    courses = select(ic.organisation_id, ic.end_on).where(
        ic.person_id.in_(person_ids), ic.completed.is_(True), ic.end_on.is_not(None)
    )
    for org, day in conn.execute(courses):
        add(org, day, "completed_courses")
    return out


def _holder_on(periods: Sequence[Any], day: dt.date) -> int | None:
    """The organisation that held the person on ``day`` (the live rule of the annual figures:
    the receiver on the day of a handover, the current holder also on its own end day)."""
    for org, started, ended, current in periods:
        if started <= day and (ended is None or ended > day or (ended == day and current)):
            return int(org)
    return None


def _annual_counts(
    conn: Connection, person_ids: Sequence[int], today: dt.date
) -> dict[tuple[Any, ...], dict[str, int]]:
    """The figures the annual evaluation counts per year: Härtefall steps for the holder of the
    day (``hardship_counts``) and children with a place requested / attending per kind for the
    writer of the place (``child_places.annual_statement``: each child once per kind, figure
    and year; an open place attends until the day of the destruction)."""
    out: dict[tuple[Any, ...], dict[str, int]] = {}

    def add(org: int, year: int, figure: str) -> None:
        out.setdefault((int(org), int(year), figure), {"count": 0})["count"] += 1

    cp = _table(CustodyPeriod).c
    periods: dict[int, list[Any]] = {}
    for pid, org, started, ended, current in conn.execute(
        select(cp.person_id, cp.organisation_id, cp.started_on, cp.ended_on, cp.current).where(
            cp.person_id.in_(person_ids)
        )
    ):
        periods.setdefault(int(pid), []).append((org, started, ended, current))
    h = _table(HardshipProcedure).c
    for pid, submitted, decided, outcome in conn.execute(
        select(h.person_id, h.submitted_on, h.decided_on, h.outcome).where(
            h.person_id.in_(person_ids)
        )
    ):
        for figure, day in (("hardship.submitted", submitted), (f"hardship.{outcome}", decided)):
            if day is None or (figure != "hardship.submitted" and not outcome):
                continue
            holder = _holder_on(periods.get(int(pid), ()), day)
            if holder is not None:
                add(holder, day.year, figure)
    c = _table(ChildPlace).c
    seen: set[tuple[Any, ...]] = set()
    for pid, org, kind, requested, attending, ended in conn.execute(
        select(
            c.person_id, c.organisation_id, c.kind, c.requested_on, c.attending_from, c.ended_on
        ).where(c.person_id.in_(person_ids))
    ):
        years: list[tuple[int, str]] = []
        if requested is not None:
            years.append((requested.year, "requested"))
        if attending is not None:
            last = ended or max(today, attending)
            years += [(y, "attending") for y in range(attending.year, last.year + 1)]
        for year, figure in years:
            key = (int(pid), int(org), kind, year, figure)
            if key not in seen:
                seen.add(key)
                add(org, year, f"children.{kind}.{figure}")
    return out


def _add_rows(
    conn: Connection, table: Table, keys: Sequence[str], rows: dict[tuple[Any, ...], dict[str, int]]
) -> None:
    """Add ``rows`` to ``table``: update the existing key, insert the new ones."""
    for key, values in rows.items():
        where = and_(*(table.c[k] == v for k, v in zip(keys, key, strict=True)))
        existing = conn.execute(select(*(table.c[v] for v in values)).where(where)).first()
        if existing is None:
            conn.execute(table.insert().values(**dict(zip(keys, key, strict=True)), **values))
        else:
            conn.execute(
                table.update().where(where).values(**{k: table.c[k] + v for k, v in values.items()})
            )


def retain_counts(
    conn: Connection, person_ids: Sequence[int], today: dt.date | None = None
) -> dict[str, int]:
    """Keep the persons' share of the figures as anonymous counts; return rows written."""
    if not person_ids:
        return {}
    today = today or dt.date.today()
    # read before anything below changes the custody periods (clip_to_counselling)
    annual_rows = _annual_counts(conn, person_ids, today)
    month_rows: dict[tuple[Any, ...], dict[str, int]] = {}
    for key, counts in _note_counts(conn, person_ids).items():
        row = month_rows.setdefault(key, dict.fromkeys((*MONTH_COLUMNS, "case_management"), 0))
        for name in ("individual", "education_system", "return_counselling"):
            row[name] += counts[name]
    for key, persons in _case_management_counts(conn, person_ids, today).items():
        row = month_rows.setdefault(key, dict.fromkeys((*MONTH_COLUMNS, "case_management"), 0))
        row["case_management"] += len(persons)
    _add_rows(
        conn,
        _table(RetainedMonthCount),
        ("organisation_id", "caseworker_id", "year", "month"),
        month_rows,
    )
    indicator_rows = _indicator_counts(conn, person_ids)
    _add_rows(
        conn, _table(RetainedIndicatorCount), ("organisation_id", "year", "month"), indicator_rows
    )
    # persons present: the anonymous custody periods must say alone until when counselling ran
    clip_to_counselling(conn, person_ids)
    referral_rows = {key: {"referrals": n} for key, n in _referral_counts(conn, person_ids).items()}
    _add_rows(
        conn,
        _table(RetainedReferralCount),
        ("organisation_id", "year", "month", "partner_id", "topic_code", "outcome"),
        referral_rows,
    )
    _add_rows(conn, _table(RetainedAnnualCount), ("organisation_id", "year", "figure"), annual_rows)
    return {
        "statistics_retained_annual": len(annual_rows),
        "statistics_retained_month": len(month_rows),
        "statistics_retained_referral": len(referral_rows),
        "statistics_retained_indicator": len(indicator_rows),
    }

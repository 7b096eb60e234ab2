"""Precomputed monthly figures for the reviewer's charts (issue 9: a rollup at national scale).

The charts aggregate twelve months of contact notes of every provider: ~0.25 s of SQL per
aggregate at state scale, tens of seconds at national scale. ``refresh()`` computes the same
figures once — with the live functions of :mod:`app.services.statistics.counting`, so they cannot
diverge — into ``statistics_rollup_month`` / ``statistics_rollup_topic``; a scheduled job
(``flask msa refresh-statistics``, docs/deployment.md) keeps them current.

The charts read the rollup only while it is fresh (``MSA_STATISTICS_ROLLUP_MAX_AGE`` seconds,
default 26 hours; 0 switches the rollup off) and covers the months shown; otherwise they are
computed live, as a county without the job always does. The page shows the rollup's time.
The official quarterly figures (Anlage 1) are never taken from the rollup: they are computed
live per provider and frozen on submission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app, has_app_context
from sqlalchemy import and_, delete, func, insert, literal, select, union_all

from app.extensions import db
from app.models import (
    CatalogueEntry,
    ContactNote,
    Organisation,
    StatisticsRollupMonth,
    StatisticsRollupQuarter,
    StatisticsRollupState,
    StatisticsRollupTopic,
)
from app.models.base import utcnow
from app.services.errors import unit_of_work
from app.services.statistics import counting as st

#: months kept in the rollup: the charts' twelve months plus the rest of a running quarter
DEFAULT_MONTHS = 15
DEFAULT_MAX_AGE = 26 * 3600


@dataclass(frozen=True)
class RefreshResult:
    first_month: str
    last_month: str
    month_rows: int
    topic_rows: int
    seconds: float


def _key(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def refresh(months: int = DEFAULT_MONTHS, today: dt.date | None = None) -> RefreshResult:
    """Recompute ``months`` months up to the end of the running quarter, in one transaction."""
    started = dt.datetime.now()
    today = today or dt.date.today()
    end = st.Quarter.of(today).end  # the running quarter is shown whole (later months: 0)
    first = end.replace(day=1) - relativedelta(months=months - 1)
    rows = st.monthly_counts(first, end, None)
    merged: dict[tuple[int, int, int, int], dict[str, int]] = {}
    for org, _cw, month_key, figures in rows:  # summed over caseworkers (stored as 0)
        key = (org, 0, int(month_key[:4]), int(month_key[5:]))
        into = merged.setdefault(key, st._zero())
        st._add(into, figures)
    # totals over all providers under organisation 0 (no organisation has that id): the
    # charts of all providers read 15 rows instead of summing 1,500 × 15
    reporting = set(st.reporting_org_ids())
    for (org, _cw, y, m), figures in list(merged.items()):
        if org in reporting:
            st._add(merged.setdefault((0, 0, y, m), st._zero()), figures)
    note = ContactNote.__table__.c
    topic_rows = db.session.execute(
        st._notes_per_topic(
            first, end, None, note.organisation_id, st._year(note.date), st._month(note.date)
        ).order_by(None)
    ).all()
    quarters = []
    q = st.Quarter.of(first)
    while q.start <= end:
        quarters.append(q)
        q = st.Quarter.of(q.end + dt.timedelta(days=1))
    org_ids = sorted(reporting)
    indicators = st.indicators_for_periods([(q.start, q.end) for q in quarters], org_ids)
    with unit_of_work():  # the old rows go and the new come in one transaction
        db.session.execute(delete(StatisticsRollupMonth))
        db.session.execute(delete(StatisticsRollupTopic))
        db.session.execute(delete(StatisticsRollupQuarter))
        if org_ids:
            db.session.execute(
                insert(StatisticsRollupQuarter),
                [
                    {"organisation_id": org, "year": q.year, "quarter": q.quarter, "figures": figs}
                    for q, per_org in zip(quarters, indicators, strict=True)
                    for org, figs in per_org.items()
                ],
            )
        if merged:
            db.session.execute(
                insert(StatisticsRollupMonth),
                [
                    {
                        "organisation_id": org,
                        "caseworker_id": cw,
                        "year": y,
                        "month": m,
                        "individual": f["individual"],
                        "group_sessions": f["group"],
                        "education_system": f["education_system"],
                        "return_counselling": f["return_counselling"],
                        "case_management": f["case_management"],
                    }
                    for (org, cw, y, m), f in merged.items()
                ],
            )
        if topic_rows:
            totals: dict[tuple[int, int, str], int] = {}
            for code, org, y, m, n in topic_rows:
                if org in reporting:
                    totals[(y, m, code)] = totals.get((y, m, code), 0) + int(n)
            db.session.execute(
                insert(StatisticsRollupTopic),
                [
                    {"organisation_id": org, "year": y, "month": m, "code": code, "notes": n}
                    for code, org, y, m, n in topic_rows
                ]
                + [
                    {"organisation_id": 0, "year": y, "month": m, "code": code, "notes": n}
                    for (y, m, code), n in totals.items()
                ],
            )
        state = db.session.get(StatisticsRollupState, 1) or StatisticsRollupState(id=1)
        state.refreshed_at = utcnow()
        state.first_month, state.last_month = _key(first), _key(end)
        db.session.add(state)
    return RefreshResult(
        _key(first),
        _key(end),
        len(merged),
        len(topic_rows),
        (dt.datetime.now() - started).total_seconds(),
    )


def fresh_state(start: dt.date, end: dt.date) -> StatisticsRollupState | None:
    """Return the rollup state when it is fresh and covers ``start``..``end``, else None."""
    max_age = DEFAULT_MAX_AGE
    if has_app_context():
        max_age = int(current_app.config.get("MSA_STATISTICS_ROLLUP_MAX_AGE", DEFAULT_MAX_AGE))
    if max_age <= 0:
        return None
    state = db.session.get(StatisticsRollupState, 1)
    if state is None or state.refreshed_at < utcnow() - dt.timedelta(seconds=max_age):
        return None
    if _key(start) < state.first_month or _key(end) > state.last_month:
        return None
    return state


def _month_number(year: Any, month: Any) -> Any:
    return year * 100 + month


def notes_per_topic_labelled(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int] | None
) -> list[tuple[str, str, int]]:
    """:func:`app.services.statistics.counting.notes_per_topic_labelled` from the rollup."""
    t = StatisticsRollupTopic
    entry = CatalogueEntry.__table__.c
    label = func.coalesce(entry.label_de, t.code)
    total = func.sum(t.notes)
    period = _month_number(t.year, t.month)
    stmt = (
        select(t.code, label, total)
        .outerjoin(
            CatalogueEntry.__table__,
            and_(entry.catalogue == "contact_topic", entry.code == t.code),
        )
        .where(
            period >= start.year * 100 + start.month,
            period <= end.year * 100 + end.month,
            t.organisation_id == 0
            if organisation_ids is None
            else t.organisation_id.in_(organisation_ids),
        )
        .group_by(t.code, label)
        .order_by(total.desc(), t.code)
    )
    return [(code, text, int(n)) for code, text, n in db.session.execute(stmt)]


def indicators_for_quarters(
    quarters: Sequence[st.Quarter], organisation_ids: Sequence[int]
) -> list[dict[int, dict[str, Any]]]:
    """:func:`.counting.indicators_for_periods` for quarters, from the rollup."""
    q = StatisticsRollupQuarter
    wanted = {(x.year, x.quarter) for x in quarters}
    stmt = select(q.organisation_id, q.year, q.quarter, q.figures).where(
        q.organisation_id.in_(organisation_ids),
        q.year.in_({y for y, _ in wanted}),
    )
    found: dict[tuple[int, int], dict[int, dict[str, Any]]] = {}
    for org, year, quarter, figures in db.session.execute(stmt):
        if (year, quarter) in wanted:
            found.setdefault((year, quarter), {})[org] = figures
    empty = {
        "completed_courses": 0,
        "own_housing": 0,
        "persons_present": 0,
        "fte": 0.0,
        "caseload_per_fte": None,
        "above_ratio": False,
    }
    return [
        {org: found.get((x.year, x.quarter), {}).get(org, dict(empty)) for org in organisation_ids}
        for x in quarters
    ]


def _of_orgs(column: Any, organisation_ids: Sequence[int] | None) -> Any:
    """``column`` among the given organisations, or among all reporting ones (``None``).

    ``None`` filters through a subquery: a list of 1,500 ids (national) as bind parameters
    is compared row by row, a subquery is joined.
    """
    if organisation_ids is None:
        reporting = select(Organisation.id).where(Organisation.kind.in_(st.REPORTING_KINDS))
        return column.in_(reporting)
    return column.in_(organisation_ids)


def dashboard_rows(
    trend_start: dt.date, start: dt.date, end: dt.date, organisation_ids: Sequence[int] | None
) -> tuple[list[tuple[int, int, str, dict[str, int]]], list[tuple[int, int, str, dict[str, int]]]]:
    """The charts' two aggregates from the rollup in ONE statement, in the rows' format.

    Returns (totals per month from ``trend_start`` to ``end``, organisation ``0``; totals per
    organisation for ``start``–``end``, under the month key of ``start``) — a dozen plus one
    row per provider instead of one per provider and month (national: 1,500 × 12).
    """
    r = StatisticsRollupMonth
    period = _month_number(r.year, r.month)
    sums = [
        func.sum(r.individual),
        func.sum(r.group_sessions),
        func.sum(r.education_system),
        func.sum(r.return_counselling),
        func.sum(r.case_management),
    ]
    in_orgs = _of_orgs(r.organisation_id, organisation_ids)
    # all reporting providers: their totals stored under organisation 0
    month_orgs = r.organisation_id == 0 if organisation_ids is None else in_orgs
    per_month = (
        select(literal(1).label("kind"), literal(0).label("org"), r.year, r.month, *sums)
        .where(month_orgs, period >= _n(trend_start), period <= _n(end))
        .group_by(r.year, r.month)
    )
    per_org = (
        select(literal(0), r.organisation_id, literal(0), literal(0), *sums)
        .where(in_orgs, period >= _n(start), period <= _n(end))
        .group_by(r.organisation_id)
    )
    months: list[tuple[int, int, str, dict[str, int]]] = []
    orgs: list[tuple[int, int, str, dict[str, int]]] = []
    base = st._zero()
    for kind, org, y, m, ind, grp, edu, ret, cm in db.session.execute(
        union_all(per_month, per_org)
    ):
        figures = dict(base)
        figures.update(
            individual=int(ind or 0),
            group=int(grp or 0),
            education_system=int(edu or 0),
            return_counselling=int(ret or 0),
            case_management=int(cm or 0),
        )
        if kind == 1:
            months.append((0, 0, f"{y}-{m:02d}", figures))
        else:
            orgs.append((org, 0, _key(start), figures))
    return months, orgs


def _n(day: dt.date) -> int:
    return day.year * 100 + day.month

"""Closed periods and the one answer for a quarter's figures (R-7.2).

- :func:`reported_statistics` is THE answer for a quarter, used by the page, the exports, the
  REST API and ``msa statistics``: for a submitted or reviewed quarter the submitted snapshot,
  otherwise the live figures; always with ``status``, ``submitted_at`` and ``snapshot``.
- A quarter that is submitted or reviewed is closed: a ``before_flush`` guard refuses creating,
  changing or deleting a contact note, group session or case-management date that falls (or
  fell) in it (:class:`ClosedPeriodError`, German message; the API answers 409). A returned
  quarter is open again until it is resubmitted. ``msa purge-expired`` deletes with Core
  statements and is not affected; it keeps the figures by the retained counts instead
  (:mod:`app.services.statistics.retained`).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect, or_, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.case_management import CaseEvent, CaseManagementCase
from app.models.contact import ContactNote, GroupSession
from app.models.person import Person
from app.models.statistics import QuarterlyReport
from app.services.errors import DomainError
from app.services.statistics.counting import FIGURES, Quarter, quarterly_statistics

#: report states in which the quarter is closed for writes and answered by its snapshot
CLOSED_STATUSES = ("submitted", "reviewed")
#: the documented status names (INTERFACES.md): no report row yet is ``open``
STATUS_NAMES = {"draft": "open", "submitted": "submitted", "reviewed": "reviewed"}


class ClosedPeriodError(DomainError):
    """A write dated in a submitted or reviewed quarter; ``message`` is German (409)."""

    status = 409
    key = "quarter.closed"


def closed_message(day: dt.date) -> str:
    q = Quarter.of(day)
    return (
        f"Das {q.label} ist bereits an den Landkreis gemeldet und abgeschlossen: Einträge mit "
        f"Datum {day.strftime('%d.%m.%Y')} können nicht mehr angelegt, geändert oder gelöscht "
        "werden. Für eine Korrektur muss der Landkreis die Meldung zurückgeben."
    )


def closed_quarters(
    session: Session, pairs: Iterable[tuple[int, dt.date]]
) -> set[tuple[int, int, int]]:
    """Return ``(organisation_id, year, quarter)`` of the pairs' quarters that are closed.

    A quarter can be submitted only after its end, so the running quarter (where nearly every
    note is dated) needs no query.
    """
    today = dt.date.today()
    keys = {
        (org, Quarter.of(day).year, Quarter.of(day).quarter)
        for org, day in pairs
        if Quarter.of(day).end < today
    }
    if not keys:
        return set()
    r = QuarterlyReport.__table__.c
    stmt = select(r.organisation_id, r.year, r.quarter).where(
        r.status.in_(CLOSED_STATUSES),
        or_(*((r.organisation_id == o) & (r.year == y) & (r.quarter == q) for o, y, q in keys)),
    )
    with session.no_autoflush:
        rows = session.execute(stmt.execution_options(msa_unscoped=True)).all()
    return {(int(o), int(y), int(q)) for o, y, q in rows}


def check_open(session: Session, organisation_id: int | None, *days: dt.date | None) -> None:
    """Raise :class:`ClosedPeriodError` when one of ``days`` lies in a closed quarter."""
    if organisation_id is None:
        return
    pairs = [(organisation_id, d) for d in days if d is not None]
    closed = closed_quarters(session, pairs)
    for org, day in pairs:
        q = Quarter.of(day)
        if (org, q.year, q.quarter) in closed:
            raise ClosedPeriodError(closed_message(day))


#: the domain dates of each guarded model
GUARDED: dict[type, tuple[str, ...]] = {
    ContactNote: ("date",),
    GroupSession: ("date",),
    CaseEvent: ("occurred_on",),
    CaseManagementCase: ("opened_on", "closed_on"),
}


def _dates(obj: Any, *, old: bool) -> list[dt.date]:
    out: list[dt.date] = []
    state = inspect(obj)
    for attr in GUARDED[type(obj)]:
        if old:
            hist = state.attrs[attr].history
            values = list(hist.deleted or ()) + list(hist.unchanged or ())
            out.extend(v for v in values if isinstance(v, dt.date))
        value = getattr(obj, attr, None)
        if isinstance(value, dt.date):
            out.append(value)
    return out


def dates_touched(session: Session) -> list[tuple[int, dt.date]]:
    """Return ``(organisation_id, date)`` of every guarded row written in this flush."""
    pairs: list[tuple[int, dt.date]] = []
    for obj in list(session.new):
        if type(obj) in GUARDED and obj.organisation_id is not None:
            pairs.extend((obj.organisation_id, d) for d in _dates(obj, old=False))
    for obj in list(session.dirty):
        if type(obj) not in GUARDED or not session.is_modified(obj):
            continue
        if isinstance(obj, CaseManagementCase):
            # only a change of its dates matters (the step changes with every transition)
            state: Any = inspect(obj)
            if not any(state.attrs[a].history.has_changes() for a in GUARDED[CaseManagementCase]):
                continue
            changed: list[dt.date] = []
            for attr in GUARDED[CaseManagementCase]:
                hist = state.attrs[attr].history
                changed.extend(v for v in (*hist.added, *hist.deleted) if isinstance(v, dt.date))
            pairs.extend((obj.organisation_id, d) for d in changed)
            continue
        pairs.extend((obj.organisation_id, d) for d in _dates(obj, old=True))
    deleted_persons = []
    for obj in list(session.deleted):
        if type(obj) in GUARDED and obj.organisation_id is not None:
            pairs.extend((obj.organisation_id, d) for d in _dates(obj, old=True))
        elif isinstance(obj, Person) and obj.id is not None:
            deleted_persons.append(obj.id)
    if deleted_persons:
        # deleting a person deletes the notes and case steps with it (database cascade)
        pairs.extend(_dates_of_persons(session, deleted_persons))
    return pairs


def _dates_of_persons(session: Session, person_ids: list[int]) -> list[tuple[int, dt.date]]:
    """``(organisation_id, date)`` of the persons' notes and case steps (one statement)."""
    from sqlalchemy import union

    note = ContactNote.__table__.c
    event = CaseEvent.__table__.c
    stmt = union(
        select(note.organisation_id, note.date).where(note.person_id.in_(person_ids)),
        select(event.organisation_id, event.occurred_on).where(event.person_id.in_(person_ids)),
    )
    with session.no_autoflush:
        rows = session.execute(stmt.execution_options(msa_unscoped=True)).all()
    return [(int(org), day) for org, day in rows if isinstance(day, dt.date)]


@event.listens_for(Session, "before_flush")
def _guard_closed_periods(session: Session, flush_context: Any, instances: Any) -> None:
    if session.info.get("msa_closed_periods_unguarded"):
        return
    pairs = dates_touched(session)
    if pairs:
        closed = closed_quarters(session, pairs)
        for org, day in pairs:
            q = Quarter.of(day)
            if (org, q.year, q.quarter) in closed:
                raise ClosedPeriodError(closed_message(day))


def check_item(session: Session, item: Any) -> None:
    """Raise :class:`ClosedPeriodError` for a pending change or deletion of ``item`` (views)."""
    if type(item) not in GUARDED:
        return
    pairs = [(item.organisation_id, d) for d in _dates(item, old=True)]
    closed = closed_quarters(session, pairs)
    for org, day in pairs:
        q = Quarter.of(day)
        if (org, q.year, q.quarter) in closed:
            raise ClosedPeriodError(closed_message(day))


def check_person_deletable(session: Session, person: Any) -> None:
    """Raise :class:`ClosedPeriodError` when deleting ``person`` would delete notes or case
    steps dated in a closed quarter (the page shows the message)."""
    pairs = _dates_of_persons(session, [person.id])
    closed = closed_quarters(session, pairs)
    for org, day in pairs:
        q = Quarter.of(day)
        if (org, q.year, q.quarter) in closed:
            raise ClosedPeriodError(closed_message(day))


# --- one answer ------------------------------------------------------------------------------


def _restrict(stats: dict[str, Any], username: str | None) -> dict[str, Any]:
    """The snapshot of one caseworker: her row (zeros if none), totals recomputed."""
    months = list(stats.get("totals_by_month") or {})
    rows = [cw for cw in stats.get("caseworkers", []) if cw.get("username") == username]
    if not rows and username is not None:
        rows = [
            {
                "username": username,
                "name": "",
                "months": {k: dict.fromkeys(FIGURES, 0) for k in months},
            }
        ]
    by_month = {k: dict.fromkeys(FIGURES, 0) for k in months}
    for cw in rows:
        for key, figures in cw["months"].items():
            for f in FIGURES:
                by_month[key][f] += int(figures.get(f, 0))
    totals = dict.fromkeys(FIGURES, 0)
    for figures in by_month.values():
        for f in FIGURES:
            totals[f] += figures[f]
    totals["case_management"] = max((f["case_management"] for f in by_month.values()), default=0)
    out = dict(stats)
    out.update(caseworkers=rows, totals=totals, totals_by_month=by_month)
    return out


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def report_with_organisation(
    organisation_id: int, year: int, quarter: int
) -> QuarterlyReport | None:
    """Return the quarter's report (or None) and load the organisation in the same statement.

    The organisation lands in the session's identity map, so
    :func:`~app.services.statistics.counting.quarterly_statistics` reads it without a query.
    """
    from sqlalchemy import and_

    from app.models.organisation import Organisation

    row = (
        select(Organisation, QuarterlyReport)
        .outerjoin(
            QuarterlyReport,
            and_(
                QuarterlyReport.organisation_id == Organisation.id,
                QuarterlyReport.year == year,
                QuarterlyReport.quarter == quarter,
            ),
        )
        .where(Organisation.id == organisation_id)
        .execution_options(msa_unscoped=True)  # neither table is row-scoped: no share lookup
    )
    found = db.session.execute(row).first()
    return found[1] if found is not None else None


def reported_statistics(
    organisation_id: int,
    year: int,
    quarter: int,
    *,
    caseworker_id: int | None = None,
    caseworker_username: str | None = None,
    live: bool = False,
    report: QuarterlyReport | None = None,
    report_loaded: bool = False,
) -> dict[str, Any]:
    """Return the figures of a quarter as every channel shows them (UI, exports, API, CLI).

    Submitted or reviewed: the snapshot (``snapshot: true``); otherwise live figures. With
    ``live`` the current figures are added as ``live`` beside a snapshot. ``caseworker_id`` /
    ``caseworker_username`` restrict to one caseworker (a Fachkraft sees her own row).
    """
    if not report_loaded:
        report = report_with_organisation(organisation_id, year, quarter)
    status = report.status if report is not None else "draft"
    frozen = report is not None and status in CLOSED_STATUSES and report.snapshot is not None
    if frozen:
        assert report is not None
        stats = copy.deepcopy(dict(report.snapshot or {}))
        if caseworker_id is not None:
            stats = _restrict(stats, caseworker_username)
    else:
        stats = quarterly_statistics(organisation_id, year, quarter, caseworker_id=caseworker_id)
    stats["status"] = STATUS_NAMES.get(status, status)
    stats["submitted_at"] = _iso(report.submitted_at) if report is not None else None
    stats["reviewed_at"] = _iso(report.reviewed_at) if report is not None else None
    stats["snapshot"] = frozen
    if live and frozen:
        stats["live"] = quarterly_statistics(
            organisation_id, year, quarter, caseworker_id=caseworker_id
        )
    return stats

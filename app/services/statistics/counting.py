"""Anlage-1 figures and indicators (R-7.1, R-7.3), aggregated in the database.

Every figure is computed by ``GROUP BY`` in SQL; Python only arranges the few aggregated rows
(organisation × caseworker × month). The UI, the CLI ``msa statistics`` and the API
``/api/v1/statistics/quarterly`` all call :func:`quarterly_statistics`. Counting rules:
docs/statistics.md.

The queries run with ``msa_unscoped``: callers decide beforehand which organisation a user may
see (``app.services.statistics.quarterly_report.allowed_view``), because county roles read
every provider.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import (
    Integer,
    Numeric,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import Select

from app.extensions import db
from app.models import (
    CatalogueEntry,
    ContactNote,
    ContactNoteTopic,
    GroupSession,
    IntegrationCourse,
    MsaUser,
    Organisation,
    OrganisationKind,
    Person,
)
from app.models.custody import CustodyPeriod
from app.models.figures import RetainedIndicatorCount, RetainedMonthCount
from app.models.staff import StaffFtePeriod
from app.security.matrix import ROLE_CASEWORKER
from app.services.statistics import presence
from app.services.statistics.case_management_counts import persons_in_case_management_query

FIGURES = ("individual", "group", "education_system", "return_counselling", "case_management")
FIGURE_LABELS = {
    "individual": "Einzelberatungen/Begleitungen",
    "group": "Gruppenberatungen",
    "education_system": "Beratungen zum deutschen Bildungssystem",
    "return_counselling": "Rückkehrberatungen",
    "case_management": "Personen im Case Management",
}
INDIVIDUAL_KINDS = ("individual", "accompaniment")
#: Betreuungsschlüssel nach LAufnG: one full-time caseworker per 80 regularly present persons.
CASELOAD_RATIO = 80
#: Organisations that report Anlage-1 figures.
REPORTING_KINDS = (OrganisationKind.provider, OrganisationKind.specialist_service)


class StatisticsError(Exception):
    """Invalid statistics request; the message is German."""


@dataclass(frozen=True)
class Quarter:
    """Ein Kalenderquartal."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if self.quarter not in (1, 2, 3, 4):
            raise StatisticsError("Das Quartal muss 1, 2, 3 oder 4 sein")
        if not 2000 <= self.year <= 2100:
            raise StatisticsError("Das Jahr muss zwischen 2000 und 2100 liegen")

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> dt.date:
        return self.start + relativedelta(months=3) - dt.timedelta(days=1)

    @property
    def months(self) -> list[str]:
        return [f"{self.year}-{m:02d}" for m in range(3 * self.quarter - 2, 3 * self.quarter + 1)]

    @property
    def label(self) -> str:
        return f"{self.quarter}. Quartal {self.year}"

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.quarter == 1 else Quarter(self.year, self.quarter - 1)
        )

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)


def month_keys(start: dt.date, end: dt.date) -> list[str]:
    """Return ``YYYY-MM`` of every month from ``start`` to ``end``."""
    out: list[str] = []
    day = start.replace(day=1)
    while day <= end:
        out.append(f"{day.year}-{day.month:02d}")
        day += relativedelta(months=1)
    return out


def _zero() -> dict[str, int]:
    return dict.fromkeys(FIGURES, 0)


def _unscoped(stmt: Select[Any]) -> Select[Any]:
    return stmt.execution_options(msa_unscoped=True)


def _year(col: Any) -> Any:
    return cast(extract("year", col), Integer)


def _month(col: Any) -> Any:
    return cast(extract("month", col), Integer)


def _flag(col: Any) -> Any:
    # ``count(*) FILTER (WHERE …)``: half the cost of ``sum(CASE …)`` per row on PostgreSQL
    return func.count().filter(col.is_(True))


def monthly_counts(
    start: dt.date,
    end: dt.date,
    organisation_ids: Sequence[int] | None = None,
    caseworker_id: int | None = None,
) -> list[tuple[int, int, str, dict[str, int]]]:
    """Return ``(organisation_id, caseworker_id, "YYYY-MM", figures)`` aggregated in SQL.

    A note counts for the organisation stored on the note (the person's provider at the time),
    whatever the caseworker's organisation is today. Notes of kind ``group`` are not counted:
    the group session itself is counted once. Persons in case management come from the
    registered counter: with its batched form in the same statement (one statement for all
    organisations and months), else one call per organisation and month.
    """
    note = ContactNote.__table__.c
    gs = GroupSession.__table__.c
    # Per day first, in the order of the covering indexes (organisation, date, caseworker): the
    # database groups the index entries as they come (no sort, no function per row); the year
    # and month are taken of the few thousand daily rows only. The same sums as grouping every
    # row by its month; a lopsided provider's year (200,000 notes) costs a sixth of the time.
    daily_notes = select(
        note.organisation_id.label("org"),
        note.caseworker_id.label("cw"),
        note.date.label("day"),
        func.count().label("individual"),
        _flag(note.education_system).label("edu"),
        _flag(note.return_counselling).label("ret"),
    ).where(note.date >= start, note.date <= end, note.kind.in_(INDIVIDUAL_KINDS))
    daily_sessions = select(
        gs.organisation_id.label("org"),
        gs.caseworker_id.label("cw"),
        gs.date.label("day"),
        func.count().label("grp"),
        _flag(gs.education_system).label("edu"),
        _flag(gs.return_counselling).label("ret"),
    ).where(gs.date >= start, gs.date <= end)
    # the share of destroyed case files, kept as anonymous counts (statistics_retained)
    rt = RetainedMonthCount.__table__.c
    month_no = rt.year * 100 + rt.month
    retained = select(
        rt.organisation_id,
        rt.caseworker_id,
        rt.year,
        rt.month,
        rt.individual,
        rt.group_sessions,
        rt.education_system,
        rt.return_counselling,
        rt.case_management,
    ).where(month_no >= start.year * 100 + start.month, month_no <= end.year * 100 + end.month)
    if organisation_ids is not None:
        daily_notes = daily_notes.where(note.organisation_id.in_(organisation_ids))
        daily_sessions = daily_sessions.where(gs.organisation_id.in_(organisation_ids))
        retained = retained.where(rt.organisation_id.in_(organisation_ids))
    if caseworker_id is not None:
        daily_notes = daily_notes.where(note.caseworker_id == caseworker_id)
        daily_sessions = daily_sessions.where(gs.caseworker_id == caseworker_id)
        retained = retained.where(rt.caseworker_id == caseworker_id)
    dn = daily_notes.group_by(note.organisation_id, note.date, note.caseworker_id).subquery("dn")
    ds = daily_sessions.group_by(gs.organisation_id, gs.date, gs.caseworker_id).subquery("ds")
    notes = select(
        dn.c.org,
        dn.c.cw,
        _year(dn.c.day).label("y"),
        _month(dn.c.day).label("m"),
        dn.c.individual,
        literal(0).label("grp"),
        dn.c.edu,
        dn.c.ret,
        literal(0).label("cm"),
    )
    sessions = select(
        ds.c.org,
        ds.c.cw,
        _year(ds.c.day),
        _month(ds.c.day),
        literal(0),
        ds.c.grp,
        ds.c.edu,
        ds.c.ret,
        literal(0),
    )
    parts: list[Select[Any]] = [notes, sessions, retained]
    # persons in case management: a plain call into the case-management counting
    org_ids = list(organisation_ids) if organisation_ids is not None else reporting_org_ids()
    cm = persons_in_case_management_query(org_ids, _months(start, end), caseworker_id)
    if cm is not None:
        c = cm.subquery("case_management")
        zeros = [literal(0) for _ in range(4)]
        parts.append(select(c.c.org, c.c.cw, c.c.y, c.c.m, *zeros, c.c.persons))
    u = union_all(*parts).subquery()
    stmt = select(
        u.c.org,
        u.c.cw,
        u.c.y,
        u.c.m,
        func.sum(u.c.individual),
        func.sum(u.c.grp),
        func.sum(u.c.edu),
        func.sum(u.c.ret),
        func.sum(u.c.cm),
    ).group_by(u.c.org, u.c.cw, u.c.y, u.c.m)
    out: list[tuple[int, int, str, dict[str, int]]] = []
    for org, cw, y, m, ind, grp, edu, ret, persons in db.session.execute(_unscoped(stmt)):
        figures = _zero()
        figures.update(
            individual=int(ind or 0),
            group=int(grp or 0),
            education_system=int(edu or 0),
            return_counselling=int(ret or 0),
            case_management=int(persons or 0),
        )
        out.append((int(org), int(cw), f"{int(y)}-{int(m):02d}", figures))
    return out


def _months(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    return [(int(k[:4]), int(k[5:])) for k in month_keys(start, end)]


def reporting_org_ids() -> list[int]:
    """Return the ids of the providers and the specialist service (they report Anlage 1)."""
    stmt = select(Organisation.id).where(Organisation.kind.in_(REPORTING_KINDS))
    return [i for (i,) in db.session.execute(stmt.order_by(Organisation.name))]


def reporting_organisations() -> list[tuple[int, str]]:
    """Return ``(id, name)`` of the reporting organisations, by name."""
    stmt = (
        select(Organisation.id, Organisation.name)
        .where(Organisation.kind.in_(REPORTING_KINDS))
        .order_by(Organisation.name)
    )
    return [(i, n) for i, n in db.session.execute(stmt)]


def _add(into: dict[str, int], figures: Mapping[str, int]) -> None:
    for key in FIGURES:
        into[key] += figures[key]


def quarterly_statistics(
    organisation_id: int, year: int, quarter: int, *, caseworker_id: int | None = None
) -> dict[str, Any]:
    """Return the Anlage-1 figures of one organisation and quarter (INTERFACES.md shape).

    ``caseworker_id`` restricts the figures to one caseworker (a Fachkraft sees her own).
    Extensions of the documented shape: ``organisation_id``, ``period``, per caseworker
    ``name``, ``totals_by_month`` and ``indicators``.
    """
    period = Quarter(year, quarter)
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise StatisticsError("Diese Organisation gibt es nicht")
    rows = monthly_counts(period.start, period.end, [organisation_id], caseworker_id)
    per_cw: dict[int, dict[str, dict[str, int]]] = {}
    for _org, cw, key, figures in rows:
        months = per_cw.setdefault(cw, {k: _zero() for k in period.months})
        _add(months[key], figures)
    # active caseworkers of the organisation (shown with zeros) and everyone with figures, with
    # their names: one statement
    staff = and_(
        MsaUser.organisation_id == organisation_id,
        MsaUser.active.is_(True),
        MsaUser.roles.any(Role.name == ROLE_CASEWORKER),
    )
    if caseworker_id is not None:
        staff = and_(staff, MsaUser.id == caseworker_id)
    users: dict[int, tuple[str, str]] = {}
    for uid, username, first, last in db.session.execute(
        select(MsaUser.id, MsaUser.username, MsaUser.first_name, MsaUser.last_name).where(
            or_(staff, MsaUser.id.in_(list(per_cw)))
        )
    ):
        per_cw.setdefault(uid, {k: _zero() for k in period.months})
        users[uid] = (username, f"{first or ''} {last or ''}".strip())
    caseworkers: list[dict[str, Any]] = [
        {"username": users[uid][0], "name": users[uid][1], "months": months}
        for uid, months in sorted(per_cw.items(), key=lambda item: users[item[0]][0])
    ]
    by_month = {k: _zero() for k in period.months}
    for entry in caseworkers:
        for key, figures in entry["months"].items():
            _add(by_month[key], figures)
    totals = _zero()
    for figures in by_month.values():
        _add(totals, figures)
    # persons in case management are a stand, not a flow: the quarter shows the highest month
    totals["case_management"] = max(f["case_management"] for f in by_month.values())
    return {
        "organisation": org.name,
        "organisation_id": org.id,
        "year": period.year,
        "quarter": period.quarter,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "caseworkers": caseworkers,
        "totals": totals,
        "totals_by_month": by_month,
        "indicators": indicators(period.start, period.end, [organisation_id])[organisation_id],
    }


def indicators(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """Return R-7.3 indicators per organisation for the period ``start``–``end``.

    ``completed_courses``: integration courses completed with ``end_on`` in the period;
    ``own_housing``: persons who moved into own housing in the period; ``persons_present``:
    persons assigned by ``end``, not moved away by ``end`` and still in counselling (less than
    3 months after moving into own housing); ``fte``: sum of the FTE of the organisation's
    active staff; ``caseload_per_fte`` and ``above_ratio`` (more than 80 per FTE).
    """
    return indicators_for_periods([(start, end)], organisation_ids)[0]


def indicators_for_periods(
    periods: Sequence[tuple[dt.date, dt.date]], organisation_ids: Sequence[int]
) -> list[dict[int, dict[str, Any]]]:
    """Return :func:`indicators` for each ``(start, end)`` of ``periods``, in one statement.

    One ``UNION ALL`` of three aggregates grouped by organisation — FTE from the accounts' FTE
    history, integration courses, and the custody periods (moves into own housing and persons
    present, ``app.services.statistics.presence``) — with one conditional ``sum`` column per
    period, whatever the number of periods and organisations.
    """
    ids = list(organisation_ids)
    spans = list(periods)
    if not spans:
        return []
    if not ids:
        return [{} for _ in spans]
    n = len(spans)

    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    def nulls(k: int, kind: Any = Integer) -> list[Any]:
        # typed: PostgreSQL resolves UNION ALL pairwise and would make two bare NULLs text
        return [cast(null(), kind) for _ in range(k)]

    first_day = min(s for s, _e in spans)
    last_day = max(e for _s, e in spans)
    fp = StaffFtePeriod.__table__.c
    fte = select(  # first branch: the FTE columns keep their numeric type
        literal_column("0").label("kind"),
        fp.organisation_id.label("org"),
        *(func.sum(presence.fte_days(start, end)) for start, end in spans),
        *nulls(3 * n),
    ).where(
        fp.organisation_id.in_(ids),
        fp.valid_from <= last_day,
        or_(fp.valid_to.is_(None), fp.valid_to >= first_day),
    )
    ic = IntegrationCourse.__table__.c
    courses = select(
        literal_column("1"),
        ic.organisation_id,
        *nulls(n, Numeric),
        *(count_if(and_(ic.end_on >= start, ic.end_on <= end)) for start, end in spans),
        *nulls(2 * n),
    ).where(
        ic.organisation_id.in_(ids),
        ic.completed.is_(True),
        ic.end_on >= first_day,
        ic.end_on <= last_day,
    )
    cp = CustodyPeriod.__table__.c
    p = Person.__table__.c
    own = p.moved_in_own_housing_on
    # the move into own housing counts for the holder on that day (the receiver on the day
    # of a handover; the holder of the current period also after a move-away on that day)
    held_that_day = and_(
        cp.started_on <= own,
        or_(cp.ended_on.is_(None), cp.ended_on > own, and_(cp.ended_on == own, cp.current)),
    )
    persons = (
        select(
            literal_column("2"),
            cp.organisation_id,
            *nulls(n, Numeric),
            *nulls(n),
            *(count_if(and_(own >= start, own <= end, held_that_day)) for start, end in spans),
            *(count_if(presence.present(start, end)) for start, end in spans),
        )
        .select_from(presence.periods_with_person())
        .where(
            cp.organisation_id.in_(ids),
            cp.started_on <= last_day,
            or_(cp.ended_on.is_(None), cp.ended_on >= first_day),
        )
    )
    # moves into own housing and completed courses of destroyed case files (by month)
    rt = RetainedIndicatorCount.__table__.c
    month_no = rt.year * 100 + rt.month

    def in_months(start: dt.date, end: dt.date) -> Any:
        return and_(
            month_no >= start.year * 100 + start.month, month_no <= end.year * 100 + end.month
        )

    def sum_if(condition: Any, value: Any) -> Any:
        return func.sum(case((condition, value), else_=0))

    retained = select(
        literal_column("3"),
        rt.organisation_id,
        *nulls(n, Numeric),
        *(sum_if(in_months(start, end), rt.completed_courses) for start, end in spans),
        *(sum_if(in_months(start, end), rt.own_housing) for start, end in spans),
        *nulls(n),
    ).where(rt.organisation_id.in_(ids), in_months(first_day, last_day))
    stmt = union_all(
        fte.group_by(fp.organisation_id),
        courses.group_by(ic.organisation_id),
        persons.group_by(cp.organisation_id),
        retained.group_by(rt.organisation_id),
    )
    fte_days: dict[int, list[Any]] = {}
    course_counts: dict[int, list[Any]] = {}
    housing: dict[int, list[Any]] = {}
    present_counts: dict[int, list[Any]] = {}
    for kind, org, *values in db.session.execute(stmt.execution_options(msa_unscoped=True)):
        if int(kind) == 0:
            fte_days[org] = values[:n]
            continue
        for into, part in (
            (course_counts, values[n : 2 * n]),
            (housing, values[2 * n : 3 * n]),
            (present_counts, values[3 * n :]),
        ):
            if any(v is not None for v in part):
                before = into.get(org) or [0] * n
                into[org] = [int(x or 0) + int(y or 0) for x, y in zip(before, part, strict=True)]
    out: list[dict[int, dict[str, Any]]] = []
    for i, (start, end) in enumerate(spans):
        per_org: dict[int, dict[str, Any]] = {}
        for org_id in ids:
            fte_avg = presence.average_fte((fte_days.get(org_id) or [0] * n)[i], start, end)
            persons_present = int((present_counts.get(org_id) or [0] * n)[i] or 0)
            ratio = round(persons_present / fte_avg, 1) if fte_avg > 0 else None
            per_org[org_id] = {
                "completed_courses": int((course_counts.get(org_id) or [0] * n)[i] or 0),
                "own_housing": int((housing.get(org_id) or [0] * n)[i] or 0),
                "persons_present": persons_present,
                "fte": fte_avg,
                "caseload_per_fte": ratio,
                "above_ratio": ratio is not None and ratio > CASELOAD_RATIO,
            }
        out.append(per_org)
    return out


MonthlyRows = Sequence[tuple[int, int, str, Mapping[str, int]]]


def sum_per_month(rows: MonthlyRows, start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
    """Sum rows of :func:`monthly_counts` per month from ``start`` to ``end`` (others ignored)."""
    out = {k: _zero() for k in month_keys(start, end)}
    for _org, _cw, key, figures in rows:
        if key in out:
            _add(out[key], figures)
    return out


def sum_per_organisation(
    rows: MonthlyRows, organisation_ids: Sequence[int], start: dt.date, end: dt.date
) -> dict[int, dict[str, int]]:
    """Sum rows of :func:`monthly_counts` of the months ``start``–``end`` per organisation."""
    months = set(month_keys(start, end))
    out = {org_id: _zero() for org_id in organisation_ids}
    for org, _cw, key, figures in rows:
        if key in months:
            _add(out[org], figures)
    return out


def totals_per_month(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int] | None = None
) -> dict[str, dict[str, int]]:
    """Return the five figures summed over the organisations for every month."""
    return sum_per_month(monthly_counts(start, end, organisation_ids), start, end)


def totals_per_organisation(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Return the five figures of the period summed per organisation."""
    rows = monthly_counts(start, end, organisation_ids)
    return sum_per_organisation(rows, organisation_ids, start, end)


def _notes_per_topic(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int] | None, *columns: Any
) -> Select[Any]:
    note = ContactNote.__table__.c
    topic = ContactNoteTopic.__table__.c
    stmt = (
        select(topic.code, *columns, func.count())
        .select_from(
            ContactNoteTopic.__table__.join(ContactNote.__table__, topic.contact_note_id == note.id)
        )
        .where(note.date >= start, note.date <= end, note.kind.in_(INDIVIDUAL_KINDS))
        .group_by(topic.code, *columns)
        .order_by(func.count().desc(), topic.code)
    )
    if organisation_ids is not None:
        stmt = stmt.where(note.organisation_id.in_(organisation_ids))
    return stmt


def notes_per_topic(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int] | None = None
) -> list[tuple[str, int]]:
    """Return ``(topic code, number of notes)`` of individual notes in the period, most first."""
    stmt = _notes_per_topic(start, end, organisation_ids)
    return [(code, int(n)) for code, n in db.session.execute(stmt)]


def notes_per_topic_labelled(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int] | None = None
) -> list[tuple[str, str, int]]:
    """Return :func:`notes_per_topic` with the German label of each topic (one statement).

    The label comes from the ``contact_topic`` catalogue (inactive entries included, as in
    :func:`app.services.catalogues.labels`); a code missing there is its own label.
    """
    entry = CatalogueEntry.__table__.c
    label = func.coalesce(entry.label_de, ContactNoteTopic.__table__.c.code)
    stmt = _notes_per_topic(start, end, organisation_ids, label).outerjoin(
        CatalogueEntry.__table__,
        and_(
            entry.catalogue == "contact_topic",
            entry.code == ContactNoteTopic.__table__.c.code,
        ),
    )
    return [(code, text, int(n)) for code, text, n in db.session.execute(stmt)]

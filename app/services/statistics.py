"""Anlage-1 figures and indicators (R-7.1, R-7.3), aggregated in the database.

Every figure is computed by ``GROUP BY`` in SQL; Python only arranges the few aggregated rows
(organisation × caseworker × month). The UI, the CLI ``msa statistics`` and the API
``/api/v1/statistics/quarterly`` all call :func:`quarterly_statistics`. Counting rules:
docs/statistics.md.

The queries run with ``msa_unscoped``: callers decide beforehand which organisation a user may
see (``app.services.quarterly_report.allowed_view``), because county roles read every provider.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import Integer, and_, case, cast, extract, func, literal, or_, select, union_all
from sqlalchemy.sql import Select

from app.extensions import db
from app.models import (
    ContactNote,
    ContactNoteTopic,
    GroupSession,
    IntegrationCourse,
    MsaUser,
    Organisation,
    OrganisationKind,
    Person,
)
from app.models.person import COUNSELLING_MONTHS_AFTER_OWN_HOUSING
from app.security.matrix import ROLE_CASEWORKER

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

#: ``counter(organisation_id, year, month) -> {caseworker_id: persons in case management}``
CaseManagementCounter = Callable[[int, int, int], Mapping[int, int]]
#: Set by the case-management module; while None, ``case_management`` is 0 everywhere.
CASE_MANAGEMENT_COUNTER: CaseManagementCounter | None = None


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
    return func.sum(case((col.is_(True), 1), else_=0))


def monthly_counts(
    start: dt.date,
    end: dt.date,
    organisation_ids: Sequence[int] | None = None,
    caseworker_id: int | None = None,
) -> list[tuple[int, int, str, dict[str, int]]]:
    """Return ``(organisation_id, caseworker_id, "YYYY-MM", figures)`` aggregated in SQL.

    A note counts for the organisation stored on the note (the person's provider at the time),
    whatever the caseworker's organisation is today. Notes of kind ``group`` are not counted:
    the group session itself is counted once.
    """
    note = ContactNote.__table__.c
    notes = (
        select(
            note.organisation_id.label("org"),
            note.caseworker_id.label("cw"),
            _year(note.date).label("y"),
            _month(note.date).label("m"),
            func.count().label("individual"),
            literal(0).label("grp"),
            _flag(note.education_system).label("edu"),
            _flag(note.return_counselling).label("ret"),
        )
        .where(note.date >= start, note.date <= end, note.kind.in_(INDIVIDUAL_KINDS))
        .group_by(note.organisation_id, note.caseworker_id, _year(note.date), _month(note.date))
    )
    gs = GroupSession.__table__.c
    sessions = (
        select(
            gs.organisation_id.label("org"),
            gs.caseworker_id.label("cw"),
            _year(gs.date).label("y"),
            _month(gs.date).label("m"),
            literal(0).label("individual"),
            func.count().label("grp"),
            _flag(gs.education_system).label("edu"),
            _flag(gs.return_counselling).label("ret"),
        )
        .where(gs.date >= start, gs.date <= end)
        .group_by(gs.organisation_id, gs.caseworker_id, _year(gs.date), _month(gs.date))
    )
    if organisation_ids is not None:
        notes = notes.where(note.organisation_id.in_(organisation_ids))
        sessions = sessions.where(gs.organisation_id.in_(organisation_ids))
    if caseworker_id is not None:
        notes = notes.where(note.caseworker_id == caseworker_id)
        sessions = sessions.where(gs.caseworker_id == caseworker_id)
    u = union_all(notes, sessions).subquery()
    stmt = select(
        u.c.org,
        u.c.cw,
        u.c.y,
        u.c.m,
        func.sum(u.c.individual),
        func.sum(u.c.grp),
        func.sum(u.c.edu),
        func.sum(u.c.ret),
    ).group_by(u.c.org, u.c.cw, u.c.y, u.c.m)
    out: list[tuple[int, int, str, dict[str, int]]] = []
    for org, cw, y, m, ind, grp, edu, ret in db.session.execute(_unscoped(stmt)):
        figures = _zero()
        figures.update(
            individual=int(ind or 0),
            group=int(grp or 0),
            education_system=int(edu or 0),
            return_counselling=int(ret or 0),
        )
        out.append((int(org), int(cw), f"{int(y)}-{int(m):02d}", figures))
    if CASE_MANAGEMENT_COUNTER is not None:
        out.extend(_case_management(start, end, organisation_ids, caseworker_id))
    return out


def _case_management(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int] | None, caseworker_id: int | None
) -> Iterable[tuple[int, int, str, dict[str, int]]]:
    counter = CASE_MANAGEMENT_COUNTER
    if counter is None:
        return []
    org_ids = list(organisation_ids) if organisation_ids is not None else reporting_org_ids()
    out = []
    for org_id in org_ids:
        for key in month_keys(start, end):
            year, month = (int(p) for p in key.split("-"))
            for cw, persons in counter(org_id, year, month).items():
                if caseworker_id is not None and cw != caseworker_id:
                    continue
                figures = _zero()
                figures["case_management"] = int(persons)
                out.append((org_id, int(cw), key, figures))
    return out


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
    staff = select(MsaUser.id).where(
        MsaUser.organisation_id == organisation_id,
        MsaUser.active.is_(True),
        MsaUser.roles.any(Role.name == ROLE_CASEWORKER),
    )
    if caseworker_id is not None:
        staff = staff.where(MsaUser.id == caseworker_id)
    for (uid,) in db.session.execute(staff):
        per_cw.setdefault(uid, {k: _zero() for k in period.months})
    users = {
        uid: (username, f"{first or ''} {last or ''}".strip())
        for uid, username, first, last in db.session.execute(
            select(MsaUser.id, MsaUser.username, MsaUser.first_name, MsaUser.last_name).where(
                MsaUser.id.in_(list(per_cw))
            )
        )
    }
    caseworkers = [
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
    ids = list(organisation_ids)
    ic = IntegrationCourse.__table__.c
    courses = dict(
        db.session.execute(
            _unscoped(
                select(ic.organisation_id, func.count())
                .where(
                    ic.organisation_id.in_(ids),
                    ic.completed.is_(True),
                    ic.end_on >= start,
                    ic.end_on <= end,
                )
                .group_by(ic.organisation_id)
            )
        ).all()
    )
    p = Person.__table__.c
    housing = dict(
        db.session.execute(
            _unscoped(
                select(p.organisation_id, func.count())
                .where(
                    p.organisation_id.in_(ids),
                    p.moved_in_own_housing_on >= start,
                    p.moved_in_own_housing_on <= end,
                )
                .group_by(p.organisation_id)
            )
        ).all()
    )
    counselling_cutoff = end - relativedelta(months=COUNSELLING_MONTHS_AFTER_OWN_HOUSING)
    present = dict(
        db.session.execute(
            _unscoped(
                select(p.organisation_id, func.count())
                .where(
                    p.organisation_id.in_(ids),
                    or_(p.assigned_on.is_(None), p.assigned_on <= end),
                    or_(p.moved_away_on.is_(None), p.moved_away_on > end),
                    or_(
                        p.moved_in_own_housing_on.is_(None),
                        p.moved_in_own_housing_on > counselling_cutoff,
                    ),
                )
                .group_by(p.organisation_id)
            )
        ).all()
    )
    u = MsaUser.__table__.c
    fte = dict(
        db.session.execute(
            select(u.organisation_id, func.sum(u.fte))
            .where(and_(u.organisation_id.in_(ids), u.active.is_(True)))
            .group_by(u.organisation_id)
        ).all()
    )
    out: dict[int, dict[str, Any]] = {}
    for org_id in ids:
        staff = Decimal(fte.get(org_id) or 0)
        persons = int(present.get(org_id, 0))
        ratio = round(float(persons / staff), 1) if staff > 0 else None
        out[org_id] = {
            "completed_courses": int(courses.get(org_id, 0)),
            "own_housing": int(housing.get(org_id, 0)),
            "persons_present": persons,
            "fte": float(staff),
            "caseload_per_fte": ratio,
            "above_ratio": ratio is not None and ratio > CASELOAD_RATIO,
        }
    return out


def totals_per_month(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int] | None = None
) -> dict[str, dict[str, int]]:
    """Return the five figures summed over the organisations for every month."""
    out = {k: _zero() for k in month_keys(start, end)}
    for _org, _cw, key, figures in monthly_counts(start, end, organisation_ids):
        _add(out[key], figures)
    return out


def totals_per_organisation(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Return the five figures of the period summed per organisation."""
    out = {org_id: _zero() for org_id in organisation_ids}
    for org, _cw, _key, figures in monthly_counts(start, end, organisation_ids):
        _add(out[org], figures)
    return out


def notes_per_topic(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int] | None = None
) -> list[tuple[str, int]]:
    """Return ``(topic code, number of notes)`` of individual notes in the period, most first."""
    note = ContactNote.__table__.c
    topic = ContactNoteTopic.__table__.c
    stmt = (
        select(topic.code, func.count())
        .select_from(
            ContactNoteTopic.__table__.join(ContactNote.__table__, topic.contact_note_id == note.id)
        )
        .where(note.date >= start, note.date <= end, note.kind.in_(INDIVIDUAL_KINDS))
        .group_by(topic.code)
        .order_by(func.count().desc(), topic.code)
    )
    if organisation_ids is not None:
        stmt = stmt.where(note.organisation_id.in_(organisation_ids))
    return [(code, int(n)) for code, n in db.session.execute(stmt)]


# Flat rows for exports -------------------------------------------------------------------


def export_rows(stats: Mapping[str, Any]) -> list[list[Any]]:
    """Return the figures as a table: header, one row per caseworker and month, totals."""
    header = ["Fachkraft", "Monat", *(FIGURE_LABELS[f] for f in FIGURES)]
    rows: list[list[Any]] = [header]
    for cw in stats["caseworkers"]:
        for key, figures in cw["months"].items():
            rows.append([cw["username"], key, *(figures[f] for f in FIGURES)])
    for key, figures in stats["totals_by_month"].items():
        rows.append(["Summe", key, *(figures[f] for f in FIGURES)])
    rows.append(["Summe", "Quartal", *(stats["totals"][f] for f in FIGURES)])
    return rows


def indicator_rows(stats: Mapping[str, Any]) -> list[list[Any]]:
    """Return the indicators as label/value rows."""
    ind = stats["indicators"]
    return [
        ["Abgeschlossene Integrationskurse", ind["completed_courses"]],
        ["Übergänge in eigenen Wohnraum", ind["own_housing"]],
        ["Regelmäßig anwesende Personen (Quartalsende)", ind["persons_present"]],
        ["VZÄ", ind["fte"]],
        ["Personen je VZÄ (Schlüssel 1:80)", ind["caseload_per_fte"]],
    ]


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas: prefix text starting with = + - @ with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(stats: Mapping[str, Any]) -> str:
    """Return the figures and indicators as CSV (semicolon, as German spreadsheets expect)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            safe_cell(f"Anlage 1 – {stats['organisation']}"),
            Quarter(stats["year"], stats["quarter"]).label,
        ]
    )
    for row in export_rows(stats):
        writer.writerow([safe_cell(c) for c in row])
    for row in indicator_rows(stats):
        writer.writerow([safe_cell(c) for c in row])
    return buf.getvalue()


def to_xlsx(stats: Mapping[str, Any]) -> bytes:
    """Return the figures and indicators as an XLSX workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Anlage 1"
    ws.append(
        [
            safe_cell(f"Anlage 1 – {stats['organisation']}"),
            Quarter(stats["year"], stats["quarter"]).label,
        ]
    )
    ws["A1"].font = Font(bold=True)
    for row in export_rows(stats):
        ws.append([safe_cell(c) for c in row])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    ind = wb.create_sheet("Indikatoren")
    for row in indicator_rows(stats):
        ind.append([safe_cell(c) for c in row])
    for sheet in (ws, ind):
        sheet.column_dimensions["A"].width = 40
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_pdf(stats: Mapping[str, Any], status_label: str | None = None) -> bytes:
    """Return the figures as a PDF (template app/templates/documents/quarterly_statistics.html)."""
    from app.services.documents import render_pdf

    return render_pdf(
        "quarterly_statistics",
        {
            "stats": stats,
            "period_label": Quarter(stats["year"], stats["quarter"]).label,
            "figures": FIGURES,
            "figure_labels": FIGURE_LABELS,
            "indicator_rows": indicator_rows(stats),
            "status_label": status_label,
        },
    )

"""Quarterly report workflow (Quartalsmeldung, R-7.2): submit, review, return.

States and the only allowed transitions (no row yet means ``draft``)::

    draft ──submit──▶ submitted ──review──▶ reviewed
    returned ◀─return── submitted;  returned ──submit──▶ submitted

Submitting freezes the figures of :func:`app.services.statistics.counting.quarterly_statistics` as a
snapshot in the same transaction that inserts or updates the report; the unique constraint on
(organisation, year, quarter) makes a second concurrent submission fail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models.base import utcnow
from app.models.statistics import QuarterlyReport
from app.security.matrix import COUNTY_ROLES, ROLE_LEAD
from app.services.errors import unit_of_work
from app.services.statistics.counting import Quarter, StatisticsError, quarterly_statistics

TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "review"): "reviewed",
    ("submitted", "return"): "returned",
}


class ReportError(StatisticsError):
    """A workflow step that is not allowed; the message is German."""


class ReportForbiddenError(ReportError):
    """The user may not see or change this organisation's report."""


@dataclass(frozen=True)
class Viewer:
    """Who asks: user id, organisation and role names."""

    user_id: int
    organisation_id: int | None
    roles: frozenset[str]

    @classmethod
    def of(cls, user: Any) -> Viewer:
        """The viewer of a user (a viewer is returned as it is)."""
        if isinstance(user, Viewer):
            return user
        return cls(user.id, user.organisation_id, frozenset(r.name for r in user.roles))

    @property
    def is_county(self) -> bool:
        return bool(self.roles & COUNTY_ROLES)

    @property
    def is_lead(self) -> bool:
        return ROLE_LEAD in self.roles


def allowed_view(viewer: Viewer, organisation_id: int | None) -> tuple[int, int | None]:
    """Return (organisation id, caseworker restriction) the viewer may see, or raise.

    County roles see every organisation; a lead sees her own; anyone else sees her own figures
    within her own organisation only.
    """
    org_id = organisation_id if organisation_id is not None else viewer.organisation_id
    if org_id is None:
        raise ReportError("Bitte eine Organisation wählen")
    if viewer.is_county:
        return org_id, None
    if org_id != viewer.organisation_id:
        raise ReportForbiddenError("Keine Berechtigung für die Statistik dieser Organisation")
    return org_id, None if viewer.is_lead else viewer.user_id


def get_report(organisation_id: int, year: int, quarter: int) -> QuarterlyReport | None:
    """Return the report of an organisation and quarter, if one was submitted."""
    return db.session.execute(
        select(QuarterlyReport).where(
            QuarterlyReport.organisation_id == organisation_id,
            QuarterlyReport.year == year,
            QuarterlyReport.quarter == quarter,
        )
    ).scalar_one_or_none()


def status_of(report: QuarterlyReport | None) -> str:
    return "draft" if report is None else report.status


def _next(state: str, action: str) -> str:
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise ReportError(
            {
                "submit": "Die Meldung ist bereits eingereicht",
                "review": "Nur eingereichte Meldungen können geprüft werden",
                "return": "Nur eingereichte Meldungen können zurückgegeben werden",
            }[action]
        )
    return target


def submit_report(
    organisation_id: int,
    year: int,
    quarter: int,
    *,
    actor: Any,
    today: dt.date | None = None,
) -> QuarterlyReport:
    """Freeze the quarter's figures and submit them to the county (lead of the provider)."""
    acting = Viewer.of(actor)
    if not acting.is_lead or acting.organisation_id != organisation_id:
        raise ReportForbiddenError("Nur die Trägerleitung des Trägers kann die Meldung einreichen")
    period = Quarter(year, quarter)
    if period.end >= (today or dt.date.today()):
        raise ReportError("Ein Quartal kann erst nach seinem Ende eingereicht werden")
    report = get_report(organisation_id, year, quarter)
    _next(status_of(report), "submit")
    snapshot = quarterly_statistics(organisation_id, year, quarter)
    snapshot["computed_at"] = utcnow().isoformat(timespec="seconds")
    with unit_of_work(translate=_conflict("Die Meldung wurde gleichzeitig eingereicht")):
        if report is None:
            report = QuarterlyReport(organisation_id=organisation_id, year=year, quarter=quarter)
            db.session.add(report)
        report.status = "submitted"
        report.snapshot = snapshot
        report.submitted_by_id = acting.user_id
        report.submitted_at = utcnow()
        report.reviewed_by_id = None
        report.reviewed_at = None
    return report


def _conflict(what: str) -> tuple[tuple[type[BaseException], Any], ...]:
    """A concurrent change found at the commit (unique index, stale version): a ReportError."""

    def refuse(exc: BaseException) -> ReportError:
        return ReportError(f"{what}; bitte neu laden")

    return ((IntegrityError, refuse), (StaleDataError, refuse))


def _load_for_county(report_id: int, acting: Viewer) -> QuarterlyReport:
    if not acting.is_county:
        raise ReportForbiddenError("Nur der Landkreis prüft Quartalsmeldungen")
    report = db.session.get(QuarterlyReport, report_id)
    if report is None:
        raise ReportError("Diese Quartalsmeldung gibt es nicht")
    return report


def review_report(report_id: int, *, actor: Any, comment: str | None = None) -> QuarterlyReport:
    """Mark a submitted report as reviewed (Prüfer, Kreis-Admin)."""
    acting = Viewer.of(actor)
    report = _load_for_county(report_id, acting)
    status = _next(report.status, "review")
    with unit_of_work(translate=_conflict("Die Meldung wurde inzwischen geändert")):
        report.status = status
        report.reviewed_by_id = acting.user_id
        report.reviewed_at = utcnow()
        if comment and comment.strip():
            report.comment = comment.strip()
    return report


def return_report(report_id: int, comment: str, *, actor: Any) -> QuarterlyReport:
    """Return a submitted report to the provider with a comment (Prüfer, Kreis-Admin)."""
    if not comment or not comment.strip():
        raise ReportError("Bitte begründen Sie die Rückgabe in einem Kommentar")
    acting = Viewer.of(actor)
    report = _load_for_county(report_id, acting)
    status = _next(report.status, "return")
    with unit_of_work(translate=_conflict("Die Meldung wurde inzwischen geändert")):
        report.status = status
        report.reviewed_by_id = acting.user_id
        report.reviewed_at = utcnow()
        report.comment = comment.strip()
    return report


def reports_for_quarter(
    year: int, quarter: int, organisation_ids: Iterable[int]
) -> dict[int, QuarterlyReport]:
    """Return the reports of a quarter for the organisations, keyed by organisation id."""
    rows = db.session.execute(
        select(QuarterlyReport).where(
            QuarterlyReport.year == year,
            QuarterlyReport.quarter == quarter,
            QuarterlyReport.organisation_id.in_(list(organisation_ids)),
        )
    ).scalars()
    return {r.organisation_id: r for r in rows}

"""Annual evaluation of a provider with the county (Jahresgespräch, Fachkonzept §7).

One year view per provider: the four quarters' Anlage-1 totals (the submitted snapshot where a
quarter is submitted or reviewed, live figures otherwise — the same answer as every other
channel), indicators per quarter (courses, own housing, caseload per FTE), referrals of the
year, the results of the county's file audits, the service gaps reported from monitoring, and
the record of the talk itself (date, participants, agreements, follow-up date).

Few statements whatever the size: one :class:`~app.services.bundle.Bundle` for reports, talk,
organisation, file audits and service gaps; one for the year's monthly counts; one for the
four quarters' indicators; one for the referrals.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import FileAudit, FileAuditItem, MonitoringEntry, Organisation
from app.models.figures import AnnualTalk, RetainedAnnualCount
from app.models.person import CHILD_PLACE_KINDS
from app.models.retention import FINDING_RATINGS
from app.models.staff import StaffSupervision, StaffTraining
from app.models.statistics import QuarterlyReport
from app.services.bundle import Bundle
from app.services.casefile import child_places
from app.services.catalogues import labels
from app.services.cooperation.figures import (
    COOPERATION_FIGURE_LABELS,
    cooperation_figures_statement,
    decode_figures,
)
from app.services.errors import unit_of_work
from app.services.statistics.counting import (
    FIGURES,
    Quarter,
    StatisticsError,
    indicators_for_periods,
    monthly_counts,
)
from app.services.statistics.hardship_counts import decode as decode_hardship
from app.services.statistics.hardship_counts import hardship_counts_statement
from app.services.statistics.periods import CLOSED_STATUSES, STATUS_NAMES
from app.services.statistics.quarterly_report import ReportForbiddenError, Viewer
from app.services.statistics.referrals import (
    decode_rows,
    referral_rows_query,
    referral_statistics_for,
)

TALK_TEXT_MAX = 10000


class AnnualTalkError(StatisticsError):
    """Invalid record of the annual talk; ``errors`` maps fields to German messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def allowed_annual(viewer: Viewer, organisation_id: int | None) -> int:
    """Return the organisation whose year view the viewer may see, or raise.

    The county sees every provider; a provider's lead sees her own; nobody else.
    """
    org_id = organisation_id if organisation_id is not None else viewer.organisation_id
    if org_id is None:
        raise StatisticsError("Bitte eine Organisation wählen")
    if viewer.is_county:
        return org_id
    if viewer.is_lead and org_id == viewer.organisation_id:
        return org_id
    raise ReportForbiddenError("Keine Berechtigung für die Jahresauswertung dieser Organisation")


def _quarter_totals(by_month: Mapping[str, Mapping[str, int]], months: list[str]) -> dict[str, int]:
    totals = dict.fromkeys(FIGURES, 0)
    for key in months:
        for f in FIGURES:
            if f != "case_management":
                totals[f] += int(by_month.get(key, {}).get(f, 0))
    totals["case_management"] = max(
        (int(by_month.get(k, {}).get("case_management", 0)) for k in months), default=0
    )
    return totals


def _add_retained(hardship: dict[str, Any], children: dict[str, dict[str, int]], rows: Any) -> None:
    """Add the retained counts of destroyed case files (``hardship.<key>``,
    ``children.<kind>.<figure>``) to the live figures."""
    for figure, n in rows:
        parts = str(figure).split(".")
        if parts[0] == "hardship" and len(parts) == 2:
            if parts[1] == "submitted":
                hardship["submitted"] += int(n or 0)
            elif parts[1] in hardship["by_outcome"]:
                hardship["by_outcome"][parts[1]] += int(n or 0)
                hardship["decided"] += int(n or 0)
        elif parts[0] == "children" and len(parts) == 3 and parts[1] in children:
            children[parts[1]][parts[2]] = children[parts[1]].get(parts[2], 0) + int(n or 0)


def annual_evaluation(organisation_id: int, year: int) -> dict[str, Any]:
    """Return the year view of one provider (access is decided by :func:`allowed_annual`)."""
    quarters = [Quarter(year, q) for q in (1, 2, 3, 4)]
    start, end = quarters[0].start, quarters[-1].end
    bundle = Bundle()
    bundle.add("org", select(Organisation.name).where(Organisation.id == organisation_id))
    bundle.add(
        "reports",
        select(
            QuarterlyReport.quarter,
            QuarterlyReport.status,
            QuarterlyReport.snapshot,
            QuarterlyReport.submitted_at,
            QuarterlyReport.comment,
        ).where(QuarterlyReport.organisation_id == organisation_id, QuarterlyReport.year == year),
    )
    bundle.add(
        "talk",
        select(AnnualTalk).where(
            AnnualTalk.organisation_id == organisation_id, AnnualTalk.year == year
        ),
    )
    bundle.add(
        "audits",
        select(
            FileAudit.quarter,
            func.coalesce(FileAuditItem.rating, ""),
            func.count(FileAuditItem.id),
        )
        .join(FileAuditItem, FileAuditItem.audit_id == FileAudit.id)
        .where(FileAudit.organisation_id == organisation_id, FileAudit.year == year)
        .group_by(FileAudit.quarter, FileAuditItem.rating),
    )
    bundle.add("cooperation", cooperation_figures_statement(organisation_id, start, end))
    for key, model in (("trainings", StaffTraining), ("supervisions", StaffSupervision)):
        # further training and supervision of the provider's staff in the year
        bundle.add(
            key,
            select(func.count(model.id), func.coalesce(func.sum(model.hours), 0)).where(
                model.organisation_id == organisation_id, model.date >= start, model.date <= end
            ),
        )
    bundle.add(
        "gaps",
        select(
            MonitoringEntry.service_gap_topic,
            func.count(MonitoringEntry.id),
            func.count(func.distinct(MonitoringEntry.case_id)),
        )
        .where(
            MonitoringEntry.organisation_id == organisation_id,
            MonitoringEntry.service_gap_topic.is_not(None),
            MonitoringEntry.recorded_on >= start,
            MonitoringEntry.recorded_on <= end,
        )
        .group_by(MonitoringEntry.service_gap_topic)
        .order_by(func.count(MonitoringEntry.id).desc()),
    )
    bundle.add("referrals", referral_rows_query(start, end, [organisation_id]))
    # Härtefallverfahren: for the holder on the day of the step (custody periods)
    bundle.add("hardship", hardship_counts_statement(organisation_id, start, end))
    # children with a Kita, school or Hort place requested / attending, for the writer
    bundle.add("children", child_places.annual_statement(organisation_id, start, end))
    # the share of destroyed case files in these two (statistics_retained_annual)
    bundle.add(
        "retained",
        select(RetainedAnnualCount.figure, func.sum(RetainedAnnualCount.count))
        .where(
            RetainedAnnualCount.organisation_id == organisation_id,
            RetainedAnnualCount.year >= start.year,
            RetainedAnnualCount.year <= end.year,
        )
        .group_by(RetainedAnnualCount.figure),
    )
    data = bundle.run(unscoped=True)
    if not data["org"]:
        raise StatisticsError("Diese Organisation gibt es nicht")
    reports = {int(r.quarter): r for r in data["reports"]}

    live_rows = monthly_counts(start, end, [organisation_id])
    by_month: dict[str, dict[str, int]] = {}
    for _org, _cw, key, figures in live_rows:
        month = by_month.setdefault(key, dict.fromkeys(FIGURES, 0))
        for f in FIGURES:
            month[f] += figures[f]
    live_indicators = indicators_for_periods(
        [(q.start, q.end) for q in quarters], [organisation_id]
    )

    quarter_rows: list[dict[str, Any]] = []
    for i, q in enumerate(quarters):
        report = reports.get(q.quarter)
        status = report.status if report is not None else "draft"
        snapshot = report.snapshot if report is not None else None
        frozen = status in CLOSED_STATUSES and isinstance(snapshot, dict)
        if frozen:
            assert isinstance(snapshot, dict)
            totals = {f: int(snapshot["totals"].get(f, 0)) for f in FIGURES}
            ind = dict(snapshot.get("indicators") or {})
        else:
            totals = _quarter_totals(by_month, q.months)
            ind = dict(live_indicators[i].get(organisation_id, {}))
        quarter_rows.append(
            {
                "quarter": q.quarter,
                "label": q.label,
                "status": STATUS_NAMES.get(status, status),
                "snapshot": frozen,
                "submitted_at": (
                    report.submitted_at.isoformat(timespec="seconds")
                    if report is not None and report.submitted_at
                    else None
                ),
                "totals": totals,
                "indicators": ind,
            }
        )
    year_totals = dict.fromkeys(FIGURES, 0)
    for row in quarter_rows:
        for f in FIGURES:
            if f == "case_management":
                year_totals[f] = max(year_totals[f], row["totals"][f])
            else:
                year_totals[f] += row["totals"][f]
    caseloads: list[float] = [
        float(r["indicators"]["caseload_per_fte"])
        for r in quarter_rows
        if r["indicators"].get("caseload_per_fte") is not None
    ]
    year_indicators = {
        "completed_courses": sum(
            int(r["indicators"].get("completed_courses", 0)) for r in quarter_rows
        ),
        "own_housing": sum(int(r["indicators"].get("own_housing", 0)) for r in quarter_rows),
        "caseload_per_fte_max": max(caseloads) if caseloads else None,
        "caseload_per_fte_average": (
            round(sum(caseloads) / len(caseloads), 1) if caseloads else None
        ),
        "quarters_above_ratio": sum(1 for r in quarter_rows if r["indicators"].get("above_ratio")),
    }

    audits: dict[str, Any] = {"by_rating": {}, "items": 0, "open": 0, "by_quarter": {}}
    ratings: Counter[str] = Counter()
    for quarter, rating, n in data["audits"]:
        ratings[rating] += int(n)
        audits["by_quarter"].setdefault(int(quarter), {})
        audits["by_quarter"][int(quarter)][rating or "open"] = int(n)
    audits["by_rating"] = {code: ratings.get(code, 0) for code in FINDING_RATINGS}
    audits["open"] = ratings.get("", 0)
    audits["items"] = sum(ratings.values())
    audits["rating_labels"] = dict(FINDING_RATINGS)

    topic_labels = labels("contact_topic")
    gaps = [
        {
            "topic": topic,
            "label": topic_labels.get(topic, topic),
            "entries": int(n),
            "cases": int(c),
        }
        for topic, n, c in data["gaps"]
    ]
    talk = data["talk"][0] if data["talk"] else None
    hardship = decode_hardship(data["hardship"][0])
    children = child_places.decode_annual(data["children"])
    _add_retained(hardship, children, data["retained"])
    return {
        "organisation": data["org"][0],
        "organisation_id": organisation_id,
        "year": year,
        "quarters": quarter_rows,
        "totals": year_totals,
        "indicators": year_indicators,
        "referrals": referral_statistics_for(
            start, end, [organisation_id], rows=decode_rows(data["referrals"])
        ),
        "file_audits": audits,
        "service_gaps": gaps,
        "hardship": hardship,
        "talk": talk_json(talk),
        "children": children,
        "children_labels": dict(CHILD_PLACE_KINDS),
        # cooperation work and staff training of the year, for the annual talk
        "cooperation": decode_figures(data["cooperation"][0]),
        "cooperation_labels": COOPERATION_FIGURE_LABELS,
        "training": {
            "trainings": int(data["trainings"][0][0]),
            "training_hours": float(data["trainings"][0][1] or 0),
            "supervisions": int(data["supervisions"][0][0]),
            "supervision_hours": float(data["supervisions"][0][1] or 0),
        },
    }


def talk_json(talk: AnnualTalk | None) -> dict[str, Any] | None:
    if talk is None:
        return None
    return {
        "held_on": talk.held_on.isoformat(),
        "participants": talk.participants,
        "agreements": talk.agreements,
        "follow_up_on": talk.follow_up_on.isoformat() if talk.follow_up_on else None,
    }


def _date(value: Any, field: str, label: str, errors: dict[str, str]) -> dt.date | None:
    try:
        return parse_date(value)
    except DateError as exc:
        errors[field] = f"{label}: {exc.message}"
        return None


def record_talk(
    organisation_id: int,
    year: int,
    data: Mapping[str, Any],
    *,
    actor: Any,
    today: dt.date | None = None,
) -> AnnualTalk:
    """Record (or correct) the annual talk of a provider and year (county or the lead).

    ``actor``: the acting user (a :class:`Viewer` of them is taken as well)."""
    viewer = Viewer.of(actor)
    allowed_annual(viewer, organisation_id)
    Quarter(year, 1)  # validates the year
    today = today or dt.date.today()
    errors: dict[str, str] = {}
    held_on = _date(data.get("held_on"), "held_on", "Datum des Gesprächs", errors)
    follow_up_on = _date(data.get("follow_up_on"), "follow_up_on", "Folgetermin", errors)
    participants = str(data.get("participants") or "").strip()
    agreements = str(data.get("agreements") or "").strip()
    if held_on is None and "held_on" not in errors:
        errors["held_on"] = "Bitte das Datum des Gesprächs angeben."
    elif held_on is not None and held_on > today:
        errors["held_on"] = "Das Gespräch kann nicht in der Zukunft liegen."
    if not participants:
        errors["participants"] = "Bitte die Teilnehmenden angeben."
    if not agreements:
        errors["agreements"] = "Bitte die Vereinbarungen festhalten."
    for key, text in (("participants", participants), ("agreements", agreements)):
        if len(text) > TALK_TEXT_MAX:
            errors[key] = f"Höchstens {TALK_TEXT_MAX} Zeichen erlaubt."
    if follow_up_on is not None and held_on is not None and follow_up_on < held_on:
        errors["follow_up_on"] = "Der Folgetermin liegt vor dem Gespräch."
    if errors:
        raise AnnualTalkError(errors)
    assert held_on is not None
    with unit_of_work():
        talk = db.session.execute(
            select(AnnualTalk).where(
                AnnualTalk.organisation_id == organisation_id, AnnualTalk.year == year
            )
        ).scalar_one_or_none()
        if talk is None:
            talk = AnnualTalk(organisation_id=organisation_id, year=year)
            db.session.add(talk)
        talk.held_on = held_on
        talk.participants = participants
        talk.agreements = agreements
        talk.follow_up_on = follow_up_on
        talk.recorded_by_id = viewer.user_id
    return talk


def to_pdf(evaluation: Mapping[str, Any]) -> bytes:
    """The year view as PDF (template app/templates/documents/annual_evaluation.html)."""
    from app.services.documents import render_pdf
    from app.services.statistics.counting import FIGURE_LABELS

    return render_pdf(
        "annual_evaluation",
        {"ev": evaluation, "figures": FIGURES, "figure_labels": FIGURE_LABELS},
    )

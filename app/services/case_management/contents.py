"""Step contents of a case (§3.2): first interview, assessment, goals, help plan, services,
conferences, monitoring, closure — each verb checks that the case is in a step where it belongs.

Each verb is the one door of its content (case page, REST API, demo data): it owns every rule
(German :class:`CaseWorkflowError` with field and key, dates read by :mod:`app.dates`), and it
runs as one transaction together with its access-log row (:func:`_one_transaction`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import (
    AssessmentEntry,
    CaseClosure,
    CaseConference,
    CaseGoal,
    CaseManagementCase,
    FirstInterview,
    HelpPlan,
    HelpPlanTask,
    MonitoringEntry,
    MsaUser,
    NetworkPartner,
    ThirdPartyService,
)
from app.models.base import utcnow
from app.services.case_management import special
from app.services.case_management.workflow import (
    CLOSED,
    CONTENT_LABELS,
    CONTENT_STEPS,
    DECISIONS,
    STEPS,
    CaseWorkflowError,
    assessment_current,
    closed_period_refusal,
    closure_of,
    current_help_plan,
    first_interview_of,
    schedule_follow_up,
    step_label,
)
from app.services.catalogues import accepted, valid_codes
from app.services.data_protection.access_log import log_access
from app.services.errors import unit_of_work

_Row = TypeVar("_Row")


def _one_transaction(
    body: Callable[..., _Row],
) -> Callable[..., _Row]:
    """Make ``body(case_, data, *, actor)`` a verb: one transaction with its access-log row,
    everything rolled back on a refusal (also a closed quarter found by the flush)."""

    @functools.wraps(body)
    def verb(case_: CaseManagementCase, data: dict[str, Any], *, actor: Any) -> _Row:
        with unit_of_work(translate=closed_period_refusal(field=None)):
            row = body(case_, data, actor=actor)
            log_access(case_.person_id, "update", category="case_management", commit=False)
        return row

    return verb


def _require_step(case_: CaseManagementCase, content: str) -> None:
    if case_.step not in CONTENT_STEPS[content]:
        steps = ", ".join(step_label(s) for s in STEPS if s in CONTENT_STEPS[content])
        raise CaseWorkflowError(
            f"Im Schritt „{step_label(case_.step)}“ kann {CONTENT_LABELS[content]} nicht "
            f"bearbeitet werden (möglich in: {steps}).",
            key="step.wrong",
        )


def _text(data: dict[str, Any], key: str, label: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    value = str(value).strip() if value is not None else ""
    if required and not value:
        raise CaseWorkflowError(f"Bitte {label} angeben.", field=key, key=f"{key}.required")
    return value or None


def _date(data: dict[str, Any], key: str, label: str, *, required: bool = True) -> dt.date | None:
    try:
        day = parse_date(data.get(key))
    except DateError as exc:
        raise CaseWorkflowError(
            f"{label[0].upper()}{label[1:]}: {exc.message}", field=key, key=f"{key}.invalid"
        ) from None
    if day is None and required:
        raise CaseWorkflowError(f"Bitte {label} angeben.", field=key, key=f"{key}.required")
    return day


def _bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    return value in (True, "1", "true", "on", "y", "yes", 1)


def _owned(case_: CaseManagementCase) -> dict[str, Any]:
    return {
        "case_id": case_.id,
        "person_id": case_.person_id,
        "organisation_id": case_.organisation_id,
    }


@_one_transaction
def record_first_interview(
    case_: CaseManagementCase, data: dict[str, Any], *, actor: Any
) -> FirstInterview:
    """Record (or update) the first interview with its decision (R-4.1)."""
    _require_step(case_, "first_interview")
    problem = _text(data, "problem_situation", "die Problemlage")
    motivation = _text(data, "motivation", "die Motivation")
    decision = data.get("decision") or None
    if decision not in DECISIONS:
        raise CaseWorkflowError(
            "Bitte entscheiden: Case Management oder anlassbezogene Hilfe.",
            field="decision",
            key="decision.required",
        )
    transparency = _bool(data, "transparency_given")
    if decision == "case_management" and not transparency:
        raise CaseWorkflowError(
            "Für Case Management muss Transparenz über das Verfahren hergestellt sein.",
            field="transparency_given",
            key="transparency_given.required",
        )
    held_on = _date(data, "held_on", "das Datum", required=False) or dt.date.today()
    interview = first_interview_of(case_.id) or FirstInterview(**_owned(case_))
    interview.held_on = held_on
    interview.problem_situation = problem or ""
    interview.motivation = motivation or ""
    interview.transparency_given = transparency
    interview.decision = decision
    db.session.add(interview)
    return interview


@_one_transaction
def record_assessment(
    case_: CaseManagementCase, data: dict[str, Any], *, actor: Any
) -> list[AssessmentEntry]:
    """Add assessment entries (one per aspect given); earlier entries stay as history."""
    _require_step(case_, "assessment")
    codes = valid_codes("assessment_aspect")
    entries: list[AssessmentEntry] = []
    current = assessment_current(case_.id)
    for code in sorted(codes):
        text = str(data.get(f"aspect_{code}") or "").strip()
        if not text or (code in current and current[code].text == text):
            continue
        entries.append(
            AssessmentEntry(
                **_owned(case_),
                aspect_code=code,
                text=text,
                recorded_at=utcnow(),
                recorded_by_id=getattr(actor, "id", None),
            )
        )
    if "aspect" in data:  # API form: {"aspect": code, "text": ...}
        code = str(data.get("aspect") or "")
        if code not in codes:
            raise CaseWorkflowError("Unbekannter Aspekt des Assessments.", field="aspect")
        text_value = _text(data, "text", "einen Text")
        entries.append(
            AssessmentEntry(
                **_owned(case_),
                aspect_code=code,
                text=text_value or "",
                recorded_at=utcnow(),
                recorded_by_id=getattr(actor, "id", None),
            )
        )
    if not entries:
        raise CaseWorkflowError("Bitte mindestens einen Aspekt neu oder geändert beschreiben.")
    refused = [e.aspect_code for e in entries if special.category_of(e.aspect_code)]
    if refused and not special.may("can_write"):
        # special categories only with the permission of the special-category page
        raise CaseWorkflowError(
            "Für besondere Kategorien (Gesundheit, Religion, biografische Ereignisse) fehlt "
            "die Berechtigung.",
            field="aspect" if "aspect" in data else f"aspect_{refused[0]}",
        )
    db.session.add_all(entries)
    return entries


@_one_transaction
def add_goal(case_: CaseManagementCase, data: dict[str, Any], *, actor: Any) -> CaseGoal:
    """Add a goal or an intermediate goal with target date; the date becomes a follow-up."""
    _require_step(case_, "goal")
    title = _text(data, "title", "das Ziel")
    target = _date(data, "target_date", "ein Zieldatum")
    parent_id = data.get("parent_id") or None
    if parent_id is not None:
        try:
            parent_id = int(parent_id)
        except (TypeError, ValueError):
            raise CaseWorkflowError("Unbekanntes Oberziel.", field="parent_id") from None
        parent = db.session.get(CaseGoal, parent_id)
        if parent is None or parent.case_id != case_.id or parent.parent_id is not None:
            raise CaseWorkflowError("Unbekanntes Oberziel.", field="parent_id")
        assert target is not None
        if target > parent.target_date:
            raise CaseWorkflowError(
                "Ein Zwischenziel muss vor dem Zieldatum des Ziels liegen.", field="target_date"
            )
    goal = CaseGoal(
        **_owned(case_),
        parent_id=parent_id,
        title=title or "",
        description=_text(data, "description", "", required=False),
        target_date=target,
    )
    db.session.add(goal)
    assert target is not None
    schedule_follow_up(case_, target, f"{'Zwischenziel' if parent_id else 'Ziel'}: {title}")
    return goal


def _task_from(data: dict[str, Any], i: int | None) -> dict[str, Any] | None:
    def k(name: str) -> str:
        return f"tasks-{i}-{name}" if i is not None else name

    task = str(data.get(k("task")) or "").strip()
    if not task:
        return None
    role = str(data.get(k("role")) or "").strip()
    if not role:
        raise CaseWorkflowError("Bitte für jede Aufgabe eine Rolle angeben.", field=k("role"))
    partner = data.get(k("responsible_partner_id")) or None
    user = data.get(k("responsible_user_id")) or None
    text = str(data.get(k("responsible_text")) or "").strip() or None
    if not (partner or user or text):
        raise CaseWorkflowError(
            "Bitte für jede Aufgabe eine verantwortliche Person oder einen Netzwerkpartner "
            "angeben.",
            field=k("responsible_text"),
        )
    starts = _date(data, k("starts_on"), "den Beginn", required=False)
    ends = _date(data, k("ends_on"), "das Ende", required=False)
    if starts and ends and ends < starts:
        raise CaseWorkflowError("Das Ende liegt vor dem Beginn.", field=k("ends_on"))
    try:
        partner_id = int(partner) if partner else None
        user_id = int(user) if user else None
    except (TypeError, ValueError):
        raise CaseWorkflowError("Ungültige Auswahl.", field=k("responsible_partner_id")) from None
    return {
        "task": task,
        "role": role,
        "responsible_partner_id": partner_id,
        "responsible_user_id": user_id,
        "responsible_text": text,
        "starts_on": starts,
        "ends_on": ends,
        "resources": str(data.get(k("resources")) or "").strip() or None,
    }


def _partner_exists(partner_id: int | None) -> bool:
    if partner_id is None:
        return True
    return db.session.get(NetworkPartner, partner_id) is not None


def _check_responsibles(case_: CaseManagementCase, tasks: list[dict[str, Any]]) -> None:
    """Responsible caseworkers belong to the case's provider; partners exist."""
    user_ids = {t["responsible_user_id"] for t in tasks if t["responsible_user_id"]}
    if user_ids:
        known = set(
            db.session.execute(
                select(MsaUser.id).where(
                    MsaUser.id.in_(user_ids), MsaUser.organisation_id == case_.organisation_id
                )
            ).scalars()
        )
        if user_ids - known:
            raise CaseWorkflowError(
                "Verantwortlich kann nur eine Fachkraft des eigenen Trägers sein.",
                field="tasks-0-responsible_user_id",
            )
    for t in tasks:
        if not _partner_exists(t["responsible_partner_id"]):
            raise CaseWorkflowError(
                "Unbekannter Netzwerkpartner.", field="tasks-0-responsible_partner_id"
            )


@_one_transaction
def revise_help_plan(case_: CaseManagementCase, data: dict[str, Any], *, actor: Any) -> HelpPlan:
    """Write a new help plan version (tasks with role, responsibility, time frame, resources)."""
    _require_step(case_, "help_plan")
    raw_tasks: Sequence[Any] | None = (
        data.get("tasks") if isinstance(data.get("tasks"), list) else None
    )
    tasks: list[dict[str, Any]] = []
    if raw_tasks is not None:
        for item in raw_tasks:
            parsed = _task_from(dict(item), None) if isinstance(item, dict) else None
            if parsed:
                tasks.append(parsed)
    else:
        for i in range(20):
            parsed = _task_from(data, i)
            if parsed:
                tasks.append(parsed)
    if not tasks:
        raise CaseWorkflowError(
            "Ein Hilfeplan braucht mindestens eine Aufgabe.", field="tasks-0-task"
        )
    _check_responsibles(case_, tasks)
    valid_from = _date(data, "valid_from", "den Beginn des Zeitrahmens", required=False)
    valid_until = _date(data, "valid_until", "das Ende des Zeitrahmens", required=False)
    if valid_from and valid_until and valid_until < valid_from:
        raise CaseWorkflowError("Das Ende liegt vor dem Beginn.", field="valid_until")
    previous = current_help_plan(case_.id)
    plan = HelpPlan(
        **_owned(case_),
        version_no=(previous.version_no + 1) if previous else 1,
        valid_from=valid_from or dt.date.today(),
        valid_until=valid_until,
        note=str(data.get("note") or "").strip() or None,
        created_at=utcnow(),
        created_by_id=getattr(actor, "id", None),
    )
    plan.tasks = [HelpPlanTask(**t) for t in tasks]
    db.session.add(plan)
    return plan


def help_plan_versions(case_id: int) -> list[HelpPlan]:
    """Return every help plan version, newest first (tasks loaded with selectin)."""
    return list(
        db.session.execute(
            select(HelpPlan).where(HelpPlan.case_id == case_id).order_by(HelpPlan.version_no.desc())
        ).scalars()
    )


@_one_transaction
def add_service(
    case_: CaseManagementCase, data: dict[str, Any], *, actor: Any
) -> ThirdPartyService:
    """Record an agreed service of a third party with time frame and standards (R-4.5)."""
    _require_step(case_, "service")
    service = _text(data, "service", "die Leistung")
    starts = _date(data, "starts_on", "den Beginn")
    ends = _date(data, "ends_on", "das Ende", required=False)
    if starts and ends and ends < starts:
        raise CaseWorkflowError("Das Ende liegt vor dem Beginn.", field="ends_on")
    standards = _text(data, "standards", "die vereinbarten Standards")
    try:
        partner_id = int(data.get("partner_id") or 0) or None
    except (TypeError, ValueError):
        partner_id = -1
    if partner_id is not None and (partner_id < 0 or not _partner_exists(partner_id)):
        raise CaseWorkflowError("Unbekannter Netzwerkpartner.", field="partner_id")
    row = ThirdPartyService(
        **_owned(case_),
        partner_id=partner_id,
        service=service or "",
        starts_on=starts,
        ends_on=ends,
        standards=standards or "",
    )
    db.session.add(row)
    return row


@_one_transaction
def add_conference(
    case_: CaseManagementCase, data: dict[str, Any], *, actor: Any
) -> CaseConference:
    """Record a case conference with participants and outcome (R-4.5)."""
    _require_step(case_, "conference")
    row = CaseConference(
        **_owned(case_),
        held_on=_date(data, "held_on", "das Datum"),
        participants=_text(data, "participants", "die Teilnehmenden") or "",
        outcome=_text(data, "outcome", "das Ergebnis") or "",
    )
    db.session.add(row)
    return row


@_one_transaction
def add_monitoring(
    case_: CaseManagementCase, data: dict[str, Any], *, actor: Any
) -> MonitoringEntry:
    """Record progress on a goal, deviation and service gap; the next review is a follow-up."""
    _require_step(case_, "monitoring")
    try:
        goal_id = int(data.get("goal_id") or 0)
    except (TypeError, ValueError):
        goal_id = 0
    goal = db.session.get(CaseGoal, goal_id) if goal_id else None
    if goal is None or goal.case_id != case_.id:
        raise CaseWorkflowError("Bitte ein Ziel dieses Falls auswählen.", field="goal_id")
    progress = _text(data, "progress", "den Fortschritt")
    gap_topic = data.get("service_gap_topic") or None
    gap = str(data.get("service_gap") or "").strip() or None
    if gap_topic is not None and gap_topic not in valid_codes("contact_topic"):
        raise CaseWorkflowError(
            f"Unbekannter Themenbereich. {accepted('contact_topic')}", field="service_gap_topic"
        )
    if gap and not gap_topic:
        raise CaseWorkflowError(
            "Bitte den Themenbereich der Angebotslücke angeben.", field="service_gap_topic"
        )
    next_review = _date(data, "next_review_on", "den nächsten Termin", required=False)
    entry = MonitoringEntry(
        **_owned(case_),
        goal_id=goal.id,
        recorded_on=_date(data, "recorded_on", "das Datum", required=False) or dt.date.today(),
        progress=progress or "",
        deviation=str(data.get("deviation") or "").strip() or None,
        service_gap_topic=gap_topic,
        service_gap=gap,
        next_review_on=next_review,
        recorded_at=utcnow(),
        recorded_by_id=getattr(actor, "id", None),
    )
    if _bool(data, "achieved"):
        goal.achieved_on = entry.recorded_on
    db.session.add(entry)
    if next_review is not None:
        case_.next_monitoring_on = next_review
        schedule_follow_up(case_, next_review, f"Monitoring: {goal.title}")
    return entry


@_one_transaction
def record_closure(case_: CaseManagementCase, data: dict[str, Any], *, actor: Any) -> CaseClosure:
    """Record the reason and the evaluation of §3.2.7 (needed before closing)."""
    _require_step(case_, "closure")
    reason = data.get("reason_code") or None
    if reason not in valid_codes("closure_reason"):
        raise CaseWorkflowError("Bitte einen Abschlussgrund auswählen.", field="reason_code")
    reason_text = str(data.get("reason_text") or "").strip() or None
    if reason == "other" and not reason_text:
        raise CaseWorkflowError("Bitte den sonstigen Grund beschreiben.", field="reason_text")
    goals_results = _text(data, "goals_results", "die Auswertung von Zielen und Ergebnissen")
    methods = _text(
        data, "methods_cooperation", "die Auswertung von Arbeitsweise und Zusammenarbeit"
    )
    try:
        satisfaction = int(data.get("client_satisfaction") or 0)
    except (TypeError, ValueError):
        satisfaction = 0
    if not 1 <= satisfaction <= 5:
        raise CaseWorkflowError(
            "Bitte die Zufriedenheit der Klient:in (1 bis 5) angeben.", field="client_satisfaction"
        )
    closure = closure_of(case_.id) or CaseClosure(**_owned(case_))
    closure.reason_code = reason
    closure.reason_text = reason_text
    closure.goals_results = goals_results or ""
    closure.methods_cooperation = methods or ""
    closure.client_satisfaction = satisfaction
    closure.client_feedback = str(data.get("client_feedback") or "").strip() or None
    db.session.add(closure)
    return closure


CONTENT_VERBS: dict[str, Any] = {
    "first_interview": record_first_interview,
    "assessment": record_assessment,
    "goal": add_goal,
    "help_plan": revise_help_plan,
    "service": add_service,
    "conference": add_conference,
    "monitoring": add_monitoring,
    "closure": record_closure,
}


def record_content(
    case_: CaseManagementCase, kind: str, data: dict[str, Any], *, actor: Any
) -> Any:
    """Dispatch a step content entry to its verb (which is one transaction)."""
    verb = CONTENT_VERBS.get(kind)
    if verb is None:
        raise CaseWorkflowError("Unbekannter Inhalt.", key="content.unknown")
    if case_.step == CLOSED:
        raise CaseWorkflowError(
            "Ein abgeschlossener Fall kann nicht mehr geändert werden.", key="case.closed"
        )
    return verb(case_, data, actor=actor)

"""Case-management workflow (§3.2, R-4): the explicit transition table and the verbs on a case.

The step of a case changes only through :func:`transition`, which checks the table and the
guards, locks the case row and writes a :class:`CaseEvent` (who, when, from, to, why).
Step contents are written by the ``record_*`` / ``add_*`` verbs below, each checking that the
case is in a step where that content belongs. Every error is a :class:`CaseWorkflowError`
with a German message (and the form field it belongs to, if any).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.sql import Select

from app.extensions import db
from app.models import (
    AssessmentEntry,
    CaseClosure,
    CaseConference,
    CaseEvent,
    CaseGoal,
    CaseManagementCase,
    ContactNote,
    ContactNoteTopic,
    FirstInterview,
    FollowUp,
    HelpPlan,
    HelpPlanTask,
    MonitoringEntry,
    MsaUser,
    NetworkPartner,
    Organisation,
    Person,
    ThirdPartyService,
)
from app.models.base import utcnow
from app.services.catalogues import labels, valid_codes

FIRST_INTERVIEW = "first_interview"
OCCASION_BASED = "occasion_based"
ASSESSMENT = "assessment"
GOAL_AGREEMENT = "goal_agreement"
HELP_PLANNING = "help_planning"
SERVICE_STEERING = "service_steering"
MONITORING = "monitoring"
CLOSED = "closed"

#: the steps in the order of the concept paper
STEPS: tuple[str, ...] = (
    FIRST_INTERVIEW,
    OCCASION_BASED,
    ASSESSMENT,
    GOAL_AGREEMENT,
    HELP_PLANNING,
    SERVICE_STEERING,
    MONITORING,
    CLOSED,
)
STEP_LABELS: dict[str, str] = {
    FIRST_INTERVIEW: "Erstgespräch",
    OCCASION_BASED: "Anlassbezogene Hilfe (kein Case Management)",
    ASSESSMENT: "Assessment",
    GOAL_AGREEMENT: "Zielvereinbarung",
    HELP_PLANNING: "Hilfeplanung",
    SERVICE_STEERING: "Leistungssteuerung",
    MONITORING: "Monitoring",
    CLOSED: "Abgeschlossen",
}
#: steps in which the case counts as open
OPEN_STEPS: frozenset[str] = frozenset(STEPS) - {CLOSED, OCCASION_BASED}

#: The transition table: (from, to) -> German label of the action. Nothing else is allowed.
TRANSITIONS: dict[tuple[str, str], str] = {
    (FIRST_INTERVIEW, ASSESSMENT): "In Case Management aufnehmen (weiter zum Assessment)",
    (FIRST_INTERVIEW, OCCASION_BASED): "Anlassbezogene Hilfe statt Case Management",
    (OCCASION_BASED, FIRST_INTERVIEW): "Erstgespräch erneut führen",
    (ASSESSMENT, GOAL_AGREEMENT): "Weiter zur Zielvereinbarung",
    (GOAL_AGREEMENT, HELP_PLANNING): "Weiter zur Hilfeplanung",
    (GOAL_AGREEMENT, ASSESSMENT): "Zurück zum Assessment",
    (HELP_PLANNING, SERVICE_STEERING): "Weiter zur Leistungssteuerung",
    (HELP_PLANNING, GOAL_AGREEMENT): "Zurück zur Zielvereinbarung",
    (SERVICE_STEERING, MONITORING): "Weiter zum Monitoring",
    (SERVICE_STEERING, HELP_PLANNING): "Zurück zur Hilfeplanung",
    (MONITORING, HELP_PLANNING): "Hilfeplan fortschreiben (zurück zur Hilfeplanung)",
    (MONITORING, ASSESSMENT): "Assessment fortschreiben (zurück zum Assessment)",
    (MONITORING, CLOSED): "Abschließen",
}
#: moves against the order of the process need a reason
BACKWARD: frozenset[tuple[str, str]] = frozenset(
    {
        (OCCASION_BASED, FIRST_INTERVIEW),
        (GOAL_AGREEMENT, ASSESSMENT),
        (HELP_PLANNING, GOAL_AGREEMENT),
        (SERVICE_STEERING, HELP_PLANNING),
        (MONITORING, HELP_PLANNING),
        (MONITORING, ASSESSMENT),
    }
)

#: where each kind of step content may be written
CONTENT_STEPS: dict[str, frozenset[str]] = {
    "first_interview": frozenset({FIRST_INTERVIEW}),
    "assessment": frozenset({ASSESSMENT, GOAL_AGREEMENT, HELP_PLANNING, MONITORING}),
    "goal": frozenset({GOAL_AGREEMENT, HELP_PLANNING, MONITORING}),
    "help_plan": frozenset({HELP_PLANNING}),
    "service": frozenset({SERVICE_STEERING, MONITORING}),
    "conference": frozenset({SERVICE_STEERING, MONITORING}),
    "monitoring": frozenset({MONITORING}),
    "closure": frozenset({MONITORING}),
}
CONTENT_LABELS: dict[str, str] = {
    "first_interview": "das Erstgespräch",
    "assessment": "das Assessment",
    "goal": "Ziele",
    "help_plan": "den Hilfeplan",
    "service": "Leistungen Dritter",
    "conference": "Fallkonferenzen",
    "monitoring": "Monitoring-Einträge",
    "closure": "die Abschlussauswertung",
}
#: the form section of the case page that belongs to a step
STEP_ANCHORS: dict[str, str] = {
    FIRST_INTERVIEW: "first_interview",
    ASSESSMENT: "assessment",
    GOAL_AGREEMENT: "goal",
    HELP_PLANNING: "help_plan",
    SERVICE_STEERING: "service",
    MONITORING: "monitoring",
}
DECISIONS = {"case_management": "Case Management", "occasion_based": "Anlassbezogene Hilfe"}
#: §3.1.11: several topic areas within this window suggest case management
HINT_WINDOW_DAYS = 90
HINT_MIN_AREAS = 3
FOLLOW_UP_SOURCE = "case_management"


class CaseWorkflowError(Exception):
    """A move or an entry the workflow does not allow; ``message`` is German."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        #: HTTP status of the API answer (409: the date lies in a submitted quarter)
        self.status = status


def parse_on(value: Any) -> dt.date | None:
    """Return the day a step happened from ``"YYYY-MM-DD"`` / ``TT.MM.JJJJ`` (None: today)."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CaseWorkflowError("Bitte ein gültiges Datum angeben (TT.MM.JJJJ).", field="on")


def _check_on(on: dt.date, previous: dt.date | None, today: dt.date) -> None:
    if on > today:
        raise CaseWorkflowError("Das Datum eines Schritts darf nicht in der Zukunft liegen.", "on")
    if on < today - dt.timedelta(days=3 * 366):
        raise CaseWorkflowError("Das Datum liegt mehr als drei Jahre zurück.", field="on")
    if previous is not None and on < previous:
        raise CaseWorkflowError(
            "Das Datum darf nicht vor dem vorigen Schritt liegen "
            f"({previous.strftime('%d.%m.%Y')}).",
            field="on",
        )


def _last_step_on(case_id: int) -> dt.date | None:
    return db.session.execute(
        select(func.max(CaseEvent.occurred_on)).where(CaseEvent.case_id == case_id)
    ).scalar()


def _closed_period(exc: Exception) -> CaseWorkflowError:
    return CaseWorkflowError(getattr(exc, "message", str(exc)), field="on", status=409)


def step_label(step: str | None) -> str:
    """Return the German name of a step."""
    return STEP_LABELS.get(step or "", step or "–")


def allowed_targets(step: str) -> list[str]:
    """Return the steps reachable from ``step``: forward moves first, in process order."""
    targets = [to for to in STEPS if (step, to) in TRANSITIONS]
    return sorted(
        targets, key=lambda to: ((step, to) in BACKWARD, to == OCCASION_BASED, STEPS.index(to))
    )


def _targets_text(step: str) -> str:
    return ", ".join(step_label(s) for s in allowed_targets(step)) or "nichts"


def actor_name(actor: Any) -> str:
    """Return the display name of a user."""
    if actor is None:
        return "System"
    name = f"{getattr(actor, 'first_name', '')} {getattr(actor, 'last_name', '')}".strip()
    return name or str(getattr(actor, "username", "?"))


# --- queries -------------------------------------------------------------------------------


def _lock(case_: CaseManagementCase) -> CaseManagementCase:
    """Re-read the case row with a row lock (PostgreSQL), fresh from the database."""
    stmt = select(CaseManagementCase).where(CaseManagementCase.id == case_.id)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    locked = (
        db.session.execute(stmt.execution_options(populate_existing=True)).scalars().one_or_none()
    )
    if locked is None:
        raise CaseWorkflowError("Der Fall wurde nicht gefunden.")
    return locked


def get_case(case_id: int) -> CaseManagementCase | None:
    """Return a case visible to the current user (row scoping applies), or None."""
    return db.session.execute(
        select(CaseManagementCase).where(CaseManagementCase.id == case_id)
    ).scalar_one_or_none()


def open_case_of(person_id: int) -> CaseManagementCase | None:
    """Return the person's case that is not closed, if any."""
    return db.session.execute(
        select(CaseManagementCase)
        .where(CaseManagementCase.person_id == person_id, CaseManagementCase.step != CLOSED)
        .order_by(CaseManagementCase.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def first_interview_of(case_id: int) -> FirstInterview | None:
    """Return the first interview of a case."""
    return db.session.execute(
        select(FirstInterview).where(FirstInterview.case_id == case_id)
    ).scalar_one_or_none()


def current_help_plan(case_id: int) -> HelpPlan | None:
    """Return the newest help plan version."""
    return db.session.execute(
        select(HelpPlan)
        .where(HelpPlan.case_id == case_id)
        .order_by(HelpPlan.version_no.desc())
        .limit(1)
    ).scalar_one_or_none()


def closure_of(case_id: int) -> CaseClosure | None:
    """Return the closure evaluation of a case."""
    return db.session.execute(
        select(CaseClosure).where(CaseClosure.case_id == case_id)
    ).scalar_one_or_none()


def events_of(case_id: int) -> list[CaseEvent]:
    """Return the events of a case, oldest first."""
    return list(
        db.session.execute(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).scalars()
    )


def assessment_current(case_id: int) -> dict[str, AssessmentEntry]:
    """Return the newest entry per aspect."""
    rows = db.session.execute(
        select(AssessmentEntry)
        .where(AssessmentEntry.case_id == case_id)
        .order_by(AssessmentEntry.recorded_at, AssessmentEntry.id)
    ).scalars()
    return {row.aspect_code: row for row in rows}


def assessment_history(case_id: int) -> list[AssessmentEntry]:
    """Return every assessment entry, newest first."""
    return list(
        db.session.execute(
            select(AssessmentEntry)
            .where(AssessmentEntry.case_id == case_id)
            .order_by(AssessmentEntry.recorded_at.desc(), AssessmentEntry.id.desc())
        ).scalars()
    )


def goals_of(case_id: int) -> list[CaseGoal]:
    """Return the goals of a case (main goals before their intermediate goals)."""
    return list(
        db.session.execute(
            select(CaseGoal)
            .where(CaseGoal.case_id == case_id)
            .order_by(func.coalesce(CaseGoal.parent_id, CaseGoal.id), CaseGoal.id)
        ).scalars()
    )


def _has_help_plan_tasks(case_id: int) -> bool:
    plan = current_help_plan(case_id)
    return plan is not None and bool(plan.tasks)


def _count(model: Any, case_id: int) -> int:
    return int(
        db.session.execute(
            select(func.count()).select_from(model).where(model.case_id == case_id)
        ).scalar_one()
    )


# --- guards --------------------------------------------------------------------------------


def check_guards(case_: CaseManagementCase, to: str) -> None:
    """Raise CaseWorkflowError when the content a move needs is missing."""
    if to in (ASSESSMENT, OCCASION_BASED) and case_.step == FIRST_INTERVIEW:
        interview = first_interview_of(case_.id)
        if interview is None or interview.decision is None:
            raise CaseWorkflowError(
                "Bitte zuerst das Erstgespräch mit einer Entscheidung dokumentieren."
            )
        wanted = "case_management" if to == ASSESSMENT else "occasion_based"
        if interview.decision != wanted:
            raise CaseWorkflowError(
                "Die Entscheidung im Erstgespräch lautet "
                f"„{DECISIONS[interview.decision]}“ – dieser Schritt passt nicht dazu."
            )
        if to == ASSESSMENT and not interview.transparency_given:
            raise CaseWorkflowError(
                "Vor der Aufnahme ins Case Management muss Transparenz über das Verfahren "
                "hergestellt sein."
            )
    if (case_.step, to) == (ASSESSMENT, GOAL_AGREEMENT) and _count(AssessmentEntry, case_.id) == 0:
        raise CaseWorkflowError("Bitte zuerst mindestens einen Aspekt des Assessments erfassen.")
    if (case_.step, to) == (GOAL_AGREEMENT, HELP_PLANNING):
        main_goals = db.session.execute(
            select(func.count())
            .select_from(CaseGoal)
            .where(CaseGoal.case_id == case_.id, CaseGoal.parent_id.is_(None))
        ).scalar_one()
        if not main_goals:
            raise CaseWorkflowError("Bitte zuerst ein Ziel mit Zieldatum vereinbaren.")
    if to == SERVICE_STEERING and not _has_help_plan_tasks(case_.id):
        raise CaseWorkflowError(
            "Ohne Hilfeplan (mit mindestens einer Aufgabe) ist keine Leistungssteuerung möglich."
        )
    if to == CLOSED and closure_of(case_.id) is None:
        raise CaseWorkflowError(
            "Ein Fall kann nicht ohne Abschlussauswertung abgeschlossen werden. "
            "Bitte zuerst Grund und Auswertung erfassen."
        )


# --- verbs ---------------------------------------------------------------------------------


def open_case(
    person: Person,
    *,
    actor: MsaUser,
    reason: str | None = None,
    on: dt.date | None = None,
    today: dt.date | None = None,
) -> CaseManagementCase:
    """Open a case for ``person`` in the first interview and record the event.

    ``on`` is the day the case was opened (default today; not in the future; not in a
    submitted quarter).
    """
    from app.services.statistics_periods import ClosedPeriodError

    existing = open_case_of(person.id)
    if existing is not None and existing.step != OCCASION_BASED:
        raise CaseWorkflowError("Für diese Person gibt es bereits einen offenen Fall.")
    today = today or dt.date.today()
    on = on or today
    _check_on(on, None, today)
    try:
        case_ = CaseManagementCase(
            person_id=person.id,
            organisation_id=person.organisation_id,
            caseworker_id=actor.id,
            step=FIRST_INTERVIEW,
            opened_on=on,
        )
        db.session.add(case_)
        db.session.flush()
        _event(case_, None, FIRST_INTERVIEW, actor, reason or "Fall eröffnet", on)
        db.session.commit()
    except ClosedPeriodError as exc:
        db.session.rollback()
        raise _closed_period(exc) from exc
    return case_


def _event(
    case_: CaseManagementCase,
    from_step: str | None,
    to: str,
    actor: Any,
    reason: str | None,
    on: dt.date | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case_.id,
        person_id=case_.person_id,
        organisation_id=case_.organisation_id,
        occurred_on=on or dt.date.today(),
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name(actor),
        from_step=from_step,
        to_step=to,
        reason=(reason or "").strip() or None,
    )
    db.session.add(event)
    return event


def transition(
    case_: CaseManagementCase,
    to: str,
    *,
    actor: Any,
    reason: str | None = None,
    on: dt.date | None = None,
    today: dt.date | None = None,
) -> CaseEvent:
    """Move ``case_`` to step ``to`` if the table and the guards allow it; record the event.

    ``on`` is the day the step happened (default today): not in the future, not before the
    previous step, not in a submitted or reviewed quarter. Statistics count by it.
    """
    from app.services.statistics_periods import ClosedPeriodError

    if to not in STEPS:
        raise CaseWorkflowError(f"Unbekannter Schritt „{to}“.", field="to")
    try:
        locked = _lock(case_)
        current = locked.step
        if current == to:
            raise CaseWorkflowError(f"Der Fall ist bereits im Schritt „{step_label(to)}“.")
        if (current, to) not in TRANSITIONS:
            raise CaseWorkflowError(
                f"Von „{step_label(current)}“ nach „{step_label(to)}“ ist nicht erlaubt. "
                f"Möglich: {_targets_text(current)}.",
                field="to",
            )
        if (current, to) in BACKWARD and not (reason or "").strip():
            raise CaseWorkflowError(
                "Für einen Schritt zurück ist eine Begründung nötig.", field="reason"
            )
        check_guards(locked, to)
        today = today or dt.date.today()
        on = on or today
        _check_on(on, _last_step_on(locked.id), today)
        locked.step = to
        if to == CLOSED:
            locked.closed_on = on
            _close_follow_ups(locked, today)
        if to == MONITORING and locked.next_monitoring_on is None:
            locked.next_monitoring_on = max(on + dt.timedelta(days=28), today)
            _follow_up(locked, locked.next_monitoring_on, "Monitoring: Fortschritt überprüfen")
        event = _event(locked, current, to, actor, reason, on)
        db.session.commit()
    except ClosedPeriodError as exc:
        db.session.rollback()
        raise _closed_period(exc) from exc
    except CaseWorkflowError:
        db.session.rollback()
        raise
    return event


def _follow_up(case_: CaseManagementCase, due: dt.date, title: str) -> None:
    db.session.add(
        FollowUp(
            person_id=case_.person_id,
            organisation_id=case_.organisation_id,
            assignee_id=case_.caseworker_id,
            due_on=due,
            title=title[:300],
            source=FOLLOW_UP_SOURCE,
        )
    )


def _close_follow_ups(case_: CaseManagementCase, today: dt.date) -> None:
    for fu in db.session.execute(
        select(FollowUp).where(
            FollowUp.person_id == case_.person_id,
            FollowUp.source == FOLLOW_UP_SOURCE,
            FollowUp.done_on.is_(None),
        )
    ).scalars():
        fu.done_on = today


def _require_step(case_: CaseManagementCase, content: str) -> None:
    if case_.step not in CONTENT_STEPS[content]:
        steps = ", ".join(step_label(s) for s in STEPS if s in CONTENT_STEPS[content])
        raise CaseWorkflowError(
            f"Im Schritt „{step_label(case_.step)}“ kann {CONTENT_LABELS[content]} nicht "
            f"bearbeitet werden (möglich in: {steps})."
        )


def _text(data: dict[str, Any], key: str, label: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    value = str(value).strip() if value is not None else ""
    if required and not value:
        raise CaseWorkflowError(f"Bitte {label} angeben.", field=key)
    return value or None


def _date(data: dict[str, Any], key: str, label: str, *, required: bool = True) -> dt.date | None:
    value = data.get(key)
    if isinstance(value, dt.date):
        return value
    if value in (None, ""):
        if required:
            raise CaseWorkflowError(f"Bitte {label} angeben.", field=key)
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CaseWorkflowError(
            f"{label[0].upper()}{label[1:]}: bitte ein Datum (JJJJ-MM-TT) angeben.", field=key
        ) from None


def _bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    return value in (True, "1", "true", "on", "y", "yes", 1)


def _owned(case_: CaseManagementCase) -> dict[str, Any]:
    return {
        "case_id": case_.id,
        "person_id": case_.person_id,
        "organisation_id": case_.organisation_id,
    }


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
            "Bitte entscheiden: Case Management oder anlassbezogene Hilfe.", field="decision"
        )
    transparency = _bool(data, "transparency_given")
    if decision == "case_management" and not transparency:
        raise CaseWorkflowError(
            "Für Case Management muss Transparenz über das Verfahren hergestellt sein.",
            field="transparency_given",
        )
    held_on = _date(data, "held_on", "das Datum", required=False) or dt.date.today()
    interview = first_interview_of(case_.id) or FirstInterview(**_owned(case_))
    interview.held_on = held_on
    interview.problem_situation = problem or ""
    interview.motivation = motivation or ""
    interview.transparency_given = transparency
    interview.decision = decision
    db.session.add(interview)
    db.session.commit()
    return interview


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
    db.session.add_all(entries)
    db.session.commit()
    return entries


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
    _follow_up(case_, target, f"{'Zwischenziel' if parent_id else 'Ziel'}: {title}")
    db.session.commit()
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
    db.session.commit()
    return plan


def help_plan_versions(case_id: int) -> list[HelpPlan]:
    """Return every help plan version, newest first (tasks loaded with selectin)."""
    return list(
        db.session.execute(
            select(HelpPlan).where(HelpPlan.case_id == case_id).order_by(HelpPlan.version_no.desc())
        ).scalars()
    )


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
    db.session.commit()
    return row


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
    db.session.commit()
    return row


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
        raise CaseWorkflowError("Unbekannter Themenbereich.", field="service_gap_topic")
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
        _follow_up(case_, next_review, f"Monitoring: {goal.title}")
    db.session.commit()
    return entry


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
    db.session.commit()
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
    """Dispatch a step content entry to its verb; roll back on refusal."""
    verb = CONTENT_VERBS.get(kind)
    if verb is None:
        raise CaseWorkflowError("Unbekannter Inhalt.")
    if case_.step == CLOSED:
        raise CaseWorkflowError("Ein abgeschlossener Fall kann nicht mehr geändert werden.")
    try:
        return verb(case_, data, actor=actor)
    except CaseWorkflowError:
        db.session.rollback()
        raise


# --- read models ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    """Something due in a case."""

    due_on: dt.date
    title: str

    @property
    def overdue(self) -> bool:
        return self.due_on < dt.date.today()


def due_query(person_id: int) -> Any:
    """Select (due_on, title) of the person's open case-management follow-ups (first 5)."""
    return (
        select(FollowUp.due_on, FollowUp.title)
        .where(
            FollowUp.person_id == person_id,
            FollowUp.source == FOLLOW_UP_SOURCE,
            FollowUp.done_on.is_(None),
        )
        .order_by(FollowUp.due_on)
        .limit(5)
    )


def due_next(case_: CaseManagementCase) -> list[DueItem]:
    """Return the open case-management follow-ups of the case's person, earliest first."""
    return [DueItem(due, title) for due, title in db.session.execute(due_query(case_.person_id))]


NEXT_STEP_HINTS: dict[str, str] = {
    FIRST_INTERVIEW: "Erstgespräch dokumentieren und entscheiden: Case Management oder "
    "anlassbezogene Hilfe.",
    OCCASION_BASED: "Anlassbezogene Hilfe über Beratungsvermerke.",
    ASSESSMENT: "Aspekte des Assessments erfassen (§3.2.2).",
    GOAL_AGREEMENT: "Ziel und Zwischenziele mit Zieldaten vereinbaren.",
    HELP_PLANNING: "Hilfeplan mit Aufgaben, Rollen und Verantwortlichen erstellen.",
    SERVICE_STEERING: "Leistungen Dritter vereinbaren, ggf. Fallkonferenz durchführen.",
    MONITORING: "Fortschritt je Ziel dokumentieren; zum Abschluss die Auswertung erfassen.",
    CLOSED: "Der Fall ist abgeschlossen.",
}


def hint_query(person_id: int, today: dt.date | None = None) -> Any:
    """Select the distinct contact topics of the person's notes of the last ~3 months."""
    since = (today or dt.date.today()) - dt.timedelta(days=HINT_WINDOW_DAYS)
    return (
        select(ContactNoteTopic.code)
        .join(ContactNote, ContactNote.id == ContactNoteTopic.contact_note_id)
        .where(ContactNote.person_id == person_id, ContactNote.date >= since)
        .distinct()
    )


def hint_from_codes(codes: Any) -> list[str]:
    """Return the topic areas (§3.1.x) when several suggest case management, else []."""
    from app.services.catalogues import catalogue_file

    sections = {
        e["code"]: (e.get("extra") or {}).get("section", e["code"])
        for e in catalogue_file().get("contact_topic", [])
    }
    areas: dict[str, str] = {}
    names = labels("contact_topic")
    for code in sorted(codes):
        areas.setdefault(sections.get(code, code), names.get(code, code))
    if len(areas) < HINT_MIN_AREAS:
        return []
    return sorted(areas.values())


def case_management_hint(person_id: int, today: dt.date | None = None) -> list[str]:
    """Return the topic areas (§3.1.x) of the last ~3 months when several suggest CM (§3.1.11).

    One aggregate query over the person's contact notes; empty when fewer than
    HINT_MIN_AREAS areas show up.
    """
    return hint_from_codes(db.session.scalars(hint_query(person_id, today)).all())


@dataclass(frozen=True)
class MyCaseRow:
    """One row of „Meine Fälle“."""

    case_id: int
    person_id: int
    person_name: str
    step: str
    opened_on: dt.date
    next_due: dt.date | None
    overdue: int

    @property
    def step_label(self) -> str:
        return step_label(self.step)


def my_cases(user_id: int, today: dt.date | None = None) -> dict[str, list[MyCaseRow]]:
    """Return the open cases of a caseworker grouped by step, with overdue counts (one query)."""
    today = today or dt.date.today()
    fu = (
        select(
            FollowUp.person_id.label("person_id"),
            func.min(FollowUp.due_on).label("next_due"),
            func.sum(case((FollowUp.due_on < today, 1), else_=0)).label("overdue"),
        )
        .where(FollowUp.source == FOLLOW_UP_SOURCE, FollowUp.done_on.is_(None))
        .group_by(FollowUp.person_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            CaseManagementCase.id,
            CaseManagementCase.person_id,
            Person.last_name,
            Person.first_name,
            CaseManagementCase.step,
            CaseManagementCase.opened_on,
            fu.c.next_due,
            fu.c.overdue,
        )
        .join(Person, Person.id == CaseManagementCase.person_id)
        .outerjoin(fu, fu.c.person_id == CaseManagementCase.person_id)
        .where(
            CaseManagementCase.caseworker_id == user_id,
            CaseManagementCase.step.in_(sorted(OPEN_STEPS)),
        )
        .order_by(Person.last_name, Person.first_name)
    ).all()
    grouped: dict[str, list[MyCaseRow]] = {s: [] for s in STEPS if s in OPEN_STEPS}
    for cid, pid, last, first, step, opened, next_due, overdue in rows:
        grouped[step].append(
            MyCaseRow(cid, pid, f"{last}, {first}", step, opened, next_due, int(overdue or 0))
        )
    return grouped


@dataclass(frozen=True)
class GapRow:
    """One row of the county's service-gap overview (no personal data)."""

    topic: str
    topic_label: str
    organisation: str
    entries: int
    cases: int


def service_gaps(since: dt.date | None = None, until: dt.date | None = None) -> list[GapRow]:
    """Return service gaps (Angebotslücken) counted per topic area and provider (R-4.6).

    Aggregated across all providers for the county; no names, no free text.
    """
    stmt = (
        select(
            MonitoringEntry.service_gap_topic,
            Organisation.name,
            func.count(MonitoringEntry.id),
            func.count(func.distinct(MonitoringEntry.case_id)),
        )
        .join(Organisation, Organisation.id == MonitoringEntry.organisation_id)
        .where(MonitoringEntry.service_gap_topic.is_not(None))
        .group_by(MonitoringEntry.service_gap_topic, Organisation.name)
        .order_by(func.count(MonitoringEntry.id).desc(), Organisation.name)
        .execution_options(msa_unscoped=True)
    )
    if since is not None:
        stmt = stmt.where(MonitoringEntry.recorded_on >= since)
    if until is not None:
        stmt = stmt.where(MonitoringEntry.recorded_on <= until)
    names = labels("contact_topic")
    return [
        GapRow(topic, names.get(topic, topic), org, int(n), int(c))
        for topic, org, n, c in db.session.execute(stmt).all()
    ]


def case_events_for_person(person_id: int) -> list[tuple[CaseEvent, int]]:
    """Return (event, case id) of all cases of a person (one query)."""
    rows = db.session.execute(
        select(CaseEvent).where(CaseEvent.person_id == person_id).order_by(CaseEvent.id)
    ).scalars()
    return [(e, e.case_id) for e in rows]


# --- demo data -----------------------------------------------------------------------------

_DEMO_GAPS = (
    ("housing", "Keine bezahlbaren Wohnungen innerhalb der KdU-Grenzen"),
    ("language_culture", "Kein Integrationskurs mit Kinderbetreuung in Reichweite"),
    ("health", "Keine Psychotherapie in Herkunftssprache verfügbar"),
    ("work", "Keine Teilzeitausbildung für Alleinerziehende"),
)


def _demo_walk(
    case_: CaseManagementCase, target: str, actor: Any, rng: Any, started: dt.date | None = None
) -> None:
    """Fill each step's content and move the case on until it stands in ``target``.

    The steps are dated from ``started`` on, a few weeks apart (never after today), so the
    demo has case-management history over past months.
    """
    today = dt.date.today()
    day = started or today
    decision = "occasion_based" if target == OCCASION_BASED else "case_management"
    record_first_interview(
        case_,
        {
            "problem_situation": "Mehrere Problemlagen: Wohnung, Arbeit, Gesundheit.",
            "motivation": "Hoch – möchte selbständig leben.",
            "transparency_given": True,
            "decision": decision,
        },
        actor=actor,
    )
    path = [OCCASION_BASED] if target == OCCASION_BASED else list(STEPS[2:])
    for step in path:
        if target == FIRST_INTERVIEW:
            return
        if step == GOAL_AGREEMENT:
            record_assessment(
                case_,
                {
                    "aspect_family_situation": "Verheiratet, zwei Kinder.",
                    "aspect_language_skills": "Deutsch A2, Arabisch Muttersprache.",
                    "aspect_financial_situation": "Leistungen nach dem AsylbLG.",
                },
                actor=actor,
            )
        if step == HELP_PLANNING:
            goal = add_goal(
                case_,
                {
                    "title": "Eigene Wohnung beziehen",
                    "target_date": today + dt.timedelta(days=rng.randint(60, 200)),
                },
                actor=actor,
            )
            add_goal(
                case_,
                {
                    "title": "Sozialbericht und Wohnberechtigungsschein",
                    "target_date": today + dt.timedelta(days=rng.randint(-20, 50)),
                    "parent_id": goal.id,
                },
                actor=actor,
            )
        if step == SERVICE_STEERING:
            revise_help_plan(
                case_,
                {
                    "tasks": [
                        {
                            "task": "Wohnungsangebote sichten",
                            "role": "Klient:in",
                            "responsible_text": "Klient:in",
                        },
                        {
                            "task": "Sozialbericht erstellen",
                            "role": "Fallmanager:in",
                            "responsible_user_id": actor.id,
                            "ends_on": today + dt.timedelta(days=30),
                        },
                    ]
                },
                actor=actor,
            )
        if step == MONITORING:
            add_service(
                case_,
                {
                    "service": "Wohnungsvermittlung",
                    "starts_on": today,
                    "standards": "Rückmeldung binnen 14 Tagen",
                },
                actor=actor,
            )
            add_conference(
                case_,
                {
                    "held_on": today,
                    "participants": "Klient:in, Fallmanager:in, Jobcenter",
                    "outcome": "Aufgaben verteilt",
                },
                actor=actor,
            )
        if step == CLOSED:
            goal_id = goals_of(case_.id)[0].id
            topic, gap = rng.choice(_DEMO_GAPS)
            add_monitoring(
                case_,
                {
                    "goal_id": goal_id,
                    "progress": "Zwei Besichtigungen wahrgenommen.",
                    "deviation": "Verzögerung durch fehlende Unterlagen.",
                    "service_gap_topic": topic,
                    "service_gap": gap,
                },
                actor=actor,
            )
            if target == CLOSED:
                record_closure(
                    case_,
                    {
                        "reason_code": "goal_reached",
                        "goals_results": "Wohnung bezogen, Ziel erreicht.",
                        "methods_cooperation": "Gute Zusammenarbeit mit Jobcenter.",
                        "client_satisfaction": 4,
                    },
                    actor=actor,
                )
        day = min(today, day + dt.timedelta(days=rng.randint(5, 40)))
        transition(case_, step, actor=actor, reason="Demo-Verlauf", on=day)
        if step == target:
            return


def load_demo_cases(rng: Any, first_person_id: int, per_step: int = 2) -> int:
    """Create demo cases in every step for adults created from ``first_person_id`` on."""
    org_ids = list(
        db.session.execute(
            select(Person.organisation_id).where(Person.id >= first_person_id).distinct()
        ).scalars()
    )
    wanted = per_step * len(STEPS)
    by_org: dict[int, list[tuple[Person, MsaUser]]] = {}
    for org_id in org_ids:  # a few rows per provider, also with 100,000 persons
        rows = db.session.execute(
            select(Person, MsaUser)
            .join(MsaUser, MsaUser.id == Person.caseworker_id)
            .where(
                Person.id >= first_person_id,
                Person.organisation_id == org_id,
                Person.employable.is_(True),
            )
            .order_by(Person.id)
            .limit(wanted * 3 // 2 + 3)
        ).all()
        by_org[org_id] = [(person, user) for person, user in rows]
    created = 0
    from app.models.statistics import QuarterlyReport

    # a quarter already submitted is closed: the demo history starts after the last one
    closed = dict(
        db.session.execute(
            select(
                QuarterlyReport.organisation_id,
                func.max(QuarterlyReport.year * 10 + QuarterlyReport.quarter),
            )
            .where(QuarterlyReport.status.in_(("submitted", "reviewed")))
            .group_by(QuarterlyReport.organisation_id)
        ).all()
    )
    for org_id, pairs in by_org.items():
        earliest = dt.date.today() - dt.timedelta(days=330)
        if closed.get(org_id):
            year, quarter = divmod(int(closed[org_id]), 10)
            first_open = dt.date(year, 3 * quarter, 1) + dt.timedelta(days=31)
            earliest = max(earliest, first_open.replace(day=1))
        span = max(0, (dt.date.today() - earliest).days)
        # leave every third adult without a case (room for the first-interview journey)
        candidates = [pair for i, pair in enumerate(pairs) if i % 3 != 2]
        for i, (person, user) in enumerate(candidates[: per_step * len(STEPS)]):
            target = STEPS[i % len(STEPS)]
            started = dt.date.today() - dt.timedelta(days=rng.randint(min(20, span), span))
            case_ = open_case(person, actor=user, reason="Demo-Fall", on=started)
            _demo_walk(case_, target, user, rng, started)
            created += 1
    return created


def persons_in_case_management(organisation_id: int, year: int, month: int) -> dict[int, int]:
    """Anlage 1: persons in case management in a month, per caseworker (one aggregate query).

    A person counts when their case entered the assessment (the decision for case management)
    by the month's end and was not closed before the month's start — both by the domain dates
    (``CaseEvent.occurred_on``, ``closed_on``), not by when somebody clicked.
    """
    import calendar

    from sqlalchemy import func as sa_func
    from sqlalchemy import or_ as sa_or
    from sqlalchemy import select as sa_select

    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    entered = (
        sa_select(CaseEvent.case_id)
        .where(CaseEvent.to_step == ASSESSMENT, CaseEvent.occurred_on <= last)
        .scalar_subquery()
    )
    stmt = (
        sa_select(
            CaseManagementCase.caseworker_id,
            sa_func.count(sa_func.distinct(CaseManagementCase.person_id)),
        )
        .where(
            CaseManagementCase.organisation_id == organisation_id,
            CaseManagementCase.id.in_(entered),
            sa_or(CaseManagementCase.closed_on.is_(None), CaseManagementCase.closed_on >= first),
        )
        .group_by(CaseManagementCase.caseworker_id)
    )
    return {int(cw): int(n) for cw, n in db.session.execute(stmt)}


def persons_in_case_management_query(
    organisation_ids: Sequence[int],
    months: Sequence[tuple[int, int]],
    caseworker_id: int | None = None,
) -> Select[Any] | None:
    """Return ONE aggregate statement of :func:`persons_in_case_management` for many months.

    Rows ``(organisation_id, caseworker_id, year, month, persons)``, only counts above 0, for
    every organisation and month, whatever their number: per case the first move into the
    assessment (``min(occurred_on)``, the domain date), joined with a small table of the months
    (``UNION ALL`` of their boundaries) under the single-month conditions — entered by the
    month's last day and not closed before the month's start — then
    ``count(DISTINCT person_id)`` per organisation, caseworker and month.

    Organisations are limited explicitly to those whose rows the signed-in user may see
    (:func:`app.security.scoping.visible_organisation_ids`), so the statement can run unscoped
    (``msa_unscoped``, no query for shared persons) and be part of a larger unscoped statement.
    None when nothing can be counted.
    """
    import calendar

    from sqlalchemy import Date, Integer, and_, literal, or_, union_all

    from app.security.scoping import visible_organisation_ids

    org_ids = visible_organisation_ids(organisation_ids)
    wanted = sorted(set(months))
    if not org_ids or not wanted:
        return None
    bounds = []
    for year, month in wanted:
        first = dt.date(year, month, 1)
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        bounds.append((year, month, first, last))
    month_table = union_all(
        *(
            select(
                literal(year, Integer).label("y"),
                literal(month, Integer).label("m"),
                literal(first, Date).label("first_day"),
                literal(last, Date).label("last_day"),
            )
            for year, month, first, last in bounds
        )
    ).subquery("months")
    entered = (
        select(
            CaseEvent.case_id.label("case_id"), func.min(CaseEvent.occurred_on).label("entered_on")
        )
        .where(CaseEvent.to_step == ASSESSMENT, CaseEvent.occurred_on <= bounds[-1][3])
        .group_by(CaseEvent.case_id)
        .subquery("entered")
    )
    c = CaseManagementCase
    stmt = (
        select(
            c.organisation_id.label("org"),
            c.caseworker_id.label("cw"),
            month_table.c.y,
            month_table.c.m,
            func.count(func.distinct(c.person_id)).label("persons"),
        )
        .select_from(c)
        .join(entered, entered.c.case_id == c.id)
        .join(
            month_table,
            and_(
                entered.c.entered_on <= month_table.c.last_day,
                or_(c.closed_on.is_(None), c.closed_on >= month_table.c.first_day),
            ),
        )
        .where(c.organisation_id.in_(org_ids))
        .group_by(c.organisation_id, c.caseworker_id, month_table.c.y, month_table.c.m)
        .execution_options(msa_unscoped=True)
    )
    if caseworker_id is not None:
        stmt = stmt.where(c.caseworker_id == caseworker_id)
    return stmt


def persons_in_case_management_batch(
    organisation_ids: Sequence[int], months: Sequence[tuple[int, int]]
) -> dict[tuple[int, int, int, int], int]:
    """Return ``{(organisation_id, caseworker_id, year, month): persons}`` in one statement.

    The batched form of :func:`persons_in_case_management` (same counts, see
    :func:`persons_in_case_management_query`); organisations the user may not see are left out.
    """
    stmt = persons_in_case_management_query(organisation_ids, months)
    if stmt is None:
        return {}
    return {
        (int(org), int(cw), int(y), int(m)): int(n) for org, cw, y, m, n in db.session.execute(stmt)
    }

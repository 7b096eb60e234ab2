"""Case-management workflow (§3.2, R-4): the explicit transition table and the verbs on a case.

The step of a case changes only through :func:`transition`, which checks the table and the
guards, locks the case row and writes a :class:`CaseEvent` (who, when, from, to, why).
Step contents are written by the ``record_*`` / ``add_*`` verbs below, each checking that the
case is in a step where that content belongs. Every error is a :class:`CaseWorkflowError`
(a :class:`~app.services.errors.DomainError`: German message, field, stable key, HTTP status).
Each verb is one transaction (:func:`~app.services.errors.unit_of_work`) that also writes its
access-log row; pages, the REST API and the demo data call the verbs, nothing else writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import (
    AssessmentEntry,
    CaseClosure,
    CaseEvent,
    CaseGoal,
    CaseManagementCase,
    FirstInterview,
    FollowUp,
    HelpPlan,
    MsaUser,
    Person,
)
from app.models import case_management as _steps
from app.models.base import utcnow
from app.services.data_protection.access_log import log_access
from app.services.errors import DomainError, Translation, unit_of_work

#: the step names (defined with the model, which stores them)
FIRST_INTERVIEW = _steps.FIRST_INTERVIEW
OCCASION_BASED = _steps.OCCASION_BASED
ASSESSMENT = _steps.ASSESSMENT
GOAL_AGREEMENT = _steps.GOAL_AGREEMENT
HELP_PLANNING = _steps.HELP_PLANNING
SERVICE_STEERING = _steps.SERVICE_STEERING
MONITORING = _steps.MONITORING
CLOSED = _steps.CLOSED

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


class CaseWorkflowError(DomainError):
    """A move or an entry the workflow does not allow; ``message`` is German.

    ``status``: HTTP status of the API answer (409: the date lies in a submitted quarter).
    """

    key = "case_management.refused"

    def __init__(
        self, message: str, field: str | None = None, status: int = 422, *, key: str | None = None
    ) -> None:
        super().__init__(message, field=field, key=key, status=status)


def parse_on(value: Any) -> dt.date | None:
    """Return the day a step happened from ``"YYYY-MM-DD"`` / ``TT.MM.JJJJ`` (None: today)."""
    try:
        return parse_date(value)
    except DateError as exc:
        raise CaseWorkflowError(exc.message, field="on", key="on.invalid") from None


def _check_on(on: dt.date, previous: dt.date | None, today: dt.date) -> None:
    if on > today:
        raise CaseWorkflowError(
            "Das Datum eines Schritts darf nicht in der Zukunft liegen.", "on", key="on.future"
        )
    if on < today - dt.timedelta(days=3 * 366):
        raise CaseWorkflowError(
            "Das Datum liegt mehr als drei Jahre zurück.", field="on", key="on.too_old"
        )
    if previous is not None and on < previous:
        raise CaseWorkflowError(
            "Das Datum darf nicht vor dem vorigen Schritt liegen "
            f"({previous.strftime('%d.%m.%Y')}).",
            field="on",
            key="on.before_previous",
        )


def _last_step_on(case_id: int) -> dt.date | None:
    return db.session.execute(
        select(func.max(CaseEvent.occurred_on)).where(CaseEvent.case_id == case_id)
    ).scalar()


def closed_period_refusal(field: str | None = "on") -> tuple[Translation, ...]:
    """A closed quarter found by the flush (:class:`ClosedPeriodError`): a 409 of the workflow."""
    from app.services.statistics.periods import ClosedPeriodError

    def refuse(exc: BaseException) -> CaseWorkflowError:
        return CaseWorkflowError(
            getattr(exc, "message", str(exc)), field=field, status=409, key="quarter.closed"
        )

    return ((ClosedPeriodError, refuse),)


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
                "Bitte zuerst das Erstgespräch mit einer Entscheidung dokumentieren.",
                key="guard.first_interview",
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
    submitted quarter). One transaction with the access-log row.
    """
    existing = open_case_of(person.id)
    if existing is not None and existing.step != OCCASION_BASED:
        raise CaseWorkflowError(
            "Für diese Person gibt es bereits einen offenen Fall.", key="case.already_open"
        )
    today = today or dt.date.today()
    on = on or today
    _check_on(on, None, today)
    with unit_of_work(translate=closed_period_refusal()):
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
        log_access(person.id, "create", category="case_management", commit=False)
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
    previous step, not in a submitted or reviewed quarter. Statistics count by it. One
    transaction with the access-log row; a refusal rolls everything back.
    """
    if to not in STEPS:
        raise CaseWorkflowError(f"Unbekannter Schritt „{to}“.", field="to", key="to.unknown")
    with unit_of_work(translate=closed_period_refusal()):
        locked = _lock(case_)
        current = locked.step
        if current == to:
            raise CaseWorkflowError(
                f"Der Fall ist bereits im Schritt „{step_label(to)}“.", key="to.same"
            )
        if (current, to) not in TRANSITIONS:
            raise CaseWorkflowError(
                f"Von „{step_label(current)}“ nach „{step_label(to)}“ ist nicht erlaubt. "
                f"Möglich: {_targets_text(current)}.",
                field="to",
                key="transition.not_allowed",
            )
        if (current, to) in BACKWARD and not (reason or "").strip():
            raise CaseWorkflowError(
                "Für einen Schritt zurück ist eine Begründung nötig.",
                field="reason",
                key="reason.required",
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
            schedule_follow_up(
                locked, locked.next_monitoring_on, "Monitoring: Fortschritt überprüfen"
            )
        event = _event(locked, current, to, actor, reason, on)
        log_access(locked.person_id, "update", category="case_management", commit=False)
    return event


def schedule_follow_up(case_: CaseManagementCase, due: dt.date, title: str) -> None:
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

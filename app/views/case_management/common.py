"""Shared pieces of the case-management views: the stepper, form data, the case page's context."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import (
    AssessmentEntry,
    CaseClosure,
    CaseConference,
    CaseEvent,
    CaseGoal,
    CaseManagementCase,
    FirstInterview,
    HelpPlan,
    HelpPlanTask,
    MonitoringEntry,
    MsaUser,
    NetworkPartner,
    Person,
    ThirdPartyService,
)
from app.security import matrix
from app.services.bundle import Bundle, attach
from app.services.case_management import queries as cm_queries
from app.services.case_management import special
from app.services.case_management import workflow as wf
from app.services.casefile.contacts import partner_from_label
from app.services.catalogues import choices, labels

#: the main line of the process shown as a stepper
MAIN_LINE = (
    wf.FIRST_INTERVIEW,
    wf.ASSESSMENT,
    wf.GOAL_AGREEMENT,
    wf.HELP_PLANNING,
    wf.SERVICE_STEERING,
    wf.MONITORING,
    wf.CLOSED,
)


def _visible_person(person_id: int) -> Person | None:
    return db.session.execute(select(Person).where(Person.id == person_id)).scalar_one_or_none()


def _can_write() -> bool:
    from flask import current_app

    return bool(
        current_app.appbuilder.sm.has_access(  # type: ignore[attr-defined]
            "can_write", matrix.CASE_MANAGEMENT
        )
    )


def _resolve_typed_partners(data: dict[str, Any]) -> None:
    """A partner typed into a search field but not picked (or without JavaScript) is not lost:
    an unambiguous name fills the id, anything else is refused at the field."""
    for key in [k for k in data if k.endswith("partner_id")]:
        typed = (data.get(f"{key}_suche") or "").strip()
        if data.get(key) or not typed:
            continue
        found = partner_from_label(typed)
        if found is None:
            raise wf.CaseWorkflowError(
                f"Netzwerkpartner „{typed}“ nicht eindeutig gefunden – bitte aus den "
                "Vorschlägen wählen oder das Feld leeren.",
                field=key,
            )
        data[key] = str(found)


def _form_partner_ids(form: dict[str, Any] | None) -> list[int]:
    """Partner ids chosen in a form that failed (their names are shown again)."""
    return [
        int(value)
        for key, value in (form or {}).items()
        if key.endswith("partner_id") and str(value).isdigit()
    ]


def _case_data(case_: CaseManagementCase, form: dict[str, Any] | None = None) -> dict[str, Any]:
    """All lists of a case in ONE statement (``Bundle``); plans with their tasks attached."""
    cid = case_.id
    task_rows = select(HelpPlanTask).join(HelpPlan, HelpPlan.id == HelpPlanTask.plan_id)
    referenced = (
        select(HelpPlanTask.responsible_partner_id)
        .join(HelpPlan, HelpPlan.id == HelpPlanTask.plan_id)
        .where(HelpPlan.case_id == cid)
        .union(select(ThirdPartyService.partner_id).where(ThirdPartyService.case_id == cid))
    )
    bundle = Bundle()
    bundle.update(
        {
            "person": select(Person).where(Person.id == case_.person_id),
            "goals": select(CaseGoal)
            .where(CaseGoal.case_id == cid)
            .order_by(func.coalesce(CaseGoal.parent_id, CaseGoal.id), CaseGoal.id),
            "plans": select(HelpPlan)
            .where(HelpPlan.case_id == cid)
            .order_by(HelpPlan.version_no.desc()),
            "tasks": task_rows.where(HelpPlan.case_id == cid).order_by(HelpPlanTask.id),
            "users": select(MsaUser.id, MsaUser.first_name, MsaUser.last_name)
            .where(MsaUser.organisation_id == case_.organisation_id, MsaUser.active.is_(True))
            .order_by(MsaUser.last_name),
            "partners": select(NetworkPartner.id, NetworkPartner.name).where(
                or_(
                    NetworkPartner.id.in_(referenced),
                    NetworkPartner.id.in_(_form_partner_ids(form)),
                )
            ),
            "interview": select(FirstInterview).where(FirstInterview.case_id == cid),
            "assessment": select(AssessmentEntry)
            .where(AssessmentEntry.case_id == cid)
            .order_by(AssessmentEntry.recorded_at, AssessmentEntry.id),
            "services": select(ThirdPartyService)
            .where(ThirdPartyService.case_id == cid)
            .order_by(ThirdPartyService.starts_on),
            "conferences": select(CaseConference)
            .where(CaseConference.case_id == cid)
            .order_by(CaseConference.held_on),
            "monitoring": select(MonitoringEntry)
            .where(MonitoringEntry.case_id == cid)
            .order_by(MonitoringEntry.recorded_on.desc()),
            "closure": select(CaseClosure).where(CaseClosure.case_id == cid),
            "events": select(CaseEvent).where(CaseEvent.case_id == cid).order_by(CaseEvent.id),
            "due": cm_queries.due_query(case_.person_id),
        }
    )
    data = bundle.run()
    tasks: dict[int, list[HelpPlanTask]] = {}
    for task in data["tasks"]:
        tasks.setdefault(task.plan_id, []).append(task)
    plans = data["plans"]
    for plan in plans:
        attach(plan, "tasks", tasks.get(plan.id, []))
    return data


def case_context(case_: CaseManagementCase, form: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return everything the case page shows: its lists in ONE statement (``Bundle``).

    Readers without write permission (Prüfer) see contents and history, no forms or buttons.
    Network partners are chosen through the partner search; only the names of the partners
    this case refers to are read.
    """
    can_write = _can_write()
    data = _case_data(case_, form)
    plans = data["plans"]
    goals = data["goals"]
    users = data["users"]
    partner_names = dict(data["partners"])
    # special categories: text only with their read permission (the caller logs the
    # read after rendering: ``special_shown``); their fields only with the write permission
    readable, writable = special.may("can_read"), special.may("can_write")
    assessment = [
        row
        if readable or special.category_of(row.aspect_code) is None
        else SimpleNamespace(
            id=row.id,
            aspect_code=row.aspect_code,
            recorded_at=row.recorded_at,
            text=special.WITHHELD,
        )
        for row in data["assessment"]
    ]
    return {
        "case": case_,
        "person": data["person"][0],
        "steps": MAIN_LINE,
        "step_labels": wf.STEP_LABELS,
        "current_index": MAIN_LINE.index(case_.step) if case_.step in MAIN_LINE else 0,
        "transitions": [
            (to, wf.TRANSITIONS[(case_.step, to)]) for to in wf.allowed_targets(case_.step)
        ]
        if can_write
        else [],
        "backward": {to for (fr, to) in wf.BACKWARD if fr == case_.step},
        "content_steps": wf.CONTENT_STEPS
        if can_write
        else {kind: frozenset() for kind in wf.CONTENT_STEPS},
        "next_hint": cm_queries.NEXT_STEP_HINTS.get(case_.step, ""),
        "due": [cm_queries.DueItem(due, title) for due, title in data["due"]],
        "interview": next(iter(data["interview"]), None),
        "decisions": wf.DECISIONS,
        "aspects": [
            (code, label)
            for code, label in choices("assessment_aspect")
            if writable or special.category_of(code) is None
        ],
        "special_shown": sorted(
            {row.aspect_code for row in data["assessment"] if special.category_of(row.aspect_code)}
        )
        if readable
        else [],
        "aspect_labels": labels("assessment_aspect"),
        # the newest entry per aspect, and all entries newest first
        "assessment": {row.aspect_code: row for row in assessment},
        "assessment_history": sorted(
            assessment, key=lambda row: (row.recorded_at, row.id), reverse=True
        ),
        "goals": goals,
        "main_goals": [goal for goal in goals if goal.parent_id is None],
        "plans": plans,
        "plan": plans[0] if plans else None,
        "services": data["services"],
        "conferences": data["conferences"],
        "monitoring": data["monitoring"],
        "topics": choices("contact_topic"),
        "topic_labels": labels("contact_topic"),
        "closure": next(iter(data["closure"]), None),
        "closure_reasons": choices("closure_reason"),
        "closure_labels": labels("closure_reason"),
        "events": data["events"],
        "partner_names": partner_names,
        "users": users,
        "user_names": {u.id: f"{u.first_name} {u.last_name}" for u in users},
        "today": dt.date.today(),
        "user_choices": [(u.id, f"{u.first_name} {u.last_name}") for u in users],
        "goal_choices": [(goal.id, goal.title) for goal in goals],
        "goal_titles": {goal.id: goal.title for goal in goals},
        "satisfaction_choices": [(i, str(i)) for i in range(1, 6)],
    }

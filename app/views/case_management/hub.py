"""The case-management section and timeline source of the case file page."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select

from app.models import (
    CaseEvent,
    CaseManagementCase,
)
from app.services.case_management import queries as cm_queries
from app.services.case_management import workflow as wf
from app.views.case_management.common import _can_write
from app.views.hub import (
    TimelineEvent,
)


def hub_queries(person: Any) -> dict[str, Any]:
    """The reads of the case-file section (run with all other sections in one statement)."""
    return {
        "cases": select(CaseManagementCase)
        .where(CaseManagementCase.person_id == person.id)
        .order_by(CaseManagementCase.id.desc()),
        "due": cm_queries.due_query(person.id),
        "hint_codes": cm_queries.hint_query(person.id),
    }


def hub_context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    """Context of the case-file section: where the case stands, what is due, the hint."""
    can_write = _can_write()
    cases = data["cases"]
    case_ = next((c for c in cases if c.step != wf.CLOSED), None)
    closed = [(c.id, c.closed_on) for c in cases if c.step == wf.CLOSED]
    return {
        "case": case_,
        "step_label": wf.step_label(case_.step) if case_ else None,
        "next_hint": cm_queries.NEXT_STEP_HINTS.get(case_.step, "") if case_ else "",
        "due": [cm_queries.DueItem(due, title) for due, title in data["due"]] if case_ else [],
        "transitions": [
            (to, wf.TRANSITIONS[(case_.step, to)]) for to in wf.allowed_targets(case_.step)
        ]
        if case_ and can_write
        else [],
        "backward": {to for (fr, to) in wf.BACKWARD if case_ and fr == case_.step},
        "hint": []
        if case_ and case_.step != wf.OCCASION_BASED
        else cm_queries.hint_from_codes(data["hint_codes"]),
        "closed_cases": closed,
        "can_open": can_write and (case_ is None or case_.step == wf.OCCASION_BASED),
        "anchor": wf.STEP_ANCHORS.get(case_.step) if case_ else None,
    }


def timeline_queries(person: Any) -> dict[str, Any]:
    return {
        "events": select(CaseEvent)
        .where(CaseEvent.person_id == person.id)
        .order_by(CaseEvent.occurred_on.desc(), CaseEvent.id.desc())
    }


def timeline_source(person: Any, data: dict[str, list[Any]]) -> list[TimelineEvent]:
    """Each transition of the person's cases with who, under the day it happened.

    The day of the step (``occurred_on``, which a caseworker may set into the past) dates the
    entry; the day it was recorded (``at``) is its detail when different.
    """
    out: list[TimelineEvent] = []
    for event in data["events"]:
        title = (
            f"Case Management: {wf.step_label(event.from_step)} → {wf.step_label(event.to_step)}"
            if event.from_step
            else "Case Management eröffnet"
        )
        out.append(
            TimelineEvent(
                when=event.occurred_on,
                recorded=event.at,
                kind="case_management",
                title=title,
                detail=event.reason or "",
                who=event.actor_name,
                url=url_for("CaseManagementView.show", pk=event.case_id),
            )
        )
    return out

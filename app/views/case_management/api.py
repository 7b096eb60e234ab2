"""REST: /api/v1/casemanagement/ — open a case, transitions, step contents.

See docs/case-management.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, request
from flask_appbuilder import expose
from flask_appbuilder.api import BaseApi, protect
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import (
    CaseManagementCase,
)
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.case_management import contents as cm_contents
from app.services.case_management import special
from app.services.case_management import workflow as wf
from app.services.data_protection.access_log import log_access
from app.views.case_management.common import _case_data, _visible_person


def _parse_date(value: str | None) -> dt.date | None:
    """A filter date of a list (``app.dates``); an unreadable one filters nothing."""
    try:
        return parse_date(value)
    except DateError:
        return None


def case_json(case_: CaseManagementCase, *, full: bool = True) -> dict[str, Any]:
    """Return a case as JSON: step, events and (full) the step contents."""
    out: dict[str, Any] = {
        "id": case_.id,
        "person_id": case_.person_id,
        "step": case_.step,
        "step_label": wf.step_label(case_.step),
        "opened_on": case_.opened_on.isoformat(),
        "closed_on": case_.closed_on.isoformat() if case_.closed_on else None,
        "allowed_transitions": wf.allowed_targets(case_.step),
    }
    if not full:
        return out
    data = _case_data(case_)  # every list of the case in one statement
    by_id = lambda rows: sorted(rows, key=lambda row: row.id)  # noqa: E731
    out["events"] = [
        {
            "at": e.at.isoformat(),
            "on": e.occurred_on.isoformat(),
            "who": e.actor_name,
            "from": e.from_step,
            "to": e.to_step,
            "reason": e.reason,
        }
        for e in data["events"]
    ]
    interview = next(iter(data["interview"]), None)
    out["first_interview"] = (
        {
            "held_on": interview.held_on.isoformat(),
            "problem_situation": interview.problem_situation,
            "motivation": interview.motivation,
            "transparency_given": interview.transparency_given,
            "decision": interview.decision,
        }
        if interview
        else None
    )
    # special categories: text only with their read permission, and the read logged
    readable = special.may("can_read")
    out["assessment"] = {
        code: {
            "text": e.text if readable or special.category_of(code) is None else None,
            "recorded_at": e.recorded_at.isoformat(),
            "special_category": special.category_of(code) is not None,
        }
        for code, e in {row.aspect_code: row for row in data["assessment"]}.items()
    }
    if readable:
        special.log_read(case_.person_id, out["assessment"], channel="API")
    out["goals"] = [
        {
            "id": goal.id,
            "parent_id": goal.parent_id,
            "title": goal.title,
            "target_date": goal.target_date.isoformat(),
            "achieved_on": goal.achieved_on.isoformat() if goal.achieved_on else None,
        }
        for goal in data["goals"]
    ]
    out["help_plans"] = [
        {
            "version": plan.version_no,
            "valid_from": plan.valid_from.isoformat(),
            "valid_until": plan.valid_until.isoformat() if plan.valid_until else None,
            "tasks": [
                {
                    "task": t.task,
                    "role": t.role,
                    "responsible_user_id": t.responsible_user_id,
                    "responsible_partner_id": t.responsible_partner_id,
                    "responsible_text": t.responsible_text,
                    "starts_on": t.starts_on.isoformat() if t.starts_on else None,
                    "ends_on": t.ends_on.isoformat() if t.ends_on else None,
                    "resources": t.resources,
                }
                for t in plan.tasks
            ],
        }
        for plan in data["plans"]
    ]
    out["services"] = [
        {
            "partner_id": s.partner_id,
            "service": s.service,
            "starts_on": s.starts_on.isoformat(),
            "ends_on": s.ends_on.isoformat() if s.ends_on else None,
            "standards": s.standards,
        }
        for s in by_id(data["services"])
    ]
    out["conferences"] = [
        {"held_on": c.held_on.isoformat(), "participants": c.participants, "outcome": c.outcome}
        for c in by_id(data["conferences"])
    ]
    out["monitoring"] = [
        {
            "goal_id": m.goal_id,
            "recorded_on": m.recorded_on.isoformat(),
            "progress": m.progress,
            "deviation": m.deviation,
            "service_gap_topic": m.service_gap_topic,
            "service_gap": m.service_gap,
            "next_review_on": m.next_review_on.isoformat() if m.next_review_on else None,
        }
        for m in by_id(data["monitoring"])
    ]
    closure = next(iter(data["closure"]), None)
    out["closure"] = (
        {
            "reason_code": closure.reason_code,
            "reason_text": closure.reason_text,
            "goals_results": closure.goals_results,
            "methods_cooperation": closure.methods_cooperation,
            "client_satisfaction": closure.client_satisfaction,
            "client_feedback": closure.client_feedback,
        }
        if closure
        else None
    )
    return out


class CaseManagementApi(BaseApi):
    """REST: open a case, move it through the workflow, record step contents."""

    resource_name = "casemanagement"
    class_permission_name = matrix.CASE_MANAGEMENT
    method_permission_name = READ_WRITE_METHODS
    openapi_spec_tag = "Case Management"

    def _case(self, pk: int) -> CaseManagementCase | None:
        return wf.get_case(pk)

    @expose("/", methods=["GET"])
    @protect()
    def get_list(self) -> Response:
        """List the visible open cases (newest first, max. 500)."""
        rows = db.session.execute(
            select(CaseManagementCase)
            .where(CaseManagementCase.step != wf.CLOSED)
            .order_by(CaseManagementCase.id.desc())
            .limit(500)
        ).scalars()
        return self.response(200, result=[case_json(c, full=False) for c in rows])

    @expose("/", methods=["POST"])
    @protect()
    def post(self) -> Response:
        """Open a case for ``person_id`` in step first_interview."""
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict):
            return self.response_400(message="JSON-Objekt erwartet.")
        try:
            person_id = int(body.get("person_id"))
        except (TypeError, ValueError):
            return self.response_400(message="person_id fehlt oder ist ungültig.")
        person = _visible_person(person_id)
        if person is None:
            return self.response_404()
        try:
            case_ = wf.open_case(person, actor=g.user, on=wf.parse_on(body.get("on")))
        except wf.CaseWorkflowError as exc:
            status = 409 if exc.field != "on" else exc.status
            return self.response(status, **exc.as_json())
        return self.response(201, id=case_.id, result=case_json(case_))

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    def get(self, pk: int) -> Response:
        """Show a case with its step, events and contents."""
        case_ = self._case(pk)
        if case_ is None:
            return self.response_404()
        body = case_json(case_)
        log_access(case_.person_id, "read", category="case_management")  # after reading: no reload
        return self.response(200, id=pk, result=body)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    def transition(self, pk: int) -> Response:
        """Move the case to ``to``; 422 with a German message when not allowed."""
        case_ = self._case(pk)
        if case_ is None:
            return self.response_404()
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict):
            return self.response_400(message="JSON-Objekt erwartet.")
        try:
            wf.transition(
                case_,
                str(body.get("to") or ""),
                actor=g.user,
                reason=body.get("reason"),
                on=wf.parse_on(body.get("on")),
            )
        except wf.CaseWorkflowError as exc:
            return self.response(exc.status, **exc.as_json())
        case_ = self._case(pk)
        assert case_ is not None
        return self.response(200, id=pk, result=case_json(case_))

    @expose("/<int:pk>/<kind>", methods=["POST"])
    @protect()
    def content(self, pk: int, kind: str) -> Response:
        """Record step content: first_interview, assessment, goal, help_plan, service, …"""
        case_ = self._case(pk)
        if case_ is None or kind not in cm_contents.CONTENT_VERBS:
            return self.response_404()
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict):
            return self.response_400(message="JSON-Objekt erwartet.")
        try:
            row = cm_contents.record_content(case_, kind, body, actor=g.user)
        except wf.CaseWorkflowError as exc:
            return self.response(422 if exc.status != 409 else 409, **exc.as_json())
        row_id = row[0].id if isinstance(row, list) else row.id
        case_ = self._case(pk)
        assert case_ is not None
        return self.response(201, id=row_id, result=case_json(case_))

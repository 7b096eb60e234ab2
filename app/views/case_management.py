"""Case management (R-4): case page, „Meine Fälle“, service gaps, REST API, hub section.

Configuration and glue only: every rule lives in app.services.case_management.workflow.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

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
from app.security.matrix import READ_WRITE_METHODS
from app.services.bundle import Bundle, attach
from app.services.case_management import contents as cm_contents
from app.services.case_management import queries as cm_queries
from app.services.case_management import workflow as wf
from app.services.casefile.contacts import partner_from_label
from app.services.catalogues import choices, labels
from app.services.data_protection.access_log import log_access
from app.views.hub import (
    HUB_SECTIONS,
    HubSection,
    TimelineEvent,
    register_hub_section,
    register_timeline_source,
    run_section,
)

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
    assessment = data["assessment"]
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
        "aspects": choices("assessment_aspect"),
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
        "events": select(CaseEvent).where(CaseEvent.person_id == person.id).order_by(CaseEvent.id)
    }


def timeline_source(person: Any, data: dict[str, list[Any]]) -> list[TimelineEvent]:
    """Each transition of the person's cases with who and when."""
    out: list[TimelineEvent] = []
    for event in data["events"]:
        title = (
            f"Case Management: {wf.step_label(event.from_step)} → {wf.step_label(event.to_step)}"
            if event.from_step
            else "Case Management eröffnet"
        )
        out.append(
            TimelineEvent(
                when=event.at,
                kind="case_management",
                title=title,
                detail=event.reason or "",
                who=event.actor_name,
                url=url_for("CaseManagementView.show", pk=event.case_id),
            )
        )
    return out


class CaseManagementView(BaseView):
    """Case Management — the guided process of one case (R-4)."""

    route_base = "/casemanagement"
    class_permission_name = matrix.CASE_MANAGEMENT
    method_permission_name = READ_WRITE_METHODS
    default_view = "list"

    def _case_or_404(self, pk: int) -> CaseManagementCase:
        case_ = wf.get_case(pk)
        if case_ is None:
            abort(404)
        return case_

    @expose("/mine/")
    @has_access
    def list(self) -> Any:
        """Meine Fälle — open cases by step with overdue items."""
        grouped = cm_queries.my_cases(g.user.id)
        return self.render_template(
            "case_management/my_cases.html",
            grouped=grouped,
            step_labels=wf.STEP_LABELS,
            total=sum(len(v) for v in grouped.values()),
            title=_l("Meine Fälle"),
        )

    @expose("/case/<int:pk>")
    @has_access
    def show(self, pk: int) -> Any:
        case_ = self._case_or_404(pk)
        body = self.render_template(
            "case_management/case.html", errors={}, form={}, form_kind=None, **case_context(case_)
        )
        # logged after rendering: the commit would expire the loaded rows (a second SELECT)
        log_access(case_.person_id, "read", category="case_management")
        return body

    @expose("/person/<int:person_id>")
    @has_access
    def overview(self, person_id: int) -> Any:
        person = _visible_person(person_id)
        if person is None:
            abort(404)
        return self.render_template(
            "case_management/person.html",
            person=person,
            section_ctx=run_section(HUB_SECTIONS["case_management"], person),
        )

    @expose("/person/<int:person_id>/open", methods=["POST"])
    @has_access
    def add(self, person_id: int) -> Response:
        person = _visible_person(person_id)
        if person is None:
            abort(404)
        try:
            case_ = wf.open_case(person, actor=g.user)
        except wf.CaseWorkflowError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("CaseManagementView.overview", person_id=person_id))
        log_access(person.id, "create", category="case_management")
        flash("Case Management eröffnet – Schritt: Erstgespräch.", "success")
        return redirect(url_for("CaseManagementView.show", pk=case_.id))

    @expose("/case/<int:pk>/transition", methods=["POST"])
    @has_access
    def transition(self, pk: int) -> Response:
        case_ = self._case_or_404(pk)
        to = request.form.get("to", "")
        try:
            wf.transition(case_, to, actor=g.user, reason=request.form.get("reason"))
        except wf.CaseWorkflowError as exc:
            flash(exc.message, "danger")
        else:
            log_access(case_.person_id, "update", category="case_management")
            flash(f"Neuer Schritt: {wf.step_label(to)}.", "success")
        return redirect(url_for("CaseManagementView.show", pk=pk))

    @expose("/case/<int:pk>/<kind>", methods=["POST"])
    @has_access
    def content(self, pk: int, kind: str) -> Any:
        case_ = self._case_or_404(pk)
        if kind not in cm_contents.CONTENT_VERBS:
            abort(404)
        data = request.form.to_dict()
        try:
            _resolve_typed_partners(data)
            cm_contents.record_content(case_, kind, data, actor=g.user)
        except wf.CaseWorkflowError as exc:
            case_ = self._case_or_404(pk)
            errors = {exc.field or "_form": exc.message}
            return (
                self.render_template(
                    "case_management/case.html",
                    errors=errors,
                    form=data,
                    form_kind=kind,
                    **case_context(case_, data),
                ),
                422,
            )
        log_access(case_.person_id, "update", category="case_management")
        flash("Gespeichert.", "success")
        return redirect(url_for("CaseManagementView.show", pk=pk) + f"#{kind}")


class ServiceGapView(BaseView):
    """Angebotslücken — service gaps across cases for the county, without personal data."""

    route_base = "/servicegaps"
    class_permission_name = matrix.SERVICE_GAPS
    method_permission_name = READ_WRITE_METHODS
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> Any:
        since = _parse_date(request.args.get("since"))
        until = _parse_date(request.args.get("until"))
        rows = cm_queries.service_gaps(since, until)
        by_topic: dict[str, int] = {}
        for row in rows:
            by_topic[row.topic_label] = by_topic.get(row.topic_label, 0) + row.entries
        return self.render_template(
            "case_management/service_gaps.html",
            rows=rows,
            by_topic=sorted(by_topic.items(), key=lambda kv: -kv[1]),
            since=since,
            until=until,
        )


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
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
    out["assessment"] = {
        code: {"text": e.text, "recorded_at": e.recorded_at.isoformat()}
        for code, e in {row.aspect_code: row for row in data["assessment"]}.items()
    }
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
        try:
            person_id = int(body.get("person_id"))
        except (TypeError, ValueError):
            return self.response_400(message="person_id fehlt oder ist ungültig.")
        person = _visible_person(person_id)
        if person is None:
            return self.response_404()
        try:
            case_ = wf.open_case(person, actor=g.user)
        except wf.CaseWorkflowError as exc:
            return self.response(409, message=exc.message)
        log_access(person.id, "create", category="case_management")
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
        try:
            wf.transition(case_, str(body.get("to") or ""), actor=g.user, reason=body.get("reason"))
        except wf.CaseWorkflowError as exc:
            return self.response(422, message=exc.message, field=exc.field)
        log_access(case_.person_id, "update", category="case_management")
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
            return self.response(422, message=exc.message, field=exc.field)
        log_access(case_.person_id, "update", category="case_management")
        row_id = row[0].id if isinstance(row, list) else row.id
        case_ = self._case(pk)
        assert case_ is not None
        return self.response(201, id=row_id, result=case_json(case_))


def register(appbuilder: AppBuilder) -> None:
    """Register the case-management views, API, hub section and timeline source."""
    from app.services.statistics import counting as statistics
    from app.services.statistics.case_management_counts import (
        persons_in_case_management,
        persons_in_case_management_query,
    )

    # Anlage 1 counts persons in case management through this hook
    # (app.services.statistics.counting);
    # the batched form counts all organisations and months of a page in one statement.
    statistics.use_case_management_counter(
        persons_in_case_management, persons_in_case_management_query
    )
    appbuilder.add_view(
        CaseManagementView,
        "Meine Fälle",
        label=_l("Meine Fälle"),
        icon="fa-route",
        category=matrix.MENU_CASE_WORK,
        category_label=_l("Fallarbeit"),
    )
    appbuilder.add_view(
        ServiceGapView,
        "Angebotslücken",
        label=_l("Angebotslücken"),
        icon="fa-puzzle-piece",
        category=matrix.MENU_ADMINISTRATION,
        category_label=_l("Verwaltung"),
    )
    appbuilder.add_api(CaseManagementApi)
    register_hub_section(
        HubSection(
            key="case_management",
            title="Case Management",
            template="case_management/_hub_section.html",
            context=hub_context,
            queries=hub_queries,
            order=30,
            permission=("can_read", matrix.CASE_MANAGEMENT),
        )
    )
    register_timeline_source("case_management", timeline_source, timeline_queries)

"""Case-management pages: the case page with its step forms, „Meine Fälle“, service gaps."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.models import (
    CaseManagementCase,
)
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.case_management import contents as cm_contents
from app.services.case_management import queries as cm_queries
from app.services.case_management import special
from app.services.case_management import workflow as wf
from app.services.data_protection.access_log import log_access
from app.services.errors import unit_of_work
from app.views.case_management.api import _parse_date
from app.views.case_management.common import _resolve_typed_partners, _visible_person, case_context
from app.views.hub import (
    HUB_SECTIONS,
    run_section,
)


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
        context = case_context(case_)
        body = self.render_template(
            "case_management/case.html",
            errors={},
            form={},
            form_kind=None,
            title=_case_title(context["person"]),
            **context,
        )
        # logged after rendering: the commit would expire the loaded rows (a second SELECT)
        with unit_of_work():
            log_access(case_.person_id, "read", category="case_management", commit=False)
            special.log_read(case_.person_id, context["special_shown"], channel="Web", commit=False)
        return body

    @expose("/person/<int:person_id>")
    @has_access
    def overview(self, person_id: int) -> Any:
        person = _visible_person(person_id)
        if person is None:
            abort(404)
        return self.render_template(
            "case_management/person.html",
            title=f"Case Management – Übersicht {person.last_name}, {person.first_name}",
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
            case_ = wf.open_case(person, actor=g.user, on=wf.parse_on(request.form.get("on")))
        except wf.CaseWorkflowError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("CaseManagementView.overview", person_id=person_id))
        flash("Case Management eröffnet – Schritt: Erstgespräch.", "success")
        return redirect(url_for("CaseManagementView.show", pk=case_.id))

    @expose("/case/<int:pk>/transition", methods=["POST"])
    @has_access
    def transition(self, pk: int) -> Response:
        case_ = self._case_or_404(pk)
        to = request.form.get("to", "")
        try:
            wf.transition(
                case_,
                to,
                actor=g.user,
                reason=request.form.get("reason"),
                on=wf.parse_on(request.form.get("on")),
            )
        except wf.CaseWorkflowError as exc:
            flash(exc.message, "danger")
        else:
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
            if case_.step not in wf.CONTENT_STEPS[kind]:
                flash(exc.message, "danger")  # the step has no form to show it at
            context = case_context(case_, data)
            body = self.render_template(
                "case_management/case.html",
                errors=errors,
                form=data,
                form_kind=kind,
                title=_case_title(context["person"]),
                **context,
            )
            special.log_read(case_.person_id, context["special_shown"], channel="Web")
            return body, 422
        flash("Gespeichert.", "success")
        return redirect(url_for("CaseManagementView.show", pk=pk) + f"#{kind}")


def _case_title(person: Any) -> str:
    return f"Case Management – Fall {person.last_name}, {person.first_name}"


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
            title=f"Angebotslücken im {current_app.config.get('MSA_COUNTY_NAME') or 'Landkreis'}",
            rows=rows,
            by_topic=sorted(by_topic.items(), key=lambda kv: -kv[1]),
            since=since,
            until=until,
        )

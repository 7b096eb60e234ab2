"""Härtefallverfahren — pages, REST API, case-file section and timeline source.

Configuration and thin glue: every write goes through the verbs of
``app.services.housing.hardship``; every lookup through the ORM, so provider scoping applies
(another provider's procedure is not found: 404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.dates import de_date
from app.extensions import db
from app.models import HardshipProcedure
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.data_protection.access_log import log_access
from app.services.errors import DomainError
from app.services.housing import hardship
from app.views.housing.common import _person
from app.views.hub import TimelineEvent

FORM_FIELDS = hardship.FIELDS
#: ids are INTEGER columns: a larger number names no record (PostgreSQL would refuse it)
MAX_ID = 2**31 - 1


def _procedure(pk: int) -> HardshipProcedure | None:
    return db.session.scalars(select(HardshipProcedure).where(HardshipProcedure.id == pk)).first()


def _form_of(procedure: HardshipProcedure) -> dict[str, str]:
    """The edit form filled with the recorded procedure (German dates)."""
    out = {name: de_date(getattr(procedure, name), "") for name in hardship.DATE_FIELDS}
    out.update(
        outcome=procedure.outcome or "", member=procedure.member or "", note=procedure.note or ""
    )
    return out


def _errors(exc: DomainError) -> dict[str, str]:
    return {field: " ".join(msgs) for field, msgs in exc.errors.items()}


class HardshipView(BaseView):
    """Härtefallverfahren — begin a procedure, record its steps, correct them."""

    route_base = "/haertefall"
    class_permission_name = matrix.HARDSHIP_PROCEDURE
    method_permission_name = READ_WRITE_METHODS
    default_view = "show"

    def _render(
        self,
        person: Any,
        procedure: HardshipProcedure | None,
        form: dict[str, str],
        errors: dict[str, str],
    ) -> Any:
        if procedure is not None:
            title = f"Härtefallverfahren – {person.last_name}, {person.first_name}"
        else:
            title = f"Neues Härtefallverfahren – {person.last_name}, {person.first_name}"
        return self.render_template(
            "housing/hardship.html",
            person=person,
            procedure=procedure,
            steps=hardship.steps_of(procedure) if procedure is not None else [],
            form=form,
            errors=errors,
            outcomes=hardship.outcome_choices(),
            today=dt.date.today().isoformat(),
            title=title,
        )

    @expose("/neu/<int:person_id>", methods=["GET", "POST"])
    @has_access
    def add(self, person_id: int) -> Any:
        """Begin a procedure: the request is prepared (day, member, note)."""
        person = _person(person_id)
        if person is None:
            abort(404)
        if request.method == "GET":
            return self._render(person, None, {}, {})
        form = {name: request.form.get(name, "") for name in ("prepared_on", "member", "note")}
        try:
            procedure = hardship.open_procedure(person, actor=g.user, values=form)
        except DomainError as exc:
            return self._render(person, None, form, _errors(exc)), 422
        flash("Härtefallverfahren angelegt.", "info")
        return redirect(url_for("HardshipView.show", pk=procedure.id))

    @expose("/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk: int) -> Any:
        """Show the steps with their days and (to writers) the form."""
        procedure = _procedure(pk)
        if procedure is None:
            abort(404)
        return self._render(procedure.person, procedure, _form_of(procedure), {})

    @expose("/<int:pk>", methods=["POST"])
    @has_access
    def edit(self, pk: int) -> Any:
        """Record the next step or correct one (the verb checks the rules)."""
        procedure = _procedure(pk)
        if procedure is None:
            abort(404)
        form = {name: request.form.get(name, "") for name in FORM_FIELDS}
        try:
            hardship.update_procedure(
                procedure,
                actor=g.user,
                values=form,
                version=request.form.get("version", type=int),
            )
        except DomainError as exc:
            db.session.rollback()
            procedure = _procedure(pk)
            if procedure is None:
                abort(404)
            return self._render(procedure.person, procedure, form, _errors(exc)), exc.status
        flash("Härtefallverfahren gespeichert.", "info")
        return redirect(url_for("HardshipView.show", pk=pk))


class HardshipApi(BaseApi):
    """REST: /api/v1/hardship/ — procedures, steps (submit, decide), corrections."""

    resource_name = "hardship"
    class_permission_name = matrix.HARDSHIP_PROCEDURE
    method_permission_name = READ_WRITE_METHODS
    allow_browser_login = False
    openapi_spec_tag = "Härtefallverfahren"

    def _refused(self, exc: DomainError) -> Response:
        return self.response(exc.status, **exc.as_json())

    @staticmethod
    def _body() -> dict[str, Any] | None:
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else None

    @expose("/", methods=["GET"])
    @protect()
    def get_list(self) -> Response:
        """List procedures (newest first, max. 500; ``?person_id=``, ``?open=true``)."""
        query = select(HardshipProcedure).order_by(HardshipProcedure.id.desc()).limit(500)
        person_id = request.args.get("person_id", type=int)
        if person_id is not None:
            query = query.where(HardshipProcedure.person_id == person_id)
        if request.args.get("open") in ("true", "1"):
            query = query.where(HardshipProcedure.decided_on.is_(None))
        result = [hardship.as_json(p) for p in db.session.scalars(query)]
        return self.response(200, count=len(result), result=result)

    @expose("/", methods=["POST"])
    @protect()
    def post(self) -> Response:
        """Begin a procedure: {"person_id", "prepared_on", "member", "note", …}."""
        body = self._body()
        if body is None:
            return self.response_400(message="JSON-Objekt erwartet.")
        person_id = body.pop("person_id", None)
        if not isinstance(person_id, int) or isinstance(person_id, bool):
            return self.response_400(message={"person_id": ["Pflichtfeld (Zahl)"]})
        if not 0 < person_id <= MAX_ID:
            return self.response_404()
        person = _person(person_id)
        if person is None:
            return self.response_404()
        try:
            procedure = hardship.open_procedure(person, actor=g.user, values=body)
        except DomainError as exc:
            return self._refused(exc)
        return self.response(201, id=procedure.id, result=hardship.as_json(procedure))

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    def get(self, pk: int) -> Response:
        """Show one procedure."""
        procedure = _procedure(pk)
        if procedure is None:
            return self.response_404()
        body = hardship.as_json(procedure)
        log_access(procedure.person_id, "read", detail="Härtefallverfahren")
        return self.response(200, id=pk, result=body)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    def put(self, pk: int) -> Response:
        """Correct or complete: only the fields sent change; ``version`` is required."""
        procedure = _procedure(pk)
        if procedure is None:
            return self.response_404()
        body = self._body()
        if body is None:
            return self.response_400(message="JSON-Objekt erwartet.")
        version = body.pop("version", None)
        if not isinstance(version, int) or isinstance(version, bool):
            return self.response_400(message={"version": ["Pflichtfeld (Zahl)"]})
        try:
            hardship.update_procedure(procedure, actor=g.user, values=body, version=version)
        except DomainError as exc:
            return self._refused(exc)
        return self.response(200, id=pk, result=hardship.as_json(procedure))

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    def submit(self, pk: int) -> Response:
        """Record the submission: {"submitted_on", "member", "note"}."""
        procedure = _procedure(pk)
        if procedure is None:
            return self.response_404()
        body = self._body()
        if body is None:
            return self.response_400(message="JSON-Objekt erwartet.")
        try:
            hardship.record_submission(
                procedure,
                actor=g.user,
                submitted_on=body.get("submitted_on"),
                member=body.get("member"),
                note=body.get("note"),
            )
        except DomainError as exc:
            return self._refused(exc)
        return self.response(200, id=pk, result=hardship.as_json(procedure))

    @expose("/<int:pk>/decide", methods=["POST"])
    @protect()
    def decide(self, pk: int) -> Response:
        """Record the decision: {"decided_on", "outcome", "note"}."""
        procedure = _procedure(pk)
        if procedure is None:
            return self.response_404()
        body = self._body()
        if body is None:
            return self.response_400(message="JSON-Objekt erwartet.")
        try:
            hardship.record_decision(
                procedure,
                actor=g.user,
                decided_on=body.get("decided_on"),
                outcome=body.get("outcome"),
                note=body.get("note"),
            )
        except DomainError as exc:
            return self._refused(exc)
        return self.response(200, id=pk, result=hardship.as_json(procedure))


# ------------------------------------------------------------------ case file and timeline


def section_queries(person: Any) -> dict[str, Any]:
    """The read of the section (run with all other sections in one statement)."""
    return {
        "procedures": select(HardshipProcedure)
        .where(HardshipProcedure.person_id == person.id)
        .order_by(HardshipProcedure.prepared_on.desc(), HardshipProcedure.id.desc())
    }


def section_context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    """The procedures with their steps for the case file page."""
    procedures = data["procedures"]
    return {
        "procedures": [
            {
                "procedure": p,
                "steps": hardship.steps_of(p),
                "next": hardship.next_step_label(p),
            }
            for p in procedures
        ],
        "has_open": any(p.is_open for p in procedures),
    }


def timeline_queries(person: Any) -> dict[str, Any]:
    return {
        "procedures": select(
            HardshipProcedure.id,
            HardshipProcedure.prepared_on,
            HardshipProcedure.submitted_on,
            HardshipProcedure.decided_on,
            HardshipProcedure.outcome,
            HardshipProcedure.member,
            HardshipProcedure.recorded_by_name,
        ).where(HardshipProcedure.person_id == person.id)
    }


def timeline_events(person: Any, data: dict[str, list[Any]]) -> list[TimelineEvent]:
    """One event per step done: prepared, submitted, decided (under the day it happened)."""
    from app.models.housing import HARDSHIP_OUTCOME_LABELS

    events = []
    for pid, prepared, submitted, decided, outcome, member, by in data["procedures"]:
        url = url_for("HardshipView.show", pk=pid)
        for day, title, detail in (
            (prepared, "Härtefall: Antrag vorbereitet", ""),
            (
                submitted,
                "Härtefall: bei der Härtefallkommission eingereicht",
                f"eingebracht über {member}" if member else "",
            ),
            (
                decided,
                "Härtefall: Entscheidung der Härtefallkommission",
                HARDSHIP_OUTCOME_LABELS.get(outcome or "", ""),
            ),
        ):
            if day is not None:
                events.append(
                    TimelineEvent(
                        when=day,
                        kind="housing",
                        title=title,
                        detail=detail,
                        who=by or "",
                        url=url,
                    )
                )
    return events

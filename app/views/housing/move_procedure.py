"""Umzugsverfahren pages: start a track, record each step; the list of procedures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import MoveProcedure
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.housing import move_procedure as moves
from app.views.base import READ_ONLY_ROUTES, MsaModelView
from app.views.housing.common import _parse_date, _person, _procedure, _user


class MoveProcedureView(BaseView):
    """Umzugsverfahren — start a track, record each step in order."""

    route_base = "/umzug"
    class_permission_name = matrix.MOVE_PROCEDURE
    method_permission_name = READ_WRITE_METHODS
    default_view = "show"

    @expose("/neu/<int:person_id>", methods=["POST"])
    @has_access
    def add(self, person_id: int) -> Response:
        """Start a move procedure on the chosen track."""
        person = _person(person_id)
        if person is None:
            abort(404)
        try:
            procedure = moves.start(person, request.form.get("track", ""), by=_user())
        except moves.MoveError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("HousingView.show", person_id=person_id))
        flash("Umzugsverfahren begonnen.", "info")
        return redirect(url_for("MoveProcedureView.show", pk=procedure.id))

    def _page(self, procedure: MoveProcedure, form: dict[str, str], error: str | None) -> Any:
        return self.render_template(
            "housing/move_show.html",
            procedure=procedure,
            person=procedure.person,
            labels={s.code: moves.step_label(procedure.track, s.code) for s in procedure.steps},
            next_step=moves.next_step(procedure),
            done=moves.progress(procedure),
            form=form,
            error=error,
            today=dt.date.today().isoformat(),
            title="Umzugsverfahren",
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int) -> Any:
        """Show the steps with dates and responsible parties."""
        procedure = _procedure(pk)
        if procedure is None:
            abort(404)
        return self._page(procedure, {}, None)

    @expose("/<int:pk>/schritt", methods=["POST"])
    @has_access
    def complete_step(self, pk: int) -> Any:
        """Record the next step as done (order and dates are checked by the service)."""
        procedure = _procedure(pk)
        if procedure is None:
            abort(404)
        form = {k: request.form.get(k, "") for k in ("code", "done_on", "responsible", "note")}
        form["moved_in_on"] = request.form.get("moved_in_on", "")
        done_on = _parse_date(form["done_on"])
        if done_on is None:
            return self._page(procedure, form, "Bitte ein gültiges Datum angeben (TT.MM.JJJJ).")
        try:
            moves.complete_step(
                procedure,
                form["code"],
                done_on=done_on,
                by=_user(),
                responsible=form["responsible"],
                note=form["note"],
                approved=request.form.get("approved", "yes") != "no",
                moved_in_on=_parse_date(form["moved_in_on"]),
            )
        except moves.MoveError as exc:
            db.session.rollback()
            return self._page(procedure, form, str(exc))
        flash("Schritt erledigt.", "info")
        return redirect(url_for("MoveProcedureView.show", pk=pk))


class MoveProcedureListView(MsaModelView):
    """Umzugsverfahren — all procedures of the own provider (read-only list)."""

    datamodel = SQLAInterface(MoveProcedure)
    class_permission_name = matrix.MOVE_PROCEDURE
    base_permissions = ["can_read"]
    #: read-only: no add, edit or delete route at all (issue 16)
    exclude_route_methods = READ_ONLY_ROUTES
    list_title = _l("Umzugsverfahren")
    show_title = _l("Umzugsverfahren")
    list_template = "housing/move_list.html"
    list_columns = ["person", "track_label", "status_label", "started_on", "moved_in_on"]
    show_columns = list_columns
    search_columns = ["track", "status", "started_on"]
    order_columns = ["started_on", "moved_in_on"]
    base_order = ("started_on", "desc")
    label_columns = {
        "person": _l("Person"),
        "track": _l("Verfahren"),
        "track_label": _l("Verfahren"),
        "status": _l("Stand"),
        "status_label": _l("Stand"),
        "started_on": _l("Begonnen am"),
        "moved_in_on": _l("Eingezogen am"),
    }


# ------------------------------------------------------------------ hub section and timeline

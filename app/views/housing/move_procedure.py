"""Umzugsverfahren pages: start a track, record each step; the list of procedures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.dates import de_date
from app.extensions import db
from app.models import MoveProcedure
from app.models.housing import PROCEDURE_OPEN
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.errors import DomainError
from app.services.housing import kdu
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

    def _page(
        self,
        procedure: MoveProcedure,
        form: dict[str, str],
        error: str | None,
        offer_form: dict[str, str] | None = None,
        offer_errors: dict[str, str] | None = None,
    ) -> Any:
        if offer_form is None:
            offer_form = _offer_form_of(procedure)
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
            offer_form=offer_form,
            offer_errors=offer_errors or {},
            offer_verdict=moves.offer_verdict(procedure),
            kdu_areas=kdu.areas() if procedure.status == PROCEDURE_OPEN else [],
            euro=kdu.euro,
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

    @expose("/<int:pk>/angebot", methods=["POST"])
    @has_access
    def offer(self, pk: int) -> Any:
        """Record the flat offer and check it against the KdU limits of the offer date."""
        procedure = _procedure(pk)
        if procedure is None:
            abort(404)
        form = {name: request.form.get(name, "") for name in OFFER_FIELDS}
        try:
            moves.record_offer(procedure, actor=_user(), values=form)
        except DomainError as exc:
            db.session.rollback()
            errors = {field: " ".join(msgs) for field, msgs in exc.errors.items()}
            return self._page(procedure, {}, None, offer_form=form, offer_errors=errors), 422
        flash(
            "Wohnungsangebot erfasst und geprüft: " + moves.offer_verdict(procedure) + ".", "info"
        )
        return redirect(url_for("MoveProcedureView.show", pk=pk))


OFFER_FIELDS = ("area", "living_space", "household_size", "rent", "heating", "offer_on")


def _offer_form_of(procedure: MoveProcedure) -> dict[str, str]:
    """The offer form prefilled with the recorded offer (or the person's household size)."""

    def amount(value: Any) -> str:
        return "" if value is None else kdu.euro(value).removesuffix(" €")

    if procedure.offer_on is None:
        if procedure.status != PROCEDURE_OPEN:
            return {}
        return {"household_size": str(moves.household_size_of(procedure.person))}
    return {
        "area": procedure.offer_area or "",
        "living_space": amount(procedure.offer_living_space),
        "household_size": str(procedure.offer_household_size or ""),
        "rent": amount(procedure.offer_rent),
        "heating": amount(procedure.offer_heating),
        "offer_on": de_date(procedure.offer_on),
    }


class MoveProcedureListView(MsaModelView):
    """Umzugsverfahren — all procedures of the own provider (read-only list)."""

    datamodel = SQLAInterface(MoveProcedure)
    class_permission_name = matrix.MOVE_PROCEDURE
    base_permissions = ["can_read"]
    #: read-only: no add, edit or delete route at all
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

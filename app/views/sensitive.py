"""Besondere Kategorien (R-2.2): show and edit the special categories of one person.

Own resource permission ``PersonSensitive``; every read (page view, edit form) is written to
the access log per category. The case-file page only links here (hub section) and never
renders the values itself.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Person
from app.security import matrix
from app.services.casefile.sensitive import (
    CATEGORIES,
    SPECS,
    SensitiveConflictError,
    log_sensitive_read,
    read_sensitive,
    save_sensitive,
)
from app.services.record_payloads import MSG_CONFLICT, PayloadError
from app.views.hub import HubSection, register_hub_section

LINK_TEXT = "Besondere Kategorien anzeigen (wird protokolliert)"


def _person_or_404(person_id: int) -> Person:
    """Return the person if the row scope lets the user see it (a SELECT, never the cache)."""
    person = db.session.execute(select(Person).where(Person.id == person_id)).scalar_one_or_none()
    if person is None:
        abort(404)
    return person


class PersonSensitiveView(BaseView):
    """Besondere Kategorien einer Person — nur mit eigener Berechtigung, Lesen protokolliert."""

    route_base = "/besondere-kategorien"
    class_permission_name = matrix.SENSITIVE
    method_permission_name = matrix.READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]
    default_view = "show"

    @expose("/<int:person_id>/")
    @has_access
    def show(self, person_id: int) -> str:
        person = _person_or_404(person_id)
        row = read_sensitive(person.id)
        values = {key: getattr(row, key) if row else None for key in CATEGORIES}
        can_edit = self.appbuilder.sm.has_access("can_write", matrix.SENSITIVE)
        body = self.render_template(
            "sensitive/show.html",
            title=f"Besondere Kategorien – {person.first_name} {person.last_name}",
            person=person,
            categories=CATEGORIES,
            values=values,
            can_edit=can_edit,
        )
        # logged (and committed) after rendering: the commit would expire person and user;
        # no log row, no page
        log_sensitive_read(person.id, channel="Web")
        return body

    @expose("/<int:person_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, person_id: int) -> Response | tuple[str, int] | str:
        person = _person_or_404(person_id)
        errors: dict[str, Any] = {}
        status = 200
        if request.method == "POST":
            form: dict[str, Any] = {key: request.form.get(key, "") for key in SPECS}
            version_raw = request.form.get("version", "")
            payload: dict[str, Any] = dict(form)
            payload["version"] = int(version_raw) if version_raw.isdigit() else None
            try:
                save_sensitive(person.id, payload, channel="Web")
            except PayloadError as exc:
                db.session.rollback()
                errors = exc.errors
                status = 400
            except (SensitiveConflictError, StaleDataError):
                db.session.rollback()
                errors = {"_form": MSG_CONFLICT}
                status = 409
            else:
                flash("Besondere Kategorien gespeichert.", "success")
                return redirect(url_for("PersonSensitiveView.show", person_id=person.id))
            values = form
            version = version_raw
        else:
            row = read_sensitive(person.id)
            values = {key: (getattr(row, key) or "") if row else "" for key in CATEGORIES}
            version = str(row.version) if row else ""
        body = self.render_template(
            "sensitive/edit.html",
            title=f"Besondere Kategorien bearbeiten – {person.first_name} {person.last_name}",
            person=person,
            categories=CATEGORIES,
            values=values,
            version=version,
            errors=errors,
        )
        if request.method != "POST":
            # after rendering, like ``show``: the read of the edit form is logged
            log_sensitive_read(person.id, channel="Web (Bearbeiten)")
        return body, status


def _hub_context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        "url": url_for("PersonSensitiveView.show", person_id=person.id),
        "link_text": LINK_TEXT,
    }


def register(appbuilder: AppBuilder) -> None:
    """Register the view and the case-file section (a link only, never the values)."""
    appbuilder.add_view_no_menu(PersonSensitiveView)
    register_hub_section(
        HubSection(
            key="sensitive",
            title="Besondere Kategorien",
            template="sensitive/hub_section.html",
            context=_hub_context,
            order=80,
            permission=("can_read", matrix.SENSITIVE),
        )
    )

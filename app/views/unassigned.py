"""Ohne zuständige Fachkraft — the lead's list of persons without a caseworker, bulk assignment.

Reached from the lead's desk. Resource ``Team`` (the lead's team work): reading the list is
``can_read``, assigning ``can_write``. The write goes through
:func:`app.services.intake.caseworkers.assign_caseworker` (own organisation only, logged).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.formatting import plural
from app.security import matrix
from app.services.errors import DomainError
from app.services.intake import caseworkers as cw


def _org_id() -> int:
    org_id = getattr(g.user, "organisation_id", None)
    if org_id is None:
        abort(403)
    return int(org_id)


class UnassignedPersonsView(BaseView):
    """Personen ohne zuständige Fachkraft (Trägerleitung)."""

    route_base = "/ohne-fachkraft"
    class_permission_name = matrix.TEAM
    method_permission_name = matrix.READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]
    default_view = "unassigned"

    @expose("/")
    @has_access
    def unassigned(self) -> Any:
        org_id = _org_id()
        try:
            page = max(1, int(request.args.get("seite", 1)))
        except ValueError:
            page = 1
        rows, total = cw.unassigned_page(org_id, page)
        pages = max(1, (total + cw.PAGE_SIZE - 1) // cw.PAGE_SIZE)
        return self.render_template(
            "intake/unassigned.html",
            title="Personen ohne zuständige Fachkraft",
            rows=rows,
            total=total,
            page=min(page, pages),
            pages=pages,
            workers=cw.caseworkers(org_id),
            chosen={int(i) for i in request.args.getlist("person_ids") if i.isdigit()},
        )

    @expose("/zuweisen", methods=["POST"])
    @has_access
    def assign_caseworkers(self) -> Any:
        _org_id()
        ids = [int(i) for i in request.form.getlist("person_ids") if i.isdigit()]
        raw = request.form.get("caseworker_id", "")
        worker = int(raw) if raw.isdigit() else None
        try:
            n = cw.assign_caseworker(ids, worker, actor=g.user)
        except DomainError as exc:
            if exc.status == 403:
                abort(403)
            for messages in exc.errors.values():
                for message in messages:
                    flash(message, "danger")
            # the choice is kept: the list shows the chosen persons ticked again
            return redirect(url_for("UnassignedPersonsView.unassigned", person_ids=ids))
        flash(f"{plural(n, 'Person', 'Personen')} zugewiesen.", "success")
        return redirect(url_for("UnassignedPersonsView.unassigned"))


def register(appbuilder: AppBuilder) -> None:
    """Register the page (no menu entry: the lead's desk links to it)."""
    appbuilder.add_view_no_menu(UnassignedPersonsView)

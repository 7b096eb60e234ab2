"""Adresslisten: the network partner directory per category and area, on screen and as PDF."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, request
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.security import matrix
from app.services import catalogues
from app.services.partners import DirectoryFilter, directory_context, directory_pdf


def _filter() -> DirectoryFilter:
    category = (request.args.get("category") or "").strip()
    if category and category not in catalogues.labels("partner_category"):
        category = ""
    return DirectoryFilter(
        category=category,
        area=(request.args.get("area") or "").strip()[:100],
        language=(request.args.get("language") or "").strip()[:100],
    )


class PartnerDirectoryView(BaseView):
    """Adresslisten für Klient:innen — e.g. doctors near the home, with their languages."""

    route_base = "/partnerdirectory"
    class_permission_name = matrix.NETWORK_PARTNER
    method_permission_name = matrix.READ_WRITE_METHODS
    base_permissions = ["can_read"]
    default_view = "directory"

    @expose("/")
    @has_access
    def directory(self) -> Any:
        flt = _filter()
        return self.render_template(
            "partners/directory.html",
            flt=flt,
            ctx=directory_context(flt),
            categories=catalogues.choices("partner_category"),
            query=request.query_string.decode("utf-8", "replace"),
        )

    @expose("/pdf")
    @has_access
    def directory_pdf(self) -> Response:
        flt = _filter()
        body = directory_pdf(flt)
        name = f"adressliste-{flt.category or 'alle'}-{dt.date.today():%Y%m%d}.pdf"
        return Response(
            body,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )


def register(appbuilder: AppBuilder) -> None:
    """Register the partner lists (menu "Verzeichnisse")."""
    appbuilder.add_view(
        PartnerDirectoryView,
        "Adresslisten",
        label=_l("Adresslisten"),
        icon="fa-print",
        category=matrix.MENU_DIRECTORY,
    )

"""Adresslisten: the network partner directory per category and area, on screen and as PDF."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms import StringField

from app.security import matrix
from app.services import catalogues
from app.services.partners import DirectoryFilter, directory_context, directory_pdf


def _filter() -> DirectoryFilter:
    category = (request.args.get("category") or "").strip()
    if category and category not in catalogues.labels("partner_category"):
        category = ""
    kinds = {}
    for name, catalogue in (("partner_type", "partner_type"), ("specialty", "specialty")):
        code = (request.args.get(name) or "").strip()
        kinds[name] = code if code in catalogues.labels(catalogue) else ""
    return DirectoryFilter(
        category=category,
        partner_type=kinds["partner_type"],
        specialty=kinds["specialty"],
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
            title="Adresslisten für Klient:innen",
            flt=flt,
            ctx=directory_context(flt),
            categories=catalogues.choices("partner_category"),
            partner_types=catalogues.choices("partner_type"),
            specialties=catalogues.choices("specialty"),
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


class PartnerSearchField(StringField):
    """Network partners chosen by typing (with suggestions), never a list of the directory.

    The directory is county- or state-sized: a select of all partners would load the whole
    table on every form. The field takes names separated by ";" (a suggestion "Name (Ort)" or
    the exact name, as :func:`partner_from_label`); an unknown or ambiguous name is an error
    at the field. ``data`` is a list of partners, or one partner (or None) with ``single``.
    """

    def __init__(self, *args: Any, single: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault(
            "description",
            "Name tippen und Vorschlag wählen"
            + ("" if single else "; mehrere durch Semikolon trennen"),
        )
        super().__init__(*args, **kwargs)
        self.single = single

    def __call__(self, **kwargs: Any) -> Any:
        kwargs.setdefault("class", "form-control msa-partner-search")
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("list", f"{self.id}-liste")
        kwargs.setdefault("data-url", url_for("NetworkPartnerView.autocomplete"))
        kwargs.setdefault("data-multiple", "0" if self.single else "1")
        html = super().__call__(**kwargs)
        script = url_for("static", filename="js/msa-partner-search.js")
        # the input is rendered (escaped) by WTForms; id and URL are escaped here
        return html + Markup(
            '<datalist id="{}"></datalist><script src="{}" defer></script>'
        ).format(f"{self.id}-liste", script)

    def _value(self) -> str:
        if isinstance(self.raw_data, list) and self.raw_data:
            return str(self.raw_data[0])
        items = [self.data] if self.single else list(self.data or [])
        return "; ".join(_partner_label(p) for p in items if p is not None)

    def process_formdata(self, valuelist: list[Any]) -> None:
        from app.extensions import db
        from app.models.partner import NetworkPartner
        from app.services.casefile.contacts import partner_from_label

        text = str(valuelist[0]).strip() if valuelist else ""
        names = [n.strip() for n in text.split(";") if n.strip()]
        if self.single and len(names) > 1:
            self.data = None
            raise ValueError("Bitte nur einen Netzwerkpartner angeben.")
        ids: list[int] = []
        unknown: list[str] = []
        for name in names:
            found = partner_from_label(name)
            if found is None:
                unknown.append(name)
            elif found not in ids:
                ids.append(found)
        if unknown:
            self.data = None if self.single else []
            raise ValueError(
                "Netzwerkpartner nicht eindeutig gefunden: "
                + ", ".join(f"„{n}“" for n in unknown)
                + " – bitte aus den Vorschlägen wählen."
            )
        partners = (
            list(db.session.scalars(select(NetworkPartner).where(NetworkPartner.id.in_(ids))))
            if ids
            else []
        )
        partners.sort(key=lambda p: ids.index(p.id))
        self.data = (partners[0] if partners else None) if self.single else partners


def _partner_label(partner: Any) -> str:
    return f"{partner.name} ({partner.city})" if partner.city else str(partner.name)

"""County administration: organisations, accommodations, catalogues, network partners."""

from __future__ import annotations

from collections.abc import Callable

from flask import jsonify, request
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Accommodation, CatalogueEntry, NetworkPartner, Organisation
from app.security import matrix
from app.views.base import MsaModelRestApi, MsaModelView
from app.views.casefile.forms import catalogue_select

#: partners offered by the search of a form
AUTOCOMPLETE_LIMIT = 20

ADDRESS_LABELS = {
    "name": _l("Name"),
    "street": _l("Straße"),
    "postcode": _l("PLZ"),
    "city": _l("Ort"),
    "phone": _l("Telefon"),
    "email": _l("E-Mail"),
}


class OrganisationView(MsaModelView):
    """Organisationen — Landkreis, Träger, Fachberatungsdienst (R-1.1)."""

    datamodel = SQLAInterface(Organisation)
    class_permission_name = matrix.ORGANISATION
    list_title = _l("Organisationen")
    show_title = _l("Organisation")
    add_title = _l("Organisation anlegen")
    edit_title = _l("Organisation bearbeiten")
    list_columns = ["name", "kind_label", "city", "phone", "email"]
    add_columns = edit_columns = [
        "name",
        "kind",
        "street",
        "postcode",
        "city",
        "phone",
        "email",
        "contact_person",
    ]
    show_columns = add_columns
    search_columns = ["name", "city"]
    label_columns = {
        **ADDRESS_LABELS,
        "kind": _l("Art"),
        "kind_label": _l("Art"),
        "contact_person": _l("Ansprechperson"),
    }
    order_columns = ["name", "city"]

    def pre_update(self, item: Organisation) -> None:
        """The kind decides which roles its accounts may hold: a change of kind goes through
        the role-granting rules (app.security.granting), a refusal is logged."""
        from app.security.admin_log import check_organisation

        super().pre_update(item)
        check_organisation(item)


class AccommodationView(MsaModelView):
    """Unterkünfte — with capacity and occupancy (R-1.2)."""

    datamodel = SQLAInterface(Accommodation)
    class_permission_name = matrix.ACCOMMODATION
    list_title = _l("Unterkünfte")
    show_title = _l("Unterkunft")
    add_title = _l("Unterkunft anlegen")
    edit_title = _l("Unterkunft bearbeiten")
    list_columns = ["name", "kind", "city", "capacity", "occupancy_text", "operator"]
    #: the occupancy (a deferred count) in the list's statement, not one statement per row
    undeferred_columns = ("occupancy",)
    add_columns = edit_columns = [
        "name",
        "kind",
        "street",
        "postcode",
        "city",
        "capacity",
        "operator",
        "notes",
    ]
    show_columns = [*add_columns, "occupancy_text"]
    search_columns = ["name", "city", "kind"]
    label_columns = {
        **ADDRESS_LABELS,
        "kind": _l("Art"),
        "capacity": _l("Plätze"),
        "occupancy": _l("Belegung"),
        "occupancy_text": _l("Belegung"),
        "operator": _l("Betreiber"),
        "notes": _l("Bemerkungen"),
    }
    order_columns = ["name", "city", "capacity"]


class CatalogueView(MsaModelView):
    """Kataloge — reference data (residence titles, topics …), editable by the county."""

    datamodel = SQLAInterface(CatalogueEntry)
    class_permission_name = matrix.CATALOGUE
    list_title = _l("Katalogeinträge")
    show_title = _l("Katalogeintrag")
    add_title = _l("Katalogeintrag anlegen")
    edit_title = _l("Katalogeintrag bearbeiten")
    list_columns = ["catalogue", "code", "label_de", "label_en", "sort_order", "active"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["catalogue", "code", "label_de", "active"]
    label_columns = {
        "catalogue": _l("Katalog"),
        "code": _l("Schlüssel"),
        "label_de": _l("Bezeichnung (deutsch)"),
        "label_en": _l("Bezeichnung (englisch)"),
        "sort_order": _l("Reihenfolge"),
        "active": _l("Aktiv"),
    }
    order_columns = ["catalogue", "code", "sort_order"]
    base_order = ("catalogue", "asc")


PARTNER_COLUMNS = [
    "name",
    "category",
    "partner_type",
    "specialty",
    "street",
    "postcode",
    "city",
    "phone",
    "email",
    "website",
    "contact_persons",
    "opening_hours",
    "languages",
    "directions",
    "services",
    "barrier_free",
]
PARTNER_LABELS = {
    **ADDRESS_LABELS,
    "category": _l("Kategorie"),
    "partner_type": _l("Art"),
    "specialty": _l("Fachrichtung (Ärzt:innen)"),
    "website": _l("Website"),
    "contact_persons": _l("Ansprechpersonen"),
    "opening_hours": _l("Öffnungszeiten"),
    "languages": _l("Sprachen"),
    "directions": _l("Anfahrt"),
    "services": _l("Angebote"),
    "barrier_free": _l("Barrierefrei"),
}


def _partner_category_label(code: object) -> str:
    """German label of a ``partner_category`` code (the category is a catalogue code)."""
    from app.services.catalogues import labels

    return labels("partner_category").get(str(code or ""), "ohne Kategorie")


def _code_label(catalogue: str, code: object) -> str:
    """German label of an optional catalogue code of a partner ("" for none)."""
    from app.services.catalogues import labels

    return labels(catalogue).get(str(code), str(code)) if code else ""


class NetworkPartnerView(MsaModelView):
    """Netzwerkpartner — the county-wide directory (R-6.1)."""

    datamodel = SQLAInterface(NetworkPartner)
    class_permission_name = matrix.NETWORK_PARTNER
    list_title = _l("Netzwerkpartner")
    show_title = _l("Netzwerkpartner")
    add_title = _l("Netzwerkpartner anlegen")
    edit_title = _l("Netzwerkpartner bearbeiten")
    list_columns = [
        "name",
        "category",
        "partner_type",
        "city",
        "phone",
        "languages",
        "barrier_free",
    ]
    add_columns = edit_columns = show_columns = PARTNER_COLUMNS
    search_columns = [
        "name",
        "category",
        "partner_type",
        "specialty",
        "city",
        "languages",
        "services",
    ]
    label_columns = PARTNER_LABELS
    formatters_columns = {
        "category": _partner_category_label,
        "partner_type": lambda v: _code_label("partner_type", v),
        "specialty": lambda v: _code_label("specialty", v),
        "barrier_free": lambda v: "ja" if v else "nein",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "category": catalogue_select("Kategorie", "partner_category", required=True),
        "partner_type": catalogue_select("Art", "partner_type"),
        "specialty": catalogue_select("Fachrichtung (Ärzt:innen)", "specialty"),
    }
    order_columns = ["name", "category", "city"]
    base_order = ("name", "asc")

    @expose("/autocomplete", methods=["GET"])
    @has_access
    def autocomplete(self) -> Response:
        """Return up to 20 partners whose name, category or city contains ``q`` (JSON).

        Forms choose a partner through this search instead of a list of the whole directory.
        """
        q = (request.args.get("q") or "").strip()
        if len(q) < 2:
            return jsonify([])
        like = f"%{q}%"
        rows = db.session.execute(
            select(NetworkPartner.id, NetworkPartner.name, NetworkPartner.city)
            .where(
                or_(
                    NetworkPartner.name.ilike(like),
                    NetworkPartner.category.ilike(like),
                    NetworkPartner.city.ilike(like),
                )
            )
            .order_by(NetworkPartner.name, NetworkPartner.id)
            .limit(AUTOCOMPLETE_LIMIT)
        ).all()
        return jsonify(
            [{"id": pid, "label": f"{name} ({city})" if city else name} for pid, name, city in rows]
        )


def _valid_code_of(catalogue: str) -> Callable[[object], None]:
    """REST: an optional code of ``catalogue`` (null allowed)."""

    def check(value: object) -> None:
        from marshmallow import ValidationError

        from app.services.catalogues import valid_codes

        if value is not None and value not in valid_codes(catalogue):
            raise ValidationError(f"Unbekannter Code (Katalog {catalogue}).")

    return check


def _valid_partner_category(value: object) -> None:
    """REST: the category is a code of the ``partner_category`` catalogue."""
    from marshmallow import ValidationError

    from app.services.catalogues import valid_codes

    if value not in valid_codes("partner_category"):
        raise ValidationError("Unbekannte Kategorie (Katalog partner_category).")


class NetworkPartnerApi(MsaModelRestApi):
    """REST: /api/v1/networkpartner/."""

    resource_name = "networkpartner"
    datamodel = SQLAInterface(NetworkPartner)
    class_permission_name = matrix.NETWORK_PARTNER
    list_columns = ["id", *PARTNER_COLUMNS]
    show_columns = list_columns
    add_columns = edit_columns = PARTNER_COLUMNS
    validators_columns = {
        "category": _valid_partner_category,
        "partner_type": _valid_code_of("partner_type"),
        "specialty": _valid_code_of("specialty"),
    }


class AccommodationApi(MsaModelRestApi):
    """REST: /api/v1/accommodation/."""

    resource_name = "accommodation"
    datamodel = SQLAInterface(Accommodation)
    class_permission_name = matrix.ACCOMMODATION
    list_columns = ["id", "name", "kind", "street", "postcode", "city", "capacity", "operator_id"]
    show_columns = list_columns
    add_columns = edit_columns = [
        "name",
        "kind",
        "street",
        "postcode",
        "city",
        "capacity",
        "notes",
    ]

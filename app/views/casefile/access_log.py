"""Zugriffsprotokoll — the list for the data protection officer and reviewers (R-8.2)."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.formatting import de_datetime
from app.models import (
    AccessLog,
)
from app.security import matrix
from app.services.data_protection.access_log import ACTION_LABELS, category_label
from app.views.base import READ_ONLY_ROUTES, MsaModelView


class AccessLogView(MsaModelView):
    """Zugriffsprotokoll — for the data protection officer and reviewers (R-8.2)."""

    datamodel = SQLAInterface(AccessLog)
    class_permission_name = matrix.ACCESS_LOG
    base_permissions = ["can_read"]
    #: read-only: no add, edit or delete route at all
    exclude_route_methods = READ_ONLY_ROUTES
    list_title = _l("Zugriffsprotokoll")
    show_title = _l("Eintrag des Zugriffsprotokolls")
    show_columns = ["at", "username", "person_id", "action", "category", "detail"]
    formatters_columns = {
        "at": de_datetime,
        "action": lambda code: ACTION_LABELS.get(code, code),
        "category": category_label,
    }
    list_columns = ["at", "username", "person_id", "action", "category"]
    search_columns = ["username", "person_id", "action", "category", "at"]
    label_columns = {
        "at": _l("Zeitpunkt"),
        "username": _l("Benutzer"),
        "person_id": _l("Person (Nr.)"),
        "action": _l("Aktion"),
        "category": _l("Kategorie"),
        "detail": _l("Details"),
    }
    base_order = ("at", "desc")

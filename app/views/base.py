"""Base views: German defaults, the read/write permission mapping, no organisation in forms."""

from __future__ import annotations

from typing import Any

from flask_appbuilder import ModelRestApi, ModelView

from app.security.matrix import READ_WRITE_METHODS

#: Columns that a request may never set: taken from the user or the system.
PROTECTED_COLUMNS = ("organisation", "organisation_id", "version", "created_at", "updated_at")


class MsaModelView(ModelView):
    """ModelView with resource permissions ``can_read`` / ``can_write``."""

    method_permission_name = READ_WRITE_METHODS
    page_size = 25
    list_widget: Any = ModelView.list_widget


class ScopedModelView(MsaModelView):
    """View of provider-scoped rows: the row filter comes from app.security.scoping.

    The organisation is never a form field; it is taken from the user or the person.
    """

    base_permissions = ["can_read", "can_write"]


class MsaModelRestApi(ModelRestApi):
    """REST API with resource permissions ``can_read`` / ``can_write``."""

    method_permission_name = READ_WRITE_METHODS
    allow_browser_login = False

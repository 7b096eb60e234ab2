"""Base views: German defaults, the read/write permission mapping, no organisation in forms."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.widgets import ListWidget

from app.datamodel import (
    fast_datamodel,
    limit_related_choices,
)
from app.security.matrix import READ_WRITE_METHODS

#: Columns that a request may never set: taken from the user or the system.
PROTECTED_COLUMNS = ("organisation", "organisation_id", "version", "created_at", "updated_at")


_fab_get_action_permission_name = ModelView.get_action_permission_name


def _safe_get_action_permission_name(self: Any, name: str) -> str:
    """An unknown action name is a 404, not a 500 (FAB 5.3 looks it up without a check)."""
    if name not in self.actions:
        abort(404)
    return _fab_get_action_permission_name(self, name)  # type: ignore[no-any-return]


# Applies to FAB's own security views (users, roles, groups, permissions) as well.
ModelView.get_action_permission_name = _safe_get_action_permission_name  # type: ignore[method-assign]


class MsaListWidget(ListWidget):
    """FAB's list table, with URLs and texts built once per page instead of once per row."""

    template = "msa/widgets/list.html"


class MsaModelView(ModelView):
    """ModelView with resource permissions ``can_read`` / ``can_write``.

    Lists: capped count, eager-loaded related columns, bounded search-form choices
    (``MsaSQLAInterface``, ``limit_related_choices``; docs/performance.md).
    """

    method_permission_name = READ_WRITE_METHODS
    page_size = 25
    list_widget: Any = MsaListWidget

    def __init__(self, **kwargs: Any) -> None:
        if getattr(self, "datamodel", None) is not None:
            cols = self.list_columns or [
                c for c in self.datamodel.get_columns_list() if not self.datamodel.is_pk(c)
            ]
            self.datamodel = fast_datamodel(self.datamodel, list(cols))
        super().__init__(**kwargs)

    def _init_forms(self) -> None:
        super()._init_forms()
        limit_related_choices(self.search_form, self.datamodel)


class ScopedModelView(MsaModelView):
    """View of provider-scoped rows: the row filter comes from app.security.scoping.

    The organisation is never a form field; it is taken from the user or the person.
    Case records are never deleted from a page (issue 16): corrections are edits with history,
    a person who left is marked as moved away, destruction only through retention — so the
    ``delete`` route does not exist (no trash icon, no confirmation dialog).
    """

    base_permissions = ["can_read", "can_write"]
    exclude_route_methods = {"delete"}


class MsaModelRestApi(ModelRestApi):
    """REST API with resource permissions ``can_read`` / ``can_write``."""

    method_permission_name = READ_WRITE_METHODS
    allow_browser_login = False

    def _get_field_info(self, field: Any, filter_rel_field: Any, *args: Any, **kwargs: Any) -> Any:
        """``_info`` of a field: an empty description stays empty (issue 16).

        FAB translates ``""`` with gettext, which returns the catalogue's header
        ("Project-Id-Version: …") as the field's description.
        """
        ret = super()._get_field_info(field, filter_rel_field, *args, **kwargs)
        for key, names in (
            ("description", self.description_columns),
            ("label", self.label_columns),
        ):
            if not (names or {}).get(field.name):
                ret[key] = ""
        return ret

    def __init__(self, **kwargs: Any) -> None:
        if getattr(self, "datamodel", None) is not None:
            self.datamodel = fast_datamodel(self.datamodel, list(self.list_columns or []))
        super().__init__(**kwargs)

"""Set-up: permissions of all registered views, the role matrix, catalogues."""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.services.catalogues import sync_catalogues


def sync_security_and_catalogues() -> dict[str, Any]:
    """Register permissions of every view, sync the role matrix, seed catalogues."""
    appbuilder = current_app.appbuilder  # type: ignore[attr-defined]
    sm = appbuilder.sm
    # FAB assigns new permissions to the Admin role while registering them: create it first.
    for role_name in (sm.auth_role_admin, sm.auth_role_public):
        if sm.find_role(role_name) is None:
            sm.add_role(role_name)
    appbuilder.add_permissions(update_perms=True)
    appbuilder.security_cleanup()
    roles = appbuilder.sm.sync_role_matrix()
    inserted = sync_catalogues()
    return {"roles": roles, "catalogue_entries": inserted}

"""Security manager: user model with organisation and FTE, German user admin, API login limit."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext as _l

from app.models.organisation import MsaUser
from app.security import matrix


class MsaUserDBModelView(UserDBModelView):
    """Benutzer verwalten — with organisation and FTE (VZÄ)."""

    list_columns = ["first_name", "last_name", "username", "organisation", "roles", "active"]
    show_fieldsets = [
        (
            _l("User info"),
            {"fields": ["username", "active", "roles", "organisation", "fte", "login_count"]},
        ),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email"]}),
        (
            _l("Audit Info"),
            {"fields": ["last_login", "fail_login_count", "created_on", "changed_on"]},
        ),
    ]
    add_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "organisation",
        "fte",
        "roles",
        "password",
        "conf_password",
    ]
    edit_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "organisation",
        "fte",
        "roles",
    ]
    label_columns = {
        **UserDBModelView.label_columns,
        "organisation": _l("Organisation"),
        "fte": _l("VZÄ"),
    }


class MsaSecurityManager(SecurityManager):
    """FAB security manager of MSA-Portal."""

    user_model = MsaUser
    userdbmodelview = MsaUserDBModelView

    def limit_api_login(self) -> None:
        """Rate-limit the API login like the form (FAB limits only the form)."""
        if not self.is_auth_limited:
            return
        from flask_appbuilder.security.api import SecurityApi

        for view in self.appbuilder.baseviews:
            if isinstance(view, SecurityApi) and view.blueprint is not None:
                self.limiter.limit(self.auth_rate_limit, methods=["POST"])(view.blueprint)

    def sync_role_matrix(self) -> dict[str, int]:
        """Create the roles of the matrix and set exactly their permissions; return counts."""
        counts: dict[str, int] = {}
        for role_name in matrix.MSA_ROLES:
            role = self.find_role(role_name) or self.add_role(role_name)
            wanted = [
                self.add_permission_view_menu(perm, view)
                for perm, view in sorted(matrix.permissions_for(role_name))
            ]
            role.permissions = wanted
            counts[role_name] = len(wanted)
        admin = self.find_role(matrix.ROLE_ADMIN) or self.add_role(matrix.ROLE_ADMIN)
        admin.permissions = self.session.query(self.permissionview_model).all()
        counts[matrix.ROLE_ADMIN] = len(admin.permissions)
        self.session.commit()
        return counts

    def role_permission_pairs(self, role_name: str) -> set[tuple[str, str]]:
        """Return the (permission, view_menu) pairs a role has in the database."""
        role = self.find_role(role_name)
        if role is None:
            return set()
        return {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}


def security_manager() -> Any:
    """Return the app's security manager."""
    return current_app.appbuilder.sm  # type: ignore[attr-defined]

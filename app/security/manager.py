"""Security manager: user model with organisation and FTE, German user admin, API login limit."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, has_request_context, redirect, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import (
    UserDBModelView,
    UserLDAPModelView,
    UserOAuthModelView,
)
from flask_appbuilder.widgets import ListWidget
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import DataRequired, ValidationError

from app.models.organisation import MsaUser
from app.security import matrix


class _GermanListWidget(ListWidget):
    """The MSA list table (app/templates/msa/widgets/list.html) for FAB's user list."""

    template = "msa/widgets/list.html"


class _FastUserList:
    """User lists like every MSA list (app.datamodel): roles and organisation eager-loaded
    (one statement each instead of one per user row), search-form choices bounded."""

    #: German values (ja/nein, "–") as in every MSA list (issue 16)
    list_widget = _GermanListWidget

    def __init__(self, **kwargs: Any) -> None:
        from app.datamodel import fast_datamodel

        datamodel = getattr(self, "datamodel", None)
        if datamodel is not None:
            self.datamodel = fast_datamodel(datamodel, list(getattr(self, "list_columns", [])))
        super().__init__(**kwargs)

    def _init_forms(self) -> None:
        from app.datamodel import german_blank_choices, limit_related_choices

        super()._init_forms()  # type: ignore[misc]
        limit_related_choices(self.search_form, self.datamodel)  # type: ignore[attr-defined]
        for form in (getattr(self, "add_form", None), getattr(self, "edit_form", None)):
            _uncounted_choices(form, self.datamodel)
            german_blank_choices(form)
        german_blank_choices(getattr(self, "search_form", None))


def _uncounted_choices(form_class: Any, datamodel: Any) -> None:
    """Choices of organisations and roles in the user forms without FAB's extra COUNT.

    FAB fills each related select with ``interface.query()``, which counts the table before
    reading it (two statements per select); the list itself is all the form needs.
    """
    from wtforms.fields.core import UnboundField

    if form_class is None:
        return
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if isinstance(unbound, UnboundField) and "query_func" in unbound.kwargs:
            related = datamodel.get_related_interface(name)
            unbound.kwargs["query_func"] = _all_rows(related)
            if name == "roles":
                # a few roles: checkboxes, each with its label — FAB's select2 box leaves its
                # search field without a label and breaks the list semantics (axe, issue 16)
                from wtforms.widgets import CheckboxInput, ListWidget

                unbound.kwargs["widget"] = ListWidget(prefix_label=False)
                unbound.kwargs["option_widget"] = CheckboxInput()


def _all_rows(interface: Any) -> Any:
    pk = getattr(interface.obj, interface.get_pk_name())

    def rows() -> list[Any]:
        query = interface.session.query(interface.obj).order_by(pk)
        if interface.obj.__name__ == "Role":  # FAB's anonymous role is never granted
            query = query.filter(interface.obj.name != current_app.config["AUTH_ROLE_PUBLIC"])
        return list(query.all())

    return rows


def _required_role(_form: Any, field: Any) -> None:
    """At least one role (FAB's own check also asks for groups, which this portal has not)."""
    if not field.data:
        raise ValidationError(str(_l("Bitte wählen Sie mindestens eine Rolle.")))


def _username_free(_form: Any, field: Any) -> None:
    """Sign-in names are unique without regard to case (German message on the form)."""
    from flask import request

    from app.services.organisations import DomainError
    from app.services.staff.accounts import check_username_free, normalise_username

    pk = (request.view_args or {}).get("pk")
    try:
        check_username_free(
            normalise_username(field.data or ""),
            account_id=int(pk) if pk is not None and str(pk).isdigit() else None,
        )
    except DomainError as exc:
        raise ValidationError(str(exc)) from exc


class _AccountDoor:
    """FAB's user forms delegate to the one account door (app.services.staff.accounts):
    granting rules, username unique without regard to case, at least one role, password
    policy and hash. A refusal is FAB's German form message (``flash``), never a 500."""

    validators_columns = {"roles": [_required_role], "username": [_username_free]}
    #: accounts of a central directory have no password here
    with_password = False

    def pre_add(self, item: Any) -> None:
        from app.services.staff.accounts import prepare_new

        prepare_new(item, (item.password or "") if self.with_password else None)

    def pre_update(self, item: Any) -> None:
        from app.services.staff.accounts import prepare_change

        prepare_change(item)

    def pre_delete(self, item: Any) -> None:
        from app.services.staff.accounts import prepare_delete

        prepare_delete(item)


class _ResetPasswordAction:
    """ "Passwort zurücksetzen" for exactly one account (FAB's action fails on a list)."""

    @action("resetpasswords", _l("Passwort zurücksetzen"), "", "fa-lock", multiple=False)
    def resetpasswords(self, items: Any) -> Any:
        chosen = items if isinstance(items, list) else [items]
        chosen = [item for item in chosen if item is not None]
        if len(chosen) != 1:
            flash(str(_l("Bitte wählen Sie genau ein Konto.")), "warning")
            return redirect(url_for(f"{type(self).__name__}.list"))
        sm = current_app.appbuilder.sm  # type: ignore[attr-defined]
        return redirect(url_for(f"{sm.resetpasswordview.__name__}.this_form_get", pk=chosen[0].id))


class MsaUserDBModelView(_ResetPasswordAction, _AccountDoor, _FastUserList, UserDBModelView):
    """Benutzer verwalten — with organisation and FTE (VZÄ)."""

    with_password = True

    list_columns = ["first_name", "last_name", "username", "organisation", "roles", "active"]
    # FAB's default also searches by group (ab_group is not used here): one select less
    search_columns = ["first_name", "last_name", "username", "email", "active", "roles"]
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
        "roles": _l("Rollen"),
    }
    #: plain German help texts (FAB's speak of OID and "policies")
    description_columns = {
        "first_name": _l("Vorname, wie er in Vermerken und Berichten erscheint."),
        "last_name": _l("Nachname, wie er in Vermerken und Berichten erscheint."),
        "username": _l("Damit meldet sich die Person an (auch bei der Anmeldung über LDAP)."),
        "active": _l(
            "Wer nicht mehr im Dienst ist, wird deaktiviert statt gelöscht: Vermerke und "
            "Protokolle behalten den Namen."
        ),
        "email": _l("Dienstliche E-Mail-Adresse (Erinnerungen an Termine)."),
        "organisation": _l("Träger oder Dienststelle; bestimmt, welche Fallakten sichtbar sind."),
        "fte": _l("Vollzeitäquivalent (1,0 = volle Stelle) für den Betreuungsschlüssel 1:80."),
        "roles": _l(
            "Was die Person darf; vergeben werden nur Rollen, die Ihre Rolle vergeben darf."
        ),
    }


class MsaUserLDAPModelView(_AccountDoor, _FastUserList, UserLDAPModelView):
    """Benutzer verwalten with a central directory: organisation and FTE are set here."""

    list_columns = MsaUserDBModelView.list_columns
    show_fieldsets = MsaUserDBModelView.show_fieldsets
    add_columns = edit_columns = MsaUserDBModelView.edit_columns
    label_columns = MsaUserDBModelView.label_columns


class MsaUserOAuthModelView(_AccountDoor, _FastUserList, UserOAuthModelView):
    """Benutzer verwalten with OAuth/OpenID Connect sign-in."""

    list_columns = MsaUserDBModelView.list_columns
    show_fieldsets = MsaUserDBModelView.show_fieldsets
    add_columns = edit_columns = MsaUserDBModelView.edit_columns
    label_columns = MsaUserDBModelView.label_columns


def _current_password_matches(_form: Any, field: Any) -> None:
    from werkzeug.security import check_password_hash

    user = g.get("user")
    stored = getattr(user, "password", None) or ""
    if not field.data or not stored or not check_password_hash(stored, field.data):
        raise ValidationError(str(_l("Das aktuelle Passwort ist falsch.")))


class ChangeMyPasswordForm(ResetPasswordForm):
    """Own password change: the current password first (a left-open session is not enough)."""

    current_password = PasswordField(
        _l("Aktuelles Passwort"),
        validators=[DataRequired(), _current_password_matches],
        widget=BS3PasswordFieldWidget(),
    )


class _OwnPasswordDoor:
    """The own password through the account door as well (policy message on the form)."""

    def form_post(self, form: Any) -> Any:
        from app.services.organisations import DomainError

        try:
            self.appbuilder.sm.reset_password(g.user.id, form.password.data)  # type: ignore[attr-defined]
        except DomainError as exc:
            form.password.errors = [*form.password.errors, str(exc)]
            return self.render_template(  # type: ignore[attr-defined]
                self.form_template,  # type: ignore[attr-defined]
                title=self.form_title,  # type: ignore[attr-defined]
                widgets=self._get_edit_widget(form=form),  # type: ignore[attr-defined]
                appbuilder=self.appbuilder,  # type: ignore[attr-defined]
            )
        flash(str(_l("Das Passwort ist geändert.")), "info")
        return None


class ResetMyPasswordView(_OwnPasswordDoor, fab_views.ResetMyPasswordView):
    """Eigenes Passwort ändern — asks for the current password (FAB's class name: same
    endpoints and permissions)."""

    form = ChangeMyPasswordForm


class ResetPasswordView(fab_views.ResetPasswordView):
    """Passwort eines anderen Kontos zurücksetzen — through the account door; a refused
    password (policy) is a German message on the form, not a 500. FAB's class name: same
    endpoints and permissions."""

    def form_post(self, form: Any) -> Any:
        from flask import request

        from app.services.organisations import DomainError

        try:
            self.appbuilder.sm.reset_password(request.args.get("pk"), form.password.data)
        except DomainError as exc:
            form.password.errors = [*form.password.errors, str(exc)]
            return self.render_template(
                self.form_template,
                title=self.form_title,
                widgets=self._get_edit_widget(form=form),
                appbuilder=self.appbuilder,
            )
        flash(str(_l("Das Passwort ist geändert.")), "info")
        return None


def _auth_views() -> tuple[Any, Any, Any]:
    from app.security.views import MsaAuthDBView, MsaAuthLDAPView, MsaSecurityApi

    return MsaAuthDBView, MsaAuthLDAPView, MsaSecurityApi


_AUTH_DB_VIEW, _AUTH_LDAP_VIEW, _SECURITY_API = _auth_views()


class MsaSecurityManager(SecurityManager):
    """FAB security manager of MSA-Portal."""

    user_model = MsaUser
    userdbmodelview = MsaUserDBModelView
    userldapmodelview = MsaUserLDAPModelView
    useroauthmodelview = MsaUserOAuthModelView
    #: password login + TOTP second factor (app.security.views)
    authdbview = _AUTH_DB_VIEW
    authldapview = _AUTH_LDAP_VIEW
    security_api = _SECURITY_API
    resetmypasswordview = ResetMyPasswordView
    resetpasswordview = ResetPasswordView

    # Permission checks: one query per request instead of one per menu entry and button.
    def get_user_roles(self, user: Any) -> list[Any]:
        """Return the user's roles (MSA uses no FAB groups: saves a query per request)."""
        if not user.is_authenticated:
            return [self.get_public_role()]
        return list(user.roles)

    def _permission_set(self, user: Any) -> frozenset[tuple[str, str]]:
        key = getattr(user, "id", None) if user is not None else None
        cache = g.get("_msa_permissions")
        if cache is not None and cache[0] == key:
            return cache[1]
        roles = [self.get_public_role()] if user is None else self.get_user_roles(user)
        role_ids = [r.id for r in roles if r is not None]
        pairs: frozenset[tuple[str, str]] = frozenset()
        if role_ids:
            query, pvr = self._permission_pairs_query()
            pairs = frozenset((p, v) for p, v in query.filter(pvr.c.role_id.in_(role_ids)))
        if has_request_context():
            g._msa_permissions = (key, pairs)
        return pairs

    def _permission_pairs_query(self) -> tuple[Any, Any]:
        """(permission name, view name) of all permission-view rows joined to their roles."""
        from flask_appbuilder.security.sqla.models import assoc_permissionview_role as pvr

        pv = self.permissionview_model
        query = (
            self.session.query(self.permission_model.name, self.viewmenu_model.name)
            .select_from(pv)
            .join(self.permission_model, pv.permission_id == self.permission_model.id)
            .join(self.viewmenu_model, pv.view_menu_id == self.viewmenu_model.id)
            .join(pvr, pvr.c.permission_view_id == pv.id)
        )
        return query, pvr

    def _public_permission_set(self) -> frozenset[tuple[str, str]]:
        """The public role's (permission, view) pairs: one query per request, cached in ``g``."""
        cached = g.get("_msa_public_permissions") if has_request_context() else None
        if cached is not None:
            return cached
        query, pvr = self._permission_pairs_query()
        rows = query.join(self.role_model, self.role_model.id == pvr.c.role_id).filter(
            self.role_model.name == self.auth_role_public
        )
        pairs = frozenset((p, v) for p, v in rows)
        if has_request_context():
            g._msa_public_permissions = pairs
        return pairs

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        """FAB's check (REST ``protect``) without loading the role and its permission rows."""
        return (permission_name, view_name) in self._public_permission_set()

    def _has_view_access(self, user: Any, permission_name: str, view_name: str) -> bool:
        return (permission_name, view_name) in self._permission_set(user)

    def _get_user_permission_view_menus(
        self, user: Any, permission_name: str, view_menus_name: list[str]
    ) -> set[str]:
        perms = self._permission_set(user)
        return {name for name in view_menus_name if (permission_name, name) in perms}

    def load_user(self, pk: Any) -> Any:
        """Load the signed-in user with roles and organisation in one query."""
        from sqlalchemy.orm import joinedload

        user = (
            self.session.query(self.user_model)
            .options(joinedload(self.user_model.roles))
            .filter(self.user_model.id == int(pk))
            .one_or_none()
        )
        if user is not None and user.is_active:
            return user
        return None

    def create_jwt_manager(self, app: Any) -> Any:
        """FAB's JWT manager; a token that is malformed, expired, revoked or otherwise not
        accepted is 401 with a JSON body (flask-jwt-extended answers a malformed one 422)."""
        from flask import jsonify

        jwt_manager = super().create_jwt_manager(app)

        def refused(*_args: Any) -> Any:
            return jsonify(message="Anmeldung erforderlich: Das Zugangstoken ist ungültig."), 401

        for loader in (
            jwt_manager.invalid_token_loader,
            jwt_manager.expired_token_loader,
            jwt_manager.unauthorized_loader,
            jwt_manager.revoked_token_loader,
            jwt_manager.user_lookup_error_loader,
            jwt_manager.needs_fresh_token_loader,
        ):
            loader(refused)
        return jwt_manager

    def load_user_jwt(self, _jwt_header: Any, jwt_data: dict[str, Any]) -> Any:
        """Accept a token only while the user's session epoch is unchanged (logout revokes)."""
        from app.security.sessions import EPOCH_KEY

        user = self.load_user(jwt_data["sub"])
        if user is None or jwt_data.get(EPOCH_KEY) != int(user.session_epoch or 0):
            return None
        g.user = user
        return user

    def on_user_logout(self, user: Any) -> None:
        """Logout ends every session and token of the user, not only this cookie."""
        from app.security.sessions import bump_session_epoch

        super().on_user_logout(user)
        bump_session_epoch(user)

    def reset_password(self, userid: Any, password: str) -> None:
        """Set a password through the account door: policy, granting rules, hash; every
        existing session and token of the user ends."""
        from app.services.staff.accounts import set_password

        actor = g.get("user") if has_request_context() else None
        signed_in = actor is not None and getattr(actor, "is_authenticated", False)
        set_password(userid, password, actor=actor if signed_in else None)

    # -- directory sign-in (LDAP / Active Directory): groups -> roles and organisation ---------
    def _ldap_calculate_user_roles(self, user_attributes: dict[str, Any]) -> list[Any]:
        """FAB's group -> role mapping; also remember the groups for the organisation."""
        if has_request_context():
            g._msa_directory_groups = list(
                self.ldap_extract_list(user_attributes, self.auth_ldap_group_field)
            )
        return list(super()._ldap_calculate_user_roles(user_attributes))

    def auth_user_ldap(self, username: str, password: str) -> Any:
        """Sign in against the directory; then take the organisation from the groups
        (``AUTH_ORGANISATION_MAPPING``: group DN -> organisation name), at every sign-in, like
        the roles (``AUTH_ROLES_SYNC_AT_LOGIN``): who leaves the group loses both."""
        if has_request_context():
            g.pop("_msa_directory_groups", None)
        user = super().auth_user_ldap(username, password)
        mapping: dict[str, str] = current_app.config.get("AUTH_ORGANISATION_MAPPING") or {}
        groups = g.get("_msa_directory_groups") if has_request_context() else None
        if user is None or not mapping or groups is None:
            return user
        from app.models.organisation import Organisation

        wanted = next((mapping[grp] for grp in groups if grp in mapping), None)
        org_id = None
        if wanted is not None:
            org = self.session.query(Organisation).filter_by(name=wanted).one_or_none()
            org_id = org.id if org is not None else None
        if user.organisation_id != org_id:
            user.organisation_id = org_id
            self.session.commit()
        return user

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
        admin.permissions = [
            pv
            for pv in self.session.query(self.permissionview_model).all()
            if pv.view_menu.name not in matrix.NOT_FOR_ADMIN
        ]
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

"""Sign-in with a second factor (TOTP): form login, API login, enrolment and code entry.

After a correct password, a user with TOTP (or whose role requires it) is NOT signed in: the
session only holds a short-lived "pending" marker; the user enters a code (or, if required but
not yet enrolled, sets up the authenticator first). Only then ``login_user`` runs.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.const import (
    API_SECURITY_ACCESS_TOKEN_KEY,
    API_SECURITY_PROVIDER_DB,
    API_SECURITY_PROVIDER_LDAP,
    API_SECURITY_REFRESH_TOKEN_KEY,
    AUTH_LDAP,
)
from flask_appbuilder.security import api as fab_api
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.decorators import has_access, no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.security import throttling, totp

PENDING_KEY = "msa_totp_pending"
ENROL_KEY = "msa_totp_enrol"
#: a password step is valid this long for entering the code, and for this many wrong codes
PENDING_SECONDS = 300
MAX_CODE_ATTEMPTS = 5

INVALID_CODE = _l("Der Code ist ungültig oder wurde bereits verwendet.")


class TotpCodeForm(FlaskForm):
    """Six-digit code from the authenticator app."""

    code = StringField(
        _l("Sicherheitscode"),
        validators=[
            DataRequired(message=_l("Bitte geben Sie den sechsstelligen Code ein.")),
            Length(min=6, max=8, message=_l("Der Code hat sechs Ziffern.")),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


def _pending_user() -> Any:
    """Return the user whose password was correct but who still needs the second factor."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    if time.time() - float(data.get("at", 0)) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    sm = current_app.appbuilder.sm  # type: ignore[attr-defined]
    user = sm.get_user_by_id(int(data["uid"]))
    if user is None or not user.is_active:
        session.pop(PENDING_KEY, None)
        return None
    if int(data.get("epoch", -1)) != int(user.session_epoch or 0):
        session.pop(PENDING_KEY, None)
        return None
    return user


def safe_next(raw: str | None) -> str:
    """A same-origin path after normalising it as a browser would (app.security.redirects),
    then FAB's own check; else the index page."""
    from app.security.redirects import local_target

    index = current_app.appbuilder.get_url_for_index  # type: ignore[attr-defined]
    return str(get_safe_redirect(local_target(raw, index)))


def _finish_login(user: Any) -> Response:
    next_url = safe_next(str(session.get(PENDING_KEY, {}).get("next") or ""))
    session.pop(PENDING_KEY, None)
    session.pop(ENROL_KEY, None)
    login_user(user, remember=False)
    return throttling.remember_device(redirect(next_url), user.username)


class _SecondFactorLogin:
    """FAB's password login (same form, fake-hash timing, rate limit) plus second factor."""

    appbuilder: Any
    invalid_login_message: Any

    def _authenticate(self, username: str, password: str) -> Any:
        raise NotImplementedError

    def _login(self) -> Any:
        if g.user is not None and g.user.is_authenticated:
            return redirect(safe_next(request.args.get("next")))
        form = LoginForm_db()
        if form.validate_on_submit():
            next_url = safe_next(request.args.get("next", ""))
            wait = throttling.wait_seconds(form.username.data)
            if wait:
                flash(throttling.message(wait), "danger")
                return self.render_template(  # type: ignore[attr-defined]
                    self.login_template,  # type: ignore[attr-defined]
                    title=self.title,  # type: ignore[attr-defined]
                    form=form,
                    appbuilder=self.appbuilder,
                ), 429
            user = self._authenticate(form.username.data, form.password.data)
            if not user:
                throttling.failed(form.username.data)
                flash(str(self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            if totp.needs_second_factor(user):
                session.pop(ENROL_KEY, None)
                session[PENDING_KEY] = {
                    "uid": user.id,
                    "at": time.time(),
                    "epoch": int(user.session_epoch or 0),
                    "next": next_url,
                    "fails": 0,
                }
                if totp.is_enabled(user):
                    return redirect(url_for("TotpView.verify"))
                return redirect(url_for("TotpView.enrol"))
            login_user(user, remember=False)
            return throttling.remember_device(redirect(next_url), user.username)
        return self.render_template(  # type: ignore[attr-defined]
            self.login_template,  # type: ignore[attr-defined]
            title=self.title,  # type: ignore[attr-defined]
            form=form,
            appbuilder=self.appbuilder,
        )


class AuthDBView(_SecondFactorLogin, fab_views.AuthDBView):
    """Password login against the portal's own accounts, then the second factor.

    Same class name as FAB's: endpoints (``AuthDBView.login``) and FAB's blueprint
    bookkeeping stay unchanged.
    """

    def _authenticate(self, username: str, password: str) -> Any:
        return self.appbuilder.sm.auth_user_db(username, password)

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self) -> Any:
        return self._login()


class AuthLDAPView(_SecondFactorLogin, fab_views.AuthLDAPView):
    """Password login against the county's LDAP directory, then the second factor."""

    def _authenticate(self, username: str, password: str) -> Any:
        return self.appbuilder.sm.auth_user_ldap(username, password)

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self) -> Any:
        return self._login()


class SecurityApi(fab_api.SecurityApi):
    """API login; users with a second factor must send ``totp`` with the password."""

    @expose("/login", methods=["POST"])
    def login(self) -> Response:
        """Login endpoint for the API returns a JWT and optionally a refresh token
        ---
        post:
          description: >-
            Anmeldung mit Benutzername und Passwort; Konten mit zweitem Faktor senden
            zusätzlich den sechsstelligen Code im Feld totp.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    username:
                      type: string
                    password:
                      type: string
                    provider:
                      type: string
                      enum:
                      - db
                      - ldap
                    refresh:
                      type: boolean
                    totp:
                      type: string
                      description: Sechsstelliger TOTP-Code (nur mit zweitem Faktor)
          responses:
            200:
              description: Authentication Successful
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token:
                        type: string
                      refresh_token:
                        type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        from flask_appbuilder.security.schemas import login_post
        from flask_jwt_extended import create_access_token, create_refresh_token
        from marshmallow import ValidationError

        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self.response_400(message="Die Anfrage muss ein JSON-Objekt sein.")
        payload = dict(payload)
        code = payload.pop("totp", None)
        try:
            login_payload = login_post.load(payload)
        except ValidationError as error:
            return self.response_400(message=error.messages)
        if code is not None and not isinstance(code, str):
            return self.response_400(message={"totp": ["Der Code muss eine Zeichenkette sein."]})
        sm = self.appbuilder.sm
        user = None
        default = (
            API_SECURITY_PROVIDER_LDAP if sm.auth_type == AUTH_LDAP else API_SECURITY_PROVIDER_DB
        )
        provider = login_payload.get("provider") or default
        wait = throttling.wait_seconds(login_payload["username"])
        if wait:
            reply = self.response(429, message=throttling.message(wait))
            reply.headers["Retry-After"] = str(wait)
            return reply
        if provider == API_SECURITY_PROVIDER_DB:
            user = sm.auth_user_db(login_payload["username"], login_payload["password"])
        elif provider == API_SECURITY_PROVIDER_LDAP:
            user = sm.auth_user_ldap(login_payload["username"], login_payload["password"])
        # One answer for every failure (unknown user, wrong password, missing or wrong code,
        # second factor not yet set up): no oracle for the password alone.
        if not user:
            throttling.failed(login_payload["username"])
            return self.response_401()
        if totp.needs_second_factor(user) and not totp.verify(user, code):
            throttling.failed(login_payload["username"])
            return self.response_401()
        resp: dict[str, str] = {
            API_SECURITY_ACCESS_TOKEN_KEY: create_access_token(identity=str(user.id), fresh=True)
        }
        if login_payload.get("refresh"):
            resp[API_SECURITY_REFRESH_TOKEN_KEY] = create_refresh_token(identity=str(user.id))
        return throttling.remember_device(self.response(200, **resp), user.username)


MsaAuthDBView = AuthDBView
MsaAuthLDAPView = AuthLDAPView
MsaSecurityApi = SecurityApi


class TotpView(BaseView):
    """Zwei-Faktor-Anmeldung: Code eingeben, einrichten, abschalten."""

    route_base = "/zwei-faktor"
    default_view = "settings"

    @expose("/code/", methods=["GET", "POST"])
    @no_cache
    def verify(self) -> Any:
        """Second step of the sign-in: the code of a user with a confirmed second factor."""
        user = _pending_user()
        if user is None or not totp.is_enabled(user):
            flash(str(_l("Bitte melden Sie sich an.")), "warning")
            return redirect(self.appbuilder.get_url_for_login)
        form = TotpCodeForm()
        if form.validate_on_submit():
            if totp.verify(user, form.code.data):
                return _finish_login(user)
            pending = dict(session[PENDING_KEY])
            pending["fails"] = int(pending.get("fails", 0)) + 1
            if pending["fails"] >= MAX_CODE_ATTEMPTS:
                session.pop(PENDING_KEY, None)
                flash(str(_l("Zu viele ungültige Codes. Bitte melden Sie sich neu an.")), "danger")
                return redirect(self.appbuilder.get_url_for_login)
            session[PENDING_KEY] = pending
            form.code.errors = [*form.code.errors, INVALID_CODE]
        return self.render_template(
            "security/totp_verify.html", title=_l("Sicherheitscode eingeben"), form=form
        )

    @expose("/einrichten/", methods=["GET", "POST"])
    @no_cache
    def enrol(self) -> Any:
        """Set up the authenticator: show secret and QR code, confirm with a code."""
        signed_in = g.user is not None and g.user.is_authenticated
        user = g.user if signed_in else _pending_user()
        if user is None:
            flash(str(_l("Bitte melden Sie sich an.")), "warning")
            return redirect(self.appbuilder.get_url_for_login)
        if totp.is_enabled(user):
            if signed_in:
                flash(str(_l("Die Zwei-Faktor-Anmeldung ist bereits eingerichtet.")), "info")
                return redirect(url_for("TotpView.settings"))
            return redirect(url_for("TotpView.verify"))
        secret = session.get(ENROL_KEY)
        if not isinstance(secret, str) or not secret:
            secret = totp.new_secret()
            session[ENROL_KEY] = secret
        form = TotpCodeForm()
        if form.validate_on_submit():
            if totp.enable(user, secret, form.code.data):
                session.pop(ENROL_KEY, None)
                if signed_in:
                    flash(str(_l("Die Zwei-Faktor-Anmeldung ist eingerichtet.")), "success")
                    return redirect(url_for("TotpView.settings"))
                flash(str(_l("Die Zwei-Faktor-Anmeldung ist eingerichtet.")), "success")
                return _finish_login(user)
            form.code.errors = [*form.code.errors, INVALID_CODE]
        uri = totp.provisioning_uri(user.username, secret)
        qr = Markup(totp.qr_svg(uri))  # noqa: S704  # nosec B704 (segno SVG, no user input)
        return self.render_template(
            "security/totp_enrol.html",
            title=_l("Zwei-Faktor-Anmeldung einrichten"),
            form=form,
            secret=secret,
            uri=uri,
            qr=qr,
            required=totp.is_required(user),
        )

    @expose("/", methods=["GET"])
    @has_access
    def settings(self) -> Any:
        """The signed-in user's second-factor status."""
        return self.render_template(
            "security/totp_settings.html",
            title=_l("Zwei-Faktor-Anmeldung"),
            enabled=totp.is_enabled(g.user),
            required=totp.is_required(g.user),
            form=TotpCodeForm(),
        )

    @expose("/abschalten/", methods=["POST"])
    @has_access
    def disable(self) -> Any:
        """Switch the second factor off (needs a current code; not for required roles)."""
        user = g.user
        form = TotpCodeForm()
        if totp.is_required(user):
            flash(str(_l("Für Ihre Rolle ist die Zwei-Faktor-Anmeldung vorgeschrieben.")), "danger")
        elif not form.validate_on_submit() or not totp.verify(user, form.code.data):
            flash(str(INVALID_CODE), "danger")
        else:
            totp.disable(user)
            flash(str(_l("Die Zwei-Faktor-Anmeldung ist abgeschaltet.")), "success")
        return redirect(url_for("TotpView.settings"))


#: endpoints a signed-in user who must still set up the second factor may reach
_ENROL_ALLOWED = {"TotpView.enrol", "TotpView.settings", "static", "appbuilder.static"}


def _require_enrolment() -> Response | None:
    """A signed-in user whose role requires TOTP but who has none must set it up first."""
    endpoint = request.endpoint or ""
    # the API first: its token user is not the cookie user (not loaded for an API request)
    if request.path.startswith("/api/") or endpoint in _ENROL_ALLOWED:
        return None
    user = g.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if endpoint.endswith(".logout") or endpoint.startswith("LocaleView."):
        return None
    sm = current_app.appbuilder.sm  # type: ignore[attr-defined]
    if not isinstance(sm.auth_view, _SecondFactorLogin):
        return None  # OAuth/SAML: the identity provider enforces its own second factor
    if totp.is_required(user) and not totp.is_enabled(user):
        flash(str(_l("Bitte richten Sie zuerst die Zwei-Faktor-Anmeldung ein.")), "warning")
        return redirect(url_for("TotpView.enrol"))
    return None


#: largest value of a 64-bit / 32-bit database integer column (PostgreSQL INTEGER is 32-bit)
MAX_ID = 2**63 - 1
MAX_INT32 = 2**31 - 1
#: largest rows per page a list accepts (``psize_<View>``)
MAX_PAGE_SIZE = 500


def _beyond_int32(text: str) -> bool:
    digits = text.strip().lstrip("+-")
    return digits.isdigit() and abs(int(digits[:20])) > MAX_INT32


def _huge_int(text: str) -> bool:
    digits = text.strip().lstrip("+-")
    return digits.isdigit() and len(digits) >= 19 and abs(int(digits)) > MAX_ID


_BOOL_VALUES = {"", "y", "n", "1", "0", "true", "false", "on", "off", "yes", "no"}


def _parse_q(value: str) -> Any:
    """Parse FAB's ``q`` argument as FAB does: rison, else JSON."""
    import json

    import prison

    try:
        return prison.loads(value)
    except Exception:
        return json.loads(value)


def _current_view() -> Any:
    name = (request.endpoint or "").split(".")[0]
    for view in current_app.appbuilder.baseviews:  # type: ignore[attr-defined]
        if view.__class__.__name__ == name:
            return view
    return None


def _bad_filter_value(view: Any, col: str, value: Any) -> bool:
    """A filter value the column's type cannot hold (PostgreSQL would raise: 500)."""
    datamodel = getattr(view, "datamodel", None)
    if datamodel is None or not hasattr(datamodel.obj, col):
        return False
    text = str(value).strip()
    try:
        if datamodel.is_boolean(col):
            return text.lower() not in _BOOL_VALUES
        if datamodel.is_integer(col) or datamodel.is_relation(col):
            # a relation is filtered by the related row's id
            values = value if isinstance(value, list) else [value]
            for item in values:
                item_text = str(item).strip()
                digits = item_text.lstrip("+-")
                if item_text and not (digits.isdigit() and int(digits) <= MAX_INT32):
                    return True
            return False
        if datamodel.is_date(col):
            from app.dates import DateError, parse_date

            try:
                parse_date(text)
            except DateError:
                return True
            return False
        if datamodel.is_datetime(col):
            import datetime as dt

            try:
                dt.datetime.fromisoformat(text) if text else None
            except ValueError:
                return True
            return False
    except Exception:  # unknown column kinds: FAB decides
        return False
    return False


def _bad_filters() -> bool:
    view = _current_view()
    if view is None:
        return False
    for key, value in request.args.items():
        if key.startswith("_flt_"):
            parts = key.split("_", 3)
            if len(parts) == 4 and _bad_filter_value(view, parts[3], value):
                return True
        if key == "q" and request.path.startswith("/api/"):
            try:
                parsed = _parse_q(value)
            except Exception:
                return False
            filters = parsed.get("filters") if isinstance(parsed, dict) else None
            for flt in filters if isinstance(filters, list) else []:
                if isinstance(flt, dict) and _bad_filter_value(
                    view, str(flt.get("col")), flt.get("value")
                ):
                    return True
    return False


def _json_has_huge_int(item: Any) -> bool:
    if isinstance(item, bool):
        return False
    if isinstance(item, int):
        return abs(item) > MAX_INT32
    if isinstance(item, dict):
        return any(_json_has_huge_int(v) for v in item.values())
    if isinstance(item, list):
        return any(_json_has_huge_int(v) for v in item)
    return False


def _rison_breaks_fab(value: str) -> bool:
    """True for a ``q`` that makes prison raise something other than its ParserException (a
    broken number such as ``-4.6e+16`` raises ValueError): FAB catches only the latter."""
    import prison

    try:
        prison.loads(value)
    except prison.decoder.ParserException:
        return False  # FAB tries JSON, then answers 400 itself
    except Exception:
        return True
    return False


def _rison_has_huge_int(value: str) -> bool:

    try:
        parsed = _parse_q(value)
    except Exception:  # FAB answers malformed rison with 400 itself
        return False

    if isinstance(parsed, dict) and any(
        isinstance(parsed.get(k), int) and parsed[k] < 0 for k in ("page", "page_size")
    ):
        return True  # negative OFFSET/LIMIT

    def walk(item: Any) -> bool:
        if isinstance(item, bool):
            return False
        if isinstance(item, int):
            return abs(item) > MAX_ID
        if isinstance(item, str):
            return _huge_int(item)
        if isinstance(item, dict):
            return any(walk(v) for v in item.values())
        if isinstance(item, list | tuple):
            return any(walk(v) for v in item)
        return False

    return walk(parsed)


def _order_columns(view_name: str) -> frozenset[str]:
    for view in current_app.appbuilder.baseviews:  # type: ignore[attr-defined]
        if view.__class__.__name__ == view_name:
            return frozenset(getattr(view, "order_columns", None) or ())
    return frozenset()


def _reject_impossible_input() -> Response | None:
    """Refuse ids beyond the integer range (404), NUL characters in any input, numbers beyond
    the integer range in filters, and sort columns a list view does not offer (400).

    Each would otherwise reach the database layer and end in a 500 (found by the fuzz tests).
    """
    for value in (request.view_args or {}).values():
        digits = str(value).lstrip("+-")
        if digits.isdigit() and int(digits) > MAX_INT32:
            abort(404)  # no row has such an id
    for key, value in request.args.items():
        if "\x00" in value or _huge_int(value):
            abort(400)  # NUL, or a number no integer column holds (filters, paging)
        if (key == "id" or key.endswith("_id")) and _beyond_int32(value):
            abort(400)  # an id no row can have: PostgreSQL refuses to compare an INTEGER with it
        if key.startswith("_flt_"):
            pass
        elif "_oc_" in key and value not in _order_columns(key.split("_oc_", 1)[1]):
            abort(400)  # FAB list views pass the sort column on unchecked
        elif "_od_" in key and value not in ("asc", "desc"):
            abort(400)
        elif "page_" in key or "psize_" in key:
            # FAB converts EVERY argument whose name contains page_/psize_ with int(),
            # whatever view it names (``?page_personview=abc`` was a 500 on every list)
            if not (value.isdigit() and len(value) < 10):
                abort(400)
            if "psize_" in key and not 1 <= int(value) <= MAX_PAGE_SIZE:
                abort(400)
        api_q = key == "q" and request.path.startswith("/api/")
        if api_q and (_rison_breaks_fab(value) or _rison_has_huge_int(value)):
            abort(400)
    if "\x00" in request.path:
        abort(400)
    if request.args and _bad_filters():
        abort(400)  # e.g. text in a filter of a yes/no or number column
    if request.method in ("POST", "PUT", "PATCH"):
        if request.mimetype == "application/json":
            if "\\u0000" in request.get_data(as_text=True):
                abort(400)
            if _json_has_huge_int(request.get_json(silent=True)):
                abort(400)  # numbers no INTEGER column holds
        elif any("\x00" in v for v in request.form.values()):
            abort(400)
    return None


def install_enrolment_guard(app: Flask) -> None:
    """Install the request guards (after the session checks of app.security.sessions)."""
    app.before_request(_reject_impossible_input)
    app.before_request(_require_enrolment)


def init_totp(app: Flask) -> None:
    """Limit code entry like the password login (needs the app context)."""
    sm = app.appbuilder.sm  # type: ignore[attr-defined]
    if not sm.is_auth_limited:
        return
    for view in app.appbuilder.baseviews:  # type: ignore[attr-defined]
        if isinstance(view, TotpView) and view.blueprint is not None:
            sm.limiter.limit(sm.auth_rate_limit, methods=["POST"])(view.blueprint)


def register(appbuilder: Any) -> None:
    """Register the second-factor pages (menu entry in the user menu is the settings page)."""
    appbuilder.add_view_no_menu(TotpView())

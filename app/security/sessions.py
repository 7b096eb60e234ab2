"""Session lifecycle: sign-out everywhere, idle and absolute timeouts, JWT revocation.

Every user has a ``session_epoch``. Signing in stores it in the session (and in API tokens);
logout, a password change and deactivation raise it, so every older cookie or token is refused.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, flash, g, redirect, request, session
from flask_login import logout_user, user_logged_in
from werkzeug.wrappers import Response

from app.extensions import db

EPOCH_KEY = "msa_epoch"
LOGIN_AT_KEY = "msa_login_at"
SEEN_AT_KEY = "msa_seen_at"


def bump_session_epoch(user: Any, *, commit: bool = True) -> None:
    """End every existing session and token of ``user``."""
    user.session_epoch = (user.session_epoch or 0) + 1
    if commit:
        db.session.commit()


def _on_login(sender: Flask, user: Any, **extra: Any) -> None:
    keep = {k: session[k] for k in ("_user_id", "_fresh", "_id", "locale") if k in session}
    session.clear()  # a new session at sign-in: nothing of the anonymous session survives
    session.update(keep)
    now = int(time.time())
    session[EPOCH_KEY] = int(getattr(user, "session_epoch", 0) or 0)
    session[LOGIN_AT_KEY] = now
    session[SEEN_AT_KEY] = now
    session.permanent = True


def _check_session() -> Response | None:
    # API requests authenticate with their token: checked before touching ``g.user``, whose
    # cookie user would otherwise be loaded for nothing (one SELECT per API request)
    if request.path.startswith("/api/") or request.endpoint in ("static", "appbuilder.static"):
        return None
    user = g.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    now = int(time.time())
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
    reason = None
    if session.get(EPOCH_KEY) != int(user.session_epoch or 0):
        reason = "Ihre Sitzung wurde beendet. Bitte melden Sie sich erneut an."
    elif now - int(session.get(SEEN_AT_KEY, 0)) > idle:
        reason = "Sie wurden wegen Inaktivität abgemeldet. Bitte melden Sie sich erneut an."
    elif now - int(session.get(LOGIN_AT_KEY, 0)) > absolute:
        reason = "Die maximale Sitzungsdauer ist abgelaufen. Bitte melden Sie sich erneut an."
    if reason is None:
        session[SEEN_AT_KEY] = now
        return None
    logout_user()
    session.clear()
    g.pop("_msa_scope", None)
    g.pop("_msa_permissions", None)
    flash(reason, "warning")
    return redirect(current_app.appbuilder.get_url_for_login)  # type: ignore[attr-defined]


def init_sessions(app: Flask) -> None:
    """Install the sign-in hook and the per-request session check (after FAB's)."""
    user_logged_in.connect(_on_login, app)
    app.before_request(_check_session)
    jwt = app.appbuilder.sm.jwt_manager  # type: ignore[attr-defined]

    @jwt.additional_claims_loader
    def _epoch_claim(identity: Any) -> dict[str, int]:
        user = db.session.get(app.appbuilder.sm.user_model, int(identity))  # type: ignore[attr-defined]
        return {EPOCH_KEY: int(getattr(user, "session_epoch", 0) or 0)}

"""Cross-cutting web concerns: security headers, error pages, locale default."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from flask import Flask, Response, g, has_app_context, render_template, request, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

#: scripts only from the portal itself or with the request's nonce — no inline script, no
#: inline event handler (``onclick=``) runs; FAB's templates carry ``nonce="{{ csp_nonce() }}"``
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; script-src-attr 'none'; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_NONCE = "_msa_csp_nonce"


def csp_nonce() -> str:
    """The request's CSP nonce (one per response; FAB's baselib.get_nonce() calls this)."""
    import secrets

    if not has_app_context():
        return ""
    nonce = g.get(_NONCE)
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        setattr(g, _NONCE, nonce)
    return str(nonce)


#: Flask-AppBuilder's own screen texts without a German translation in its catalogue (FAB 5.3):
#: listed here so that ``make translations`` extracts them; app/translations/de gives them German
#: (its catalogue is merged over FAB's), app/translations/en keeps them English.
FAB_TEXTS = (
    _l("Add"),
    _l("Edit"),
    _l("Show"),
    _l("Delete"),
    _l("In"),
    _l("Not In"),
    _l("Are you sure you want to delete this item?"),
    _l("Add Group"),
    _l("Edit Group"),
    _l("Show Group"),
    _l("Groups"),
    _l("Collapse"),
    _l("Database Error"),
    _l("Statistics"),
    _l("Detail"),
    _l("User"),
    _l("Sign In with "),
    _l("Either select a role or a group"),
    _l("User(s) exists in the group, cannot delete"),
    _l("User(s) exists in the role, cannot delete"),
)

ERROR_TEXTS = {
    400: "Die Anfrage war fehlerhaft.",
    401: "Bitte melden Sie sich an.",
    403: "Sie haben keine Berechtigung für diese Seite.",
    404: "Die Seite wurde nicht gefunden.",
    405: "Diese Aktion ist hier nicht erlaubt.",
    409: "Der Datensatz wurde inzwischen geändert.",
    429: "Zu viele Versuche. Bitte warten Sie einen Moment.",
    500: "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.",
    503: "Der Dienst ist vorübergehend nicht erreichbar.",
}


def _render_error(code: int, text: str) -> str:
    """The error page in the portal's frame (top bar, search, menu); plain when that fails.

    Flask's ``render_template`` does not pass ``appbuilder`` (FAB's views do), so without it
    the page fell back to the unstyled frame. A page of a broken database (503) or
    an error while rendering the frame still gets the plain page.
    """
    from flask import current_app

    appbuilder = getattr(current_app, "appbuilder", None)
    if appbuilder is not None and code != 503:
        try:
            return render_template(
                "error.html",
                code=code,
                text=text,
                appbuilder=appbuilder,
                base_template=appbuilder.base_template,
            )
        except Exception as exc:  # the frame itself failed (template): plain page
            if is_database_unavailable(exc):
                raise  # the caller answers 503
            from app.extensions import db

            db.session.rollback()
    return render_template("error.html", code=code, text=text)


def init_web(app: Flask) -> None:
    """Register headers, German default locale and generic error pages."""
    from app.services.documents.formatting import decimal_de, month_de
    from app.views.date_field import date_input

    app.jinja_env.globals["date_input"] = date_input
    app.jinja_env.globals["county_name"] = app.config.get("MSA_COUNTY_NAME") or "Landkreis"
    from app.menu_cache import cached_menu

    app.jinja_env.globals["msa_cached_menu"] = cached_menu
    app.jinja_env.filters["month_de"] = month_de
    app.jinja_env.filters["decimal_de"] = decimal_de

    from app.formatting import init_formatting

    init_formatting(app)

    def _fresh_request_state() -> None:
        # Per-request caches live in g. A request normally gets a fresh app context, but one
        # that runs inside an already pushed context (tests, CLI) shares g: start clean.
        for key in (
            "_login_user",
            "user",
            "_msa_scope",
            "_msa_permissions",
            "_msa_public_permissions",
            "_msa_scope_resolving",
            "_msa_shared_person_ids",
            _DB_DOWN,
            _NONCE,
            "msa_saved_message",
        ):
            g.pop(key, None)

    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_state)
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.before_request
    def _default_locale() -> None:
        if "locale" not in session:
            session["locale"] = app.config.get("BABEL_DEFAULT_LOCALE", "de")

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint and not request.endpoint.startswith(("static", "appbuilder.static")):
            response.headers.setdefault("Cache-Control", "no-store")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response

    def _error(exc: Exception) -> tuple[str | dict[str, object], int]:
        code = exc.code if isinstance(exc, HTTPException) and exc.code else 500
        if code == 503:
            return unavailable_reply()
        if code >= 500:
            app.logger.exception("Fehler %s bei %s", code, request.path)
        text = ERROR_TEXTS.get(code, ERROR_TEXTS[500] if code >= 500 else ERROR_TEXTS[400])
        if code == 429:
            from app.security import throttling

            text = throttling.message(throttling.ip_wait_seconds())
        if request.path.startswith("/api/"):
            return {"message": text}, code
        try:
            return _render_error(code, text), code
        except Exception as exc:  # the page's menu reads the user: the database may be gone
            if not is_database_unavailable(exc):
                raise
            from app.extensions import db

            db.session.close()
            return unavailable_reply()

    @app.teardown_appcontext
    def _close_session_safely(_exc: BaseException | None) -> None:
        """End the request's session without raising: a connection killed after the commit
        must not turn the finished reply into a 500 (runs before Flask-SQLAlchemy's remove)."""
        from app.extensions import db

        try:
            db.session.remove()
        except Exception:
            with contextlib.suppress(Exception):  # the connection is gone anyway
                db.session.invalidate()
            db.session.registry.clear()

    if not event.contains(Engine, "handle_error", _note_database_error):
        event.listen(Engine, "handle_error", _note_database_error)

    @app.after_request
    def _database_down_is_503(response: Response) -> Response:
        """A 5xx after the database failed is a 503, also where FAB's ``safe`` decorator or a
        view caught the error itself (FAB answers its JSON 500 "Fatal error")."""
        if response.status_code >= 500 and response.status_code != 503 and g.get(_DB_DOWN):
            body, code = unavailable_reply()
            fresh = app.make_response((body, code))
            fresh.headers["Retry-After"] = "5"
            return fresh
        if response.status_code == 503:
            response.headers.setdefault("Retry-After", "5")
        return response

    if app.config.get("MSA_SERVER_TIMING"):
        init_server_timing(app)

    from app.security.granting import GrantRefusedError

    def _refused(exc: GrantRefusedError) -> tuple[str | dict[str, object], int]:
        from app.extensions import db
        from app.security.admin_log import write_refusals

        db.session.rollback()
        write_refusals()
        if request.path.startswith("/api/"):
            return {"message": str(exc)}, 403
        return render_template("error.html", code=403, text=str(exc)), 403

    app.register_error_handler(GrantRefusedError, _refused)

    @app.after_request
    def _log_refusals(response: Response) -> Response:
        """A refusal the flush hook noted where a view caught the error itself (FAB's forms
        answer with a message): log it after the rollback — refused changes leave a trace."""
        from app.security.admin_log import write_refusals

        write_refusals()
        return response

    for code in (400, 403, 404, 405, 429, 500, 503):
        app.register_error_handler(code, _error)
    app.register_error_handler(Exception, _unexpected(app, _error))


_DB_DOWN = "_msa_database_down"
UNAVAILABLE_TEXT = (
    "Die Datenbank ist vorübergehend nicht erreichbar. Bitte versuchen Sie es in einigen "
    "Sekunden erneut. Ein Speichervorgang, für den Sie keine Bestätigung erhalten haben, "
    "wurde entweder vollständig oder gar nicht ausgeführt."
)


def unavailable_reply() -> tuple[str | dict[str, object], int]:
    """503 in German: JSON under /api/, otherwise a page that needs no database."""
    if request.path.startswith("/api/"):
        return {"message": UNAVAILABLE_TEXT}, 503
    # no context processors: they may read the signed-in user, i.e. the database
    from flask import current_app

    page = current_app.jinja_env.get_template("error_plain.html")
    return page.render(code=503, text=UNAVAILABLE_TEXT), 503


def is_database_unavailable(exc: BaseException) -> bool:
    """True for errors that mean the database (connection) is gone, not that a query is wrong."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, PendingRollbackError

    if isinstance(exc, OperationalError | InterfaceError | PendingRollbackError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _note_database_error(context: Any) -> None:
    """Engine ``handle_error``: remember in the request that the database failed."""
    if not has_app_context():
        return
    exc = context.sqlalchemy_exception
    if context.is_disconnect or (exc is not None and is_database_unavailable(exc)):
        setattr(g, _DB_DOWN, True)


_SQL_COUNT = "_msa_sql_count"
_SQL_TIME = "_msa_sql_seconds"
_STARTED = "_msa_started"
_CPU = "_msa_cpu"


def _before_cursor_execute(conn: Any, cursor: Any, statement: Any, *args: Any) -> None:
    if has_app_context() and _STARTED in g:
        setattr(g, _SQL_COUNT, g.get(_SQL_COUNT, 0) + 1)
        conn.info.setdefault("_msa_t0", []).append(time.perf_counter())


def _after_cursor_execute(conn: Any, cursor: Any, statement: Any, *args: Any) -> None:
    stack = conn.info.get("_msa_t0")
    if stack and has_app_context() and _STARTED in g:
        setattr(g, _SQL_TIME, g.get(_SQL_TIME, 0.0) + time.perf_counter() - stack.pop())


def init_server_timing(app: Flask) -> None:
    """Opt-in ``Server-Timing: app;dur=…, sql;dur=…;desc="<statements>", cpu;dur=…``.

    ``app`` is the time from the first before-request hook to the response, ``sql`` the number of
    SQL statements (and their time) this request sent to the database, ``cpu`` the CPU time of
    the worker thread (unaffected by other processes competing for the cores). The benchmark
    (``bench/``) and the statement-count tests read it. Off by default: it tells a client how
    much work a request caused.
    """
    if not event.contains(Engine, "before_cursor_execute", _before_cursor_execute):
        event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
        event.listen(Engine, "after_cursor_execute", _after_cursor_execute)

    def _start() -> None:
        setattr(g, _STARTED, time.perf_counter())
        setattr(g, _CPU, time.thread_time())
        setattr(g, _SQL_COUNT, 0)
        setattr(g, _SQL_TIME, 0.0)

    # first before-request hook of all, so authentication and permission checks are counted
    app.before_request_funcs.setdefault(None, []).insert(0, _start)

    @app.after_request
    def _server_timing(response: Response) -> Response:
        started = g.get(_STARTED)
        if started is not None:
            dur = (time.perf_counter() - started) * 1000
            sql_ms = g.get(_SQL_TIME, 0.0) * 1000
            cpu_ms = (time.thread_time() - g.get(_CPU, time.thread_time())) * 1000
            response.headers["Server-Timing"] = (
                f'app;dur={dur:.2f}, sql;dur={sql_ms:.2f};desc="{g.get(_SQL_COUNT, 0)}", '
                f"cpu;dur={cpu_ms:.2f}"
            )
        return response


def _unexpected(app: Flask, handler):  # type: ignore[no-untyped-def]
    def _handle(exc: Exception):  # type: ignore[no-untyped-def]
        if isinstance(exc, HTTPException):
            return exc
        from app.extensions import db

        try:
            db.session.rollback()
        except Exception:  # the connection is gone: nothing to roll back
            db.session.close()
        if is_database_unavailable(exc) or g.get(_DB_DOWN):
            app.logger.error("Datenbank nicht erreichbar: %s", type(exc).__name__)
            return handler(_ServiceUnavailable())
        return handler(exc)

    return _handle


class _ServiceUnavailable(HTTPException):
    code = 503

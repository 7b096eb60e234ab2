"""Cross-cutting web concerns: security headers, error pages, locale default."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, g, has_app_context, render_template, request, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

#: Flask-AppBuilder's own screen texts without a German translation in its catalogue (FAB 5.3):
#: listed here so that ``make translations`` extracts them; app/translations/de gives them German
#: (its catalogue is merged over FAB's), app/translations/en keeps them English (issue 16).
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
    the page fell back to the unstyled frame (issue 16). A page of a broken database (503) or
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
        except Exception:  # the frame itself failed (database, template): plain page
            from app.extensions import db

            db.session.rollback()
    return render_template("error.html", code=code, text=text)


def init_web(app: Flask) -> None:
    """Register headers, German default locale and generic error pages."""
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
        ):
            g.pop(key, None)

    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_state)

    @app.before_request
    def _default_locale() -> None:
        if "locale" not in session:
            session["locale"] = app.config.get("BABEL_DEFAULT_LOCALE", "de")

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
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
        if code >= 500:
            app.logger.exception("Fehler %s bei %s", code, request.path)
        text = ERROR_TEXTS.get(code, ERROR_TEXTS[500] if code >= 500 else ERROR_TEXTS[400])
        if request.path.startswith("/api/"):
            return {"message": text}, code
        return _render_error(code, text), code

    if app.config.get("MSA_SERVER_TIMING"):
        init_server_timing(app)

    for code in (400, 403, 404, 405, 429, 500, 503):
        app.register_error_handler(code, _error)
    app.register_error_handler(Exception, _unexpected(app, _error))


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
        from sqlalchemy.exc import OperationalError

        from app.extensions import db

        db.session.rollback()
        if isinstance(exc, OperationalError):
            app.logger.error("Datenbank nicht erreichbar: %s", type(exc).__name__)
            return handler(_ServiceUnavailable())
        return handler(exc)

    return _handle


class _ServiceUnavailable(HTTPException):
    code = 503

"""Cross-cutting web concerns: security headers, error pages, locale default."""

from __future__ import annotations

from flask import Flask, Response, g, render_template, request, session
from werkzeug.exceptions import HTTPException

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
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


def init_web(app: Flask) -> None:
    """Register headers, German default locale and generic error pages."""

    def _fresh_request_state() -> None:
        # Per-request caches live in g. A request normally gets a fresh app context, but one
        # that runs inside an already pushed context (tests, CLI) shares g: start clean.
        for key in (
            "_login_user",
            "user",
            "_msa_scope",
            "_msa_permissions",
            "_msa_scope_resolving",
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
        return render_template("error.html", code=code, text=text), code

    for code in (400, 403, 404, 405, 429, 500, 503):
        app.register_error_handler(code, _error)
    app.register_error_handler(Exception, _unexpected(app, _error))


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

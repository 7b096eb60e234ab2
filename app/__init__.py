"""MSA-Portal application factory — the only place the app is assembled."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from config import Config, config_for


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    """Create the Flask app with FAB, migrations, CSRF, security headers and all views."""
    app = Flask(__name__, instance_relative_config=False)
    if isinstance(config, dict):
        app.config.from_object(config_for("testing"))
        app.config.update(config)
    else:
        app.config.from_object(config or config_for())
    _check_production_config(app)
    _check_roles_mapping(app)
    from app.security.passwords import fab_password_validator

    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", fab_password_validator)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))
    # start-up chatter of libraries (alembic plugins, AppBuilder init, weasyprint progress) is no
    # news for an operator: a CLI error is one line on stderr
    for name in ("alembic.runtime.plugins", "flask_appbuilder.base", "weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)

    from flask_appbuilder import AppBuilder

    from app import models  # noqa: F401  (register every table)
    from app.extensions import csrf, db, ensure_private_sqlite, migrate
    from app.security import admin_log, scoping  # noqa: F401  (row scoping, admin log hooks)
    from app.services.casefile import (
        procedure_stage,  # noqa: F401  (the stage's day)
        residence_deadlines,  # noqa: F401  (follow-ups of permits)
    )
    from app.services.intake import custody  # noqa: F401  (custody history follows the persons)
    from app.services.staff import fte_history  # noqa: F401  (FTE history follows the accounts)
    from app.web import init_web

    ensure_private_sqlite(app.config["SQLALCHEMY_DATABASE_URI"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    csrf.init_app(app)
    with app.app_context():
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        from app.views import register_views

        register_views(appbuilder)
        from app.security import views as security_views

        security_views.register(appbuilder)
        appbuilder.post_init()
        appbuilder.sm.limit_api_login()
        security_views.init_totp(app)
        for view in appbuilder.baseviews:
            # FAB's REST APIs authenticate with JWT; CSRF applies to cookie sessions only.
            from flask_appbuilder.api import BaseApi

            if isinstance(view, BaseApi) and view.blueprint is not None:
                csrf.exempt(view.blueprint)
    init_web(app)
    from app.views import openapi

    openapi.install(app)  # the description matches the answers (app/views/openapi.py)
    if app.config.get("MSA_PROXY_FIX"):
        # One trusted reverse proxy sets X-Forwarded-For/-Proto/-Host/-Port (docs/deployment.md):
        # client address for rate limits and logs, https URLs and secure redirects behind TLS.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=0
        )
    from app.security.sessions import init_sessions

    init_sessions(app)
    from app.security.views import install_enrolment_guard

    install_enrolment_guard(app)

    from app.cli import msa_cli

    app.cli.add_command(msa_cli)
    return app


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _check_production_config(app: Flask) -> None:
    if app.config.get("ENV_NAME") == "production" or (
        not app.config.get("TESTING") and not app.config.get("DEBUG") and _is_production(app)
    ):
        key = app.config.get("SECRET_KEY") or ""
        if len(key) < 32 or key.lower() in {"changeme", "secret", "dev"}:
            raise RuntimeError(
                "SECRET_KEY fehlt oder ist zu schwach: in Produktion ist ein zufälliger "
                "Schlüssel mit mindestens 32 Zeichen nötig (Umgebungsvariable SECRET_KEY)."
            )


def _check_roles_mapping(app: Flask) -> None:
    """AUTH_ROLES_MAPPING (LDAP/OAuth groups) may only name roles of the matrix."""
    from app.security.matrix import ALL_ROLES

    for group, roles in (app.config.get("AUTH_ROLES_MAPPING") or {}).items():
        unknown = [r for r in roles if r not in ALL_ROLES]
        if unknown:
            raise RuntimeError(
                f"AUTH_ROLES_MAPPING: unbekannte Rolle(n) {unknown} für Gruppe '{group}' "
                f"(erlaubt: {', '.join(ALL_ROLES)})"
            )


def _is_production(app: Flask) -> bool:
    return bool(app.config.get("SESSION_COOKIE_SECURE")) and bool(
        app.config.get("PREFERRED_URL_SCHEME") == "https"
    )

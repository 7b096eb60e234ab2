"""Configuration classes: Development, Testing, Production.

Secrets and the database URL come from the environment (INTERFACES.md):
``DATABASE_URL``, ``SECRET_KEY``, ``MSA_ENV``; optional ``REDIS_URL``.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask_appbuilder.const import AUTH_DB, AUTH_LDAP, AUTH_OAUTH

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _local_secret_key() -> str:
    """Return a secret key generated once into instance/ for local use."""
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Comma-separated list from the environment; unset gives ``default``, empty gives ()."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def directory_auth_settings(env: dict[str, str] | None = None) -> dict[str, Any]:
    """FAB settings for a central directory from ``MSA_AUTH_TYPE`` (db | ldap | oauth).

    LDAP: ``MSA_LDAP_SERVER``, ``MSA_LDAP_SEARCH``, ``MSA_LDAP_UID_FIELD``, ``MSA_LDAP_BIND_USER``,
    ``MSA_LDAP_BIND_PASSWORD``, ``MSA_LDAP_USE_TLS``, ``MSA_LDAP_TLS_CACERTFILE``,
    ``MSA_LDAP_GROUP_FIELD``, ``MSA_LDAP_FIRSTNAME_FIELD``, ``MSA_LDAP_LASTNAME_FIELD``,
    ``MSA_LDAP_EMAIL_FIELD``, ``MSA_AUTH_ORGANISATION_MAPPING`` (JSON: group -> organisation
    name, synced at every sign-in). OAuth/OpenID Connect (e.g. a Keycloak that also brokers SAML):
    ``MSA_OAUTH_NAME``, ``MSA_OAUTH_CLIENT_ID``, ``MSA_OAUTH_CLIENT_SECRET``,
    ``MSA_OAUTH_METADATA_URL``, ``MSA_OAUTH_API_BASE_URL``, ``MSA_OAUTH_SCOPE``. Both:
    ``MSA_AUTH_ROLES_MAPPING`` (JSON: directory group -> list of MSA role names),
    ``MSA_AUTH_USER_REGISTRATION_ROLE`` (role of a first sign-in without mapped group).
    See docs/security.md.
    """
    env = dict(os.environ if env is None else env)
    kind = env.get("MSA_AUTH_TYPE", "db").strip().lower()
    if kind in {"", "db"}:
        return {"AUTH_TYPE": AUTH_DB}
    if kind not in {"ldap", "oauth"}:
        raise RuntimeError(f"Unbekannter MSA_AUTH_TYPE '{kind}' (db|ldap|oauth)")
    mapping = json.loads(env.get("MSA_AUTH_ROLES_MAPPING") or "{}")
    if not isinstance(mapping, dict) or not all(isinstance(v, list) for v in mapping.values()):
        raise RuntimeError("MSA_AUTH_ROLES_MAPPING muss ein JSON-Objekt Gruppe -> [Rollen] sein")
    settings: dict[str, Any] = {
        "AUTH_USER_REGISTRATION": True,
        "AUTH_USER_REGISTRATION_ROLE": env.get("MSA_AUTH_USER_REGISTRATION_ROLE", "Public"),
        "AUTH_ROLES_MAPPING": mapping,
        "AUTH_ROLES_SYNC_AT_LOGIN": True,
    }
    if kind == "ldap":
        server = env.get("MSA_LDAP_SERVER", "")
        if not server:
            raise RuntimeError("MSA_AUTH_TYPE=ldap braucht MSA_LDAP_SERVER (ldaps://…)")
        settings.update(
            {
                "AUTH_TYPE": AUTH_LDAP,
                "AUTH_LDAP_SERVER": server,
                "AUTH_LDAP_USE_TLS": env.get("MSA_LDAP_USE_TLS", "").lower() in {"1", "true"},
                "AUTH_LDAP_SEARCH": env.get("MSA_LDAP_SEARCH", ""),
                "AUTH_LDAP_UID_FIELD": env.get("MSA_LDAP_UID_FIELD", "uid"),
                "AUTH_LDAP_BIND_USER": env.get("MSA_LDAP_BIND_USER", ""),
                "AUTH_LDAP_BIND_PASSWORD": env.get("MSA_LDAP_BIND_PASSWORD", ""),
                "AUTH_LDAP_GROUP_FIELD": env.get("MSA_LDAP_GROUP_FIELD", "memberOf"),
                "AUTH_LDAP_FIRSTNAME_FIELD": env.get("MSA_LDAP_FIRSTNAME_FIELD", "givenName"),
                "AUTH_LDAP_LASTNAME_FIELD": env.get("MSA_LDAP_LASTNAME_FIELD", "sn"),
                "AUTH_LDAP_EMAIL_FIELD": env.get("MSA_LDAP_EMAIL_FIELD", "mail"),
            }
        )
        organisations = json.loads(env.get("MSA_AUTH_ORGANISATION_MAPPING") or "{}")
        if not isinstance(organisations, dict) or not all(
            isinstance(v, str) for v in organisations.values()
        ):
            raise RuntimeError(
                "MSA_AUTH_ORGANISATION_MAPPING muss ein JSON-Objekt Gruppe -> Organisation sein"
            )
        settings["AUTH_ORGANISATION_MAPPING"] = organisations
        if env.get("MSA_LDAP_TLS_CACERTFILE"):
            settings["AUTH_LDAP_TLS_CACERTFILE"] = env["MSA_LDAP_TLS_CACERTFILE"]
        return settings
    name = env.get("MSA_OAUTH_NAME", "keycloak")
    remote: dict[str, Any] = {
        "client_id": env.get("MSA_OAUTH_CLIENT_ID", ""),
        "client_secret": env.get("MSA_OAUTH_CLIENT_SECRET", ""),
        "client_kwargs": {"scope": env.get("MSA_OAUTH_SCOPE", "openid email profile")},
    }
    if env.get("MSA_OAUTH_METADATA_URL"):
        remote["server_metadata_url"] = env["MSA_OAUTH_METADATA_URL"]
    if env.get("MSA_OAUTH_API_BASE_URL"):
        remote["api_base_url"] = env["MSA_OAUTH_API_BASE_URL"]
    settings.update(
        {
            "AUTH_TYPE": AUTH_OAUTH,
            "OAUTH_PROVIDERS": [
                {"name": name, "icon": "fa-key", "token_key": "access_token", "remote_app": remote}
            ],
        }
    )
    return settings


class Config:
    """Settings shared by every environment."""

    APP_NAME = "MSA-Portal"
    APP_ICON = ""
    APP_THEME = ""
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'msa.db'}")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    SECRET_KEY = os.environ.get("SECRET_KEY") or ""
    REDIS_URL = os.environ.get("REDIS_URL", "")

    # Flask-AppBuilder; MSA_AUTH_TYPE=ldap|oauth switches to a central directory (below)
    AUTH_TYPE = AUTH_DB
    AUTH_USER_REGISTRATION = False
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.MsaSecurityManager"
    FAB_INDEX_VIEW = "app.views.index.MsaIndexView"
    FAB_BASE_TEMPLATE = "msa_baselayout.html"
    # Migrations own every table (FAB-NOTES trap B/C): no create_all at start-up and no
    # permission writes at start-up; `flask msa init` syncs roles and permissions.
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    FAB_API_SWAGGER_UI = True
    #: the county's name in header, footer and landing page (demo: the demo county)
    MSA_COUNTY_NAME = os.environ.get("MSA_COUNTY_NAME", "Landkreis Musterkreis")
    FAB_API_SWAGGER_TEMPLATE = "msa/swagger.html"
    FAB_ADD_SECURITY_API = False
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    # FAB_PASSWORD_COMPLEXITY_VALIDATOR is set in create_app (app.security.passwords)

    #: roles that must use the TOTP second factor (app.security.totp); env: comma-separated
    MSA_TOTP_REQUIRED_ROLES = _env_list("MSA_TOTP_REQUIRED_ROLES", ("Kreis-Admin", "Admin"))

    # Login rate limiting (form: FAB; API: app.security.manager)
    RATELIMIT_ENABLED = True
    AUTH_RATE_LIMITED = True
    #: per IP address (generous: one office behind NAT shares one address)
    AUTH_RATE_LIMIT = os.environ.get("MSA_AUTH_RATE_LIMIT", "60 per minute")
    #: failed sign-ins per account name from unknown devices, from any address
    #: (app.security.throttling; a known device of the account is exempt)
    AUTH_ACCOUNT_RATE_LIMIT = os.environ.get("MSA_AUTH_ACCOUNT_RATE_LIMIT", "5 per minute")
    #: failed sign-ins per source address across all accounts (unknown devices)
    AUTH_SOURCE_RATE_LIMIT = os.environ.get("MSA_AUTH_SOURCE_RATE_LIMIT", "20 per 10 minutes")
    #: failed sign-ins per account on one known device (signed cookie ``msa_device``)
    AUTH_DEVICE_RATE_LIMIT = os.environ.get("MSA_AUTH_DEVICE_RATE_LIMIT", "5 per minute")
    AUTH_DEVICE_COOKIE_DAYS = int(os.environ.get("MSA_AUTH_DEVICE_COOKIE_DAYS", "180"))
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    #: duplicate checks across providers per account (app.security.duplicate_throttle)
    DUPLICATE_CHECK_RATE_LIMIT = os.environ.get(
        "MSA_DUPLICATE_CHECK_RATE_LIMIT", "30 per 10 minutes"
    )
    #: rows of assignment-list previews per account (the same throttle)
    IMPORT_CHECK_RATE_LIMIT = os.environ.get("MSA_IMPORT_CHECK_RATE_LIMIT", "2000 per day")

    # German first, English second
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = {
        "de": {"flag": "de", "name": "Deutsch"},
        "en": {"flag": "gb", "name": "English"},
    }
    BABEL_TRANSLATION_DIRECTORIES = "translations"

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    #: sign-out after inactivity / after this long since sign-in (app.security.sessions)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=10)
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=30)

    # Operations (docs/deployment.md, docs/performance.md)
    #: trust one reverse proxy's X-Forwarded-For/-Proto/-Host/-Port (werkzeug ProxyFix)
    MSA_PROXY_FIX = os.environ.get("MSA_PROXY_FIX", "") in ("1", "true", "yes")
    #: add a ``Server-Timing`` header (app time, SQL statements) to every response
    MSA_SERVER_TIMING = os.environ.get("MSA_SERVER_TIMING", "") in ("1", "true", "yes")
    #: list pages count rows only up to this many, then show "mehr als …"
    LIST_COUNT_CAP = int(os.environ.get("MSA_LIST_COUNT_CAP", "10000"))
    #: how many rows a related-record choice list in a search form loads at most
    RELATED_CHOICES_LIMIT = 50

    # Domain settings
    CASELOAD_PER_FTE = 80
    RETENTION_YEARS_AFTER_MOVE_AWAY = 2
    ACCESS_LOG_RETENTION_DAYS = int(os.environ.get("ACCESS_LOG_RETENTION_DAYS", "1095"))
    #: unconfirmed assignment-list uploads are deleted after this many hours
    IMPORT_PREVIEW_KEEP_HOURS = int(os.environ.get("MSA_IMPORT_PREVIEW_KEEP_HOURS", "24"))
    FILE_AUDIT_SAMPLE_SIZE = 5
    BACKUP_DIR = os.environ.get("BACKUP_DIR", str(INSTANCE_DIR / "backups"))
    COUNSELLING_MONTHS_AFTER_OWN_HOUSING = 3
    PAGE_SIZE = 25

    # Accessibility statement (BITV 2.0; app/views/accessibility.py, docs/accessibility.md):
    # whom to tell about a barrier, and the enforcement procedure of the county's state
    MSA_ACCESSIBILITY_EMAIL = os.environ.get(
        "MSA_ACCESSIBILITY_EMAIL", "barrierefreiheit@kreis.example"
    )
    MSA_ACCESSIBILITY_PHONE = os.environ.get("MSA_ACCESSIBILITY_PHONE", "")
    MSA_ACCESSIBILITY_ADDRESS = os.environ.get("MSA_ACCESSIBILITY_ADDRESS", "")
    MSA_ACCESSIBILITY_ENFORCEMENT = os.environ.get(
        "MSA_ACCESSIBILITY_ENFORCEMENT",
        "Landesbeauftragte für die Belange der Menschen mit Behinderungen des Landes Brandenburg",
    )
    MSA_ACCESSIBILITY_ENFORCEMENT_URL = os.environ.get("MSA_ACCESSIBILITY_ENFORCEMENT_URL", "")


for _key, _value in directory_auth_settings().items():
    setattr(Config, _key, _value)


class DevelopmentConfig(Config):
    """Local use: SQLite in instance/, generated secret key."""

    DEBUG = False
    SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()


class TestingConfig(Config):
    """Test runs: database from TEST_DATABASE_URL, no rate limit unless a test enables it."""

    TESTING = True
    SECRET_KEY = "testing-only-" + secrets.token_hex(16)
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    AUTH_RATE_LIMITED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    #: the TOTP tests switch the requirement on per test (tests/security/test_totp.py)
    MSA_TOTP_REQUIRED_ROLES: tuple[str, ...] = ()


class ProductionConfig(Config):
    """Production: PostgreSQL, secure cookies, a real secret key is required."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(env: str | None = None) -> type[Config]:
    """Return the config class for MSA_ENV (default development)."""
    name = env or os.environ.get("MSA_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError as exc:
        raise RuntimeError(f"Unbekannte MSA_ENV '{name}' (development|production|testing)") from exc

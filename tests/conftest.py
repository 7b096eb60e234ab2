"""Fixtures: a migrated database per test run (SQLite or PostgreSQL), app, clients, logins."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: tables that survive between tests (schema, roles, permissions, catalogues)
KEEP_TABLES = {
    "alembic_version",
    "ab_permission",
    "ab_view_menu",
    "ab_permission_view",
    "ab_permission_view_role",
    "ab_role",
    "catalogue_entry",
}


def backend() -> str:
    return os.environ.get("MSA_TEST_BACKEND", "sqlite")


def _create_pg_database(base_url: str) -> tuple[str, Callable[[], None]]:
    url = make_url(base_url)
    name = f"msa_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database for this test run (and xdist worker)."""
    if backend() == "postgres":
        base = os.environ.get(
            "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
        url, drop = _create_pg_database(base)
        yield url
        drop()
    else:
        path = tmp_path_factory.mktemp("db") / "msa-test.db"
        yield f"sqlite:///{path}"


def make_test_app(database_url: str, **overrides: Any) -> Flask:
    from app import create_app

    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        **overrides,
    }
    return create_app(config)


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    """The app on a database migrated to head, with roles, permissions and catalogues."""
    from flask_migrate import upgrade

    from app.services.setup import sync_security_and_catalogues

    application = make_test_app(database_url)
    with application.app_context():
        upgrade()
        sync_security_and_catalogues()
    yield application
    with application.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table but schema, roles and catalogues after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        tables = [t for t in db.metadata.sorted_tables if t.name not in KEEP_TABLES]
        from app.services.data_protection.log_guard import SQLITE_TRIGGERS, sqlite_guard_lifted

        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # the logs refuse TRUNCATE (trigger); the test superuser switches triggers off
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                triggers = [name for pair in SQLITE_TRIGGERS.values() for name in pair]
                with sqlite_guard_lifted(conn, triggers):
                    for table in reversed(tables):
                        conn.execute(table.delete())
                if conn.execute(
                    text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
                ).first():
                    conn.execute(text("DELETE FROM sqlite_sequence"))  # as RESTART IDENTITY


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """The app's session inside an app context (no request: no row scope)."""
    from app.extensions import db

    with app.app_context():
        yield db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def factory(app: Flask) -> Iterator[Any]:
    from tests import factories

    with app.app_context():
        yield factories


def sign_in(client: FlaskClient, user_id: int) -> FlaskClient:
    """Put a signed-in session for ``user_id`` into the test client's cookie."""
    import time

    from app.security.sessions import EPOCH_KEY, LOGIN_AT_KEY, SEEN_AT_KEY

    with client.session_transaction() as sess:
        sess.clear()
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True
        sess["locale"] = "de"
        sess[EPOCH_KEY] = 0
        sess[LOGIN_AT_KEY] = sess[SEEN_AT_KEY] = int(time.time())
    return client


@pytest.fixture
def login_as(app: Flask) -> Callable[..., FlaskClient]:
    """Return a test client signed in as a new user with ``role`` in organisation ``org``."""

    def _login(role: str, org: Any = None, **kw: Any) -> FlaskClient:
        from tests import factories

        with app.app_context():
            user = factories.make_user(role, org, **kw)
            user_id = user.id
        client = sign_in(app.test_client(), user_id)
        client.user_id = user_id  # type: ignore[attr-defined]
        return client

    return _login


@pytest.fixture
def api_token(app: Flask) -> Callable[..., dict[str, str]]:
    """Return Authorization headers of a new user with ``role`` in organisation ``org``."""

    def _token(role: str, org: Any = None, **kw: Any) -> dict[str, str]:
        from tests import factories

        with app.app_context():
            user = factories.make_user(role, org, **kw)
            username = user.username
        resp = app.test_client().post(
            "/api/v1/security/login",
            json={"username": username, "password": factories.PASSWORD, "provider": "db"},
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}

    return _token

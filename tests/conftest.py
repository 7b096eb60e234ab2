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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: per database URL: the tables the cleaning empties and the statement that finds the dirty ones
_CLEAN_PLAN: dict[str, tuple[list[str], str, list[str]]] = {}


def _clean_plan(application: Flask, conn: Any) -> tuple[list[str], str, list[str]]:
    """The tables to empty (every table of the models but :data:`KEEP_TABLES`, children first),
    the one statement that tells which of them hold rows and which identities moved, and (on
    PostgreSQL) the sequences those tables own (what ``RESTART IDENTITY`` restarts)."""
    key = str(application.config["SQLALCHEMY_DATABASE_URI"])
    if key not in _CLEAN_PLAN:
        from app.extensions import db

        tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        sequences: list[str] = []
        if conn.dialect.name == "postgresql":
            sequences = sorted(
                str(name)
                for (name,) in conn.execute(
                    text(
                        "SELECT DISTINCT s.relname FROM pg_class s "
                        "JOIN pg_depend d ON d.classid = 'pg_class'::regclass "
                        "AND d.objid = s.oid AND d.deptype IN ('a', 'i') "
                        "JOIN pg_class t ON t.oid = d.refobjid "
                        "WHERE s.relkind = 'S' AND t.relname = ANY(:tables) "
                        "AND pg_table_is_visible(s.oid)"
                    ),
                    {"tables": tables},
                )
            )
        # which tables hold rows: 't'; which identities moved: 's' — a sequence that handed out
        # a value (PostgreSQL; also by a rolled-back insert) or a table's counter in
        # sqlite_sequence (SQLite: every table with an integer key has AUTOINCREMENT, 0018)
        parts = [f"SELECT 't', '{n}' WHERE EXISTS (SELECT 1 FROM {_quote(n)})" for n in tables]
        if conn.dialect.name == "postgresql":
            # a table that holds rows or pages: 't' DELETE; one of more than 64 kB: 'T' TRUNCATE,
            # so that no big table keeps its dead rows' pages into the next test — the planner
            # weighs a table by its pages (tests/integration/test_query_plans.py)
            parts = [
                f"SELECT CASE WHEN pg_relation_size('{_quote(n)}') > 65536 THEN 'T' ELSE 't' "
                f"END, '{n}' WHERE EXISTS (SELECT 1 FROM {_quote(n)}) "
                f"OR pg_relation_size('{_quote(n)}') > 65536"
                for n in tables
            ]
            names = ", ".join(f"'{n}'" for n in sequences) or "NULL"
            parts.append(
                "SELECT 's', sequencename::text FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL "
                f"AND sequencename IN ({names})"
            )
        elif conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
        ).first():
            names = ", ".join(f"'{n}'" for n in tables)
            parts.append(f"SELECT 's', name FROM sqlite_sequence WHERE name IN ({names})")
        _CLEAN_PLAN[key] = (tables, " UNION ALL ".join(parts), sequences)
    return _CLEAN_PLAN[key]


def empty_database(application: Flask) -> dict[str, list[str]]:
    """Empty every table but :data:`KEEP_TABLES` and restart their identities.

    The same end state as ``TRUNCATE <all> RESTART IDENTITY`` (PostgreSQL) or a DELETE of every
    table and of ``sqlite_sequence`` (SQLite), but one statement first asks which tables hold
    rows (PostgreSQL: or pages) and which counters moved, and only those are emptied/restarted:
    most tests touch a few of the ~80 tables, and a TRUNCATE of all of them costs PostgreSQL
    seconds (new files per table and index). Returns what it emptied (for the test of this
    invariant)."""
    from app.extensions import db
    from app.services.data_protection.log_guard import (
        LOG_TABLES,
        SQLITE_TRIGGERS,
        sqlite_guard_lifted,
    )

    with application.app_context():
        db.session.remove()
        with db.engine.connect() as conn:
            tables, query, _sequences = _clean_plan(application, conn)
            rows = conn.exec_driver_sql(query).all()
            conn.rollback()
        full = {str(n) for kind, n in rows if kind in ("t", "T")}
        big = {str(n) for kind, n in rows if kind == "T"}
        moved = sorted(str(n) for kind, n in rows if kind == "s")
        if not full and not moved:
            return {"tables": [], "sequences": []}
        order = [t for t in tables if t in full]  # children first
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # the logs refuse DELETE and TRUNCATE (triggers); the test superuser switches
                # triggers off — the foreign keys' triggers too, so the order does not matter
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for name in order:
                    if name not in big:
                        conn.exec_driver_sql(f"DELETE FROM {_quote(name)}")
                if big:
                    names = ", ".join(_quote(n) for n in order if n in big)
                    conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")
                for name in moved:
                    conn.exec_driver_sql(f"ALTER SEQUENCE {_quote(name)} RESTART")
            else:
                logs = [t for t in LOG_TABLES if t in full]
                triggers = [name for t in logs for name in SQLITE_TRIGGERS[t]]
                with sqlite_guard_lifted(conn, triggers):
                    for name in order:
                        conn.exec_driver_sql(f"DELETE FROM {_quote(name)}")
                if moved:  # as RESTART IDENTITY
                    names = ", ".join(f"'{n}'" for n in moved)
                    conn.exec_driver_sql(f"DELETE FROM sqlite_sequence WHERE name IN ({names})")
    return {"tables": order, "sequences": moved}


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table but schema, roles and catalogues after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    empty_database(request.getfixturevalue("app"))


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

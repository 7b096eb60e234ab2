"""The migration that makes sign-in names unique without regard to case stops on a pair.

An existing database with ``Pruefer`` and ``pruefer`` cannot get the unique index on
``lower(username)``; the upgrade names the pair so that the operator resolves it first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from tests.conftest import backend, make_test_app


def test_upgrade_names_usernames_that_differ_only_in_case(tmp_path: Path) -> None:
    if backend() == "postgres":
        from tests.conftest import _create_pg_database

        url, drop = _create_pg_database(
            os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        )
    else:
        url, drop = f"sqlite:///{tmp_path / 'case.db'}", (lambda: None)
    try:
        app = make_test_app(url)
        with app.app_context():
            upgrade(revision="0015_desk")
        engine = create_engine(url)
        with engine.begin() as conn:
            for name in ("Pruefer", "pruefer"):
                conn.execute(
                    text(
                        "INSERT INTO ab_user (first_name, last_name, username, email, active, "
                        "session_epoch, totp_enabled, reminder_digest, calendar_names) "
                        "VALUES ('P', 'R', :u, :e, true, 0, false, true, false)"
                    ),
                    {"u": name, "e": f"{name}@test.invalid"},
                )
        engine.dispose()
        # alembic directly: Flask-Migrate would turn the error into a log line and exit 1
        from alembic import command

        with app.app_context():
            config = app.extensions["migrate"].migrate.get_config()
            with pytest.raises(RuntimeError, match=r"Groß-/Kleinschreibung.*pruefer"):
                command.upgrade(config, "head")
    finally:
        from app.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()

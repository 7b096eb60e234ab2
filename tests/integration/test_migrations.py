"""Migrations own every table: one head, up and down, and they agree with the models."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from tests.conftest import backend, make_test_app

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def test_single_head() -> None:
    """There is exactly one head revision, so `flask db upgrade` is unambiguous."""
    cfg = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, heads


def test_models_and_migrations_agree(app: Flask) -> None:
    """Autogenerate against the migrated database finds no difference to the models."""
    from app.extensions import db, include_in_migrations

    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                "include_object": include_in_migrations(conn.dialect.name),
            },
        )
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], diff


def test_upgrade_from_empty_and_downgrade_to_base(tmp_path: Path) -> None:
    """Upgrade an empty database to head, down to base and up again."""
    if backend() == "postgres":
        from tests.conftest import _create_pg_database

        url, drop = _create_pg_database(
            os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        )
    else:
        url, drop = f"sqlite:///{tmp_path / 'mig.db'}", (lambda: None)
    try:
        app = make_test_app(url)
        with app.app_context():
            upgrade()
            tables = set(inspect(create_engine(url)).get_table_names())
            assert {"ab_user", "ab_role", "organisation", "person", "contact_note"} <= tables
            downgrade(revision="base")
            engine = create_engine(url)
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            engine.dispose()
            upgrade()
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_uncompared_indexes_exist_as_declared(app: Flask) -> None:
    """Indexes Alembic cannot compare are checked here: present on PostgreSQL, as defined."""
    from sqlalchemy import text

    from app.extensions import UNCOMPARED_INDEXES, db

    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name != "postgresql":  # PostgreSQL-only: absent elsewhere
            names = {
                n
                for (n,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type='index'"))
            }
            assert "ix_person_last_name_id" in names
            assert not names & UNCOMPARED_INDEXES
            return
        rows = dict(
            conn.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:n)"),
                {"n": list(UNCOMPARED_INDEXES)},
            ).all()
        )
    assert set(rows) == set(UNCOMPARED_INDEXES)
    assert rows["ix_person_last_name_lower"].endswith(
        '(lower((last_name)::text) COLLATE "C", id) INCLUDE (last_name)'
    )

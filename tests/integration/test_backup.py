"""Backup and restore into a fresh database; row counts agree (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, inspect, select, table

from app.extensions import db
from app.security import matrix
from app.services.data_protection.backup import BackupError, backup, restore
from tests import factories as f
from tests.conftest import _create_pg_database, backend


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        names = inspect(engine).get_table_names()
        with engine.connect() as conn:
            return {
                n: conn.execute(select(func.count()).select_from(table(n))).scalar_one()
                for n in sorted(names)
            }
    finally:
        engine.dispose()


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    if backend() == "postgres":
        url, drop = _create_pg_database(
            os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        )
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"


def test_backup_and_restore_into_fresh_database(app: Flask, tmp_path: Path, fresh_url: str) -> None:
    with app.app_context():
        org = f.make_org()
        user = f.make_user(matrix.ROLE_CASEWORKER, org)
        for _ in range(3):
            f.make_note(f.make_person(org), user)
        url = db.engine.url.render_as_string(hide_password=False)
        db.session.remove()
        before = _counts(url)
        target = backup(url, tmp_path / "sicherung.bak")
        assert target.stat().st_size > 0
        assert oct(target.stat().st_mode & 0o777) == "0o600"
        restore(target, fresh_url)
    after = _counts(fresh_url)
    assert before["person"] == 3 and before["contact_note"] == 3
    assert after == before


def test_restore_of_a_missing_file_fails_in_german(tmp_path: Path, fresh_url: str) -> None:
    with pytest.raises(BackupError, match="nicht gefunden"):
        restore(tmp_path / "fehlt.bak", fresh_url)


def test_cli_backup_and_restore(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        f.make_person(f.make_org())
        url = db.engine.url.render_as_string(hide_password=False)
        db.session.remove()
    before = _counts(url)
    result = runner.invoke(args=["msa", "backup", str(tmp_path / "cli.bak")])
    assert result.exit_code == 0, result.output
    assert "Sicherung geschrieben" in result.output
    with app.app_context():
        from app.models import Person

        db.session.execute(Person.__table__.delete())
        db.session.commit()
        db.session.remove()
    assert _counts(url)["person"] == 0
    refused = runner.invoke(args=["msa", "restore", str(tmp_path / "cli.bak")], input="n\n")
    assert refused.exit_code != 0
    result = runner.invoke(args=["msa", "restore", str(tmp_path / "cli.bak"), "--yes"])
    assert result.exit_code == 0, result.output
    assert _counts(url) == before

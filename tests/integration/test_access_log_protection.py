"""The access log is append-only (R-8.2): ORM guard on every backend, trigger on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models import AccessLog
from app.models.retention import AccessLogImmutableError
from tests.conftest import backend


def _entry() -> int:
    entry = AccessLog(username="fk", person_id=7, action="read", category="health", detail="x")
    db.session.add(entry)
    db.session.commit()
    return entry.id


def test_orm_cannot_change_or_delete_log_rows(app: Flask) -> None:
    with app.app_context():
        entry_id = _entry()
        entry = db.session.get(AccessLog, entry_id)
        entry.action = "update"
        with pytest.raises(AccessLogImmutableError):
            db.session.flush()
        db.session.rollback()
        entry = db.session.get(AccessLog, entry_id)
        db.session.delete(entry)
        with pytest.raises(AccessLogImmutableError):
            db.session.flush()
        db.session.rollback()
        entry = db.session.get(AccessLog, entry_id)
        entry.detail = None  # the purge's content clearing is allowed
        db.session.commit()
        assert db.session.get(AccessLog, entry_id).detail is None


def test_database_refuses_update_and_delete(app: Flask) -> None:
    """PostgreSQL: a trigger refuses UPDATE (except clearing detail) and DELETE of young rows."""
    with app.app_context():
        entry_id = _entry()
        engine = db.engine
        if backend() != "postgres":
            # SQLite has no roles; the ORM guard above is the protection there
            assert engine.dialect.name == "sqlite"
            return
        for sql in (
            "UPDATE access_log SET action = 'delete' WHERE id = :id",
            "UPDATE access_log SET username = 'jemand' WHERE id = :id",
            "UPDATE access_log SET detail = 'anders' WHERE id = :id",
            "DELETE FROM access_log WHERE id = :id",
        ):
            with pytest.raises(DBAPIError, match="unveränderlich"), engine.begin() as conn:
                conn.execute(text(sql), {"id": entry_id})
        # a retention setting does not allow deleting rows younger than the period
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("SET LOCAL msa.access_log_retention_days = '30'"))
            conn.execute(text("DELETE FROM access_log WHERE id = :id"), {"id": entry_id})
        # too short a period is ignored
        old = dt.datetime(2020, 1, 1)
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE access_log SET detail = NULL WHERE id = :id"), {"id": entry_id}
            )
            old_id = conn.execute(
                text("INSERT INTO access_log (at, action) VALUES (:at, 'read') RETURNING id"),
                {"at": old},
            ).scalar_one()
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("SET LOCAL msa.access_log_retention_days = '1'"))
            conn.execute(text("DELETE FROM access_log WHERE id = :id"), {"id": old_id})
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL msa.access_log_retention_days = '365'"))
            conn.execute(text("DELETE FROM access_log WHERE id = :id"), {"id": old_id})
        db.session.expire_all()
        rows = db.session.execute(select(AccessLog.id, AccessLog.action, AccessLog.detail)).all()
        assert [tuple(r) for r in rows] == [(entry_id, "read", None)]

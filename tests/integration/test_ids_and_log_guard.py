"""Ids are never reused, and the logs refuse to be changed or emptied (R-8.1, R-8.2).

Findings: on SQLite a new person got the id of a destroyed one, so the access log and the new
person's Art. 15 letter showed the destroyed person's history (another provider's activity
included); the table owner could empty the logs on PostgreSQL (TRUNCATE) and SQLite had no
database-level guard at all.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models import AccessLog, AdminLogEntry, Person, PurgeRecord
from app.services.data_protection import retention
from app.services.data_protection.log_guard import LOG_TABLES, app_role_grants
from app.services.data_protection.subject_access import collect
from tests import factories
from tests.conftest import backend

#: the refusals of the triggers (German; the older admin_log trigger speaks English)
REFUSED = r"unveränderlich|append-only"


def test_a_destroyed_persons_id_is_never_given_to_a_new_person(app: Flask) -> None:
    """Destroy the newest person (retention), create another: a new id, and neither the access
    log nor the Art. 15 export of the new person shows the destroyed person's history."""
    with app.app_context():
        org = factories.make_org()
        factories.make_person(org)
        gone = factories.make_person(org, moved_away_on=dt.date(2020, 1, 1))
        gone_id = gone.id
        db.session.add(
            AccessLog(username="anderer-traeger", person_id=gone_id, action="read", detail="x")
        )
        db.session.commit()
        report = retention.purge_expired(actor="test")
        assert [d.person_id for d in report.due] == [gone_id]
        assert db.session.get(Person, gone_id) is None
        new = factories.make_person(org)
        assert new.id != gone_id
        assert new.id > gone_id
        logged = db.session.scalars(
            select(AccessLog.username).where(AccessLog.person_id == new.id)
        ).all()
        assert "anderer-traeger" not in logged
        letter = collect(new.id)
        assert all(e["user"] != "anderer-traeger" for e in letter["access_log"])
        # the deletion protocol still names the destroyed id, and only that one
        assert db.session.scalars(select(PurgeRecord.former_person_id)).all() == [gone_id]


def test_every_table_with_an_integer_key_never_reuses_ids(app: Flask) -> None:
    """SQLite: every table with a single integer key is AUTOINCREMENT (as the models declare);
    PostgreSQL: their keys are drawn from sequences."""
    with app.app_context(), db.engine.connect() as conn:
        declared = {
            t.name
            for t in db.metadata.tables.values()
            if t.dialect_kwargs.get("sqlite_autoincrement")
        }
        assert {"person", "access_log", "ab_user", "organisation", "handover"} <= declared
        if conn.dialect.name == "sqlite":
            sql = dict(
                conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all()
            )
            missing = sorted(n for n in declared if "AUTOINCREMENT" not in sql[n].upper())
            assert missing == []
        else:
            insp = inspect(conn)
            no_sequence = sorted(
                n
                for n in declared
                if "nextval"
                not in str(next(c for c in insp.get_columns(n) if c["name"] == "id").get("default"))
                and not next(c for c in insp.get_columns(n) if c["name"] == "id").get("identity")
            )
            assert no_sequence == []


def _log_rows() -> dict[str, int]:
    entry = AccessLog(username="fk", person_id=7, action="read", detail="x")
    admin = AdminLogEntry(actor_name="admin", action="update", object_type="user", changes="{}")
    purge = PurgeRecord(
        former_person_id=7,
        moved_away_on=dt.date(2020, 1, 1),
        due_on=dt.date(2022, 1, 2),
        purged_by="test",
    )
    db.session.add_all([entry, admin, purge])
    db.session.commit()
    ids = {"access_log": entry.id, "admin_log": admin.id, "purge_record": purge.id}
    db.session.commit()  # end the reading transaction: TRUNCATE waits for every other lock
    return ids


def test_the_database_refuses_to_change_or_delete_log_rows(app: Flask) -> None:
    """Plain SQL, past the ORM: UPDATE and DELETE of log rows are refused on both databases;
    only clearing the detail text of an access-log row (destruction of a person) is allowed."""
    with app.app_context():
        ids = _log_rows()
        engine = db.engine
        for table, column in (
            ("access_log", "username"),
            ("access_log", "detail"),
            ("admin_log", "actor_name"),
            ("purge_record", "purged_by"),
        ):
            with (
                pytest.raises(DBAPIError, match=REFUSED),
                engine.begin() as conn,
            ):
                conn.execute(
                    text(f"UPDATE {table} SET {column} = 'anders' WHERE id = :id"),
                    {"id": ids[table]},
                )
        for table in LOG_TABLES:
            with (
                pytest.raises(DBAPIError, match=REFUSED),
                engine.begin() as conn,
            ):
                conn.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": ids[table]})
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE access_log SET detail = NULL WHERE id = :id"),
                {"id": ids["access_log"]},
            )
        with engine.connect() as conn:
            for table in LOG_TABLES:
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1


def test_the_logs_cannot_be_emptied(app: Flask) -> None:
    """PostgreSQL: TRUNCATE is refused by a statement trigger, even for the table owner;
    SQLite (no TRUNCATE): an unrestricted DELETE is refused."""
    with app.app_context():
        _log_rows()
        for table in LOG_TABLES:
            sql = f"TRUNCATE {table}" if backend() == "postgres" else f"DELETE FROM {table}"
            with (
                pytest.raises(DBAPIError, match=REFUSED),
                db.engine.begin() as conn,
            ):
                conn.execute(text(sql))
        with db.engine.connect() as conn:
            for table in LOG_TABLES:
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1


def test_expired_log_rows_go_only_through_the_logged_retention(app: Flask) -> None:
    """The retention deletes expired access-log rows (the guard lifted only inside its own
    transaction) and logs that it did; afterwards the guard is back."""
    with app.app_context():
        days = app.config["ACCESS_LOG_RETENTION_DAYS"]
        old = AccessLog(
            username="alt",
            action="read",
            at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=days + 5),
        )
        db.session.add(old)
        db.session.commit()
        old_id = old.id
        db.session.commit()
        report = retention.purge_expired(actor="test")
        assert report.log_rows_expired == 1
        assert db.session.get(AccessLog, old_id) is None
        note = db.session.execute(
            select(AccessLog.action, AccessLog.category, AccessLog.detail).where(
                AccessLog.category == "log_retention"
            )
        ).one()
        assert note.action == "purge" and note.detail.startswith("1 Zeile(n)")
        db.session.commit()
        with (
            pytest.raises(DBAPIError, match=REFUSED),
            db.engine.begin() as conn,
        ):
            conn.execute(text("DELETE FROM access_log"))


@pytest.mark.skipif(backend() != "postgres", reason="database roles exist on PostgreSQL only")
def test_the_app_role_cannot_empty_or_rewrite_the_logs(app: Flask, database_url: str) -> None:
    """The app role of docs/deployment.md: the portal works (writes its log, runs the retention),
    but UPDATE, DELETE, TRUNCATE and ALTER on the logs fail."""
    role = f"msa_app_{uuid.uuid4().hex[:8]}"
    url = make_url(database_url)
    with app.app_context():
        ids = _log_rows()
        days = app.config["ACCESS_LOG_RETENTION_DAYS"]
        db.session.add(
            AccessLog(
                username="alt",
                action="read",
                at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=days + 5),
            )
        )
        db.session.commit()
        db.session.remove()
        tables = inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:
            conn.execute(text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'app-pw-{role}'"))
            conn.execute(text(f'GRANT CONNECT ON DATABASE "{url.database}" TO "{role}"'))
            for statement in app_role_grants(role, tables):
                conn.execute(text(statement))
    as_app = create_engine(url.set(username=role, password=f"app-pw-{role}"))
    try:
        refused = [
            "UPDATE access_log SET username = 'x'",
            "UPDATE access_log SET detail = 'x'",
            "DELETE FROM access_log",
            "TRUNCATE access_log",
            "ALTER TABLE access_log DISABLE TRIGGER access_log_append_only",
            "UPDATE admin_log SET actor_name = 'x'",
            "DELETE FROM admin_log",
            "TRUNCATE admin_log",
            "ALTER TABLE admin_log DISABLE TRIGGER ALL",
            "UPDATE purge_record SET purged_by = 'x'",
            "DELETE FROM purge_record",
            "TRUNCATE purge_record",
            "DROP TABLE purge_record",
        ]
        for sql in refused:
            with pytest.raises(DBAPIError), as_app.begin() as conn:
                conn.execute(text(sql))
        # what the portal does still works: ordinary rows, log rows, the retention's deletion
        with as_app.begin() as conn:
            org_id = conn.execute(
                text("INSERT INTO organisation (name, kind) VALUES ('T', 'provider') RETURNING id")
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO access_log (at, action, organisation_id) "
                    "VALUES (now(), 'read', :o)"
                ),
                {"o": org_id},
            )
            conn.execute(
                text("UPDATE access_log SET detail = NULL WHERE id = :id"),
                {"id": ids["access_log"]},
            )
        with app.app_context(), as_app.begin() as conn:
            deleted = retention.expire_access_log(conn)
        assert deleted == 1
    finally:
        as_app.dispose()
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AdminLogEntry)) == 1
        assert db.session.scalar(select(func.count()).select_from(PurgeRecord)) == 1

"""The cleaning between tests (tests/conftest.py ``empty_database``) keeps its promise.

After every test that used the app, every table but schema, roles, permissions and catalogues
is empty and the identities start at 1 again — as the former ``TRUNCATE … RESTART IDENTITY``
of every table — although only the tables that hold rows are touched. The append-only logs'
guard is back in force afterwards, and a clean database costs one statement.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event, func, select, text

from tests import factories
from tests.conftest import KEEP_TABLES, empty_database


def _counts(app: Flask) -> dict[str, int]:
    from app.extensions import db

    with app.app_context():
        return {
            t.name: int(db.session.scalar(select(func.count()).select_from(t)) or 0)
            for t in db.metadata.sorted_tables
        }


def _insert_access_log(conn: Any) -> int:
    row = conn.execute(
        text("INSERT INTO access_log (at, action) VALUES (CURRENT_TIMESTAMP, 'read') RETURNING id")
    ).one()
    return int(row[0])


def test_every_table_but_the_kept_ones_is_empty_and_identities_restart(app: Flask) -> None:
    from app.extensions import db

    with app.app_context():
        org = factories.make_org()
        user = factories.make_user("Fachkraft", org)
        person = factories.make_person(org)
        factories.make_note(person, user)
        factories.make_partner()
        with db.engine.begin() as conn:
            _insert_access_log(conn)
        # a rolled-back insert leaves its table empty; on PostgreSQL the sequence moved on
        with db.engine.connect() as conn:
            conn.execute(text("INSERT INTO organisation (name, kind) VALUES ('weg', 'provider')"))
            conn.rollback()
    before = _counts(app)
    assert before["organisation"] == 1 and before["access_log"] == 1

    emptied = empty_database(app)

    assert {"organisation", "ab_user", "person", "contact_note", "access_log"} <= set(
        emptied["tables"]
    )
    after = _counts(app)
    assert {n: c for n, c in after.items() if n not in KEEP_TABLES and c} == {}
    assert after["ab_role"] > 0 and after["catalogue_entry"] > 0
    assert after["ab_permission_view_role"] == before["ab_permission_view_role"]
    with app.app_context():
        # identities start again at 1 (also where only a rolled-back insert used one)
        assert factories.id_of(factories.make_org()) == 1
        assert factories.id_of(factories.make_partner()) == 1
        with db.engine.begin() as conn:
            assert _insert_access_log(conn) == 1
        # the guard of the append-only log is back in force
        refused = False
        try:
            with db.engine.begin() as conn:
                conn.execute(text("DELETE FROM access_log"))
        except Exception:  # the trigger's error: IntegrityError (SQLite) / RaiseException (PG)
            refused = True
        assert refused
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM access_log")).scalar() == 1


def test_a_clean_database_costs_one_statement(app: Flask) -> None:
    from app.extensions import db

    empty_database(app)
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def _on(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _on)
    try:
        assert empty_database(app) == {"tables": [], "sequences": []}
    finally:
        event.remove(engine, "before_cursor_execute", _on)
    assert len(seen) == 1, seen


def test_only_sequences_of_cleaned_tables_restart(app: Flask) -> None:
    """The kept tables' identities go on (roles made by a test keep distinct ids)."""
    from app.extensions import db

    with app.app_context():
        top = db.session.scalar(text("SELECT max(id) FROM ab_role"))
        factories.make_org()
    emptied = empty_database(app)
    assert "ab_role" not in emptied["tables"] + emptied["sequences"]
    assert not any(s.startswith("ab_role") for s in emptied["sequences"])
    with app.app_context():
        assert db.session.scalar(text("SELECT max(id) FROM ab_role")) == top

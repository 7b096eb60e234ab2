"""The hot statements' query plans: no full scan of the notes, no scan of notes per person.

A small lopsided county (one provider with most persons and long note histories, a second
small one) is filled in bulk and ANALYZEd; the landing page, the person list, the search
(exact and similar spelling) and the case page are requested as a caseworker and as the
provider's lead, every SELECT they send is captured with its parameters and its plan is read
(``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN (FORMAT JSON)`` on PostgreSQL). The rule, modelled
on the plan text independently of the statements: every access to ``contact_note`` is keyed by
the person (an index whose condition names ``person_id``) or by the note's id — never a scan,
never the organisation+date index per person (the cost that grows with persons × notes).

On the case page the same holds for the person's follow-ups. SQLite is read twice: after
ANALYZE and without statistics (how a portal runs that never ran ANALYZE — the planner then
weighs an index by its columns alone). PostgreSQL prefers a sequential scan for small tables
whatever the indexes; its plans are read with ``enable_seqscan = off``, so a sequential scan
shows only where no index can serve.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, text

from app.security import matrix
from tests import factories
from tests.conftest import sign_in

#: persons of the big provider, of the small one; the caseworker holds a share of the big one
BIG, SMALL = 900, 60
NOTES_PER_ADULT = (15, 30)

NOTE_TABLES = ("contact_note",)
#: further tables read by person on the case page
CASE_PAGE_TABLES = ("contact_note", "follow_up")


@contextmanager
def _capture(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    from app.extensions import db

    seen: list[tuple[str, Any]] = []

    def _on(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _on)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _on)


# --------------------------------------------------------------------------- plan readers
_SQLITE_ACCESS = re.compile(r"^(SCAN|SEARCH) (\w+)(?: AS \w+)?(?: USING (.*))?$")


def sqlite_offences(
    rows: list[tuple[Any, ...]], aliases: dict[str, str], tables: tuple[str, ...] = NOTE_TABLES
) -> list[str]:
    """The plan lines that read ``tables`` other than by person or by id."""
    bad = []
    for row in rows:
        detail = str(row[-1])
        match = _SQLITE_ACCESS.match(detail)
        if not match:
            continue
        op, name, using = match.group(1), match.group(2), match.group(3) or ""
        table = aliases.get(name, name)
        if table not in tables:
            continue
        keyed = "(person_id=" in using or "(rowid=" in using or "PRIMARY KEY" in using
        if op == "SCAN" or not keyed:
            bad.append(detail)
    return bad


def _sqlite_aliases(sql: str) -> dict[str, str]:
    """``alias -> table`` for ``FROM contact_note AS contact_note_1`` forms."""
    return {alias: table for table, alias in re.findall(r"\b(\w+) AS (\w+)", sql)}


def pg_offences(
    plan: dict[str, Any], tables: tuple[str, ...] = NOTE_TABLES, strict: bool = True
) -> list[str]:
    """The plan nodes that read ``tables`` other than by person or by id.

    A sequential scan is always an offence. ``strict``: every other read must be keyed by the
    person too; otherwise only reads repeated per outer row (a SubPlan, the inner side of a
    nested loop) must be — a hash anti-join over a bounded index range is a set operation.
    """
    bad: list[str] = []

    def walk(node: dict[str, Any], per_row: bool) -> None:
        relation = node.get("Relation Name")
        kind = node.get("Node Type", "")
        per_row = per_row or node.get("Parent Relationship") == "SubPlan"
        checked = strict or per_row
        if relation in tables:
            cond = str(node.get("Index Cond", ""))
            if kind == "Seq Scan":
                bad.append(f"Seq Scan on {relation}")
            elif kind in ("Index Scan", "Index Only Scan") and checked and not _pg_keyed(cond):
                bad.append(f"{kind} on {relation} using {node.get('Index Name')} ({cond})")
            elif kind == "Bitmap Heap Scan" and checked:
                children = node.get("Plans", [])
                conds = " ".join(str(c.get("Index Cond", "")) for c in children)
                if not _pg_keyed(conds):
                    bad.append(f"Bitmap Heap Scan on {relation} ({conds})")
        for child in node.get("Plans", []):
            inner = kind == "Nested Loop" and child.get("Parent Relationship") == "Inner"
            walk(child, per_row or inner)

    walk(plan["Plan"], False)
    return bad


def _pg_keyed(cond: str) -> bool:
    return "person_id =" in cond or re.search(r"\(id = ", cond) is not None


def plan_offences(
    conn: Any, statement: str, parameters: Any, tables: tuple[str, ...] = NOTE_TABLES
) -> list[str]:
    if conn.dialect.name == "postgresql":
        raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
        plans = raw if isinstance(raw, list) else json.loads(raw)
        return pg_offences(plans[0], tables, strict=tables != NOTE_TABLES)
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return sqlite_offences([tuple(r) for r in rows], _sqlite_aliases(statement), tables)


# --------------------------------------------------------------------------- the rule itself
def test_the_plan_readers_tell_a_scan_from_a_person_lookup() -> None:
    """The readers, on plan texts as the databases print them."""
    ok_sqlite = [
        (
            0,
            0,
            0,
            "SEARCH contact_note USING INDEX ix_contact_note_person_org_date "
            "(person_id=? AND organisation_id=? AND date>?)",
        ),
        (0, 0, 0, "SEARCH contact_note USING INTEGER PRIMARY KEY (rowid=?)"),
        (0, 0, 0, "SCAN person USING INDEX ix_person_org_last_name"),
    ]
    assert sqlite_offences(ok_sqlite, {}) == []
    bad_sqlite = [
        (0, 0, 0, "SCAN contact_note"),
        (0, 0, 0, "SEARCH n USING INDEX ix_contact_note_org_date (organisation_id=? AND date>?)"),
    ]
    assert len(sqlite_offences(bad_sqlite, {"n": "contact_note"})) == 2
    seq = {"Plan": {"Node Type": "Seq Scan", "Relation Name": "contact_note"}}
    assert pg_offences(seq) == ["Seq Scan on contact_note"]
    per_org = {
        "Plan": {
            "Node Type": "Aggregate",
            "Plans": [
                {
                    "Node Type": "Index Only Scan",
                    "Relation Name": "contact_note",
                    "Index Name": "ix_contact_note_org_date",
                    "Index Cond": "((organisation_id = 1) AND (date >= '2026-01-01'::date))",
                    "Parent Relationship": "SubPlan",
                }
            ],
        }
    }
    assert len(pg_offences(per_org)) == 1
    by_person = {
        "Plan": {
            "Node Type": "Index Scan",
            "Relation Name": "contact_note",
            "Index Cond": "((person_id = person.id) AND (organisation_id = 1))",
        }
    }
    assert pg_offences(by_person) == []
    recent = {
        "Plan": {
            "Node Type": "Hash Anti Join",
            "Plans": [
                {"Node Type": "Index Scan", "Relation Name": "person", "Index Cond": "x"},
                {
                    "Node Type": "Bitmap Heap Scan",
                    "Relation Name": "contact_note",
                    "Plans": [{"Node Type": "Bitmap Index Scan", "Index Cond": "(date >= x)"}],
                },
            ],
        }
    }
    assert pg_offences(recent, strict=False) == []  # once, as a set
    assert len(pg_offences(recent, strict=True)) == 1
    loop = {
        "Plan": {
            "Node Type": "Nested Loop",
            "Plans": [
                {
                    "Node Type": "Index Scan",
                    "Relation Name": "person",
                    "Parent Relationship": "Outer",
                },
                {**per_org["Plan"]["Plans"][0], "Parent Relationship": "Inner"},
            ],
        }
    }
    assert len(pg_offences(loop, strict=False)) == 1  # per person


# --------------------------------------------------------------------------- the fixture
def _fill_lopsided(app: Flask) -> dict[str, Any]:
    from app.demo import data as demo_data
    from app.extensions import db
    from app.models import ContactNote, Person
    from bench.generate import _insert_rows

    with app.app_context():
        big, small = factories.make_org("Großer Träger"), factories.make_org("Kleiner Träger")
        worker = factories.make_user(matrix.ROLE_CASEWORKER, big)
        others = [factories.make_user(matrix.ROLE_CASEWORKER, big) for _ in range(3)]
        lead = factories.make_user(matrix.ROLE_LEAD, big)
        reviewer = factories.make_user(matrix.ROLE_REVIEWER, None)
        small_worker = factories.make_user(matrix.ROLE_CASEWORKER, small)
        rng = random.Random(3)
        for org, staff, persons in (
            (big, [worker.id, *(o.id for o in others)], BIG),
            (small, [small_worker.id], SMALL),
        ):
            ctx = demo_data.row_context([org.id], notes_per_adult=NOTES_PER_ADULT, note_days=730)
            ctx.workers[org.id] = staff
            batch = demo_data.RowBatch()
            ids = demo_data.next_ids()
            start = ids[0]
            while ids[0] - start < persons:
                ids = demo_data.build_household(rng, ctx, batch, ids, persons - (ids[0] - start))
            conn = db.session.connection()
            for model, rows in batch.tables():
                _insert_rows(conn, model, rows)
            db.session.commit()
        demo_data.reset_sequences()
        db.session.commit()
        person_id, last_name = db.session.execute(
            select(Person.id, Person.last_name)
            .where(
                Person.caseworker_id == worker.id,
                Person.id.in_(select(ContactNote.person_id)),
            )
            .order_by(Person.id)
            .limit(1)
        ).one()
        conn = db.session.connection()
        conn.exec_driver_sql("ANALYZE")
        db.session.commit()
        return {
            "worker": worker.id,
            "lead": lead.id,
            "reviewer": reviewer.id,
            "person": person_id,
            "last_name": last_name,
        }


def _hot_paths(fixture: dict[str, Any]) -> list[str]:
    name = fixture["last_name"]
    typo = name[:2] + name[3:] if len(name) >= 6 else name + "x"  # one letter missing
    return [
        "/",
        "/personview/list/",
        f"/personview/list/?_flt_0_last_name={name[:4]}",
        f"/personview/search?q={name}",
        f"/personview/search?q={typo}",
        f"/personview/show/{fixture['person']}",
    ]


@pytest.mark.parametrize("role", ["worker", "lead"])
def test_hot_statements_never_scan_the_notes(app: Flask, role: str) -> None:
    from app.extensions import db

    fixture = _fill_lopsided(app)
    client = sign_in(app.test_client(), fixture[role])
    captured: dict[str, list[tuple[str, Any]]] = {}
    for path in _hot_paths(fixture):
        client.get(path)  # warm caches; the second request is the one read
        with _capture(app) as seen:
            resp = client.get(path)
        assert resp.status_code == 200, (path, resp.status_code)
        captured[path] = list(seen)
    assert any("contact_note" in s for stmts in captured.values() for s, _p in stmts)
    with app.app_context():
        conn = db.session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))
            offences = _offences(conn, captured, fixture)
        else:
            offences = _offences(conn, captured, fixture, "nach ANALYZE")
            conn.exec_driver_sql("DELETE FROM sqlite_stat1")
            conn.exec_driver_sql("ANALYZE sqlite_schema")  # the planner forgets the statistics
            offences += _offences(conn, captured, fixture, "ohne Statistik")
        db.session.rollback()
    assert not offences, "\n".join(offences)


def _offences(
    conn: Any, captured: dict[str, list[tuple[str, Any]]], fixture: dict[str, Any], how: str = ""
) -> list[str]:
    offences = []
    for path, statements in captured.items():
        tables = CASE_PAGE_TABLES if path.startswith("/personview/show/") else NOTE_TABLES
        for statement, parameters in statements:
            if not any(t in statement for t in tables):
                continue
            for line in plan_offences(conn, statement, parameters, tables):
                offences.append(f"{path} {how}: {line}\n    {statement[:300]}")
    return offences


# --------------------------------------------------------------------------- similar spelling
#: the tables the similar-spelling fallback reads: never a scan of either
FALLBACK_TABLES = ("person", "person_name_key")


def fallback_offences_sqlite(rows: list[tuple[Any, ...]], aliases: dict[str, str]) -> list[str]:
    """A scan of the persons or of the keys (``SCAN``), or a search of the keys not by key."""
    bad = []
    for row in rows:
        detail = str(row[-1])
        match = _SQLITE_ACCESS.match(detail)
        if not match:
            continue
        op, name, using = match.group(1), match.group(2), match.group(3) or ""
        table = aliases.get(name, name)
        if table not in FALLBACK_TABLES:
            continue
        # by key, or per candidate by its id (also as "organisation_id=? AND rowid=?")
        keyed = "(key=" in using or "(key>" in using or "rowid=?" in using
        if op == "SCAN" or not keyed:
            bad.append(detail)
    return bad


def fallback_offences_pg(plan: dict[str, Any]) -> list[str]:
    """A sequential scan of either table, or a read of the keys not by key."""
    bad: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        relation, kind = node.get("Relation Name"), node.get("Node Type", "")
        if relation in FALLBACK_TABLES:
            cond = str(node.get("Index Cond", "")) + " ".join(
                str(c.get("Index Cond", "")) for c in node.get("Plans", [])
            )
            if kind == "Seq Scan":
                bad.append(f"Seq Scan on {relation}")
            elif ("key" if relation == "person_name_key" else "id") not in cond:
                bad.append(f"{kind} on {relation} ({cond})")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return bad


def test_the_fallback_plan_readers_tell_a_scan_from_a_lookup() -> None:
    good = [
        (0, 0, 0, "SEARCH person USING INTEGER PRIMARY KEY (rowid=?)"),
        (
            0,
            0,
            0,
            "SEARCH person USING INDEX ix_person_organisation_id (organisation_id=? AND rowid=?)",
        ),
        (0, 0, 0, "SEARCH person_name_key USING COVERING INDEX sqlite_autoindex_x (key=?)"),
    ]
    assert fallback_offences_sqlite(good, {}) == []
    bad = [
        (0, 0, 0, "SCAN person USING INDEX ix_person_last_name_id"),
        (0, 0, 0, "SEARCH person USING INDEX ix_person_org_last_name (organisation_id=?)"),
        (0, 0, 0, "SCAN person_name_key"),
    ]
    assert len(fallback_offences_sqlite(bad, {})) == 3
    seq = {"Plan": {"Node Type": "Seq Scan", "Relation Name": "person"}}
    assert fallback_offences_pg(seq) == ["Seq Scan on person"]
    keyed = {
        "Plan": {
            "Node Type": "Nested Loop",
            "Plans": [
                {
                    "Node Type": "Index Only Scan",
                    "Relation Name": "person_name_key",
                    "Index Cond": "(key = ANY ('{a,b}'))",
                },
                {"Node Type": "Index Scan", "Relation Name": "person", "Index Cond": "(id = x)"},
            ],
        }
    }
    assert fallback_offences_pg(keyed) == []
    by_name = {
        "Plan": {
            "Node Type": "Index Scan",
            "Relation Name": "person",
            "Index Name": "ix_person_last_name_id",
        }
    }
    assert len(fallback_offences_pg(by_name)) == 1


@pytest.mark.parametrize("role", ["reviewer", "worker"])
def test_similar_spelling_fallback_is_served_by_the_key_index(app: Flask, role: str) -> None:
    """The misspelled search (no exact hit) reads keys by index, never every person."""
    from app.extensions import db

    fixture = _fill_lopsided(app)
    name = fixture["last_name"]
    typo = name[:2] + name[3:] if len(name) >= 6 else name + "x"  # one letter missing
    client = sign_in(app.test_client(), fixture[role])
    path = f"/personview/search?q={typo}"
    client.get(path)
    with _capture(app) as seen:
        resp = client.get(path)
    assert resp.status_code == 200
    assert "ähnlicher Schreibweise" in resp.get_data(as_text=True)
    fallback = [(s, p) for s, p in seen if "person_name_key" in s]
    assert len(fallback) == 1, [s for s, _p in seen]
    statement, parameters = fallback[0]
    with app.app_context():
        conn = db.session.connection()
        offences: list[str] = []
        if conn.dialect.name == "postgresql":
            # a small table is joined whole (hash or merge join over a full index scan)
            # whatever its indexes: without those and the sequential scan, a full read of a
            # table shows only where no lookup by key or id can serve
            for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
                conn.execute(text(f"SET {setting} = off"))
            raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
            plans = raw if isinstance(raw, list) else json.loads(raw)
            offences = fallback_offences_pg(plans[0])
            plan_text = json.dumps(plans[0]["Plan"], indent=1)
        else:
            aliases = _sqlite_aliases(statement)
            plan_text = ""
            for how in ("nach ANALYZE", "ohne Statistik"):
                if how == "ohne Statistik":
                    conn.exec_driver_sql("DELETE FROM sqlite_stat1")
                    conn.exec_driver_sql("ANALYZE sqlite_schema")
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                offences += [
                    f"{how}: {o}"
                    for o in fallback_offences_sqlite([tuple(r) for r in rows], aliases)
                ]
        db.session.rollback()
    assert not offences, "\n".join(offences) + "\n" + statement + "\n" + plan_text

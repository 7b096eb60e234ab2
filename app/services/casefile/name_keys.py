"""Keys of the similar-spelling search: one letter wrong, missing or too many, by index.

A query word ``q`` (folded by the one name matcher, ``name_match``) is within one letter of a
stored name form ``s`` when

- ``q == s``,
- ``q`` is ``s`` with one letter deleted (the query misses a letter),
- ``s`` is ``q`` with one letter deleted (the query has one too many), or
- ``q`` and ``s`` with the letter at the same position deleted are equal (one letter wrong).

``person_name_key`` holds, for every form of a person's names (``search_forms``, 4 to 40
letters), the row ``(s, -1)`` and the rows ``(s minus letter i, i)``. The query asks for its own
deletions and itself (``key IN (…)``, a range of the primary key index) and keeps a row when
its position fits (:func:`match_condition`): the rows found are exactly the stored forms within
one letter — a search by key with a limit instead of a pattern match over every person.

Every write of a person's names keeps the rows: the mapper events of ``Person`` (page forms,
FAB, REST and the verbs alike), and :func:`rebuild` after bulk inserts (assignment import,
demo data, benchmark, migration).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import ARRAY, Integer, and_, any_, delete, insert, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

from app.models import Person, PersonNameKey
from app.services.casefile.name_match import search_forms

#: stored forms of at least this many letters (a query word needs 5, one may be missing)
MIN_FORM = 4
#: longer forms are not keyed (no such name is searched by similar spelling)
MAX_FORM = 40


def deletions(form: str) -> list[tuple[str, int]]:
    """``form`` with one letter deleted, with the deleted letter's position."""
    return [(form[:i] + form[i + 1 :], i) for i in range(len(form))]


@lru_cache(maxsize=20_000)
def _keys(first_name: str, last_name: str) -> frozenset[tuple[str, int]]:
    out: set[tuple[str, int]] = set()
    for form in search_forms(first_name, last_name):
        if MIN_FORM <= len(form) <= MAX_FORM:
            out.add((form, -1))
            out.update(deletions(form))
    return frozenset(out)


def keys(first_name: str | None, last_name: str | None) -> frozenset[tuple[str, int]]:
    """The ``(key, pos)`` rows of a person's names."""
    return _keys(first_name or "", last_name or "")


def rows(person_id: int, first_name: str | None, last_name: str | None) -> list[dict[str, Any]]:
    """The rows of ``person_name_key`` for one person, ready for a bulk insert."""
    return [
        {"key": k, "pos": p, "person_id": person_id} for k, p in sorted(keys(first_name, last_name))
    ]


def match_condition(forms: Iterable[str]) -> Any:
    """The WHERE of the rows within one letter of any of ``forms`` (a query word's spellings)."""
    forms = sorted({f for f in forms if f and len(f) <= MAX_FORM + 1})
    wanted = set(forms)
    arms: list[Any] = [PersonNameKey.key.in_(forms), PersonNameKey.pos == -1]
    for form in forms:
        for key, pos in deletions(form):
            wanted.add(key)
            arms.append(and_(PersonNameKey.key == key, PersonNameKey.pos == pos))
    return and_(PersonNameKey.key.in_(sorted(wanted)), or_(*arms))


def persons_within_one_letter(forms: Iterable[str]) -> Any:
    """SELECT of the ids of the persons with a name form within one letter of ``forms``."""
    return select(PersonNameKey.person_id).where(match_condition(forms))


class _ArrayOf(ColumnElement[Any]):
    """``ARRAY(<select>)`` (PostgreSQL): the ids as one value computed first."""

    inherit_cache = False

    def __init__(self, query: Any) -> None:
        self.query = query
        self.type = ARRAY(Integer())


@compiles(_ArrayOf)
def _compile_array_of(element: _ArrayOf, compiler: Any, **kw: Any) -> str:
    return f"ARRAY({compiler.process(element.query, **kw)})"


def id_matches(column: Any, ids: Any, dialect: str) -> Any:
    """``column`` is one of the ids of the SELECT ``ids``.

    PostgreSQL: ``column = ANY(ARRAY(…))`` — the ids are computed first and the rows read by
    their primary key. With ``IN (…)`` the planner weighs a common name's thousands of keyed
    candidates against a sequential scan and hashes the whole person table (state scale:
    121 ms against 26 ms). SQLite: ``IN (…)``, a list of ids probed by rowid.
    """
    if dialect == "postgresql":
        return column == any_(_ArrayOf(ids))
    return column.in_(ids)


def rebuild(conn: Any, person_ids: Iterable[int] | None = None) -> int:
    """Replace the keys of ``person_ids`` (all persons: ``None``) from their stored names.

    For bulk inserts and updates that bypass the mapper events; returns the rows written.
    """
    person = Person.__table__
    table = PersonNameKey.__table__
    written = 0
    ids = None if person_ids is None else sorted(set(person_ids))
    chunks: list[list[int] | None] = (
        [None] if ids is None else [ids[i : i + 5_000] for i in range(0, len(ids), 5_000)]
    )
    for chunk in chunks:
        if chunk is None:
            conn.execute(delete(table))
            where: Any = person.c.id.is_not(None)
        else:
            conn.execute(delete(table).where(table.c.person_id.in_(chunk)))
            where = person.c.id.in_(chunk)
        last = 0
        while True:
            batch = conn.execute(
                select(person.c.id, person.c.first_name, person.c.last_name)
                .where(where, person.c.id > last)
                .order_by(person.c.id)
                .limit(5_000)
            ).all()
            if not batch:
                break
            last = batch[-1].id
            values = [r for p in batch for r in rows(p.id, p.first_name, p.last_name)]
            if values:
                conn.execute(insert(table), values)
                written += len(values)
    return written


def refresh_one(conn: Any, person_id: int, first_name: str, last_name: str) -> None:
    """Replace one person's keys (the mapper events: inside the flush, on its connection)."""
    table = PersonNameKey.__table__
    conn.execute(delete(table).where(table.c.person_id == person_id))
    values = rows(person_id, first_name, last_name)
    if values:
        conn.execute(insert(table), values)

"""Personensuche — the caseworkers' one search field.

One text finds a person by any part of her first or last name (transliteration- and
diacritics-tolerant: the one name matcher's folding, ``app.services.casefile.name_match``), by
file number or by birth date (``TT.MM.JJJJ``); parts combine ("Karimi 02.04.1991"). The stored
``Person.search_key`` holds every name part in its folded form and in its variant group's form
(Mohammed / Muhammad …), with and without its particle, plus each name field written together
("Al Hassan" = "Al-Hassan" = "Alhassan" = "El Hassan"), as `` tok1 tok2 … ``. A query word
matches when its folded or its group form is contained in the key; PostgreSQL serves
``search_key LIKE '%…%'`` from a trigram index. Row scoping applies as to every read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, or_, select

from app.extensions import db
from app.models import Person
from app.services.casefile.name_keys import id_matches, persons_within_one_letter
from app.services.casefile.name_match import query_forms, search_forms

#: at most this many hits (INTERFACES.md: person search)
MAX_HITS = 50
#: stored key length (``Person.search_key``)
KEY_LENGTH = 600

_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def search_key(first_name: str | None, last_name: str | None) -> str:
    """Return the stored search key of a name: `` tok1 tok2 … `` (folded and group forms)."""
    key = " " + " ".join(search_forms(first_name, last_name)) + " "
    return key[:KEY_LENGTH] if len(key) <= KEY_LENGTH else key[: KEY_LENGTH - 1] + " "


@dataclass(frozen=True)
class Query:
    """A parsed search text: name tokens (folded, group form), birth dates, file numbers."""

    names: tuple[tuple[str, str], ...]
    birth_dates: tuple[dt.date, ...]
    numbers: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.names or self.birth_dates or self.numbers)


def parse(text: str) -> Query:
    """Split the search text into name tokens, birth dates (TT.MM.JJJJ) and file numbers."""
    words: list[str] = []
    dates: list[dt.date] = []
    numbers: list[str] = []
    for raw in (text or "").replace(",", " ").split()[:8]:
        m = _DATE.match(raw)
        if m:
            with contextlib.suppress(ValueError):
                dates.append(dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))))
            continue
        if any(c.isdigit() for c in raw):
            numbers.append(raw.lower()[:32])
            continue
        words.append(raw)
    names = [(folded, group) for folded, group in query_forms(" ".join(words)) if folded]
    return Query(tuple(names), tuple(dates), tuple(numbers))


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(query: Query) -> list[Any]:
    """Return the WHERE conditions of a parsed query (all must hold)."""
    out: list[Any] = []
    for folded, group in query.names:
        forms = {folded, group}
        out.append(
            or_(*(Person.search_key.like(f"%{_like(f)}%", escape="\\") for f in sorted(forms)))
        )
    for born in query.birth_dates:
        out.append(Person.birth_date == born)
    for number in query.numbers:
        value = _like(number)
        out.append(
            or_(
                Person.file_number.ilike(f"{value}%", escape="\\"),
                Person.file_number.ilike(f"%{value}", escape="\\"),
            )
        )
    return out


def _hit_columns() -> tuple[Any, ...]:
    """The columns of a hit (:class:`Hit`), in its order."""
    return (
        Person.id,
        Person.first_name,
        Person.last_name,
        Person.birth_date,
        Person.file_number,
        Person.moved_away_on,
    )


def statement(text: str, *, limit: int = MAX_HITS) -> Any:
    """Return the SELECT of the hits of ``text`` (id, names, birth date, file number, moved away).

    Best first: persons for whom every name token starts a name part, then by name.
    """
    query = parse(text)
    cols = _hit_columns()
    if query.empty:
        return select(*cols).where(Person.id.is_(None)).limit(0)
    starts = [
        or_(*(Person.search_key.like(f"% {_like(f)}%", escape="\\") for f in sorted({a, b})))
        for a, b in query.names
    ]
    rank = case((and_(*starts), 0), else_=1) if starts else case((Person.id.is_not(None), 0))
    return (
        select(*cols)
        .where(*conditions(query))
        .order_by(rank, Person.last_name, Person.first_name, Person.id)
        .limit(limit)
    )


@dataclass(frozen=True)
class Hit:
    """One person found."""

    id: int
    first_name: str
    last_name: str
    birth_date: dt.date
    file_number: str | None
    moved_away_on: dt.date | None
    #: found by a similar spelling only (no exact match for the text)
    similar: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "birth_date": self.birth_date.isoformat(),
            "file_number": self.file_number,
        }


#: name tokens shorter than this are not searched by similar spelling (too many hits)
SIMILAR_MIN_LENGTH = 5


def similar_statement(text: str, *, limit: int = MAX_HITS) -> Any:
    """The persons whose name is spelt like ``text`` with one mistake per name token.

    A name word of 5 letters or more matches a person with a name form (``search_forms``: each
    name part with and without its particle, in its own and its group's spelling, each name
    field written together) within one letter wrong, missing or too many of the word's folded
    or group form; shorter words must be contained in the search key as in the normal search;
    birth dates and file numbers in the text must still match exactly. The long words are
    looked up by key in ``person_name_key`` (``name_keys``: an index range per word on both
    databases), so the statement reads the few candidates, never every person. Only asked
    when the normal search found nothing; row scoping applies to ``Person`` as everywhere.
    """
    query = parse(text)
    cols = _hit_columns()
    if not any(len(f) >= SIMILAR_MIN_LENGTH for f, _g in query.names):
        return None
    where: list[Any] = []
    dialect = db.session.get_bind().dialect.name
    for folded, group in query.names:
        forms = sorted({folded, group})
        if len(folded) < SIMILAR_MIN_LENGTH:  # short tokens: exact as in the normal search
            where.append(
                or_(*(Person.search_key.like(f"%{_like(f)}%", escape="\\") for f in forms))
            )
        else:
            where.append(id_matches(Person.id, persons_within_one_letter(forms), dialect))
    exact = conditions(Query((), query.birth_dates, query.numbers))
    # ``last_name || ''``: the same order, but no index can yield it — else SQLite without
    # statistics walks the provider's name index in order and probes the keys per person
    return (
        select(*cols)
        .where(*where, *exact)
        .order_by(Person.last_name.concat(""), Person.first_name, Person.id)
        .limit(limit)
    )


def search_persons(text: str, *, limit: int = MAX_HITS) -> list[Hit]:
    """Return the visible persons matching ``text``, best first (one statement).

    Without an exact hit, the persons with a similar spelling (one mistake per name token,
    :func:`similar_statement`) are returned, marked ``similar`` (a second statement).
    """
    if len((text or "").strip()) < 2:
        return []
    limit = min(limit, MAX_HITS)
    rows = db.session.execute(statement(text, limit=limit)).all()
    if rows:
        return [Hit(*row) for row in rows]
    fuzzy = similar_statement(text, limit=limit)
    if fuzzy is None:
        return []
    return [
        Hit(
            id=row.id,
            first_name=row.first_name,
            last_name=row.last_name,
            birth_date=row.birth_date,
            file_number=row.file_number,
            moved_away_on=row.moved_away_on,
            similar=True,
        )
        for row in db.session.execute(fuzzy).all()
    ]

"""Duplicate warning on entering a person (R-2.6): a similar name and a matching birth date.

The decision is the one name matcher's (``app.services.casefile.name_match``): name particles,
transliteration pairs and name variants of ``app/data/transliterations.json``, birth dates of
01.01. as the year only. Candidates are read by birth date (the date, day and month swapped,
the year's 01.01.; for a 01.01. date the whole year) and scored; a candidate from
:data:`~app.services.casefile.name_match.POSSIBLE` on is shown, with its score and reasons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select

from app.extensions import db
from app.models import Person
from app.services.casefile import name_match
from app.services.casefile.name_match import Token, name_key, tokens

__all__ = ["DuplicateCandidate", "birth_date_condition", "find_duplicates", "name_key"]

#: at most this many persons are read per check
CANDIDATE_LIMIT = 200
#: two name keys count as similar from this name score on (names only, no date)
SIMILAR_NAME = 0.85


def _key_tokens(key: str) -> list[Token]:
    return [Token(t, t, t) for t in key.split()]


def similar_keys(a: str, b: str) -> bool:
    """Whether two stored name keys denote (probably) the same name (names only)."""
    if not a or not b:
        return False
    if a == b:
        return True
    score, _reasons = name_match.name_score(_key_tokens(a), _key_tokens(b))
    return score >= SIMILAR_NAME


def birth_date_condition(born: dt.date) -> Any:
    """WHERE condition on ``Person.birth_date`` for the candidates of ``born`` (indexed)."""
    days, span = name_match.candidate_dates(born)
    conditions: list[Any] = [Person.birth_date.in_(days)]
    if span is not None:
        conditions.append(and_(Person.birth_date >= span[0], Person.birth_date <= span[1]))
    return or_(*conditions)


@dataclass(frozen=True)
class DuplicateCandidate:
    """A person that might be the one being entered."""

    id: int
    first_name: str
    last_name: str
    birth_date: dt.date
    file_number: str | None
    score: int = 0
    reasons: tuple[str, ...] = ()


def find_duplicates(
    first_name: str,
    last_name: str,
    birth_date: dt.date,
    *,
    exclude_id: int | None = None,
    threshold: int = name_match.POSSIBLE,
) -> list[DuplicateCandidate]:
    """Return persons the matcher scores at least ``threshold`` (within the caller's scope),
    best first. One indexed query; during a request the row scope limits it."""
    mine = tokens(first_name, last_name)
    stmt = select(
        Person.id,
        Person.first_name,
        Person.last_name,
        Person.birth_date,
        Person.file_number,
    ).where(birth_date_condition(birth_date))
    if exclude_id is not None:
        stmt = stmt.where(Person.id != exclude_id)
    out: list[DuplicateCandidate] = []
    for pid, first, last, born, file_number in db.session.execute(stmt.limit(CANDIDATE_LIMIT)):
        match = name_match.compare_tokens(mine, birth_date, tokens(first, last), born)
        if match.score >= threshold:
            out.append(
                DuplicateCandidate(pid, first, last, born, file_number, match.score, match.reasons)
            )
    out.sort(key=lambda c: (-c.score, c.id))
    return out

"""Duplicate warning on entering a person (R-2.6): same birth date and a similar name.

Names are compared by a normalised key (``Person.name_key``): every token is folded with the
transliteration rules of ``app/data/transliterations.json`` and mapped onto its variant group
(Mohammed / Muhammad / Mohamad …); the key is the sorted token list, so given and family name
may be swapped. Candidates of the same birth date then match when their keys are equal or close
(rapidfuzz token-sort ratio, Jaro-Winkler of the keys) — never on the loose key alone.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jellyfish
from rapidfuzz import fuzz
from sqlalchemy import select

from app.extensions import db
from app.models import Person

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "transliterations.json"
#: minimum rapidfuzz token-sort ratio (0–100) of two keys to count as similar
SIMILARITY_THRESHOLD = 85.0
#: minimum Jaro-Winkler similarity (0–1) of two name tokens to count as similar
JARO_WINKLER_THRESHOLD = 0.94


@dataclass(frozen=True)
class _Rules:
    non_ascii: tuple[tuple[str, str], ...]
    ascii: tuple[tuple[str, str], ...]
    groups: dict[str, str]


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    with DATA_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    pairs = [(str(a), str(b)) for a, b in data["rules"]]
    non_ascii = tuple(p for p in pairs if not p[0].isascii())
    ascii_rules = tuple(p for p in pairs if p[0].isascii())
    partial = _Rules(non_ascii, ascii_rules, {})
    groups: dict[str, str] = {}
    for group in data["groups"]:
        canonical = _fold(str(group[0]), partial).replace(" ", "")
        for variant in group:
            groups.setdefault(_fold(str(variant), partial).replace(" ", ""), canonical)
    return _Rules(non_ascii, ascii_rules, groups)


def _collapse_doubles(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if out and out[-1] == ch and ch.isalpha():
            continue
        out.append(ch)
    return "".join(out)


def _fold(text: str, rules: _Rules) -> str:
    """Apply the normalisation steps of transliterations.json to one string."""
    s = text.casefold()
    for a, b in rules.non_ascii:
        s = s.replace(a, b)
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    for a, b in rules.ascii:
        s = s.replace(a, b)
    s = _collapse_doubles(s)
    return " ".join("".join(c for c in tok if c.isalnum()) for tok in s.split())


def normalise_token(token: str) -> str:
    """Return the folded form of one name token, mapped onto its variant group."""
    rules = _rules()
    folded = _fold(token, rules).replace(" ", "")
    return rules.groups.get(folded, folded)


def name_key(first_name: str | None, last_name: str | None) -> str:
    """Return the normalised name key (sorted folded tokens) of a person's name."""
    rules = _rules()
    tokens: list[str] = []
    for part in (first_name or "", last_name or ""):
        whole = _fold(part, rules).replace(" ", "")
        if whole in rules.groups:
            tokens.append(rules.groups[whole])
            continue
        tokens.extend(normalise_token(t) for t in _fold(part, rules).split() if t)
    return " ".join(sorted(t for t in tokens if t))[:200]


def similar_keys(a: str, b: str) -> bool:
    """Return whether two name keys denote (probably) the same name."""
    if not a or not b:
        return False
    if a == b:
        return True
    if fuzz.token_sort_ratio(a, b) < SIMILARITY_THRESHOLD:
        return False
    short, long_ = sorted((a.split(), b.split()), key=len)
    return all(
        any(
            t == u or jellyfish.jaro_winkler_similarity(t, u) >= JARO_WINKLER_THRESHOLD
            for u in long_
        )
        for t in short
    )


@dataclass(frozen=True)
class DuplicateCandidate:
    """A person that might be the one being entered."""

    id: int
    first_name: str
    last_name: str
    birth_date: dt.date
    file_number: str | None


def find_duplicates(
    first_name: str, last_name: str, birth_date: dt.date, *, exclude_id: int | None = None
) -> list[DuplicateCandidate]:
    """Return persons with the same birth date and a similar name (within the caller's scope).

    One query (indexed on birth date); during a request the row scope limits it to the
    persons the user may see.
    """
    key = name_key(first_name, last_name)
    stmt = select(
        Person.id,
        Person.first_name,
        Person.last_name,
        Person.birth_date,
        Person.file_number,
        Person.name_key,
    ).where(Person.birth_date == birth_date)
    if exclude_id is not None:
        stmt = stmt.where(Person.id != exclude_id)
    out: list[DuplicateCandidate] = []
    for pid, first, last, born, file_number, stored in db.session.execute(stmt.limit(200)):
        other = stored or name_key(first, last)
        if similar_keys(key, other):
            out.append(DuplicateCandidate(pid, first, last, born, file_number))
    return out

"""The one name matcher: is this the same person? A score from 0 to 100 with German reasons.

Used by the duplicate check (page and API), the cross-provider hint, the assignment import and
the person search (its stored key). The curated table is ``app/data/transliterations.json``
(its ``sources`` name the public standards it follows):

- **Name particles** (al, el, abu, abd, bin, ibn, van, de, …) written apart, hyphenated or
  joined are one name part: "Al Hassan" = "Al-Hassan" = "Alhassan" = "El-Hassan"; the
  assimilated article before sun letters ("ar-Rahman") is al-. A particle missing on one side
  still matches, with less weight.
- **Transliteration pairs** (kh/ch/h, dsch/dj/j, ou/u, w/v, sch/sh, ä/ae …) fold every token
  onto one spelling; doubled letters collapse.
- **Name variants** (Mohammed / Muhammad / Mehmet …) map onto their group.
- **Birth dates** of 01.01. (the registers' stand-in for an unknown day) count as the year
  only, with less weight; day and month swapped count with less weight; any other difference
  rules a match out (siblings are born on close days).

:func:`compare` returns a :class:`Match`: ``score`` (0–100), ``same`` (score at least
:data:`SAME`), ``possible`` (at least :data:`POSSIBLE`) and the reasons. The labelled pairs of
``tests/data/name_pairs.csv`` measure precision and recall (docs/intake.md).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jellyfish

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "transliterations.json"

#: a score from here on is "the same person" (import: known; duplicate check: a hit)
SAME = 80
#: a score from here on is worth a look (shown with its reasons, never decided alone)
POSSIBLE = 60
#: Jaro-Winkler similarity from which two folded tokens (5 letters or more) count as a typo
TYPO_SIMILARITY = 0.93
#: weight of a name part with one typing mistake (5 letters or more)
TYPO_WEIGHT = 0.93
#: weight of a name part whose particle is missing or another on one side
PARTICLE_WEIGHT = 0.92
#: date weights: both given as year only (01.01.), one of them, day and month swapped
BOTH_YEAR_ONLY = 0.75
ONE_YEAR_ONLY = 0.6
DAY_MONTH_SWAPPED = 0.8
#: feminine endings: Karim / Karima, Amin / Amina are two persons, not a typo
_FEMININE = ("a", "e", "ah", "eh")


@dataclass(frozen=True)
class _Table:
    non_ascii: tuple[tuple[str, str], ...]
    ascii: tuple[tuple[str, str], ...]
    groups: dict[str, str]
    particles: dict[str, str]
    sun_forms: frozenset[str]
    joined: tuple[tuple[str, str], ...]


def _prefold(text: str, non_ascii: tuple[tuple[str, str], ...]) -> list[str]:
    """Lower case, special letters, no diacritics; particles and parts split on - ' . etc."""
    s = text.casefold()
    for a, b in non_ascii:
        s = s.replace(a, b)
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = re.sub(r"['’`´]", "", s)  # apostrophes (ayn, hamza) are dropped, not separators
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return s.split()


def _collapse(text: str) -> str:
    return re.sub(r"([a-z])\1+", r"\1", text)


def _fold_with(token: str, ascii_rules: tuple[tuple[str, str], ...]) -> str:
    s = token
    for a, b in ascii_rules:
        s = s.replace(a, b)
    return _collapse(s)


@lru_cache(maxsize=1)
def _table() -> _Table:
    with DATA_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    rules = [(str(a), str(b)) for a, b in data["rules"]]
    # the special letters first; "-" and the apostrophes are separators here (particles)
    non_ascii = tuple(p for p in rules if not p[0].isascii())
    ascii_rules = tuple(p for p in rules if p[0].isascii() and p[0].isalpha())
    particles: dict[str, str] = {}
    for canonical, forms in data["particles"].items():
        if canonical.startswith("_"):
            continue
        for form in forms:
            for tok in _prefold(str(form), non_ascii):
                particles.setdefault(tok, canonical)
    sun = frozenset(str(f) for f in data["sun_letter_articles"]["forms"])
    joined: list[tuple[str, str]] = []
    for canonical, forms in data["joined_prefixes"].items():
        if not canonical.startswith("_"):
            joined.extend((str(f), canonical) for f in forms)
    joined.sort(key=lambda p: -len(p[0]))
    partial = _Table(non_ascii, ascii_rules, {}, particles, sun, tuple(joined))
    groups: dict[str, str] = {}
    for group in data["groups"]:
        canonical = _compact(str(group[0]), partial)
        for variant in group:
            groups.setdefault(_compact(str(variant), partial), canonical)
    return _Table(non_ascii, ascii_rules, groups, particles, sun, tuple(joined))


def _compact(text: str, table: _Table) -> str:
    """One name written as one folded token, particles joined ("Abd al-Rahman" -> abdalrahman)."""
    return "".join(t.full for t in _tokens(text, table, lookup=False))


@dataclass(frozen=True)
class Token:
    """One name part: ``full`` with its particle joined, ``core`` without it (both folded)."""

    full: str
    core: str
    raw: str

    @property
    def has_particle(self) -> bool:
        return self.full != self.core


def _split_joined(token: str, table: _Table) -> tuple[str, str]:
    """("el", "hassan") -> canonical particle and rest for a token written together."""
    for form, canonical in table.joined:
        rest = token[len(form) :]
        if not token.startswith(form) or len(rest) < 3:
            continue
        if canonical == "al" and rest[0] in "aeiou":
            continue  # Alexander, Elias, Ulrich's vowels: not an article
        return canonical, rest
    # assimilated article written together: Arrashid, Assayed, Ennour (DIN 31635)
    m = re.match(r"^[aeu](d|r|s|t|z|n)\1([a-z]{3,})$", token)
    if m:
        return "al", m.group(1) + m.group(2)
    return "", token


def _canon(token: str, table: _Table, *, lookup: bool) -> str:
    folded = _fold_with(token, table.ascii)
    return table.groups.get(folded, folded) if lookup else folded


def _tokens(text: str, table: _Table, *, lookup: bool = True) -> list[Token]:
    raw = _prefold(text, table.non_ascii)
    if not raw:
        return []
    if lookup and len(raw) > 1:
        whole = _fold_with("".join(raw), table.ascii)
        if whole in table.groups:  # "Abdul Rahman", "Al-Hassan": one name in the table
            canonical = table.groups[whole]
            plain = _tokens(text, table, lookup=False)
            core = "".join(t.core for t in plain) if len(plain) == 1 else canonical
            return [Token(canonical, table.groups.get(core, core), " ".join(raw))]
    out: list[Token] = []
    pending: list[str] = []
    for i, tok in enumerate(raw):
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        particle = table.particles.get(tok)
        if particle is None and tok in table.sun_forms and nxt and nxt[0] == tok[-1]:
            particle = "al"
        if particle is not None and nxt is not None:
            pending.append(particle)
            continue
        folded = _fold_with(tok, table.ascii)
        if lookup and folded in table.groups:
            prefix, core = "", table.groups[folded]
        else:
            prefix, rest = _split_joined(tok, table)
            core = _canon(rest, table, lookup=lookup)
        particles = "".join(pending) + prefix
        full = _fold_with(particles, table.ascii) + core if particles else core
        if lookup and full in table.groups:
            full = table.groups[full]
        out.append(Token(full, core, " ".join([*pending, tok])))
        pending = []
    return out


@lru_cache(maxsize=20_000)
def _field_tokens(text: str) -> tuple[Token, ...]:
    """The folded parts of one name field; kept for the names met most (an assignment list
    names the same given and family names thousands of times)."""
    return tuple(_tokens(text, _table()))


def tokens(first_name: str | None, last_name: str | None) -> list[Token]:
    """The name parts of a person (given names first), folded for matching."""
    return [*_field_tokens(first_name or ""), *_field_tokens(last_name or "")]


def fold_token(text: str) -> str:
    """One search word folded like a name part (particles joined, group form)."""
    parts = _tokens(text, _table())
    return "".join(t.full for t in parts)


def fold_plain(text: str) -> str:
    """One search word folded without the group lookup (its own spelling)."""
    return "".join(t.full for t in _tokens(text, _table(), lookup=False))


def name_key(first_name: str | None, last_name: str | None) -> str:
    """The stored duplicate key: the sorted folded name parts (order-free), at most 200 chars."""
    return " ".join(sorted(t.full for t in tokens(first_name, last_name)))[:200]


def search_forms(first_name: str | None, last_name: str | None) -> list[str]:
    """Every form under which the search finds a name: each part with and without its
    particle, in its own spelling and its group's, and each name field written together."""
    table = _table()
    forms: list[str] = []
    for part in (first_name or "", last_name or ""):
        grouped = _tokens(part, table)
        plain = _tokens(part, table, lookup=False)
        for tok in [*grouped, *plain]:
            forms.extend((tok.full, tok.core))
        forms.append("".join(t.full for t in plain))
        forms.append("".join(t.full for t in grouped))
    return [f for f in dict.fromkeys(forms) if f]


# -- comparing -----------------------------------------------------------------------------
def _feminine_pair(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    return any(long_ == short + end for end in _FEMININE) or any(
        short.endswith(end) and long_ == short[: -len(end)] + other
        for end in _FEMININE
        for other in _FEMININE
        if end != other
    )


def _token_similarity(a: Token, b: Token) -> tuple[float, str]:
    if a.full == b.full:
        return 1.0, ""
    if a.core == b.core:
        return PARTICLE_WEIGHT, "Namenspartikel abweichend"
    for x, y in ((a.full, b.full), (a.core, b.core)):
        if min(len(x), len(y)) < 5 or abs(len(x) - len(y)) > 1 or _feminine_pair(x, y):
            continue
        if _one_typo(x, y) or _one_typo(a.raw.replace(" ", ""), b.raw.replace(" ", "")):
            return TYPO_WEIGHT, "ähnliche Schreibweise"
        sim = jellyfish.jaro_winkler_similarity(x, y)
        if sim >= TYPO_SIMILARITY and x[-1] == y[-1]:
            return sim, "ähnliche Schreibweise"
    return 0.0, ""


def _one_typo(x: str, y: str) -> bool:
    """One letter wrong, missing or two neighbours swapped — never at the last letter, where
    names change their form (Hasan / Hasna, Amina / Amine, Warsame / Warsama)."""
    if x[-1] != y[-1]:
        return False
    if len(x) == len(y):
        diff = [i for i in range(len(x)) if x[i] != y[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and x[diff[0]] == y[diff[1]]
            and x[diff[1]] == y[diff[0]]
        )
    short, long_ = sorted((x, y), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_) - 1))


@dataclass(frozen=True)
class Match:
    """The matcher's answer for two persons."""

    score: int
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def same(self) -> bool:
        return self.score >= SAME

    @property
    def possible(self) -> bool:
        return self.score >= POSSIBLE


def name_score(a: list[Token], b: list[Token]) -> tuple[float, list[str]]:
    """Best one-to-one pairing of the name parts, order-free (given and family name swapped)."""
    if not a or not b:
        return 0.0, []
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    pairs = sorted(
        (
            (*_token_similarity(s, t), i, j)
            for i, s in enumerate(short)
            for j, t in enumerate(long_)
        ),
        key=lambda p: -p[0],
    )
    used_s: set[int] = set()
    used_l: set[int] = set()
    total = 0.0
    reasons: list[str] = []
    order: dict[int, int] = {}
    for sim, why, i, j in pairs:
        if sim <= 0 or i in used_s or j in used_l:
            continue
        used_s.add(i)
        used_l.add(j)
        order[i] = j
        total += sim
        if why:
            reasons.append(f"{why}: {short[i].raw} / {long_[j].raw}")
    unmatched = len(short) - len(used_s)
    score = total / len(short)
    if unmatched:
        names = ", ".join(short[i].raw for i in range(len(short)) if i not in used_s)
        reasons.append(f"Namensteil ohne Gegenstück: {names}")
        score *= 0.5
    extra = len(long_) - len(short)
    if extra:
        names = ", ".join(long_[j].raw for j in range(len(long_)) if j not in used_l)
        reasons.append(f"weiterer Namensteil: {names}")
        score *= 1 - 0.05 * min(extra, 2)
    if not unmatched and len(order) > 1:
        js = [order[i] for i in sorted(order)]
        if js != sorted(js):
            reasons.append("Namensteile in anderer Reihenfolge")
    return score, reasons


def is_year_only(day: dt.date | None) -> bool:
    """01.01. stands for an unknown day and month (as in the foreigners' registers)."""
    return day is not None and day.month == 1 and day.day == 1


def _date_score(
    a: dt.date | None, b: dt.date | None, a_year_only: bool, b_year_only: bool
) -> tuple[float, str]:
    if a is None or b is None:
        return 0.0, "Geburtsdatum fehlt"
    ya, yb = a_year_only or is_year_only(a), b_year_only or is_year_only(b)
    if ya or yb:
        if a.year != b.year:
            return 0.0, "Geburtsjahr abweichend"
        if ya and yb:
            return BOTH_YEAR_ONLY, "nur das Geburtsjahr ist bekannt (01.01.) und gleich"
        return ONE_YEAR_ONLY, "Geburtsjahr gleich, ein Datum ist nur eine Jahresangabe (01.01.)"
    if a == b:
        return 1.0, "Geburtsdatum gleich"
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return DAY_MONTH_SWAPPED, "Tag und Monat vertauscht"
    return 0.0, "Geburtsdatum abweichend"


def compare_tokens(
    a: list[Token],
    a_born: dt.date | None,
    b: list[Token],
    b_born: dt.date | None,
    *,
    a_year_only: bool = False,
    b_year_only: bool = False,
    a_sex: str | None = None,
    b_sex: str | None = None,
) -> Match:
    """:func:`compare` on names already split by :func:`tokens` (for many comparisons)."""
    name, reasons = name_score(a, b)
    if name >= 1.0 and not reasons:
        reasons = ["Name gleich (nach Umschrift und Namensvarianten)"]
    date, why = _date_score(a_born, b_born, a_year_only, b_year_only)
    reasons.append(why)
    value = name * (0.4 + 0.6 * date)
    known = {"male", "female"}
    if a_sex in known and b_sex in known and a_sex != b_sex:
        value *= 0.5
        reasons.append("Geschlecht abweichend")
    return Match(round(100 * value), tuple(reasons))


def compare(
    a_first: str | None,
    a_last: str | None,
    a_born: dt.date | None,
    b_first: str | None,
    b_last: str | None,
    b_born: dt.date | None,
    *,
    a_year_only: bool = False,
    b_year_only: bool = False,
    a_sex: str | None = None,
    b_sex: str | None = None,
) -> Match:
    """Compare two persons by name and birth date (and sex where both are known)."""
    return compare_tokens(
        tokens(a_first, a_last),
        a_born,
        tokens(b_first, b_last),
        b_born,
        a_year_only=a_year_only,
        b_year_only=b_year_only,
        a_sex=a_sex,
        b_sex=b_sex,
    )


def candidate_dates(born: dt.date) -> tuple[list[dt.date], tuple[dt.date, dt.date] | None]:
    """Birth dates under which a match can be stored: the date, day/month swapped, the year's
    01.01.; for a 01.01. date the whole year (returned as a range)."""
    days = [born, dt.date(born.year, 1, 1)]
    if born.day <= 12 and born.day != born.month:
        days.append(dt.date(born.year, born.day, born.month))
    span = (born, dt.date(born.year, 12, 31)) if is_year_only(born) else None
    return list(dict.fromkeys(days)), span


def query_forms(text: str) -> list[tuple[str, str]]:
    """The name words of a search text as (own spelling, group form) per name part; a
    particle joins the word after it ("Al Hassan" -> alhasan)."""
    table = _table()
    out: list[tuple[str, str]] = []
    for tok in _tokens(text, table, lookup=False):
        grouped = "".join(t.full for t in _tokens(tok.raw, table))
        out.append((tok.full, grouped or tok.full))
    return out

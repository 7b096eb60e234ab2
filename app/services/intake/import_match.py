"""Who is a row of an assignment list? Known, new or a conflict — the one name matcher decides.

Identifiers and names must agree:

- a row whose AZR number a person in the portal carries is that person only when the matcher
  finds name and birth date at least "possible" (``name_match.POSSIBLE``); otherwise the row is
  a **conflict** — shown with both sides in the preview, never imported and never an update;
- a row without a number match is the person the matcher scores "the same"
  (``name_match.SAME``) on name and birth date — unless both carry different AZR numbers (two
  different numbers are two persons). A person without a number, or with only the portal's
  internal file number (``MSA-…``), is **known** and gains the file's number on confirmation;
- the same person twice in the file is an error on the second row.

One statement per 5,000 rows reads the candidates (by number, by the birth dates the matcher
accepts: the date, day and month swapped, the year's 01.01., the whole year of a 01.01. date).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select

from app import dates
from app.extensions import db
from app.models import Organisation, Person
from app.services.casefile import name_match
from app.services.casefile.name_match import Token
from app.services.intake.import_table import FIELDS

#: a row of ``assignment_import.RowResult`` (not imported here: that module imports this one)
RowResult = Any

_CHUNK = 5000
#: the portal's own file numbers (given on entering a person by hand): not an AZR number
INTERNAL_NUMBER = re.compile(r"^MSA-\d+$", re.IGNORECASE)


def is_internal(number: str | None) -> bool:
    """Whether a stored file number is the portal's internal one (or empty)."""
    return not number or bool(INTERNAL_NUMBER.match(number))


@dataclass
class Known:
    """A person of the portal that a row may name (any provider)."""

    id: int
    organisation_id: int
    provider: str
    first_name: str
    last_name: str
    birth_date: dt.date
    file_number: str | None
    accommodation_id: int | None
    residence_status: str | None
    household_id: int | None
    tokens: list[Token]


def _dates_condition(births: list[dt.date]) -> Any:
    """The birth dates the matcher accepts for ``births``: single days in one ``IN``, runs of
    consecutive days (a long list names nearly every day of many years) as ranges."""
    days: set[dt.date] = set()
    years: set[int] = set()
    for born in births:
        more, span = _candidate_dates(born)
        days.update(more)
        if span is not None:
            years.add(born.year)
    single: list[dt.date] = []
    ranges: list[tuple[dt.date, dt.date]] = [
        (dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in sorted(years)
    ]
    one_day = dt.timedelta(days=1)
    ordered = sorted(days)
    start = 0
    for i, day in enumerate(ordered):
        if i + 1 < len(ordered) and ordered[i + 1] == day + one_day:
            continue
        if i - start >= 2:
            ranges.append((ordered[start], day))
        else:
            single.extend(ordered[start : i + 1])
        start = i + 1
    conditions: list[Any] = [Person.birth_date.in_(single)] if single else []
    conditions += [Person.birth_date.between(first, last) for first, last in ranges]
    return or_(*conditions)


def candidates(rows: list[RowResult]) -> list[Known]:
    """The persons a row may name: same number, or a birth date the matcher accepts."""
    numbers = sorted({r.data["file_number"] for r in rows if r.data.get("file_number")})
    births = sorted({r.data["birth_date"] for r in rows if r.data.get("birth_date")})
    cols = (
        Person.id,
        Person.organisation_id,
        Organisation.name,
        Person.first_name,
        Person.last_name,
        Person.birth_date,
        Person.file_number,
        Person.accommodation_id,
        Person.residence_status,
        Person.household_id,
    )
    found: dict[int, Known] = {}
    batches = max(len(numbers), len(births)) // _CHUNK + 1
    for i in range(batches):
        part_numbers = numbers[i * _CHUNK : (i + 1) * _CHUNK]
        part_births = births[i * _CHUNK : (i + 1) * _CHUNK]
        if not part_numbers and not part_births:
            continue
        where: list[Any] = []
        if part_numbers:
            where.append(Person.file_number.in_(part_numbers))
        if part_births:
            where.append(_dates_condition(part_births))
        stmt = (
            select(*cols)
            .join(Organisation, Organisation.id == Person.organisation_id)
            .where(or_(*where))
            .execution_options(msa_unscoped=True)
        )
        for row in db.session.execute(stmt):
            pid, org, prov, first, last, born, number, acc, status, hh = row
            found[pid] = Known(
                pid,
                org,
                prov,
                first,
                last,
                born,
                number,
                acc,
                status,
                hh,
                name_match.tokens(first, last),
            )
    return list(found.values())


class _Index:
    """Items by birth date and by birth year (for 01.01. dates, which stand for the year)."""

    def __init__(self) -> None:
        self.by_date: dict[dt.date, list[Any]] = {}
        self.by_year: dict[int, list[Any]] = {}

    def add(self, born: dt.date, item: Any) -> None:
        self.by_date.setdefault(born, []).append(item)
        self.by_year.setdefault(born.year, []).append(item)

    def near(self, born: dt.date) -> Sequence[Any]:
        """The items the matcher may compare with a birth date (read only: not a copy)."""
        days, span = _candidate_dates(born)
        if span is not None:
            return self.by_year.get(born.year, ())
        by_date = self.by_date
        return [k for d in days for k in by_date.get(d, ())]


@lru_cache(maxsize=100_000)
def _candidate_dates(born: dt.date) -> tuple[tuple[dt.date, ...], Any]:
    """``name_match.candidate_dates`` once per birth date (a list repeats birth dates)."""
    days, span = name_match.candidate_dates(born)
    return tuple(days), span


class _Rows:
    """The rows' name parts and name keys, folded once per spelling (a list repeats given and
    family names)."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], list[Token]] = {}
        self._keys: dict[tuple[str, str], str] = {}

    def tokens(self, r: RowResult) -> list[Token]:
        name = (r.data["first_name"], r.data["last_name"])
        found = self._tokens.get(name)
        if found is None:
            found = self._tokens[name] = name_match.tokens(*name)
        return found

    def name_key(self, r: RowResult) -> str:
        name = (r.data["first_name"], r.data["last_name"])
        found = self._keys.get(name)
        if found is None:
            found = self._keys[name] = name_match.name_key(*name)
        return found

    def score(self, r: RowResult, tokens: list[Token], born: dt.date) -> name_match.Match:
        return name_match.compare_tokens(self.tokens(r), r.data["birth_date"], tokens, born)


def match_rows(rows: list[RowResult]) -> None:
    """Set each row's status (new / known / update / conflict / error) and its person."""
    known = candidates(rows)
    by_number = {k.file_number: k for k in known if k.file_number}
    by_birth = _Index()
    for k in known:
        by_birth.add(k.birth_date, k)
    cache = _Rows()
    seen_numbers: dict[str, int] = {}
    # the rows read so far, and those of them without an AZR number: a row with a number is
    # compared with the latter only (two different AZR numbers are two persons)
    seen = _Index()
    seen_unnumbered = _Index()
    for r in rows:
        if r.status == "error":
            continue
        data = r.data
        data["name_key"] = cache.name_key(r)
        number = data["file_number"]
        born = data["birth_date"]
        twin = seen_numbers.get(number) if number else None
        if twin is None:
            twin = next(
                (
                    o.row
                    for o in (seen_unnumbered if number else seen).near(born)
                    if cache.score(r, cache.tokens(o), o.data["birth_date"]).same
                ),
                None,
            )
        if twin is not None:
            r.error("last_name", f"Die Person steht schon in Zeile {twin} der Datei.")
            continue
        if number:
            seen_numbers[number] = r.row
        else:
            seen_unnumbered.add(born, r)
        seen.add(born, r)
        _decide(r, by_number, by_birth, cache)


def _decide(r: RowResult, by_number: dict[str, Known], by_birth: _Index, cache: _Rows) -> None:
    number = r.data["file_number"]
    match = by_number.get(number) if number else None
    if match is not None:
        result = cache.score(r, match.tokens, match.birth_date)
        if not result.possible:
            _conflict(r, match, result)
            return
        r.match_score, r.match_reasons = result.score, result.reasons
    else:
        near = by_birth.near(r.data["birth_date"])
        if not near:  # the usual new person: nobody of the portal born near that day
            r.status = "new"
            return
        scored = [
            (cache.score(r, k.tokens, k.birth_date), k)
            for k in near
            # a person with another AZR number is another person
            if not (number and not is_internal(k.file_number) and k.file_number != number)
        ]
        best = max(
            (s for s in scored if s[0].same), key=lambda s: (s[0].score, -s[1].id), default=None
        )
        if best is None:
            r.status = "new"
            return
        match = best[1]
        r.match_score, r.match_reasons = best[0].score, best[0].reasons
    r.person_id = match.id
    r.household_id = match.household_id
    if match.organisation_id != r.organisation_id:
        r.provider = match.provider
        r.error(
            "accommodation",
            f"Die Person ist beim Träger „{match.provider}“ bekannt; die Unterkunft gehört "
            "zu einem anderen Träger – bitte eine Übergabe veranlassen.",
        )
        return
    r.provider = match.provider
    changes: dict[str, Any] = {}
    if r.data.get("accommodation_id") and r.data["accommodation_id"] != match.accommodation_id:
        changes["accommodation_id"] = r.data["accommodation_id"]
    status = r.data.get("residence_status")
    if status and status != match.residence_status:
        changes["residence_status"] = status
    if number and number != match.file_number and is_internal(match.file_number):
        changes["file_number"] = number  # the person gains the AZR number
    r.changes = changes
    r.status = "update" if changes else "known"


def _conflict(r: RowResult, match: Known, result: name_match.Match) -> None:
    """The number names a person whose name and birth date disagree: shown, never applied."""
    r.status = "conflict"
    r.person_id = match.id
    r.provider = match.provider
    r.match_score, r.match_reasons = result.score, result.reasons
    r.conflict = {
        "first_name": match.first_name,
        "last_name": match.last_name,
        "birth_date": match.birth_date,
        "provider": match.provider,
    }
    born = r.data["birth_date"]
    r.errors.append(
        (
            FIELDS["file_number"],
            f"Konflikt – die AZR-Nummer {r.data['file_number']} gehört im Portal zu "
            f"{match.last_name}, {match.first_name}, geb. {dates.de_date(match.birth_date)} "
            f"(Träger „{match.provider}“); die Datei nennt {r.data['last_name']}, "
            f"{r.data['first_name']}, geb. {dates.de_date(born)}. Name und Geburtsdatum "
            "stimmen nicht überein: die Zeile wird nicht importiert, die Person nicht geändert.",
        )
    )

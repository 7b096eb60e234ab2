"""Zuweisungsliste — import the county's assignment lists.

A file (``.xlsx`` or ``.csv`` in UTF-8 or Windows-1252, ``;`` or ``,``) lists the persons
assigned to the county. :func:`analyse` reads it without writing anything and says per row
whether the person is new, already known (by AZR number / Aktenzeichen, else by name and
birth date with the transliteration-aware matcher) — and then whether the file changes the
accommodation or residence status —, or wrong (row, column, German message).
:func:`apply` writes the result in ONE transaction: new persons at the provider that runs the
named accommodation, rows with the same ``Familien-Nr.`` as one household, updates of known
persons. Importing the same file again changes nothing. Reading the file and finding its header:
``import_table``; dates: ``app/dates.py``. See docs/intake.md.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, insert, or_, select, update

from app import dates
from app.extensions import db
from app.models import (
    Accommodation,
    AssignmentImport,
    AssignmentImportRow,
    Household,
    Organisation,
    Person,
)
from app.models.base import utcnow
from app.services.casefile import name_keys
from app.services.casefile.search import search_key
from app.services.data_protection.access_log import log_accesses
from app.services.errors import unit_of_work
from app.services.intake.aliases import Catalogues
from app.services.intake.custody import sync_custody
from app.services.intake.import_match import match_rows
from app.services.intake.import_table import (
    DATA,
    FIELDS,
    FOOTER,
    HEADER_SEARCH_ROWS,
    HEADER_VARIANTS,
    MAX_BYTES,
    REQUIRED,
    SUSPECT,
    ImportFileError,
    Layout,
    cell_problem,
    iter_table,
    locate_header,
    normalise_header,
    read_table,
    row_kind,
)

__all__ = [
    "FIELDS",
    "HEADER_SEARCH_ROWS",
    "HEADER_VARIANTS",
    "MAX_BYTES",
    "REQUIRED",
    "ImportFileError",
    "Layout",
    "analyse",
    "apply",
    "dumps_mapping",
    "import_file",
    "iter_table",
    "loads_mapping",
    "locate_header",
    "normalise_header",
    "parse_date",
    "read_table",
]

_CHUNK = 5000


# -- values --------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return dates.de_date(value)
    return str(value).strip()


def parse_date(value: Any) -> dt.date | None:
    """Read an Excel date, an Excel serial number or a ``TT.MM.JJJJ`` text; None if empty.

    Raises ``dates.DateError`` (a ValueError, German message) for anything else."""
    return dates.parse_date(value, serials=True)


@dataclass
class AccommodationInfo:
    id: int
    name: str
    operator_id: int | None
    operator: str | None


def _accommodations() -> dict[str, AccommodationInfo]:
    rows = db.session.execute(
        select(Accommodation.id, Accommodation.name, Accommodation.operator_id, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Accommodation.operator_id)
        .execution_options(msa_unscoped=True)
    )
    out: dict[str, AccommodationInfo] = {}
    for aid, name, op_id, op_name in rows:
        out.setdefault(normalise_header(name), AccommodationInfo(aid, name, op_id, op_name))
    return out


class _Lookups:
    """The accommodations by name and the dates, each spelling read once per file (a list
    names a few accommodations and repeats birth dates)."""

    def __init__(self, homes: dict[str, AccommodationInfo]) -> None:
        self._homes = homes
        self._home: dict[str, AccommodationInfo | None] = {}
        self._dates: dict[Any, dt.date | dates.DateError | None] = {}

    def home(self, name: str) -> AccommodationInfo | None:
        if name not in self._home:
            self._home[name] = self._homes.get(normalise_header(name))
        return self._home[name]

    def date(self, raw: Any) -> dt.date | None:
        """:func:`parse_date` (raises ``dates.DateError`` alike)."""
        try:
            found = self._dates[raw]
        except KeyError:
            try:
                found = parse_date(raw)
            except dates.DateError as exc:
                found = exc
            except TypeError:  # not hashable: not kept
                return parse_date(raw)
            if len(self._dates) < 200_000:
                self._dates[raw] = found
        if isinstance(found, dates.DateError):
            raise dates.DateError(found.message)
        return found


# -- analysis ------------------------------------------------------------------------------
@dataclass
class RowResult:
    """One data row of the file and what the import does with it."""

    row: int
    values: dict[str, str]
    status: str = "new"  # new | known | update | conflict | error
    errors: list[tuple[str, str]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    provider: str | None = None
    organisation_id: int | None = None
    person_id: int | None = None
    household_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    #: the portal's person an AZR number names when name and birth date disagree
    conflict: dict[str, Any] | None = None
    match_score: int | None = None
    match_reasons: tuple[str, ...] = ()
    #: (column, German message) of what was left empty or looks wrong; the row is imported
    warnings: list[tuple[str, str]] = field(default_factory=list)
    #: the parsed values as the preview shows them (dates TT.MM.JJJJ, labels for codes)
    shown: dict[str, str] = field(default_factory=dict)

    def error(self, fld: str, message: str) -> None:
        self.errors.append((FIELDS.get(fld, fld), message))
        self.status = "error"

    def warn(self, fld: str, message: str) -> None:
        self.warnings.append((FIELDS.get(fld, fld), message))

    @property
    def status_label(self) -> str:
        return {
            "new": "neu",
            "known": "bereits bekannt",
            "update": "bekannt, wird aktualisiert",
            "conflict": "Konflikt: AZR-Nummer passt, Name/Geburtsdatum nicht",
            "error": "Fehler",
        }[self.status]


@dataclass
class Analysis:
    """The whole file: its layout and every data row."""

    filename: str
    layout: Layout
    rows: list[RowResult]
    #: footer and note lines under the header that were skipped ("Summe: 14 Personen")
    skipped: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The JSON summary of INTERFACES.md (what an import of this analysis does)."""
        families = {r.data.get("household") for r in self.rows if r.status != "error"}
        return {
            "rows": len(self.rows),
            "created": sum(1 for r in self.rows if r.status == "new"),
            "updated": sum(1 for r in self.rows if r.status == "update"),
            "unchanged": sum(1 for r in self.rows if r.status == "known"),
            "households": len(families - {None, ""}),
            "errors": [
                {"row": r.row, "column": column, "message": message}
                for r in self.rows
                for column, message in r.errors
            ],
        }

    def details(self) -> dict[str, Any]:
        """The summary and the counts of the pages, in rows (not messages): rows with an
        error, rows with a warning, skipped footer lines."""
        return {
            **self.summary(),
            "error_rows": sum(1 for r in self.rows if r.status == "error"),
            "warning_rows": sum(1 for r in self.rows if r.warnings),
            "skipped_rows": len(self.skipped),
        }


def analyse(
    content: bytes,
    filename: str = "",
    mapping: Mapping[str, str] | None = None,
    parse_errors: dict[int, list[tuple[str, str]]] | None = None,
    table: Iterable[tuple[int, list[Any]]] | None = None,
) -> Analysis:
    """Read a file and decide per row: new, known (maybe with changes) or error. No writes.

    Raises :class:`ImportFileError` when the file cannot be read or a required column is
    missing. ``parse_errors`` (optional) receives each row's errors before matching; ``table``:
    the file already read (the upload reads it once)."""
    rows_in = iter(iter_table(content, filename) if table is None else table)
    head = list(itertools.islice(rows_in, HEADER_SEARCH_ROWS))
    layout = locate_header(head, mapping)
    if layout.missing:
        names = ", ".join(FIELDS[f] for f in layout.missing)
        raise ImportFileError(f"Pflichtspalte fehlt: {names}.")
    parse = _RowParser(layout, Catalogues.load(), _Lookups(_accommodations())).parse
    rows: list[RowResult] = []
    skipped: list[int] = []
    with cycles_paused():
        for number, cells in itertools.chain(head, rows_in):
            if number <= layout.header_row:
                continue
            kind = row_kind(cells)
            if kind != DATA:
                if kind == FOOTER:
                    skipped.append(number)
                continue
            row = parse(number, cells)
            if parse_errors is not None and row.errors:
                parse_errors[number] = list(row.errors)
            rows.append(row)
        judge(rows)
    return Analysis(filename, layout, rows, skipped)


@contextmanager
def cycles_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a list is analysed or stored.

    An analysis makes some hundred thousand container objects (rows, their dicts and lists)
    that all live until it ends; the collector's passes over them took about a quarter of the
    analysis (docs/intake.md, "Bounded work"). Nothing of the analysis forms reference cycles;
    reference counting frees memory as usual, and the collector runs again afterwards (it is
    left off only if it was off before). Nested use is fine."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def judge(rows: list[RowResult]) -> None:
    """Match the parsed rows against the known persons and apply the family rule."""
    match_rows(rows)  # known / new / conflict: app.services.intake.import_match
    _households(rows)


_UNKNOWN_VALUE = (
    "Unbekannter Wert „{text}“ – das Feld bleibt leer (Zuordnung unter „Katalog-Zuordnungen“ "
    "möglich)."
)
_CODED = ("sex", "nationality", "residence_status")


class _RowParser:
    """Parses the data rows of one file: the columns' positions found once, and each value
    judged once per spelling (a list repeats names, dates, accommodations and catalogue
    values): a date with its error or its shown form, a catalogue text with its code and
    label, an accommodation with its provider or error. The rules are those of docs/intake.md;
    what a row gets (values, data, errors and warnings in their order, shown values) does not
    depend on the rows before it."""

    def __init__(self, layout: Layout, catalogues: Catalogues, lookups: _Lookups) -> None:
        self.columns = tuple(layout.columns.items())
        self.dates = tuple((f, layout.columns.get(f)) for f in ("birth_date", "assigned_on"))
        self.coded = tuple(fld for fld in _CODED if fld in layout.columns)
        self.catalogues = catalogues
        self.lookups = lookups
        self.today = dt.date.today()
        self._days: dict[tuple[str, type, Any], tuple[dt.date | None, str | None]] = {}
        self._codes: dict[tuple[str, str], tuple[str | None, str]] = {}
        self._homes: dict[str, tuple[AccommodationInfo | None, str | None]] = {}

    def parse(self, number: int, cells: list[Any]) -> RowResult:
        width = len(cells)
        values: dict[str, str] = {}
        for fld, index in self.columns:
            if index < width:
                c = cells[index]
                values[fld] = c.strip() if type(c) is str else _text(c)
            else:
                values[fld] = ""
        result = RowResult(number, values)
        data = result.data
        if SUSPECT.search("\n".join(values.values())) is not None:
            _check_characters(result)  # the usual row: one look at all its cells, clean
        for fld in ("last_name", "first_name"):
            text = values.get(fld, "")
            if not text:
                result.error(fld, "Pflichtangabe fehlt.")
            elif len(text) > 100:
                result.error(fld, "Höchstens 100 Zeichen.")
            data[fld] = text
        shown = dict(values)
        days = self._days
        for fld, i in self.dates:
            raw = cells[i] if i is not None and i < width else None
            found = days.get((fld, type(raw), raw))
            day, message = self._day(fld, raw) if found is None else found
            if message is not None:
                result.error(fld, message)
            elif day is not None:
                data[fld] = day
                shown[fld] = _de_day(day)
        codes = self._codes
        for fld in self.coded:
            text = values[fld]
            if not text:
                shown[fld] = ""
                continue
            found_code = codes.get((fld, text))
            code, label = self._code(fld, text) if found_code is None else found_code
            if code is None:
                # an optional column: the person is imported, the field stays empty
                result.warn(fld, _UNKNOWN_VALUE.format(text=text))
            else:
                data[fld] = code
            shown[fld] = label
        file_number = values.get("file_number", "")
        if len(file_number) > 32:
            result.error("file_number", "Höchstens 32 Zeichen.")
        data["file_number"] = file_number or None
        data["household"] = values.get("household", "") or None
        info, message = self._home(values.get("accommodation", ""))
        if message is not None:
            result.error("accommodation", message)
        elif info is not None:
            data["accommodation_id"] = info.id
            result.organisation_id = info.operator_id
            result.provider = info.operator
        if info is not None and "accommodation" in shown:
            shown["accommodation"] = info.name
        result.shown = shown
        return result

    def _day(self, fld: str, raw: Any) -> tuple[dt.date | None, str | None]:
        """(the date, None) or (None, German error) of a date cell; (None, None): empty."""
        key = (fld, type(raw), raw)
        found = self._days.get(key)
        if found is None:
            found = self._judge_day(fld, raw)
            if len(self._days) < 200_000:
                self._days[key] = found
        return found

    def _judge_day(self, fld: str, raw: Any) -> tuple[dt.date | None, str | None]:
        try:
            day = self.lookups.date(raw)
        except dates.DateError as exc:
            return None, exc.message
        if day is None:
            return None, "Pflichtangabe fehlt." if fld == "birth_date" else None
        if fld == "birth_date" and (day > self.today or day < dt.date(1900, 1, 1)):
            return None, f"Das Geburtsdatum {day:%d.%m.%Y} ist nicht möglich."
        return day, None

    def _code(self, fld: str, text: str) -> tuple[str | None, str]:
        """(code or None, label as shown) of a coded column's text."""
        key = (fld, text)
        found = self._codes.get(key)
        if found is None:
            code = self.catalogues.code(fld, text)
            label = self.catalogues.labels.get(fld, {}).get(code, code) if code else ""
            found = (code, label)
            if len(self._codes) < 100_000:
                self._codes[key] = found
        return found

    def _home(self, name: str) -> tuple[AccommodationInfo | None, str | None]:
        """(the accommodation, None) or (what was found, German error) of a name."""
        found = self._homes.get(name)
        if found is None:
            info = self.lookups.home(name) if name else None
            if not name:
                found = (None, "Pflichtangabe fehlt.")
            elif info is None:
                found = (None, f"Die Unterkunft „{name}“ ist nicht bekannt.")
            elif info.operator_id is None:
                found = (info, f"Die Unterkunft „{info.name}“ hat keinen Träger.")
            else:
                found = (info, None)
            if len(self._homes) < 100_000:
                self._homes[name] = found
        return found


def _check_characters(result: RowResult) -> None:
    """Refuse control characters (never stored: PostgreSQL refuses NUL) and flag text that
    looks like a wrong encoding; the shown values carry a visible mark instead."""
    for fld, text in list(result.values.items()):
        problem = cell_problem(text)
        if problem is None:
            continue
        kind, message, cleaned = problem
        result.values[fld] = cleaned
        if kind == "error":
            result.error(fld, message)
        else:
            result.warn(fld, message)


@lru_cache(maxsize=50_000)
def _de_day(day: dt.date) -> str:
    return dates.de_date(day)


def _households(rows: list[RowResult]) -> None:
    """One household per Familien-Nr., imported all or nothing: a family whose members are at
    different providers, or of which one member has an error, is refused as a whole (every
    member's row says why); nothing of it is written."""
    families: dict[str, list[RowResult]] = {}
    for r in rows:
        family = r.data.get("household")
        if family:
            families.setdefault(family, []).append(r)
    for family, members in families.items():
        ok = [m for m in members if m.status != "error"]
        providers = {m.organisation_id for m in ok}
        failed = [m.row for m in members if m.status == "error"]
        if len(providers) > 1:
            names = ", ".join(sorted({m.provider or "?" for m in ok}))
            reason = (
                f"Familien-Nr. {family}: die Mitglieder gehören zu verschiedenen Trägern ({names})"
                " – die Familie wird nicht importiert; bitte eine Unterkunft eines Trägers "
                "angeben."
            )
        elif failed and ok:
            lines = ", ".join(str(n) for n in failed)
            reason = (
                f"Familien-Nr. {family}: Zeile {lines} hat einen Fehler – die Familie wird nur "
                "ganz importiert."
            )
        else:
            continue
        for m in ok:
            m.error("household", reason)


# -- the import ----------------------------------------------------------------------------
def apply(
    analysis: Analysis, *, channel: str = "", record: AssignmentImport | None = None
) -> dict[str, Any]:
    """Write the analysis in ONE transaction; return the summary (INTERFACES.md).

    ``record``: the uploaded list of the browser steps — marked imported (summary kept, file
    and analysed rows emptied) in the same transaction."""
    rows = [r for r in analysis.rows if r.status in ("new", "update", "known")]
    families: dict[str, list[RowResult]] = {}
    for r in rows:
        if r.data.get("household"):
            families.setdefault(r.data["household"], []).append(r)
    household_of: dict[str, int] = {}
    new_households: list[tuple[str, dict[str, Any]]] = []
    for family, members in families.items():
        existing = next((m.household_id for m in members if m.household_id), None)
        if existing is not None:
            household_of[family] = existing
        elif any(m.status == "new" for m in members):
            head = members[0]
            new_households.append(
                (
                    family,
                    {
                        "name": f"Familie {head.data['last_name']} (Familien-Nr. {family})"[:200],
                        "organisation_id": head.organisation_id,
                    },
                )
            )
    summary = analysis.summary()
    with unit_of_work():
        _write(analysis, rows, new_households, household_of)
        if record is not None:
            record.status = "imported"
            record.summary = json.dumps(analysis.details(), ensure_ascii=False)
            record.content = None
            record.analysis = None
            record.imported_at = utcnow()
            db.session.execute(
                delete(AssignmentImportRow).where(AssignmentImportRow.import_id == record.id)
            )
    return summary


def _write(
    analysis: Analysis,
    rows: list[RowResult],
    new_households: list[tuple[str, dict[str, Any]]],
    household_of: dict[str, int],
) -> None:
    """The writes of :func:`apply`, in the caller's transaction."""
    if new_households:
        ids = db.session.scalars(
            insert(Household).returning(Household.id, sort_by_parameter_order=True),
            [values for _family, values in new_households],
        ).all()
        household_of.update(
            {family: int(i) for (family, _v), i in zip(new_households, ids, strict=True)}
        )
    created = [r for r in rows if r.status == "new"]
    now = utcnow()
    if created:
        person_ids = db.session.scalars(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [_person_values(r, household_of, now) for r in created],
        ).all()
        for r, pid in zip(created, person_ids, strict=True):
            r.person_id = int(pid)
        # the similar-spelling search's keys (bulk inserts bypass the mapper events)
        name_keys.rebuild(db.session.connection(), [int(p) for p in person_ids])
    for r in rows:
        if r.status != "update":
            continue
        db.session.execute(
            update(Person)
            .where(Person.id == r.person_id)
            .values(**r.changes, version=Person.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    for r in rows:
        # a known member of an imported family without a household joins it
        number = r.data.get("household")
        if r.status != "new" and number in household_of and r.household_id is None:
            db.session.execute(
                update(Person)
                .where(Person.id == r.person_id, or_(Person.household_id.is_(None)))
                .values(household_id=household_of[number], version=Person.version + 1)
                .execution_options(synchronize_session=False)
            )
    custody_ids = [r.person_id for r in rows if r.status in ("new", "update") and r.person_id]
    sync_custody(db.session.connection(), custody_ids)
    detail = f"Zuweisungsimport {analysis.filename}"[:300]
    log_accesses(
        [
            (r.person_id, "create" if r.status == "new" else "update", "import", detail)
            for r in rows
            if r.status in ("new", "update")
        ],
        commit=False,
    )


def _person_values(r: RowResult, household_of: dict[str, int], now: dt.datetime) -> dict[str, Any]:
    data = r.data
    family = data.get("household")
    return {
        "organisation_id": r.organisation_id,
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        # bulk inserts bypass the mapper events that keep the search key
        "search_key": search_key(data["first_name"], data["last_name"]),
        "name_key": data["name_key"],
        "birth_date": data["birth_date"],
        "sex": data.get("sex"),
        "nationality": data.get("nationality"),
        "residence_status": data.get("residence_status"),
        "file_number": data.get("file_number"),
        "assigned_on": data.get("assigned_on"),
        "accommodation_id": data.get("accommodation_id"),
        "household_id": household_of.get(family) if family else None,
        "employable": False,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def import_file(
    content: bytes,
    filename: str = "",
    *,
    dry_run: bool = False,
    mapping: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Analyse and (unless ``dry_run``) import a file; return the JSON summary."""
    analysis = analyse(content, filename, mapping)
    if dry_run:
        return analysis.summary()
    return apply(analysis, channel="CLI")


def dumps_mapping(mapping: Mapping[str, str]) -> str:
    return json.dumps(dict(mapping), ensure_ascii=False)


def loads_mapping(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    value = json.loads(text)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

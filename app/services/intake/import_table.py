"""Zuweisungsliste — reading the file: the table of rows and where the header row is.

The county's lists come as ``.xlsx`` or ``.csv`` (UTF-8 or Windows-1252, ``;`` or ``,``), with
title rows above the header and headers spelt many ways; this module finds the header and maps
its columns to fields. The rows are judged and written by ``assignment_import``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: field -> German column header (the canonical name in the file, docs/intake.md)
FIELDS: dict[str, str] = {
    "last_name": "Name",
    "first_name": "Vorname",
    "birth_date": "Geburtsdatum",
    "sex": "Geschlecht",
    "nationality": "Staatsangehörigkeit",
    "file_number": "AZR-Nummer",
    "assigned_on": "Zuweisung am",
    "accommodation": "Unterkunft",
    "household": "Familien-Nr.",
    "residence_status": "Aufenthaltsstatus",
}
REQUIRED = ("last_name", "first_name", "birth_date", "accommodation")
#: accepted header variants (normalised by :func:`normalise_header`)
_VARIANTS: dict[str, tuple[str, ...]] = {
    "last_name": ("name", "nachname", "familienname", "zuname"),
    "first_name": ("vorname", "vornamen", "rufname"),
    "birth_date": ("geburtsdatum", "gebdatum", "geburtstag", "geborenam", "geboren", "gebam"),
    "sex": ("geschlecht", "geschl", "sex"),
    "nationality": (
        "staatsangehoerigkeit",
        "staatsangehorigkeit",
        "staatsang",
        "nationalitaet",
        "nationalitat",
        "herkunftsland",
    ),
    "file_number": (
        "azrnummer",
        "azrnr",
        "azr",
        "aktenzeichen",
        "az",
        "azrnummeraktenzeichen",
    ),
    "assigned_on": (
        "zuweisungam",
        "zuweisungsdatum",
        "zugewiesenam",
        "zuweisung",
        "datumzuweisung",
    ),
    "accommodation": ("unterkunft", "unterkunftsname", "einrichtung", "wohnheim"),
    "household": (
        "familiennr",
        "familiennummer",
        "famnr",
        "familie",
        "haushaltsnr",
        "haushaltsnummer",
        "haushalt",
    ),
    "residence_status": ("aufenthaltsstatus", "aufenthaltstitel", "status", "aufenthalt"),
}
HEADER_VARIANTS: dict[str, str] = {v: f for f, vs in _VARIANTS.items() for v in vs}
#: rows searched for the header row (title rows above it are skipped)
HEADER_SEARCH_ROWS = 20
MAX_BYTES = 20 * 1024 * 1024


class ImportFileError(Exception):
    """The file cannot be read, or a required column is missing (German message)."""


def normalise_header(text: Any) -> str:
    """Return a header text case-, space-, umlaut- and punctuation-insensitive."""
    s = str(text or "").strip().casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        s = s.replace(a, b)
    s = unicodedata.normalize("NFKD", s)
    return re.sub(r"[^a-z0-9]", "", s)


# -- reading the file ----------------------------------------------------------------------
#: file beginnings of documents that are no spreadsheet (what the refusal calls them)
NOT_A_TABLE = (
    (b"%PDF", "ein PDF-Dokument"),
    (
        b"\xd0\xcf\x11\xe0",
        "eine Datei im alten Office-Format (.xls/.doc; bitte als .xlsx speichern)",
    ),
    (b"\x89PNG", "ein Bild (PNG)"),
    (b"\xff\xd8\xff", "ein Bild (JPEG)"),
)


def read_table(content: bytes, filename: str = "") -> list[tuple[int, list[Any]]]:
    """Return ``(row number, cells)`` of every row of the file (first sheet of a workbook)."""
    if not content:
        raise ImportFileError("Die Datei ist leer.")
    if len(content) > MAX_BYTES:
        raise ImportFileError("Die Datei ist größer als 20 MB.")
    for magic, kind in NOT_A_TABLE:
        if content.startswith(magic):
            raise ImportFileError(
                f"Die Datei ist keine Tabelle, sondern {kind}. Bitte die Zuweisungsliste als "
                "Excel-Datei (.xlsx) oder als CSV-Datei hochladen."
            )
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    return _read_csv(content)


def _read_xlsx(content: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError("Die Excel-Datei kann nicht gelesen werden.") from exc
    try:
        sheet = workbook.worksheets[0]
        return [
            (n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _read_csv(content: bytes) -> list[tuple[int, list[Any]]]:
    if b"\x00" in content[:4096]:
        raise ImportFileError("Die Datei ist weder CSV noch Excel (.xlsx).")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    sample = "\n".join(text.splitlines()[: HEADER_SEARCH_ROWS + 5])
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(n, row) for n, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise ImportFileError(f"Die CSV-Datei kann nicht gelesen werden: {exc}") from exc


@dataclass
class Layout:
    """Where the header row is and which column holds which field."""

    header_row: int
    headers: list[str]
    columns: dict[str, int]
    unmapped: list[str]

    @property
    def missing(self) -> list[str]:
        return [f for f in REQUIRED if f not in self.columns]


def locate_header(
    table: Sequence[tuple[int, list[Any]]], mapping: Mapping[str, str] | None = None
) -> Layout:
    """Find the header row (title rows above are skipped) and map its columns to fields.

    ``mapping``: header text -> field (or "" to ignore the column), from the mapping step.
    """
    overrides = {normalise_header(k): v for k, v in (mapping or {}).items()}
    best: Layout | None = None
    best_hits = 0
    for number, cells in table[:HEADER_SEARCH_ROWS]:
        headers = ["" if c is None else str(c).strip() for c in cells]
        columns: dict[str, int] = {}
        unmapped: list[str] = []
        for index, text in enumerate(headers):
            if not text:
                continue
            key = normalise_header(text)
            target = overrides[key] if key in overrides else HEADER_VARIANTS.get(key)
            if target and target in FIELDS and target not in columns:
                columns[target] = index
            elif target is None and key:
                unmapped.append(text)
        hits = len(columns)
        if hits > best_hits and (hits >= 2 or len([h for h in headers if h]) >= 3):
            best, best_hits = Layout(number, headers, columns, unmapped), hits
            if hits >= 4:
                break
    if best is None:
        raise ImportFileError(
            "Keine Kopfzeile gefunden: erwartet werden Spalten wie Name, Vorname, "
            "Geburtsdatum, Unterkunft."
        )
    return best

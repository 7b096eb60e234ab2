"""Zuweisungsliste — reading the file: the table of rows and where the header row is.

The county's lists come as ``.xlsx`` or ``.csv`` (UTF-8 or Windows-1252, ``;`` or ``,``), with
title rows above the header, footer lines below the data and headers spelt many ways; this
module finds the header and maps its columns to fields. The rows are judged and written by
``assignment_import``.

Bounded work: a workbook is checked before it is read — the declared uncompressed size of every
zip member (:data:`MAX_UNCOMPRESSED`) and the declared dimension of the sheet
(:data:`MAX_ROWS` × :data:`MAX_COLUMNS`, from the sheet's head) — and then read streaming
(``xlsx_cells``: lxml, row by row, the values as openpyxl's ``read_only`` gives them),
counting rows and columns as they come (a sheet that declares less than it holds is counted
all the same). Cells merged over several rows are filled down (a family number merged over
three rows belongs to every member); the merge ranges are read from the sheet's XML in one
streaming pass before the rows.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree  # nosec B410 - only its error class (parsing: xlsx_cells)

from app.services.intake.xlsx_cells import Sheet, WorkbookError, column_number

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
#: limits of the work one upload may cause (checked before reading, and while reading)
MAX_ROWS = 250_000
MAX_COLUMNS = 200
MAX_UNCOMPRESSED = 400 * 1024 * 1024
MAX_MERGED_RANGES = 50_000

MSG_TOO_BIG = (
    "Die Datei ist zu groß: entpackt {size} MB, erlaubt sind höchstens {limit} MB. Bitte die "
    "Liste teilen."
)
MSG_TOO_MANY_ROWS = (
    "Die Tabelle hat {rows} Zeilen, erlaubt sind höchstens {limit}. Bitte die Liste teilen."
)
MSG_TOO_MANY_COLUMNS = (
    "Die Tabelle hat {columns} Spalten, erlaubt sind höchstens {limit}. Bitte nur die Spalten "
    "der Zuweisungsliste hochladen."
)
MSG_DECLARED = (
    "Die Excel-Datei gibt eine Tabellengröße von {rows} Zeilen × {columns} Spalten an; erlaubt "
    "sind höchstens {max_rows} Zeilen × {max_columns} Spalten. Bitte die Liste in Excel oder "
    "LibreOffice neu speichern oder teilen."
)
#: footer lines under the data: "Summe: 14 Personen", "Gesamt", "Stand: …", "Seite 1 von 2"
_FOOTER = re.compile(
    r"^\s*(summe|gesamt|insgesamt|anzahl|personen gesamt|stand|seite\s+\d|erstellt|"
    r"druckdatum|gedruckt|ende der liste)\b",
    re.IGNORECASE,
)
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})\"")


class ImportFileError(Exception):
    """The file cannot be read, or a required column is missing (German message)."""


def normalise_header(text: Any) -> str:
    """Return a header text case-, space-, umlaut- and punctuation-insensitive."""
    s = str(text or "").strip().casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        s = s.replace(a, b)
    s = unicodedata.normalize("NFKD", s)
    return re.sub(r"[^a-z0-9]", "", s)


def is_footer(cells: Sequence[Any]) -> bool:
    """Whether a row is a footer or note line ("Summe: 14 Personen"): at most two filled
    cells, the first of them a summary word."""
    return row_kind(cells) == FOOTER


#: what :func:`row_kind` says of a row
EMPTY, FOOTER, DATA = 0, 1, 2


def row_kind(cells: Sequence[Any]) -> int:
    """:data:`EMPTY` (no filled cell), :data:`FOOTER` (see :func:`is_footer`) or
    :data:`DATA`, in one pass that stops at the third filled cell (the usual data row)."""
    filled = 0
    first: Any = None
    for c in cells:
        if c is None or (c if type(c) is str else str(c)).strip() == "":
            continue
        filled += 1
        if filled > 2:
            return DATA
        if filled == 1:
            first = c
    if not filled:
        return EMPTY
    return FOOTER if _FOOTER.match(str(first)) else DATA


#: control characters a cell may not hold (tab, line feed and carriage return are allowed)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: UTF-8 read as Windows-1252/Latin-1: "Ã¤" for "ä", "â€“" for "–"; U+FFFD: an unknown byte
MOJIBAKE = re.compile(
    r"[ÃÂ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2018-\u203a\u20ac\u2122]|â€|\ufffd"
)
#: the first characters of every match of either (one character class: a fast scan); text
#: without them is clean, text with them gets the closer look of :func:`cell_problem`
SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\u00c3\u00c2\u00e2]")


def cell_problem(text: str) -> tuple[str, str, str] | None:
    """(``"error"`` or ``"warning"``, German message, the text as shown) of a cell holding
    control characters (refused: never stored, PostgreSQL refuses NUL) or text that looks like
    a wrong encoding (flagged); None for a clean cell."""
    if CONTROL.search(text):
        return (
            "error",
            "Die Zelle enthält Steuerzeichen (z. B. NUL) – bitte die Datei prüfen.",
            CONTROL.sub("\ufffd", text),
        )
    if MOJIBAKE.search(text):
        return (
            "warning",
            f"„{text}“ sieht nach einer falschen Zeichenkodierung aus (z. B. „Ã¤“ statt „ä“) – "
            "bitte die Datei als UTF-8 oder Windows-1252 speichern.",
            text,
        )
    return None


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
    return list(iter_table(content, filename))


def iter_table(content: bytes, filename: str = "") -> Iterator[tuple[int, list[Any]]]:
    """Yield ``(row number, cells)`` row by row (the analysis keeps no copy of the table).

    Raises :class:`ImportFileError` (German message) before memory grows: file size, declared
    sizes (on the first row asked for), rows and columns are limited."""
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
        return _iter_xlsx(content)
    return _iter_csv(content)


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose members declare more than the limit (a zip bomb)."""
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_UNCOMPRESSED:
        raise ImportFileError(
            MSG_TOO_BIG.format(size=total // 2**20, limit=MAX_UNCOMPRESSED // 2**20)
        )


def _check_dimension(declared: tuple[int, int] | None) -> None:
    """Refuse a sheet whose declared dimension is beyond the limits (read from its head)."""
    rows, columns = declared or (0, 0)
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        raise ImportFileError(
            MSG_DECLARED.format(
                rows=f"{rows:,}".replace(",", "."),
                columns=f"{columns:,}".replace(",", "."),
                max_rows=f"{MAX_ROWS:,}".replace(",", "."),
                max_columns=MAX_COLUMNS,
            )
        )


def _merged_ranges(archive: zipfile.ZipFile, path: str) -> dict[int, list[tuple[int, int, int]]]:
    """Merge ranges spanning rows: first row -> [(first column, last column, last row)],
    0-based columns. Read streaming from the sheet XML (its members are size-checked)."""
    found: dict[int, list[tuple[int, int, int]]] = {}
    count = 0
    tail = b""
    with archive.open(path) as src:
        while chunk := src.read(1 << 20):
            data = tail + chunk
            if b"mergeCell" not in data:  # the rows: a plain byte search skips them fast
                tail = data[-200:]
                continue
            last_end = 0
            for m in _MERGE.finditer(data):
                last_end = m.end()
                top, bottom = int(m.group(2)), int(m.group(4))
                if bottom <= top:
                    continue
                count += 1
                if count > MAX_MERGED_RANGES:
                    raise ImportFileError("Die Tabelle hat zu viele verbundene Zellen.")
                found.setdefault(top, []).append(
                    (
                        column_number(m.group(1).decode()) - 1,
                        column_number(m.group(3).decode()) - 1,
                        bottom,
                    )
                )
            tail = data[max(last_end, len(data) - 200) :]
    return found


_UNREADABLE = "Die Excel-Datei kann nicht gelesen werden."


def _iter_xlsx(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ImportFileError(_UNREADABLE) from exc
    with archive:
        _check_archive(archive)
        try:
            sheet = Sheet.open(archive)
            declared = sheet.dimension()
        except (WorkbookError, etree.Error, zipfile.BadZipFile, zlib.error, KeyError) as exc:
            raise ImportFileError(_UNREADABLE) from exc
        _check_dimension(declared)
        try:
            merged = _merged_ranges(archive, sheet.path)
            yield from _rows(sheet.rows(MAX_COLUMNS + 1), merged)
        except (WorkbookError, etree.Error, zipfile.BadZipFile, zlib.error, ValueError) as exc:
            raise ImportFileError(_UNREADABLE) from exc


def _rows(
    source: Iterable[tuple[int, list[Any]]], merged: dict[int, list[tuple[int, int, int]]]
) -> Iterator[tuple[int, list[Any]]]:
    """Number the rows (rows the sheet leaves out come as empty rows, as openpyxl gives
    them), refuse a row beyond :data:`MAX_ROWS` or wider than :data:`MAX_COLUMNS` (the reader
    stops one column beyond), and fill merged cells down."""
    down: dict[int, tuple[int, Any]] = {}  # column -> (last row of the merge, value)
    expected = 1
    for index, values in source:
        if index < expected:
            continue  # a row number given twice or out of order: openpyxl skips it too
        for number in range(expected, index + 1):
            if number > MAX_ROWS:
                raise ImportFileError(
                    MSG_TOO_MANY_ROWS.format(rows=f"über {MAX_ROWS}", limit=MAX_ROWS)
                )
            yield number, _filled(number, values if number == index else [], merged, down)
        expected = index + 1


def _filled(
    number: int,
    values: list[Any],
    merged: dict[int, list[tuple[int, int, int]]],
    down: dict[int, tuple[int, Any]],
) -> list[Any]:
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    cells = values[:end]
    if len(cells) > MAX_COLUMNS:
        raise ImportFileError(
            MSG_TOO_MANY_COLUMNS.format(columns=f"über {MAX_COLUMNS}", limit=MAX_COLUMNS)
        )
    if down:
        for column, (until, value) in list(down.items()):
            if number > until:
                del down[column]
                continue
            while len(cells) <= column:
                cells.append(None)
            if cells[column] is None:
                cells[column] = value
    for first, last, until in merged.get(number, ()):
        for column in range(first, min(last, MAX_COLUMNS - 1) + 1):
            value = cells[column] if column < len(cells) else None
            if value is not None:
                down[column] = (until, value)
    return cells


def _iter_csv(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Windows-1252 (Excel's "CSV (Trennzeichen-getrennt)"); bytes it does not define are
        # kept as U+FFFD and flagged per row as a wrong encoding
        text = content.decode("cp1252", errors="replace")
    sample = text[:65536]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    # NUL would stop the csv module; it is kept as a visible character and refused per row
    reader = csv.reader(
        io.StringIO(text.replace("\x00", "\ufffe"), newline=""), delimiter=delimiter
    )
    try:
        for n, row in enumerate(reader, start=1):
            if n > MAX_ROWS:
                raise ImportFileError(
                    MSG_TOO_MANY_ROWS.format(rows=f"über {MAX_ROWS}", limit=MAX_ROWS)
                )
            if len(row) > MAX_COLUMNS:
                raise ImportFileError(
                    MSG_TOO_MANY_COLUMNS.format(columns=len(row), limit=MAX_COLUMNS)
                )
            yield n, [c.replace("\ufffe", "\x00") for c in row]
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

"""Zuweisungsliste — reading the file: the table of rows and where the header row is.

The county's lists come as ``.xlsx`` or ``.csv`` (UTF-8 or Windows-1252, ``;`` or ``,``), with
title rows above the header, footer lines below the data and headers spelt many ways; this
module finds the header and maps its columns to fields. The rows are judged and written by
``assignment_import``.

Bounded work: a workbook is checked before it is read — the declared uncompressed size of every
zip member (:data:`MAX_UNCOMPRESSED`) and the declared dimension of the sheet
(:data:`MAX_ROWS` × :data:`MAX_COLUMNS`) — and then read streaming (openpyxl ``read_only``),
counting rows and columns as they come (a sheet that declares less than it holds is stopped
as well). Cells merged over several rows are filled down (a family number merged over three
rows belongs to every member); the merge ranges are read from the sheet's XML in one streaming
pass, as ``read_only`` does not report them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping, Sequence
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
    filled = [c for c in cells if c is not None and str(c).strip() != ""]
    return 0 < len(filled) <= 2 and bool(_FOOTER.match(str(filled[0])))


#: control characters a cell may not hold (tab, line feed and carriage return are allowed)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: UTF-8 read as Windows-1252/Latin-1: "Ã¤" for "ä", "â€“" for "–"; U+FFFD: an unknown byte
MOJIBAKE = re.compile(
    r"[ÃÂ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2018-\u203a\u20ac\u2122]|â€|\ufffd"
)


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


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose members declare more than the limit (a zip bomb)."""
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_UNCOMPRESSED:
        raise ImportFileError(
            MSG_TOO_BIG.format(size=total // 2**20, limit=MAX_UNCOMPRESSED // 2**20)
        )


def _check_dimension(sheet: Any) -> None:
    """Refuse a sheet whose declared dimension is beyond the limits (read from its header)."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
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
                        _column_number(m.group(1).decode()) - 1,
                        _column_number(m.group(3).decode()) - 1,
                        bottom,
                    )
                )
            tail = data[max(last_end, len(data) - 200) :]
    return found


def _iter_xlsx(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ImportFileError("Die Excel-Datei kann nicht gelesen werden.") from exc
    with archive:
        _check_archive(archive)
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise ImportFileError("Die Excel-Datei kann nicht gelesen werden.") from exc
        try:
            sheet = workbook.worksheets[0]
            _check_dimension(sheet)
            merged = _merged_ranges(archive, sheet._worksheet_path)
            yield from _rows(sheet, merged)
        finally:
            workbook.close()


def _rows(
    sheet: Any, merged: dict[int, list[tuple[int, int, int]]]
) -> Iterator[tuple[int, list[Any]]]:
    """Stream the rows (at most MAX_COLUMNS wide) and fill merged cells down."""
    down: dict[int, tuple[int, Any]] = {}  # column -> (last row of the merge, value)
    # the declared width (checked) bounds every row; a sheet without a dimension is cut one
    # column beyond the limit, which is then refused
    width = sheet.max_column or MAX_COLUMNS + 1
    for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=width), start=1):
        if number > MAX_ROWS:
            raise ImportFileError(MSG_TOO_MANY_ROWS.format(rows=f"über {MAX_ROWS}", limit=MAX_ROWS))
        end = len(values)
        while end and values[end - 1] is None:
            end -= 1
        cells = list(values[:end])
        if len(cells) > MAX_COLUMNS:
            raise ImportFileError(
                MSG_TOO_MANY_COLUMNS.format(columns=f"über {MAX_COLUMNS}", limit=MAX_COLUMNS)
            )
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
        yield number, cells


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

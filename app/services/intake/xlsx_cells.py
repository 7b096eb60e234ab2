"""Zuweisungsliste — the cells of a workbook's first sheet, read streaming and fast.

openpyxl's ``read_only`` mode builds a descriptor object per cell and took most of an upload's
time (docs/performance.md, "Assignment import"). This reader walks the sheet's XML with lxml's
``iterparse`` row by row (each row's elements are freed once read), and gives the values as
openpyxl's ``read_only`` + ``data_only`` would: shared and inline strings (rich text joined,
phonetic runs left out), numbers as ``int`` or ``float``, numbers in a date style as
``datetime`` (1900 or 1904 calendar), booleans, cached results of formulas, error texts.

The workbook's parts are found through its relationships (first worksheet of
``xl/workbook.xml``). Limits are checked by the caller (``import_table``): the declared sizes
of the zip members before anything is read, the declared dimension (:func:`Sheet.dimension`,
read from the sheet's head only), the rows and columns while reading. XML entities are not
resolved and nothing is fetched from the network.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree  # nosec B410 - entities not resolved, no network (see _parser_args)
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS = f"{{{_MAIN}}}"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_ROW, _C, _V, _IS, _T, _R = (_NS + t for t in ("row", "c", "v", "is", "t", "r"))
_SI = _NS + "si"
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,4})?(\d{1,10})?(?::([A-Z]{1,4})(\d{1,10}))?\""
)
_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData[\s>/]")
_LETTERS = re.compile(r"[A-Z]{1,3}$")
_DIGITS = "0123456789"
#: safe parser settings for files from outside
_PARSER_ARGS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


class WorkbookError(Exception):
    """The workbook's structure cannot be read (the caller says so in German)."""


def column_number(letters: str) -> int:
    """``"A"`` -> 1, ``"AA"`` -> 27."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, member path) of a part."""
    folder, name = posixpath.split(part)
    path = posixpath.join(folder, "_rels", f"{name}.rels")
    try:
        root = etree.fromstring(archive.read(path), etree.XMLParser(**_PARSER_ARGS))
    except KeyError:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for rel in root.iter(_PKG_REL):
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External":
            continue
        member = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        out[rel.get("Id") or ""] = (
            (rel.get("Type") or "").rsplit("/", 1)[-1],
            posixpath.normpath(member),
        )
    return out


@dataclass
class Sheet:
    """The first worksheet of a workbook and what its cells need (strings, date styles)."""

    archive: zipfile.ZipFile
    path: str
    strings_path: str | None
    styles_path: str | None
    epoch: Any

    @classmethod
    def open(cls, archive: zipfile.ZipFile) -> Sheet:
        rels = _rels(archive, "")
        book = next((p for t, p in rels.values() if t == "officeDocument"), "xl/workbook.xml")
        try:
            root = etree.fromstring(archive.read(book), etree.XMLParser(**_PARSER_ARGS))
        except (KeyError, etree.XMLSyntaxError) as exc:
            raise WorkbookError(str(exc)) from exc
        book_rels = _rels(archive, book)
        sheet_path = None
        for sheet in root.iter(_NS + "sheet"):
            kind, member = book_rels.get(sheet.get(f"{{{_REL}}}id") or "", ("", ""))
            if kind == "worksheet":
                sheet_path = member
                break
        if sheet_path is None or sheet_path not in archive.namelist():
            raise WorkbookError("no worksheet")
        pr = root.find(_NS + "workbookPr")
        date1904 = pr is not None and (pr.get("date1904") or "").lower() in ("1", "true")
        return cls(
            archive,
            sheet_path,
            next((p for t, p in book_rels.values() if t == "sharedStrings"), None),
            next((p for t, p in book_rels.values() if t == "styles"), None),
            CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900,
        )

    def dimension(self) -> tuple[int, int] | None:
        """The declared (rows, columns) of the sheet, read from its head only; None if the
        sheet declares none (as openpyxl's write-only mode)."""
        head = b""
        with self.archive.open(self.path) as src:
            while len(head) < (1 << 20):
                chunk = src.read(1 << 14)
                if not chunk:
                    break
                head += chunk
                m = _DIMENSION.search(head)
                if m:
                    rows = int(m.group(4) or m.group(2) or 0)
                    letters = (m.group(3) or m.group(1) or b"").decode()
                    return rows, column_number(letters) if letters else 0
                if _SHEET_DATA.search(head):
                    return None
        return None

    def shared_strings(self) -> list[str]:
        """The shared strings (each ``si``: its text, rich-text runs joined, phonetic runs out),
        read once into a list (a cell names its string by index)."""
        if not self.strings_path or self.strings_path not in self.archive.namelist():
            return []
        out: list[str] = []
        append = out.append
        with self.archive.open(self.strings_path) as src:
            for _event, si in etree.iterparse(src, events=("end",), tag=_SI, **_PARSER_ARGS):
                if len(si) == 1 and si[0].tag == _T:  # the usual string: one <t>
                    append(si[0].text or "")
                else:
                    append(_string_text(si))
                si.clear(keep_tail=False)
        return out

    def date_styles(self) -> tuple[set[int], set[int]]:
        """Indexes of the cell styles that show a date, and those showing a duration."""
        if not self.styles_path or self.styles_path not in self.archive.namelist():
            return set(), set()
        try:
            root = etree.fromstring(
                self.archive.read(self.styles_path), etree.XMLParser(**_PARSER_ARGS)
            )
            sheet = Stylesheet.from_tree(root)
        except Exception:  # a broken style sheet: no dates, like an unstyled workbook
            return set(), set()
        return set(sheet.date_formats), set(sheet.timedelta_formats)

    def rows(self, width: int) -> Iterator[tuple[int, list[Any]]]:
        """``(row number, values)`` of every row with cells up to column ``width``; rows the
        sheet leaves out are not yielded (the caller fills the gap).

        The loop is the reader's hot spot (a long list has a million cells): cells are
        found by lxml's tag filter, shared strings and plain numbers are read inline, the
        column of a reference's letters and the kind of a cell style are looked up once."""
        strings = self.shared_strings()
        n_strings = len(strings)
        dates, durations = self.date_styles()
        epoch = self.epoch
        columns: dict[str, int] = {}  # cell reference's letters -> column number
        styles: dict[str, bool] = {}  # cell style -> shows a date or duration
        number = 0
        with self.archive.open(self.path) as src:
            for _event, row in etree.iterparse(src, events=("end",), tag=_ROW, **_PARSER_ARGS):
                r = row.get("r")
                number = int(float(r)) if r else number + 1
                values: list[Any] = []
                column = 0
                for c in row.iterchildren(_C):
                    ref = c.get("r")
                    if ref:
                        letters = ref.rstrip(_DIGITS)
                        found = columns.get(letters)
                        if found is None:
                            found = column_number(letters) if _LETTERS.match(letters) else -1
                            if len(columns) < 1000:
                                columns[letters] = found
                        column = found if found > 0 else column + 1
                    else:
                        column += 1
                    if column > width:
                        break
                    kind = c.get("t")
                    value: Any
                    if kind == "s" or kind is None or kind == "n":
                        if not len(c):
                            continue
                        v = c[-1]  # <v>, after a formula's <f> if any
                        if v.tag != _V:
                            v = c.find(_V)
                        text = v.text if v is not None else None
                        if not text:
                            continue
                        if kind == "s":
                            index = int(text)
                            if not 0 <= index < n_strings:
                                raise WorkbookError(f"shared string {index} missing")
                            value = strings[index]
                        else:
                            style = c.get("s")
                            dated = styles.get(style) if style else False
                            if dated is None and style:
                                dated = styles[style] = int(style) in dates
                            if dated:
                                value = _value(c, "n", c.attrib, strings, dates, durations, epoch)
                            elif "." in text or "E" in text or "e" in text:
                                value = float(text)
                            else:
                                value = int(text)
                    elif kind == "inlineStr":
                        value = _inline(c)
                    else:
                        value = _value(c, kind, c.attrib, strings, dates, durations, epoch)
                    if value is None:
                        continue
                    if len(values) < column - 1:
                        values.extend([None] * (column - 1 - len(values)))
                    values.append(value)
                row.clear(keep_tail=False)
                parent = row.getparent()
                if parent is not None:
                    while row.getprevious() is not None:
                        del parent[0]
                yield number, values


def _inline(c: Any) -> str | None:
    """An inline string (``<is>``): usually one ``t``."""
    if len(c) == 0:
        return None
    inline = c[0] if c[0].tag == _IS else c.find(_IS)
    if inline is None:
        return None
    if len(inline) == 1 and inline[0].tag == _T:
        return str(inline[0].text or "")
    return _string_text(inline)


def _string_text(element: Any) -> str:
    """The text of an ``si`` or ``is`` element: its ``t``, or its runs' ``t`` joined."""
    parts: list[str] = []
    for child in element:
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag == _R:
            t = child.find(_T)
            if t is not None:
                parts.append(t.text or "")
    return "".join(parts)


def _value(
    c: Any,
    kind: str,
    attrib: Any,
    strings: list[str],
    dates: set[int],
    durations: set[int],
    epoch: Any,
) -> Any:
    """A cell's value as openpyxl ``read_only`` + ``data_only`` gives it."""
    if not len(c):
        return None
    v = c[-1]  # <v>, after a formula's <f> if any
    if v.tag != _V:
        v = c.find(_V)
    text = v.text if v is not None else None
    if not text:
        return None
    if kind == "s":
        index = int(text)
        if not 0 <= index < len(strings):
            raise WorkbookError(f"shared string {index} missing")
        return strings[index]
    if kind == "n":
        number: int | float = (
            float(text) if ("." in text or "E" in text or "e" in text) else int(text)
        )
        style = attrib.get("s")
        if style and int(style) in dates:
            try:
                return from_excel(number, epoch, timedelta=int(style) in durations)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number
    if kind == "b":
        return bool(int(text))
    if kind == "d":
        return from_ISO8601(text)
    return text  # "str" (a formula's text), "e" (an error such as #N/A)

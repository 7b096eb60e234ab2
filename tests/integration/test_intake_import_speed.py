"""The assignment import's bounded, set-based work: the analysis asks the database the same
number of statements for 100 rows as for 1,000 (candidates read in sets, never per row), and
the fast workbook reader gives every cell as openpyxl's ``read_only`` mode does."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess  # nosec B404 - the test converts its own files with LibreOffice
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from sqlalchemy import event

from app.extensions import db
from app.models import Accommodation, AccommodationKind
from app.services.intake import assignment_import as imp
from app.services.intake import import_table
from tests import factories


@contextmanager
def _statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = db.engine

    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _before)


def _list(rows: int) -> bytes:
    lines = ["Name;Vorname;Geburtsdatum;AZR-Nummer;Unterkunft;Familien-Nr."]
    for n in range(rows):
        born = dt.date(1960, 1, 2) + dt.timedelta(days=37 * n)
        lines.append(
            f"Haddad-{n % 50};Omar{n % 7};{born:%d.%m.%Y};AZR-{n:06d};ÜWH Lindenweg;F{n // 3}"
        )
    return ("\n".join(lines) + "\n").encode()


def test_analysis_statement_count_does_not_grow_with_rows(app: Flask) -> None:
    """Catalogues, accommodations and the candidate persons are read in sets: the statements
    of an analysis of 1,000 rows are as many as of 100 rows (known persons among them)."""
    with app.app_context():
        org = factories.make_org("Caritas Test")
        db.session.add(
            Accommodation(
                name="ÜWH Lindenweg", kind=AccommodationKind.transitional_home, operator_id=org.id
            )
        )
        db.session.commit()
        for n in range(0, 1000, 97):  # known persons: by AZR number and by name + birth date
            born = dt.date(1960, 1, 2) + dt.timedelta(days=37 * n)
            factories.make_person(
                org,
                first_name=f"Omar{n % 7}",
                last_name=f"Haddad-{n % 50}",
                birth_date=born,
                file_number=f"AZR-{n:06d}" if n % 2 else None,
            )
        counts = {}
        for rows in (100, 1000):
            content = _list(rows)
            with _statements(app) as seen:
                analysis = imp.analyse(content, "liste.csv")
            assert len(analysis.rows) == rows
            assert sum(1 for r in analysis.rows if r.status in ("known", "update")) >= 2
            counts[rows] = len(seen)
        assert counts[1000] <= counts[100] + 1, counts
        assert counts[100] <= 10, counts


def _openpyxl_rows(content: bytes) -> list[list[Any]]:
    wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        out = []
        for values in wb.worksheets[0].iter_rows(values_only=True):
            cells = list(values)
            while cells and cells[-1] is None:
                cells.pop()
            out.append(cells)
        return out
    finally:
        wb.close()


def _typed_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Vorname", "Geburtsdatum", "Zahl", "Bruch", "Ja", "Formel"])
    ws.append(["Haddad", "Omar", dt.date(1990, 5, 17), 29677, 1.5, True, "=1+1"])
    ws.append(["Ünal", None, dt.datetime(2001, 2, 3, 4, 5), -3, 1e-7, False, None])
    ws["A5"] = "nach einer Lücke"
    ws["C5"] = 44000
    ws["C5"].number_format = "DD.MM.YYYY"
    ws["D6"] = CellRichText("fett ", TextBlock(InlineFont(b=True), "und"), " normal")
    ws["B7"] = "  Leerzeichen  "
    ws.merge_cells("F2:F3")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_workbook_cells_as_openpyxl_reads_them(tmp_path: Path) -> None:
    """Strings, numbers, dates (date styles), booleans, formulas without a cached value, rich
    text, rows left out — as openpyxl reads them; also after LibreOffice re-saved the file
    (shared strings, cached formula results)."""
    content = _typed_workbook()
    files = [content]
    soffice = shutil.which("soffice")
    if soffice:
        (tmp_path / "in.xlsx").write_bytes(content)
        subprocess.run(  # nosec B603 - fixed arguments, own files
            [
                soffice,
                f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                "--headless",
                "--convert-to",
                "xlsx:Calc MS Excel 2007 XML",
                "--outdir",
                str(tmp_path / "out"),
                str(tmp_path / "in.xlsx"),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        files.append((tmp_path / "out" / "in.xlsx").read_bytes())
    for data in files:
        expected = _openpyxl_rows(data)
        got = [cells for _n, cells in import_table.read_table(data, "x.xlsx")]
        assert len(got) >= len(expected)
        for number, (mine, theirs) in enumerate(zip(got, expected, strict=False), start=1):
            if number == 3:  # F2:F3 merged: the import fills F3 down, openpyxl leaves it empty
                assert mine[5] == got[1][5] is not None
                mine = mine[:5] + mine[6:]
                theirs = theirs[:5] + theirs[6:]
                while mine and mine[-1] is None:
                    mine.pop()
                while theirs and theirs[-1] is None:
                    theirs.pop()
            assert mine == theirs, (number, mine, theirs)
        assert got[1][2] == dt.datetime(1990, 5, 17) and got[4][2] == dt.datetime(2020, 6, 18)


@pytest.mark.parametrize("ref", ["A1:B2", "A1"])
def test_sheet_declaring_less_than_it_holds_is_read_whole(ref: str) -> None:
    """A declared dimension smaller than the sheet does not hide rows or columns (they are
    counted against the limits all the same)."""
    from tests.integration.test_intake_import_files import _with_dimension

    wb = Workbook()
    ws = wb.active
    for n in range(5):
        ws.append([f"r{n}", "b", "c", "d"])
    buf = io.BytesIO()
    wb.save(buf)
    rows = import_table.read_table(_with_dimension(buf.getvalue(), ref), "x.xlsx")
    assert [cells for _n, cells in rows] == [[f"r{n}", "b", "c", "d"] for n in range(5)]

"""The assignment import's fast paths keep its rules (docs/intake.md, "Bounded work"): in-file
twins found among the rows a row may name, candidate birth dates read as ranges, the compact
stored rows read back as they were analysed (and stored rows of the older, full shape still
read), the character check's pre-filter never misses a problem, the garbage collector's pause
undone, an upload's statements flat with its rows, and the workbook reader giving openpyxl's
values for a list written by LibreOffice (or openpyxl where LibreOffice is missing)."""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import event

from app.extensions import db
from app.models import Accommodation, AccommodationKind
from app.services.intake import assignment_import as imp
from app.services.intake import import_match, import_store, import_table
from app.services.intake.import_table import SUSPECT, cell_problem
from bench import import_limits
from tests import factories

HEADER = "Name;Vorname;Geburtsdatum;AZR-Nummer;Unterkunft;Familien-Nr.;Staatsangehörigkeit\n"


def _world(app: Flask) -> dict[str, int]:
    with app.app_context():
        org = factories.make_org("Caritas Test")
        home = Accommodation(
            name="ÜWH Lindenweg", kind=AccommodationKind.transitional_home, operator_id=org.id
        )
        db.session.add(home)
        db.session.commit()
        return {"org": org.id, "home": home.id}


def test_twins_in_the_file_with_and_without_azr_numbers(app: Flask) -> None:
    """The same person twice is an error on the later row; two different AZR numbers are two
    persons whatever their names; a row with a number is the twin of an earlier row without
    one, and a row without a number the twin of any earlier row."""
    _world(app)
    lines = [
        "Nouri;Zahra;03.04.1985;;ÜWH Lindenweg;;syrisch",  # 2
        "Nouri;Zahra;03.04.1985;AZR-20;ÜWH Lindenweg;;syrisch",  # 3: twin of 2
        "Haddad;Omar;17.05.1990;AZR-10;ÜWH Lindenweg;;syrisch",  # 4
        "Haddad;Omar;17.05.1990;AZR-11;ÜWH Lindenweg;;syrisch",  # 5: another number
        "Hadad;Omar;17.05.1990;AZR-10;ÜWH Lindenweg;;syrisch",  # 6: same number as 4
        "Haddad;Omar;17.05.1990;;ÜWH Lindenweg;;syrisch",  # 7: twin of 4
        "Haddad;Omar;18.05.1990;;ÜWH Lindenweg;;syrisch",  # 8: another day
    ]
    with app.app_context():
        rows = imp.analyse((HEADER + "\n".join(lines) + "\n").encode(), "x.csv").rows
    status = {r.row: r.status for r in rows}
    assert status == {2: "new", 3: "error", 4: "new", 5: "new", 6: "error", 7: "error", 8: "new"}
    said = {r.row: r.errors[0][1] for r in rows if r.errors}
    assert said == {
        3: "Die Person steht schon in Zeile 2 der Datei.",
        6: "Die Person steht schon in Zeile 4 der Datei.",
        7: "Die Person steht schon in Zeile 4 der Datei.",
    }


def test_candidates_read_by_runs_of_days_and_single_days(app: Flask) -> None:
    """Runs of consecutive candidate days are read as ranges, single days as a list: exactly
    the persons born on a day the matcher accepts are read (and the 01.01. of the year)."""
    w = _world(app)
    with app.app_context():
        org = w["org"]
        born = {
            "run1": dt.date(1980, 3, 14),
            "run2": dt.date(1980, 3, 15),
            "run3": dt.date(1980, 3, 16),
            "single": dt.date(1980, 3, 20),
            "swapped": dt.date(1980, 5, 3),  # 03.05. of a row born 05.03.
            "year": dt.date(1980, 1, 1),
            "after_run": dt.date(1980, 3, 17),
            "next_day": dt.date(1980, 3, 21),
            "other_year": dt.date(1981, 3, 15),
        }
        ids = {
            key: factories.make_person(
                org, first_name=key, last_name="Test", birth_date=day, file_number=None
            ).id
            for key, day in born.items()
        }
        rows = [
            imp.RowResult(n, {}, data={"file_number": None, "birth_date": day})
            for n, day in enumerate(
                [
                    dt.date(1980, 3, 14),
                    dt.date(1980, 3, 15),
                    dt.date(1980, 3, 16),
                    dt.date(1980, 3, 20),
                    dt.date(1980, 3, 5),
                ]
            )
        ]
        found = {k.id for k in import_match.candidates(rows)}
    wanted = {"run1", "run2", "run3", "single", "swapped", "year"}
    assert found == {ids[k] for k in wanted}


def _old_payload(r: imp.RowResult, parse_errors: list[tuple[str, str]]) -> str:
    """A stored row as uploads before the compact shape stored it (every key)."""
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.data.items()}
    return json.dumps(
        {
            "values": r.values,
            "shown": {k: v for k, v in r.shown.items() if r.values.get(k) != v},
            "data": data,
            "errors": r.errors,
            "parse_errors": parse_errors,
            "warnings": r.warnings,
            "provider": r.provider,
            "organisation_id": r.organisation_id,
            "person_id": r.person_id,
            "household_id": r.household_id,
        },
        ensure_ascii=False,
    )


def _fields(r: imp.RowResult) -> dict[str, Any]:
    return {
        "values": r.values,
        "data": r.data,
        "errors": r.errors,
        "warnings": r.warnings,
        "shown": r.shown,
        "provider": r.provider,
        "organisation_id": r.organisation_id,
        "person_id": r.person_id,
        "household_id": r.household_id,
    }


def test_compact_stored_rows_read_back_as_analysed(app: Flask) -> None:
    """Every kind of row (new, known with a change, conflict, error, warning, control
    characters, a wrong encoding, without number or family) reads back from its stored
    payload as it was analysed, and as it was parsed for the confirmation; a payload of the
    older, full shape reads the same."""
    w = _world(app)
    with app.app_context():
        org = w["org"]
        factories.make_person(
            org,
            first_name="Lina",
            last_name="Haddad",
            birth_date=dt.date(2013, 2, 2),
            file_number="AZR-1",
        )
        factories.make_person(
            org,
            first_name="Omar",
            last_name="Jafari",
            birth_date=dt.date(1988, 4, 12),
            file_number="MSA-000042",
            accommodation_id=w["home"],
        )
        lines = [
            "Karimi;Mohamad;14.03.1985;AZR-1;ÜWH Lindenweg;;syrisch",  # conflict
            "Jafari;Omar;12.04.1988;AZR-77;ÜWH Lindenweg;;afghanisch",  # known, gains number
            "Nouri;Zahra;31.02.1985;AZR-2;ÜWH Lindenweg;F1;syrisch",  # error: no such day
            "Nouri;Ali;03.04.2015;AZR-3;ÜWH Lindenweg;F1;syrisch",  # family of an error
            "Rahimi;Aisha;01.01.1970;;ÜWH Lindenweg;;marsianisch",  # warning, no number
            "MÃ¼ller;Jürgen;05.06.1960;AZR-4;ÜWH Lindenweg;;",  # wrong encoding
            "Ahmadi\x00;Yusuf;05.06.1961;AZR-5;ÜWH Lindenweg;;",  # control character
            "Shevchenko;Olena;1.2.99;AZR-6;Unbekanntes Heim;;ukrainisch",  # unknown home
            ";Omar;05.06.1962;AZR-7;ÜWH Lindenweg;F9;",  # name missing
        ]
        parse_errors: dict[int, list[tuple[str, str]]] = {}
        analysis = imp.analyse(
            (HEADER + "\n".join(lines) + "\n").encode(), "x.csv", None, parse_errors
        )
    statuses = {r.status for r in analysis.rows}
    assert {"conflict", "update", "error", "new"} <= statuses
    assert any(r.warnings for r in analysis.rows)
    for r in analysis.rows:
        before = parse_errors.get(r.row, [])
        compact = import_store._payload(r, before)
        assert len(compact) < len(_old_payload(r, before))
        for text in (compact, _old_payload(r, before)):
            back = import_store.row_from_payload(r.row, r.status, text)
            assert back.status == r.status
            assert _fields(back) == _fields(r), r.row
            parsed = import_store.row_from_payload(r.row, r.status, text, parsed=True)
            assert parsed.errors == before
            assert parsed.status == ("error" if before else "new")
            assert parsed.person_id is None and parsed.household_id is None
            assert parsed.data == r.data and parsed.organisation_id == r.organisation_id


def test_character_prefilter_never_misses_a_problem() -> None:
    """A cell the fast pre-filter passes has no control character and no sign of a wrong
    encoding: every character that can begin a problem is in the filter."""
    followers = ["", "x", "€", "\u0080", "¤", "\u2019", "\u0153", "\ufffd"]
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        for follower in followers:
            text = f"a{chr(code)}{follower}"
            if cell_problem(text) is not None:
                assert SUSPECT.search(text) is not None, hex(code)
    assert SUSPECT.search("Müller;Ünal;ÜWH Lindenweg;§ 24 AufenthG;Ğ;ç") is None


def test_analysis_pauses_and_restores_the_garbage_collector(app: Flask) -> None:
    _world(app)
    content = (HEADER + "Haddad;Omar;17.05.1990;AZR-10;ÜWH Lindenweg;;syrisch\n").encode()
    seen: list[bool] = []
    with app.app_context():
        original = import_match.match_rows

        def spy(rows: list[Any]) -> None:
            seen.append(gc.isenabled())
            original(rows)

        try:
            imp.match_rows = spy  # type: ignore[assignment]
            assert gc.isenabled()
            imp.analyse(content, "x.csv")
            assert gc.isenabled() and seen == [False]
            gc.disable()
            try:
                imp.analyse(content, "x.csv")
                assert not gc.isenabled()
            finally:
                gc.enable()
        finally:
            imp.match_rows = original


@contextmanager
def _statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", _before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", _before)


def test_upload_statements_do_not_grow_with_rows(app: Flask) -> None:
    """Upload + one analysis + stored rows + the first preview page: one multi-row insert per
    2,000 rows, otherwise as many statements for 4,000 rows as for 500."""
    _world(app)
    actor = type("Actor", (), {"id": None})()
    counts = {}
    with app.app_context():
        for rows in (500, 4000):
            first = dt.date(1960, 1, 2)
            lines = [
                f"Haddad-{n % 40};Omar{n % 9};{first + dt.timedelta(days=n):%d.%m.%Y};"
                f"AZR-{rows}-{n};ÜWH Lindenweg;F{n // 3};syrisch"
                for n in range(rows)
            ]
            content = (HEADER + "\n".join(lines) + "\n").encode()
            with _statements() as seen:
                record = import_store.upload(content, "liste.csv", actor=actor)
                summary = import_store.ensure_analysed(record)["summary"]
                shown, _pages = import_store.stored_rows(
                    record, page=1, size=100, only_errors=False
                )
            assert summary["rows"] == rows and summary["error_rows"] == 0 and len(shown) == 100
            counts[rows] = len(seen)
    assert counts[4000] <= counts[500] + 2, counts


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


def test_reader_gives_openpyxls_values_for_a_list_written_by_libreoffice(tmp_path: Path) -> None:
    """The benchmark's list (title row, 300 rows, footer; converted by LibreOffice with shared
    strings and a declared dimension, by openpyxl where LibreOffice is missing): every row of
    the fast reader equals openpyxl's."""
    import_limits.write_files(300, ["ÜWH Lindenweg", "GU Am Hang"], tmp_path)
    content = (tmp_path / "liste.xlsx").read_bytes()
    mine = [cells for _n, cells in import_table.read_table(content, "liste.xlsx")]
    theirs = _openpyxl_rows(content)
    assert len(mine) == len(theirs) == 303
    assert mine == theirs
    assert mine[1][0] == "Name" and mine[-1] == ["Summe: 300 Personen"]

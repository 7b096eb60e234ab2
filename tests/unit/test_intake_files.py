"""Reading assignment lists without a database: encodings, separators, headers."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services.intake.assignment_import import (
    ImportFileError,
    locate_header,
    normalise_header,
    parse_date,
    read_table,
)


@pytest.mark.parametrize(
    "header,expected",
    [
        ("Staatsangehörigkeit", "staatsangehoerigkeit"),
        (" Familien-Nr. ", "familiennr"),
        ("GEB.-DATUM", "gebdatum"),
        ("AZR Nummer", "azrnummer"),
    ],
)
def test_headers_are_case_space_umlaut_insensitive(header: str, expected: str) -> None:
    assert normalise_header(header) == expected


def test_csv_windows_1252_with_commas_and_a_title_row() -> None:
    text = (
        "Zuweisungen Dezember,,\n"
        "Nachname,Vorname,Geburtsdatum,Unterkunft\n"
        "Müller,Jürgen,01.02.1970,ÜWH\n"
    )
    table = read_table(text.encode("cp1252"), "liste.csv")
    layout = locate_header(table)
    assert layout.header_row == 2 and layout.missing == []
    assert table[2][1][0] == "Müller"


def test_mapping_overrides_unknown_headers() -> None:
    table = [(1, ["Familie", "Rufname", "Geb", "Heim"])]
    assert locate_header(table).missing  # "Familie" is read as Familien-Nr., the rest unknown
    layout = locate_header(
        table,
        {
            "Familie": "last_name",
            "Rufname": "first_name",
            "Geb": "birth_date",
            "Heim": "accommodation",
        },
    )
    assert layout.missing == [] and layout.columns["accommodation"] == 3


def test_unreadable_files() -> None:
    with pytest.raises(ImportFileError):
        read_table(b"", "x.csv")
    with pytest.raises(ImportFileError):
        read_table(b"PK\x03\x04kaputt", "x.xlsx")
    with pytest.raises(ImportFileError):
        locate_header(read_table(b"nur;Text\nohne;Kopf\n", "x.csv"))


@pytest.mark.parametrize(
    "raw,expected",
    [
        (dt.datetime(2026, 12, 1, 0, 0), dt.date(2026, 12, 1)),
        ("1.12.2026", dt.date(2026, 12, 1)),
        ("01.12.26", dt.date(2026, 12, 1)),
        (None, None),
        ("", None),
    ],
)
def test_dates(raw: object, expected: dt.date | None) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["31.02.1992", "morgen", "12/31/2020"])
def test_impossible_dates(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_date(raw)

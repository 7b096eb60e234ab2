"""Formula injection in CSV/XLSX exports: app.services.export_safety."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.export_safety import FORMULA_PREFIXES, safe_cell, safe_row


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        '=HYPERLINK("https://evil.example","klick")',
        "+49 170 123",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1",
        "\r=1",
        "=cmd|' /C calc'!A0",
    ],
)
def test_formula_starts_are_neutralised(value: str) -> None:
    out = safe_cell(value)
    assert out == "'" + value
    assert not str(out).startswith(FORMULA_PREFIXES)


@pytest.mark.parametrize("value", ["Amal Haddad", "", "a=b", "1-2", "'=schon", " =1", "Ünal"])
def test_plain_text_is_unchanged(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [None, 0, -5, 3.5, -1.25, Decimal("-2.50"), dt.date(2026, 1, 2)])
def test_non_text_passes_through(value: object) -> None:
    assert safe_cell(value) is value


@given(st.text())
def test_no_text_cell_starts_a_formula(value: str) -> None:
    out = safe_cell(value)
    assert isinstance(out, str)
    assert not out.startswith(FORMULA_PREFIXES)
    assert out.endswith(value)  # nothing of the content is lost


def test_csv_round_trip_keeps_text_as_text() -> None:
    buf = io.StringIO()
    csv.writer(buf).writerow(safe_row(["=1+2", "Haddad", -3]))
    row = next(csv.reader(io.StringIO(buf.getvalue())))
    assert row == ["'=1+2", "Haddad", "-3"]

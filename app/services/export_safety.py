"""Spreadsheet formula injection (CSV/XLSX): neutralise cell values before export.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by Excel/LibreOffice (``=HYPERLINK(…)``, ``=cmd|…``). ``safe_cell`` prefixes such text with a
single quote, which spreadsheet programs show as text. Numbers, dates and ``None`` pass through
unchanged, so negative numbers stay numbers. Use it for every text cell of every export.
"""

from __future__ import annotations

from typing import TypeVar

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """Return ``value`` safe for a CSV/XLSX cell (text starting a formula gets a leading ')."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values: list[object]) -> list[object]:
    """Apply :func:`safe_cell` to each value of a row."""
    return [safe_cell(v) for v in values]

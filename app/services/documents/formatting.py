"""German number and month formats for pages and exports.

Decimals with a comma (``12,5``), months as ``Jul 2026`` — never ``2026-07`` or ``12.5`` on a
German page, in a CSV/XLSX/PDF export or a document.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

MONTH_ABBR_DE = (
    "Jan",
    "Feb",
    "Mär",
    "Apr",
    "Mai",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Okt",
    "Nov",
    "Dez",
)


def month_de(value: Any) -> str:
    """Return ``"Jul 2026"`` for ``"2026-07"`` (or a date); other values unchanged."""
    if isinstance(value, dt.date):
        return f"{MONTH_ABBR_DE[value.month - 1]} {value.year}"
    text = str(value or "")
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        month = int(text[5:])
        if 1 <= month <= 12:
            return f"{MONTH_ABBR_DE[month - 1]} {text[:4]}"
    return text


def decimal_de(value: Any, places: int = 1) -> str:
    """Return a number with a decimal comma (``12,5``); None as ``–``; integers unchanged."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    if isinstance(value, float | Decimal):
        text = f"{float(value):,.{places}f}"
        return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return str(value)

"""German display of values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.formatting import de_datetime, de_month, de_number, display
from app.models.organisation import AccommodationKind


def test_values_are_shown_german() -> None:
    assert display(None) == "–" and display("") == "–"
    assert display(True) == "ja" and display(False) == "nein"
    assert display(dt.date(2026, 7, 1)) == "01.07.2026"
    assert display(Decimal("1234.5")) == "1.234,50"
    assert de_number(12000) == "12.000"
    assert display(AccommodationKind.transitional_home) == "Übergangswohnheim (ÜWH)"
    assert display("transitional_home") == "Übergangswohnheim (ÜWH)"
    assert display(["Fachkraft"]) == "Fachkraft"


def test_times_in_europe_berlin() -> None:
    # stored naive UTC: 10:30 UTC in July is 12:30 in Berlin (summer time), 11:30 in winter
    assert de_datetime(dt.datetime(2026, 7, 1, 10, 30)) == "01.07.2026 12:30"
    assert de_datetime(dt.datetime(2026, 1, 1, 10, 30)) == "01.01.2026 11:30"
    assert de_month("2026-07") == "Juli 2026"

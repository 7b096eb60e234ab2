"""The one date module: what a user, a client or a file may give, and how a date is shown.

Rules: TT.MM.JJJJ, T.M.JJ (two-digit years within 80 years back and 19 ahead), ISO and
spreadsheet serials (1900 system) are read; a day that does not exist or lies outside
01.01.1900–31.12.2099 is refused with a German message — never shifted to another day.
"""

from __future__ import annotations

import datetime as dt

import pytest

from app.dates import DateError, de_date, de_datetime, de_datetime_long, full_year, parse_date

TODAY = dt.date(2026, 12, 6)


@pytest.mark.parametrize(
    ("given", "day"),
    [
        ("05.12.2026", dt.date(2026, 12, 5)),
        ("5.12.2026", dt.date(2026, 12, 5)),
        ("5.12.26", dt.date(2026, 12, 5)),
        ("05.12.26", dt.date(2026, 12, 5)),
        ("2026-12-05", dt.date(2026, 12, 5)),
        ("  05.12.2026\t", dt.date(2026, 12, 5)),
        ("\n2026-12-05 ", dt.date(2026, 12, 5)),
        ("05/12/2026", dt.date(2026, 12, 5)),
        ("29.02.2024", dt.date(2024, 2, 29)),  # leap year
        ("29.02.2000", dt.date(2000, 2, 29)),  # divisible by 400: leap year
        ("30.04.2026", dt.date(2026, 4, 30)),
        ("1.1.60", dt.date(1960, 1, 1)),  # a birth date: 80 years back
        ("1.1.45", dt.date(2045, 1, 1)),  # 19 years ahead
        ("1.1.46", dt.date(1946, 1, 1)),
        ("01.01.1900", dt.date(1900, 1, 1)),
        ("31.12.2099", dt.date(2099, 12, 31)),
        (45000, dt.date(2023, 3, 15)),  # a spreadsheet number cell
        (45000.75, dt.date(2023, 3, 15)),  # with a time of day
        (61, dt.date(1900, 3, 1)),
        (dt.date(2026, 1, 2), dt.date(2026, 1, 2)),
        (dt.datetime(2026, 1, 2, 23, 30), dt.date(2026, 1, 2)),
    ],
)
def test_reads_the_accepted_forms(given: object, day: dt.date) -> None:
    assert parse_date(given, today=TODAY) == day


@pytest.mark.parametrize("given", [None, "", "   "])
def test_nothing_given_is_none(given: object) -> None:
    assert parse_date(given) is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("31.02.2025", "Den 31.02.2025 gibt es nicht"),
        ("2025-02-31", "Den 31.02.2025 gibt es nicht"),  # never saved as 03.03.2025
        ("29.02.2025", "Den 29.02.2025 gibt es nicht"),  # not a leap year
        ("29.02.1900", "Den 29.02.1900 gibt es nicht"),  # divisible by 100: no leap year
        ("31.04.2026", "Den 31.04.2026 gibt es nicht"),
        ("00.01.2026", "Den 00.01.2026 gibt es nicht"),
        ("1.13.2026", "Den 01.13.2026 gibt es nicht"),
        ("31.12.1899", "zwischen dem 01.01.1900 und dem 31.12.2099"),
        ("01.01.2100", "zwischen dem 01.01.1900 und dem 31.12.2099"),
        ("morgen", "„morgen“ ist kein Datum"),
        ("05.12.202", "ist kein Datum"),
        ("05122026", "ist kein Datum"),  # digits only are no serial in a form
        ("45000", "ist kein Datum"),
        ("12/2026", "ist kein Datum"),
        (60, "kein Datum, das eine Tabelle eindeutig meint"),  # Excel's 29.02.1900
        (0, "kein Datum, das eine Tabelle eindeutig meint"),
        (-5, "kein Datum, das eine Tabelle eindeutig meint"),
        (True, "TT.MM.JJJJ"),
    ],
)
def test_refuses_with_a_german_message(given: object, message: str) -> None:
    with pytest.raises(DateError) as exc:
        parse_date(given, today=TODAY)
    assert message in exc.value.message
    assert isinstance(exc.value, ValueError)


def test_serials_in_text_only_where_a_file_is_read() -> None:
    assert parse_date("45000", serials=True) == dt.date(2023, 3, 15)
    assert parse_date("05.12.2026 00:00", serials=True) == dt.date(2026, 12, 5)
    with pytest.raises(DateError):
        parse_date("60", serials=True)


def test_a_narrower_range_is_refused_in_german() -> None:
    with pytest.raises(DateError) as exc:
        parse_date("05.12.2026", maximum=dt.date(2026, 12, 1))
    assert exc.value.message == "Das Datum muss zwischen dem 01.01.1900 und dem 01.12.2026 liegen."


@pytest.mark.parametrize(
    ("two", "year"),
    [(26, 2026), (45, 2045), (46, 1946), (0, 2000), (99, 1999), (47, 1947)],
)
def test_two_digit_year_window(two: int, year: int) -> None:
    assert full_year(two, TODAY) == year


def test_two_digit_year_window_moves_with_the_years() -> None:
    assert full_year(46, dt.date(2027, 1, 1)) == 2046
    assert full_year(30, dt.date(2000, 6, 1)) == 1930


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (dt.date(2026, 12, 5), "05.12.2026"),
        ("2026-12-05", "05.12.2026"),
        ("2026-12-05T10:00:00", "05.12.2026"),
        (None, "–"),
        ("", "–"),
        ("kein Datum", "kein Datum"),
        (dt.datetime(2026, 12, 31, 23, 30), "01.01.2027"),  # stored UTC, shown in Berlin
    ],
)
def test_shows_german_dates(value: object, shown: str) -> None:
    assert de_date(value) == shown


def test_shows_german_times_in_berlin() -> None:
    summer = dt.datetime(2026, 7, 1, 10, 5)  # UTC, CEST = +2
    winter = dt.datetime(2026, 1, 1, 10, 5)  # UTC, CET = +1
    assert de_datetime(summer) == "01.07.2026 12:05"
    assert de_datetime(winter) == "01.01.2026 11:05"
    assert de_datetime(dt.date(2026, 1, 1)) == "01.01.2026"
    assert de_datetime(None) == "–"
    assert de_datetime_long(summer) == "01.07.2026, 12:05 Uhr"
    assert de_date(None, "") == ""


def test_a_shown_date_reads_back_as_the_same_day() -> None:
    day = dt.date(1950, 1, 1)
    while day < dt.date(2099, 12, 31):
        assert parse_date(de_date(day)) == day
        day += dt.timedelta(days=97)

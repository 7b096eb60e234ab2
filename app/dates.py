"""German dates, one way: the one parser and the one formatter of every date in the portal.

Every door that receives a date — the forms (through ``app/views/date_field.py``), the REST
payloads (``FieldSpec`` kind ``"date"``), the case-management and statistics services, the
assignment import, the filters of search pages — calls :func:`parse_date`; every page, document
and export shows dates through :func:`de_date` / :func:`de_datetime` (also the Jinja filters of
the same names, bound once in ``app/formatting.py``).

Accepted input (surrounding whitespace ignored):

- ``TT.MM.JJJJ`` and the short ``T.M.JJJJ`` (``05.12.2026``, ``5.12.2026``); day first also with
  ``/`` or ``-`` between the parts (``05/12/2026``, as spreadsheets export it);
- two-digit years ``T.M.JJ`` (``5.12.26``). Pivot: a two-digit year means the year within
  the window from 80 years before to 19 years after today's year (in 2026: ``46`` → 1946,
  ``45`` → 2045) — birth dates of adults and appointments of the next years both read right;
- ISO ``JJJJ-MM-TT`` (``2026-12-05``; what a date picker, a browser or an API client sends);
- spreadsheet serial numbers of the 1900 system of Excel and LibreOffice (day 1 of both counts
  from 30.12.1899 from 01.03.1900 on): a number cell always; a text of digits only with
  ``serials=True`` (the import reads text columns). Serials before 61 (January and February
  1900, where Excel and LibreOffice disagree) are refused.

Refused, with a German message (:class:`DateError`), never shifted and never dropped: a day
that does not exist (``31.02.2025``, ``29.02.2025``, ``31.04.2026``), any other text, and a date
outside ``minimum`` … ``maximum`` (default 01.01.1900 … 31.12.2099).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
EMPTY = "–"
#: the widest range of a date the portal stores
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2099, 12, 31)
#: two-digit years: the window of years they may stand for, relative to today's year
PIVOT_PAST_YEARS = 80
PIVOT_FUTURE_YEARS = 19
#: day 0 of the spreadsheet 1900 system (Excel and LibreOffice agree from serial 61 on)
SERIAL_EPOCH = dt.date(1899, 12, 30)
FIRST_SAFE_SERIAL = 61

HINT = "TT.MM.JJJJ"
MSG_FORMAT = "„{text}“ ist kein Datum – bitte im Format TT.MM.JJJJ angeben."
MSG_IMPOSSIBLE = "Den {text} gibt es nicht – bitte ein gültiges Datum angeben."
MSG_RANGE = "Das Datum muss zwischen dem {first} und dem {last} liegen."
MSG_PLAIN = "Bitte ein Datum im Format TT.MM.JJJJ angeben."
MSG_SERIAL = "Die Zahl {text} ist kein Datum, das eine Tabelle eindeutig meint."

_GERMAN = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DIGITS = re.compile(r"^\d+(?:[.,]\d+)?$")


class DateError(ValueError):
    """A date that cannot be taken as it was given (German message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def full_year(two_digits: int, today: dt.date | None = None) -> int:
    """Return the year a two-digit year stands for (the pivot window in the module docstring)."""
    this_year = (today or dt.date.today()).year
    year = this_year - this_year % 100 + two_digits
    if year > this_year + PIVOT_FUTURE_YEARS:
        year -= 100
    elif year < this_year - PIVOT_PAST_YEARS:
        year += 100
    return year


def _day(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateError(MSG_IMPOSSIBLE.format(text=text)) from None


def _from_serial(number: float, text: str) -> dt.date:
    if number != number or number < FIRST_SAFE_SERIAL or number >= 2958466:  # NaN, 1900, >9999
        raise DateError(MSG_SERIAL.format(text=text))
    return SERIAL_EPOCH + dt.timedelta(days=int(number))


def _parse_text(text: str, *, serials: bool, today: dt.date | None) -> dt.date:
    m = _GERMAN.match(text)
    if m:
        day, month, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if len(m.group(4)) == 2:
            year = full_year(year, today)
        return _day(year, month, day, f"{day:02d}.{month:02d}.{m.group(4)}")
    m = _ISO.match(text)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return _day(year, month, day, f"{day:02d}.{month:02d}.{year}")
    if serials and _DIGITS.match(text):
        return _from_serial(float(text.replace(",", ".")), text)
    raise DateError(MSG_FORMAT.format(text=text))


def parse_date(
    value: Any,
    *,
    serials: bool = False,
    minimum: dt.date = EARLIEST,
    maximum: dt.date = LATEST,
    today: dt.date | None = None,
) -> dt.date | None:
    """Return the date a user, a client or a file gave; None for nothing given.

    Raises :class:`DateError` (German message) for an impossible, unreadable or out-of-range
    date. A date-time is taken as its date (an aware one as its day in Europe/Berlin).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise DateError(MSG_PLAIN)
    if isinstance(value, dt.datetime):
        day = berlin(value).date() if value.tzinfo is not None else value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float):
        day = _from_serial(float(value), str(value))
    else:
        text = " ".join(str(value).split())
        if not text:
            return None
        if " " in text and serials:  # a spreadsheet text cell "05.12.2026 00:00"
            text = text.split(" ")[0]
        day = _parse_text(text, serials=serials, today=today)
    if not minimum <= day <= maximum:
        raise DateError(MSG_RANGE.format(first=de_date(minimum), last=de_date(maximum)))
    return day


def berlin(value: dt.datetime) -> dt.datetime:
    """A stored time (naive = UTC) in Europe/Berlin."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(BERLIN)


def de_date(value: Any, empty: str = EMPTY) -> str:
    """``TT.MM.JJJJ`` (``empty`` for none); a date-time is shown as its day in Europe/Berlin.

    An ISO text (a serialised result) is shown German too; any other text unchanged.
    """
    if value is None or value == "":
        return empty
    if isinstance(value, dt.datetime):
        return berlin(value).strftime("%d.%m.%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    m = _ISO.match(str(value)[:10])
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).strftime("%d.%m.%Y")
        except ValueError:
            pass
    return str(value)


def de_datetime(value: Any, empty: str = EMPTY) -> str:
    """``TT.MM.JJJJ HH:MM`` in Europe/Berlin (``empty`` for none); a date as :func:`de_date`."""
    if value is None or value == "":
        return empty
    if isinstance(value, dt.datetime):
        return berlin(value).strftime("%d.%m.%Y %H:%M")
    return de_date(value, empty)


def de_datetime_long(value: Any, empty: str = EMPTY) -> str:
    """``TT.MM.JJJJ, HH:MM Uhr`` in Europe/Berlin — the form of documents and letters."""
    if not isinstance(value, dt.datetime):
        return empty if value in (None, "") else str(value)
    return berlin(value).strftime("%d.%m.%Y, %H:%M Uhr")


#: English month abbreviations of the English display ("7 Dec 2026")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _as_day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return berlin(value).date()
    if isinstance(value, dt.date):
        return value
    m = _ISO.match(str(value)[:10])
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    return None


def en_date(value: Any, empty: str = EMPTY) -> str:
    """The English display of a day, unambiguous: ``7 Dec 2026`` (any other text unchanged)."""
    if value is None or value == "":
        return empty
    day = _as_day(value)
    if day is None:
        return str(value)
    return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"


def en_datetime(value: Any, empty: str = EMPTY) -> str:
    """``7 Dec 2026, 14:30`` in Europe/Berlin; a date as :func:`en_date`."""
    if isinstance(value, dt.datetime):
        return f"{en_date(value)}, {berlin(value).strftime('%H:%M')}"
    return en_date(value, empty)


def shown_date(value: Any, empty: str = EMPTY) -> str:
    """A day on screen in the request's language (German ``TT.MM.JJJJ`` or ``7 Dec 2026``)."""
    from app.i18n import english

    return en_date(value, empty) if english() else de_date(value, empty)


def shown_datetime(value: Any, empty: str = EMPTY) -> str:
    """A date-time on screen in the request's language (Europe/Berlin)."""
    from app.i18n import english

    return en_datetime(value, empty) if english() else de_datetime(value, empty)


def shown_datetime_long(value: Any, empty: str = EMPTY) -> str:
    """A date-time of documents in the request's language (``…, 14:30 Uhr`` / ``…, 14:30``)."""
    from app.i18n import english

    if english() and isinstance(value, dt.datetime):
        return en_datetime(value, empty)
    return de_datetime_long(value, empty)

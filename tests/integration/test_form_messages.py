"""Form messages at a field: one German message, the input kept.

- The appointment's times (``GermanTimeField``): a time the form cannot read is refused with a
  German message (WTForms' own is English), in English through the catalogue in an English
  request; an empty start time has its own message; ``9.30`` is read as 09:30.
- A required German date field of the cooperation and staff forms (``DateRequired``): empty or
  blank input gives exactly one message ("Bitte ein Datum angeben."), an impossible date only the
  date's own message (``DataRequired`` replaced it by "please give a date").

Through the Flask test client (the pages as they are rendered). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import Appointment
from app.security import matrix
from app.views.date_field import DATE_REQUIRED, TIME_INVALID, TIME_REQUIRED

DAY = (dt.date.today() + dt.timedelta(days=3)).strftime("%d.%m.%Y")
ALERT = re.compile(r'<div class="alert alert-danger">(.*?)</div>', re.S)


def _field_messages(page: str, name: str) -> list[str]:
    """The messages shown at the field ``name`` (its table cell of the FAB form)."""
    start = page.index(f'name="{name}"')
    cell = page[start : page.index("</td>", start)]
    return [" ".join(m.split()) for m in ALERT.findall(cell)]


def _date_message(text: str) -> str:
    try:
        parse_date(text)
    except DateError as exc:
        return exc.message
    raise AssertionError(f"{text} is a valid date")


@pytest.fixture
def lead(app: Flask, login_as: Any, factory: Any) -> Any:
    org = factory.make_org()
    db.session.commit()
    return login_as(matrix.ROLE_LEAD, org.id)


# -- the appointment's times ----------------------------------------------------------------
#: rule -> (form change, field, the one message)
TIME_RULES: dict[str, tuple[dict[str, str], str, str]] = {
    "end time unreadable": ({"end_time": "9 Uhr"}, "end_time", TIME_INVALID),
    "start time unreadable": ({"start_time": "9 Uhr"}, "start_time", TIME_INVALID),
    "start time out of the day": ({"start_time": "25:00"}, "start_time", TIME_INVALID),
    "start time blank": ({"start_time": " "}, "start_time", TIME_INVALID),
    "start time empty": ({"start_time": ""}, "start_time", TIME_REQUIRED),
}


@pytest.mark.parametrize("rule", list(TIME_RULES))
def test_appointment_time_has_one_german_message(lead: Any, rule: str) -> None:
    change, field, message = TIME_RULES[rule]
    form = {"date": DAY, "start_time": "09:30", "end_time": "", "title": "Termin", **change}
    resp = lead.post("/appointmentview/add", data=form)
    assert resp.status_code == 422, rule
    page = html.unescape(resp.get_data(as_text=True))
    assert _field_messages(page, field) == [message], rule
    assert "Not a valid" not in page
    tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', page)
    assert tag is not None and f'value="{change[field]}"' in tag.group(0)  # input kept
    assert db.session.scalars(select(Appointment.id)).all() == []


def test_appointment_time_with_a_dot_is_read(lead: Any) -> None:
    form = {"date": DAY, "start_time": "9.30", "end_time": "10:45", "title": "Termin"}
    resp = lead.post("/appointmentview/add", data=form)
    assert resp.status_code == 302, html.unescape(resp.get_data(as_text=True))[:500]
    stored = db.session.scalars(select(Appointment)).one()
    assert (stored.start_time, stored.end_time) == (dt.time(9, 30), dt.time(10, 45))


def test_appointment_time_message_in_english(app: Flask, lead: Any) -> None:
    """In an English request the message goes through the catalogue (never WTForms' English)."""
    from flask_babel import force_locale, gettext

    lead.get("/lang/en")
    form = {"date": DAY, "start_time": "09:30", "end_time": "9 Uhr", "title": "Termin"}
    resp = lead.post("/appointmentview/add", data=form)
    assert resp.status_code == 422
    page = html.unescape(resp.get_data(as_text=True))
    with app.test_request_context(), force_locale("en"):
        expected = gettext(TIME_INVALID)
    assert _field_messages(page, "end_time") == [expected]
    assert "Not a valid" not in page


# -- required German date fields ------------------------------------------------------------
#: form -> (url, the date field, other fields, message when empty)
DATE_FORMS: dict[str, tuple[str, str, dict[str, str], str]] = {
    "meeting": ("/meetingview/add", "date", {"topics": "Wohnen"}, DATE_REQUIRED),
    "project": ("/projectview/add", "starts_on", {"name": "Sprachcafé"}, "Bitte Beginn angeben."),
    "staff training": (
        "/stafftrainingview/add",
        "date",
        {"title": "Asylrecht", "hours": "2"},
        DATE_REQUIRED,
    ),
    "staff supervision": ("/staffsupervisionview/add", "date", {"hours": "1"}, DATE_REQUIRED),
}

#: input -> the one message (None: the form's message when empty)
DATE_INPUTS: dict[str, str | None] = {
    "": None,
    "   ": None,
    "31.02.2026": _date_message("31.02.2026"),
    "morgen früh": _date_message("morgen früh"),
}


@pytest.mark.parametrize("typed", list(DATE_INPUTS))
@pytest.mark.parametrize("form_name", list(DATE_FORMS))
def test_required_date_has_one_german_message(lead: Any, form_name: str, typed: str) -> None:
    url, field, others, when_empty = DATE_FORMS[form_name]
    resp = lead.post(url, data={field: typed, **others})
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code in (200, 422), (form_name, typed)
    expected = DATE_INPUTS[typed] or when_empty
    assert _field_messages(page, field) == [expected], (form_name, typed)
    if typed.strip():
        assert f'value="{typed}"' in page  # the typed text stays in the field

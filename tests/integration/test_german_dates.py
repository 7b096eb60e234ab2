"""German dates on the forms: typed and pasted dates are kept, impossible ones refused at the field.

The rule: a date is shown and accepted as TT.MM.JJJJ (also T.M.JJ and JJJJ-MM-TT when pasted);
a day that does not exist is refused with a German message and the typed text stays in the
field — never shifted to another day, never dropped while the record is saved without it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from app.security import matrix

IMPOSSIBLE = "31.02.2025"
REFUSAL = "Den 31.02.2025 gibt es nicht"


def _setup(factory: Any, login_as: Any) -> tuple[Any, Any]:
    org = factory.make_org()
    client = login_as(matrix.ROLE_CASEWORKER, org)
    person = factory.make_person(org, first_name="Amal", last_name="Haddad")
    return client, person


def _value_of(html: str, name: str) -> str:
    m = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert m, name
    v = re.search(r'value="([^"]*)"', m.group(0))
    return v.group(1) if v else ""


def _sub_record(kind: str, person: Any) -> Any:
    from app.extensions import db
    from app.models import Employment, IntegrationCourse

    row: Any
    if kind == "integrationcourseview":
        row = IntegrationCourse(person_id=person.id, course="general")
    else:
        row = Employment(person_id=person.id, employer="Bäckerei")
    row.organisation_id = person.organisation_id
    row.start_on = dt.date(2024, 3, 1)
    db.session.add(row)
    db.session.commit()
    return row


def _form(kind: str, start: str) -> dict[str, str]:
    if kind == "integrationcourseview":
        return {"course": "general", "start_on": start, "end_on": ""}
    return {"employer": "Bäckerei", "position": "Verkauf", "start_on": start, "end_on": ""}


@pytest.mark.parametrize("view", ["integrationcourseview", "employmentview"])
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("05.12.2026", dt.date(2026, 12, 5)),
        ("5.12.26", dt.date(2026, 12, 5)),
        ("2026-12-05", dt.date(2026, 12, 5)),
        (" 29.02.2024 ", dt.date(2024, 2, 29)),
    ],
)
def test_sub_record_edit_keeps_a_german_date(
    factory: Any, login_as: Any, view: str, typed: str, stored: dt.date
) -> None:
    """The course and employment edit forms store the day typed or pasted and show it German."""
    from app.extensions import db

    client, person = _setup(factory, login_as)
    row = _sub_record(view, person)
    page = client.get(f"/{view}/edit/{row.id}").get_data(as_text=True)
    assert _value_of(page, "start_on") == "01.03.2024"
    assert 'inputmode="numeric"' in page and "TT.MM.JJJJ" in page
    assert "appbuilder_date" not in page and 'type="date"' not in page
    resp = client.post(f"/{view}/edit/{row.id}", data=_form(view, typed))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(row), row.id).start_on == stored
    page = client.get(f"/{view}/edit/{row.id}").get_data(as_text=True)
    assert _value_of(page, "start_on") == stored.strftime("%d.%m.%Y")


@pytest.mark.parametrize("view", ["integrationcourseview", "employmentview"])
def test_sub_record_refuses_an_impossible_date_and_keeps_it(
    factory: Any, login_as: Any, view: str
) -> None:
    """31.02.2025 is refused at the field in German; the input stays; the row is unchanged."""
    from app.extensions import db

    client, person = _setup(factory, login_as)
    row = _sub_record(view, person)
    resp = client.post(f"/{view}/edit/{row.id}", data=_form(view, IMPOSSIBLE))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422  # refused, the form shown again with the input
    assert REFUSAL in html
    assert _value_of(html, "start_on") == IMPOSSIBLE
    db.session.expire_all()
    assert db.session.get(type(row), row.id).start_on == dt.date(2024, 3, 1)


@pytest.mark.parametrize("view", ["integrationcourseview", "employmentview"])
def test_sub_record_add_with_a_pasted_date_is_not_dropped(
    factory: Any, login_as: Any, view: str
) -> None:
    """A pasted short date on the add form is stored, not silently left empty."""
    from app.extensions import db
    from app.models import Employment, IntegrationCourse

    client, person = _setup(factory, login_as)
    resp = client.post(f"/{view}/add?person_id={person.id}", data=_form(view, "5.12.26"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    model = IntegrationCourse if view == "integrationcourseview" else Employment
    row = db.session.query(model).filter_by(person_id=person.id).one()
    assert row.start_on == dt.date(2026, 12, 5)


def _note_form(day: str, note: Any) -> dict[str, str]:
    return {
        "date": day,
        "duration_minutes": "30",
        "summary": "Bewerbung besprochen",
        "result": "Lebenslauf erstellt",
        "version": str(note.version),
    }


def test_note_edit_keeps_a_german_date(factory: Any, login_as: Any) -> None:
    """The note's edit form shows TT.MM.JJJJ and stores the typed German day."""
    from app.extensions import db
    from app.models import ContactNote

    client, person = _setup(factory, login_as)
    note = factory.make_note(person, client.user_id, date=dt.date.today() - dt.timedelta(days=9))
    page = client.get(f"/contactnoteview/edit/{note.id}").get_data(as_text=True)
    assert _value_of(page, "date") == note.date.strftime("%d.%m.%Y")
    day = dt.date.today() - dt.timedelta(days=2)
    resp = client.post(
        f"/contactnoteview/edit/{note.id}", data=_note_form(day.strftime("%d.%m.%Y"), note)
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ContactNote, note.id).date == day


def test_note_edit_refuses_an_impossible_date_and_keeps_it(factory: Any, login_as: Any) -> None:
    """2025-02-31 and 31.02.2025 are refused (never saved as 03.03.2025); the input stays."""
    from app.extensions import db
    from app.models import ContactNote

    client, person = _setup(factory, login_as)
    before = dt.date.today() - dt.timedelta(days=9)
    note = factory.make_note(person, client.user_id, date=before)
    for typed in (IMPOSSIBLE, "2025-02-31"):
        resp = client.post(f"/contactnoteview/edit/{note.id}", data=_note_form(typed, note))
        html = resp.get_data(as_text=True)
        # the note's edit form is the note form: a refused field answers 422 on the same form
        assert resp.status_code == 422, typed
        assert REFUSAL in html
        assert _value_of(html, "date") == typed
        db.session.expire_all()
        assert db.session.get(ContactNote, note.id).date == before


def test_contact_form_refuses_an_impossible_date_instead_of_today(
    factory: Any, login_as: Any
) -> None:
    """The case file's contact form refuses 31.02.2025 — no note is saved with today's date."""
    from app.extensions import db
    from app.models import ContactNote

    client, person = _setup(factory, login_as)
    resp = client.post(
        f"/contactnoteview/document/{person.id}",
        data={
            "date": IMPOSSIBLE,
            "kind": "individual",
            "summary": "Mein Text bleibt",
            "topics": ["housing"],
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert REFUSAL in html
    assert "Mein Text bleibt" in html
    assert _value_of(html, "date") == IMPOSSIBLE
    assert db.session.query(ContactNote).count() == 0


def test_rest_payload_refuses_impossible_dates(app: Any, factory: Any, api_token: Any) -> None:
    """The REST API parses dates with the same module: 31.02. is refused with the same message."""
    org = factory.make_org()
    person = factory.make_person(org)
    person_id = person.id
    headers = api_token(matrix.ROLE_CASEWORKER, org)
    client = app.test_client()
    body = {
        "person_id": person_id,
        "date": "2025-02-31",
        "kind": "individual",
        "topics": ["housing"],
        "summary": "x",
        "result": "y",
        "education_system": False,
        "return_counselling": False,
    }
    resp = client.post("/api/v1/contactnote/", json=body, headers=headers)
    assert resp.status_code in (400, 422)
    assert REFUSAL in resp.get_data(as_text=True)


def test_list_search_reads_a_german_date(factory: Any, login_as: Any) -> None:
    """The search filter of a list takes 05.12.2026 as the 5th of December, not 12 May."""
    client, person = _setup(factory, login_as)
    factory.make_note(person, client.user_id, date=dt.date(2026, 5, 12), summary="Mai-Vermerk")
    factory.make_note(person, client.user_id, date=dt.date(2026, 12, 5), summary="Dezember-Vermerk")
    page = client.get("/contactnoteview/list/?_flt_0_date=05.12.2026").get_data(as_text=True)
    assert "Dezember-Vermerk" in page and "Mai-Vermerk" not in page
    resp = client.get("/contactnoteview/list/?_flt_0_date=31.02.2026")
    assert "Mai-Vermerk" not in resp.get_data(as_text=True)


def test_pages_and_documents_bind_the_one_date_format(app: Any) -> None:
    """The Jinja filter de_date is the one function of app/dates.py on pages and in documents."""
    from app import dates
    from app.services.documents.render import _environment

    # pages: the request's language picks the format, both from app/dates.py
    assert app.jinja_env.filters["de_date"] is dates.shown_date
    assert app.jinja_env.filters["de_datetime"] is dates.shown_datetime
    day = dt.date(2026, 12, 5)
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert app.jinja_env.filters["de_date"](day) == dates.de_date(day) == "05.12.2026"
    # German documents: the German function itself
    assert _environment(None).filters["de_date"] is dates.de_date
    assert app.jinja_env.globals["date_input"]("x", "2026-12-05").count('value="05.12.2026"') == 1

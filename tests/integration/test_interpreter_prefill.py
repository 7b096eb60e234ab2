"""The interpreter flag on the forms that meet the client, prefilled from the case file.

A NEW appointment (from the case file) and a NEW note ("Kontakt dokumentieren") of a person
whose case file names an interpreter language start with "interpreter" ticked, and show the
client's languages in German next to it; without an interpreter language they start unticked.
An edit shows what is stored, a sent form keeps what was sent, REST stores what it is sent.
Another provider's person stays hidden (404). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from app.extensions import db
from app.models import Appointment, ContactNote, Person
from app.security import matrix

HINT = "Sprachmittlung: Arabisch; Sprachen: Arabisch, Englisch"


def _checkbox(page: str, field: str) -> bool:
    """Whether the checkbox ``field`` is ticked on the page (exactly one such box)."""
    (tag,) = re.findall(rf'<input[^>]*id="{field}"[^>]*>', page)
    return re.search(r"\bchecked\b", tag) is not None


def _page(resp: Any) -> str:
    assert resp.status_code == 200, resp.status_code
    return html.unescape(resp.get_data(as_text=True))


def _people(factory: Any) -> dict[str, Any]:
    org, other = factory.make_org(), factory.make_org()
    with_interpreter = factory.make_person(org, languages=["ar", "en"], interpreter_language="ar")
    without = factory.make_person(org, languages=["en"])
    stranger = factory.make_person(other, interpreter_language="ar")
    return {
        "org": org.id,
        "other": other.id,
        "with": with_interpreter.id,
        "without": without.id,
        "stranger": stranger.id,
    }


def test_new_appointment_is_prefilled_from_the_case_file(factory: Any, login_as: Any) -> None:
    ids = _people(factory)
    client = login_as(matrix.ROLE_CASEWORKER, ids["org"])
    page = _page(client.get(f"/appointmentview/add?person_id={ids['with']}"))
    assert _checkbox(page, "interpreter_needed")
    assert HINT in page
    page = _page(client.get(f"/appointmentview/add?person_id={ids['without']}"))
    assert not _checkbox(page, "interpreter_needed")
    assert "Sprachmittlung: nicht nötig; Sprachen: Englisch" in page
    # without a client: nothing to prefill, no hint
    page = _page(client.get("/appointmentview/add"))
    assert not _checkbox(page, "interpreter_needed")
    assert "Sprachmittlung:" not in page
    # the user unticks it: the saved appointment keeps what was sent
    day = dt.date.today() + dt.timedelta(days=3)
    resp = client.post(
        f"/appointmentview/add?person_id={ids['with']}",
        data={"date": f"{day:%d.%m.%Y}", "start_time": "10:00", "title": "Beratung"},
    )
    assert resp.status_code == 302
    appointment = db.session.query(Appointment).filter_by(person_id=ids["with"]).one()
    assert appointment.interpreter_needed is False
    # the edit shows what is stored (not the case file's default), with the hint
    page = _page(client.get(f"/appointmentview/edit/{appointment.id}"))
    assert not _checkbox(page, "interpreter_needed")
    assert HINT in page
    # a refused form keeps the tick as sent
    resp = client.post(
        f"/appointmentview/add?person_id={ids['without']}",
        data={
            "date": f"{day:%d.%m.%Y}",
            "start_time": "",
            "title": "Beratung",
            "interpreter_needed": "y",
        },
    )
    assert resp.status_code == 422
    assert _checkbox(html.unescape(resp.get_data(as_text=True)), "interpreter_needed")
    # another provider's person: not found, no hint leaks
    other = login_as(matrix.ROLE_CASEWORKER, ids["other"])
    assert other.get(f"/appointmentview/add?person_id={ids['with']}").status_code == 404
    assert client.get(f"/appointmentview/add?person_id={ids['stranger']}").status_code == 404


def test_new_note_is_prefilled_and_an_edit_keeps_the_stored_flag(
    factory: Any, login_as: Any
) -> None:
    ids = _people(factory)
    client = login_as(matrix.ROLE_CASEWORKER, ids["org"])
    page = _page(client.get(f"/personview/show/{ids['with']}"))
    assert _checkbox(page, "interpreter_used")
    assert HINT in page
    assert 'aria-describedby="interpreter_used-hilfe"' in page
    page = _page(client.get(f"/personview/show/{ids['without']}"))
    assert not _checkbox(page, "interpreter_used")
    # a note saved without the tick keeps it off; its edit shows the stored value
    note = factory.make_note(
        db.session.get(Person, ids["with"]),
        client.user_id,
        interpreter_used=False,
    )
    page = _page(client.get(f"/contactnoteview/edit/{note.id}"))
    assert not _checkbox(page, "interpreter_used")
    assert HINT in page
    ticked = factory.make_note(
        db.session.get(Person, ids["without"]),
        client.user_id,
        interpreter_used=True,
    )
    page = _page(client.get(f"/contactnoteview/edit/{ticked.id}"))
    assert _checkbox(page, "interpreter_used")
    # "Kontakt dokumentieren" sent without the tick: stored as sent
    resp = client.post(
        f"/contactnoteview/document/{ids['with']}",
        data={
            "date": dt.date.today().strftime("%d.%m.%Y"),
            "kind": "individual",
            "topics": ["housing"],
            "summary": "Wohnungssuche besprochen",
        },
    )
    assert resp.status_code == 302
    latest = (
        db.session.query(ContactNote)
        .filter_by(person_id=ids["with"])
        .order_by(ContactNote.id.desc())
        .first()
    )
    assert latest is not None and latest.interpreter_used is False
    # another provider's person and note: not found
    other = login_as(matrix.ROLE_CASEWORKER, ids["other"])
    assert other.get(f"/personview/show/{ids['with']}").status_code == 404
    assert other.get(f"/contactnoteview/edit/{note.id}").status_code == 404


def test_rest_stores_what_it_is_sent(factory: Any, api_token: Any) -> None:
    """The prefill is a form default: a REST note without the flag is stored without it."""
    from flask import current_app

    ids = _people(factory)
    headers = api_token(matrix.ROLE_CASEWORKER, ids["org"])
    resp = current_app.test_client().post(
        "/api/v1/contactnote/",
        json={
            "person_id": ids["with"],
            "date": dt.date.today().isoformat(),
            "kind": "individual",
            "topics": ["housing"],
            "summary": "Per REST",
        },
        headers=headers,
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    saved = db.session.get(ContactNote, resp.get_json()["id"])
    assert saved is not None and saved.interpreter_used is False

"""The case file as a working page: paged timeline, long notes, note page,
follow-ups on their own, warnings, error pages in the portal's frame."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.security import matrix
from tests import factories
from tests.conftest import sign_in
from tests.integration.test_performance import count_statements


def _world(app: Flask, **person_kw: Any) -> dict[str, Any]:
    with app.app_context():
        org = factories.make_org()
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        person = factories.make_person(org, caseworker_id=worker.id, **person_kw)
        return {"org": org.id, "worker": worker.id, "person": person.id}


def test_timeline_shows_newest_20_and_collapses_long_notes(app: Flask) -> None:
    w = _world(app)
    from app.extensions import db
    from app.models import Person

    with app.app_context():
        person = db.session.get(Person, w["person"])
        for i in range(25):
            summary = f"Eintrag-{i:02d} " + ("lang " * 200 if i == 0 else "kurz")
            factories.make_note(
                person, w["worker"], summary=summary, date=dt.date.today() - dt.timedelta(days=i)
            )
    client = sign_in(app.test_client(), w["worker"])
    html = client.get(f"/personview/show/{w['person']}").get_data(as_text=True)
    assert "Eintrag-19" in html and "Eintrag-20" not in html
    assert "ältere anzeigen" in html and "zeitstrahl=40" in html
    assert "mehr anzeigen" in html and "<details" in html
    html = client.get(f"/personview/show/{w['person']}?zeitstrahl=40").get_data(as_text=True)
    assert "Eintrag-24" in html and "ältere anzeigen" not in html


def test_note_page_shows_topics_person_link_edit_and_yes_no(app: Flask) -> None:
    w = _world(app)
    from app.extensions import db
    from app.models import ContactNoteTopic, Person

    with app.app_context():
        person = db.session.get(Person, w["person"])
        note = factories.make_note(person, w["worker"], summary="Wohnungssuche besprochen")
        db.session.add(ContactNoteTopic(contact_note_id=note.id, code="housing"))
        db.session.commit()
        note_id = note.id
    client = sign_in(app.test_client(), w["worker"])
    with count_statements(app) as statements:
        resp = client.get(f"/contactnoteview/show/{note_id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and len(statements) <= 8, statements
    assert f'href="/personview/show/{w["person"]}"' in html
    assert f"/contactnoteview/edit/{note_id}" in html
    assert "Wohnen" in html or "Wohnung" in html  # the topic's German label
    assert "True" not in html and "False" not in html and ">nein<" in html
    assert html.count("<h1") == 1


def test_follow_up_on_its_own(app: Flask) -> None:
    w = _world(app)
    client = sign_in(app.test_client(), w["worker"])
    html = client.get(f"/personview/show/{w['person']}").get_data(as_text=True)
    assert "Wiedervorlage anlegen" in html
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    due = dt.date.today() + dt.timedelta(days=7)
    resp = client.post(
        f"/myfollowupview/new/{w['person']}",
        data={"csrf_token": token, "due_on": due.isoformat(), "title": "Kita-Antrag prüfen"},
    )
    assert resp.status_code == 302
    resp = client.post(
        f"/myfollowupview/new/{w['person']}",
        data={"csrf_token": token, "due_on": "2020-01-01", "title": "zu spät"},
    )
    from app.extensions import db
    from app.models import FollowUp

    with app.app_context():
        rows = db.session.execute(select(FollowUp.title, FollowUp.due_on)).all()
    assert rows == [("Kita-Antrag prüfen", due)]


def test_warning_after_move_away_and_after_end_of_counselling(app: Flask) -> None:
    w = _world(app, moved_away_on=dt.date(2025, 3, 1))
    client = sign_in(app.test_client(), w["worker"])
    html = client.get(f"/personview/show/{w['person']}").get_data(as_text=True)
    assert "ist am 01.03.2025 weggezogen" in html
    w2 = _world(app, moved_in_own_housing_on=dt.date(2024, 1, 10), benefit_basis="sgb2")
    client = sign_in(app.test_client(), w2["worker"])
    html = client.get(f"/personview/show/{w2['person']}").get_data(as_text=True)
    assert "Die Beratung endete am 10.04.2024" in html


def test_error_pages_in_the_portals_frame(app: Flask, login_as: Any) -> None:
    client = login_as(matrix.ROLE_CASEWORKER, _world(app)["org"])
    resp = client.get("/gibt-es-nicht")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404
    assert "Seite nicht gefunden" in html and 'class="navbar' in html and "msa.css" in html
    assert "<title>Fehler 404 – MSA-Portal</title>" in html
    resp = client.get("/organisationview/list/")
    assert resp.status_code in (302, 403)

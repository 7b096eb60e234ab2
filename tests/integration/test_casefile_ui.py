"""Case file page (Fallakte), contact form, person forms, follow-ups — through the test client."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event

from app.security import matrix


def _switch_user() -> None:
    """Forget the previous request's user: test requests share the factory's app context (g)."""
    from flask import g

    for key in ("_login_user", "user", "_msa_scope"):
        g.pop(key, None)


def _setup(factory: Any, login_as: Any) -> tuple[Any, Any, Any]:
    org = factory.make_org()
    client = login_as(matrix.ROLE_CASEWORKER, org)
    person = factory.make_person(org, first_name="Amal", last_name="Haddad", nationality="sy")
    return org, client, person


def test_person_page_shows_german_sections_and_timeline(factory: Any, login_as: Any) -> None:
    """The case file shows key facts with German labels, profile sections and the timeline."""
    _org, client, person = _setup(factory, login_as)
    note = factory.make_note(person, client.user_id, summary="Wohnungssuche besprochen")
    factory.make_follow_up(person, client.user_id, title="Mietvertrag prüfen")
    html = client.get(f"/personview/show/{person.id}").get_data(as_text=True)
    assert "Syrien" in html
    for heading in (
        "Kontakt dokumentieren",
        "Zeitstrahl",
        "Offene Wiedervorlagen",
        "Sprachkenntnisse (GER)",
        "Integrationskurse",
        "Familie und Haushalt",
    ):
        assert heading in html, heading
    assert "Wohnungssuche besprochen" in html
    assert "Mietvertrag prüfen" in html
    assert f"/contactnoteview/show/{note.id}" in html


def test_document_contact_via_form(factory: Any, login_as: Any) -> None:
    """One POST from the person's page saves note, topics, referral and follow-up."""
    from app.extensions import db
    from app.models import ContactNote, FollowUp, Referral

    _org, client, person = _setup(factory, login_as)
    partner = factory.make_partner(name="Jobcenter Test")
    due = dt.date.today() + dt.timedelta(days=7)
    resp = client.post(
        f"/contactnoteview/document/{person.id}",
        data={
            "date": dt.date.today().isoformat(),
            "kind": "individual",
            "duration_minutes": "30",
            "topics": ["housing", "work"],
            "summary": "Bewerbung besprochen",
            "result": "Lebenslauf erstellt",
            "partner_id": str(partner.id),
            "follow_up_on": due.isoformat(),
            "follow_up_title": "Rückmeldung Jobcenter",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    note = db.session.query(ContactNote).one()
    assert note.caseworker_id == client.user_id
    assert sorted(note.topic_codes) == ["housing", "work"]
    assert db.session.query(Referral).one().partner_id == partner.id
    assert db.session.query(FollowUp).one().due_on == due
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Bewerbung besprochen" in page


def test_contact_form_errors_are_german_and_keep_input(factory: Any, login_as: Any) -> None:
    _org, client, person = _setup(factory, login_as)
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    resp = client.post(
        f"/contactnoteview/document/{person.id}",
        data={
            "date": future,
            "kind": "individual",
            "summary": "Mein Text bleibt",
            "topics": ["housing", "erfunden"],
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "darf nicht in der Zukunft liegen" in html
    assert "Unbekannter Themenbereich" in html
    assert "Mein Text bleibt" in html


def test_add_person_validation_messages(factory: Any, login_as: Any) -> None:
    org = factory.make_org()
    client = login_as(matrix.ROLE_CASEWORKER, org)
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    html = client.post(
        "/personview/add",
        data={
            "first_name": "",
            "last_name": "X" * 101,
            "birth_date": future,
            "nationality": "atlantis",
            "phone": "0151 123",
        },
    ).get_data(as_text=True)
    assert "Bitte ausfüllen" in html
    assert "Höchstens 100 Zeichen" in html
    assert "nicht in der Zukunft" in html
    assert "Unbekannter Katalogwert" in html
    assert "0151 123" in html
    html = client.post(
        "/personview/add",
        data={"first_name": "A", "last_name": "B", "birth_date": "1899-12-31"},
    ).get_data(as_text=True)
    assert "Das Datum muss zwischen dem 01.01.1900 und dem 31.12.2099 liegen." in html
    html = client.post(
        "/personview/add",
        data={
            "first_name": "A",
            "last_name": "B",
            "birth_date": "1990-01-01",
            "assigned_on": "2024-05-01",
            "moved_away_on": "2024-01-01",
        },
    ).get_data(as_text=True)
    assert "Wegzug kann nicht vor der Zuweisung" in html


def test_add_person_warns_of_duplicate_then_creates(factory: Any, login_as: Any) -> None:
    """R-2.6: a transliteration variant with the same birth date is shown before creating."""
    from app.extensions import db
    from app.models import Person

    org = factory.make_org()
    client = login_as(matrix.ROLE_CASEWORKER, org)
    factory.make_person(
        org, first_name="Mohammed", last_name="Al-Hassan", birth_date=dt.date(1985, 3, 4)
    )
    form = {
        "first_name": "Muhammad",
        "last_name": "Al Hassan",
        "birth_date": "1985-03-04",
        "nationality": "sy",
        "sex": "male",
    }
    html = client.post("/personview/add", data=form).get_data(as_text=True)
    assert "Mögliche Dubletten" in html and "Trotzdem anlegen" in html
    assert db.session.query(Person).count() == 1
    resp = client.post("/personview/add", data={**form, "confirm_duplicate": "y"})
    assert resp.status_code == 302
    created = db.session.query(Person).filter_by(first_name="Muhammad").one()
    assert created.organisation_id == org.id
    assert created.name_key == "alhasan mohamed"


def test_duplicate_candidates_stay_within_own_provider(factory: Any, login_as: Any) -> None:
    """A match at another provider: only that provider's name is shown, never the
    person; after "Trotzdem anlegen" the person is created."""
    other = factory.make_org(name="Träger Fremd")
    factory.make_person(
        other, first_name="Mohammed", last_name="Fremd", birth_date=dt.date(1985, 3, 4)
    )
    client = login_as(matrix.ROLE_CASEWORKER, factory.make_org())
    data = {"first_name": "Muhammad", "last_name": "Fremd", "birth_date": "1985-03-04"}
    resp = client.post("/personview/add", data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Träger Fremd" in page
    assert "Mohammed" not in page and 'id="dubletten"' not in page
    resp = client.post("/personview/add", data={**data, "confirm_duplicate": "y"})
    assert resp.status_code == 302


def test_stale_edit_gets_conflict_and_keeps_input(factory: Any, login_as: Any) -> None:
    """No lost updates: the second save with an old version is refused with a message."""
    from app.extensions import db
    from app.models import Person

    org, client, person = _setup(factory, login_as)
    colleague = login_as(matrix.ROLE_CASEWORKER, org, username="kollegin")
    base = {
        "first_name": "Amal",
        "last_name": "Haddad",
        "birth_date": "1990-01-02",
        "version": str(person.version),
    }
    assert (
        colleague.post(f"/personview/edit/{person.id}", data={**base, "phone": "111"}).status_code
        == 302
    )
    _switch_user()
    resp = client.post(f"/personview/edit/{person.id}", data={**base, "phone": "222-meins"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "wurde zwischenzeitlich von kollegin" in html
    assert "222-meins" in html
    db.session.expire_all()
    assert db.session.get(Person, person.id).phone == "111"


def test_foreign_person_page_is_404_and_notes_never_appear(factory: Any, login_as: Any) -> None:
    _org, client, person = _setup(factory, login_as)
    other = factory.make_org()
    stranger = factory.make_person(other, first_name="Geheim", last_name="Fremdperson")
    other_worker = factory.make_user(matrix.ROLE_CASEWORKER, other)
    factory.make_note(stranger, other_worker, summary="Vertraulicher Fremdvermerk")
    assert client.get(f"/personview/show/{stranger.id}").status_code == 404
    assert client.get(f"/personview/edit/{stranger.id}").status_code == 404
    assert (
        client.post(f"/contactnoteview/document/{stranger.id}", data={"summary": "x"}).status_code
        == 404
    )
    for url in (
        "/contactnoteview/list/",
        "/personview/list/",
        f"/personview/show/{person.id}",
        "/personview/autocomplete?q=Fremd",
        "/myfollowupview/list/",
    ):
        body = client.get(url).get_data(as_text=True)
        assert "Vertraulicher Fremdvermerk" not in body and "Fremdperson" not in body, url
    resp = client.post(f"/personview/household/{person.id}", data={"member_id": stranger.id})
    assert resp.status_code == 404


def test_follow_up_list_is_mine_and_done_works(factory: Any, login_as: Any) -> None:
    """Meine Wiedervorlagen: only my open follow-ups, split by due date; 'erledigt' closes."""
    from app.extensions import db
    from app.models import FollowUp

    org, client, person = _setup(factory, login_as)
    colleague = factory.make_user(matrix.ROLE_CASEWORKER, org)
    today = dt.date.today()
    late = factory.make_follow_up(
        person, client.user_id, title="Überfällig-X", due_on=today - dt.timedelta(days=2)
    )
    factory.make_follow_up(person, client.user_id, title="Heute-X", due_on=today)
    factory.make_follow_up(
        person, client.user_id, title="Später-X", due_on=today + dt.timedelta(days=5)
    )
    factory.make_follow_up(person, colleague, title="Fremde-Aufgabe")
    html = client.get("/myfollowupview/list/").get_data(as_text=True)
    assert html.index("überfällig") < html.index("Überfällig-X") < html.index("heute fällig")
    assert html.index("heute fällig") < html.index("Heute-X") < html.index("demnächst")
    assert html.index("demnächst") < html.index("Später-X")
    assert "Fremde-Aufgabe" not in html
    assert client.post(f"/myfollowupview/done/{late.id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(FollowUp, late.id).done_on == today
    assert "<td>Überfällig-X</td>" not in client.get("/myfollowupview/list/").get_data(as_text=True)


def test_reviewer_cannot_document_or_edit(factory: Any, login_as: Any) -> None:
    org = factory.make_org()
    person = factory.make_person(org)
    reviewer = login_as(matrix.ROLE_REVIEWER, factory.make_org(kind="county"))
    assert reviewer.get(f"/personview/show/{person.id}").status_code == 200
    for resp in (
        reviewer.post(f"/contactnoteview/document/{person.id}", data={"summary": "x"}),
        reviewer.post(f"/personview/edit/{person.id}", data={}),
    ):
        assert resp.status_code in (302, 403)
    from app.extensions import db
    from app.models import ContactNote

    assert db.session.query(ContactNote).count() == 0


def test_sub_record_add_presets_person_and_returns(factory: Any, login_as: Any) -> None:
    from app.extensions import db
    from app.models import PersonLanguage

    _org, client, person = _setup(factory, login_as)
    page = client.get(f"/personlanguageview/add?person_id={person.id}").get_data(as_text=True)
    assert "Sprache" in page and 'name="person"' not in page
    resp = client.post(
        f"/personlanguageview/add?person_id={person.id}",
        data={"language": "ar", "level": "b1", "certificate": "telc"},
    )
    assert resp.status_code == 302 and f"/personview/show/{person.id}" in resp.headers["Location"]
    row = db.session.query(PersonLanguage).one()
    assert (row.person_id, row.level) == (person.id, "b1")
    html = client.get(f"/personview/show/{person.id}").get_data(as_text=True)
    assert "Arabisch" in html and "B1" in html
    other = factory.make_person(factory.make_org())
    assert client.get(f"/personlanguageview/add?person_id={other.id}").status_code == 404
    # no delete for provider roles: a wrong entry is corrected by editing it
    assert "entfernen" not in html
    assert client.post(f"/personlanguageview/delete/{row.id}").status_code in (404, 405)
    resp = client.post(f"/personlanguageview/edit/{row.id}", data={"language": "ar", "level": "b2"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert [r.level for r in db.session.query(PersonLanguage)] == ["b2"]


def test_group_session_with_participants(factory: Any, login_as: Any) -> None:
    from app.extensions import db
    from app.models import GroupSession

    org, client, person = _setup(factory, login_as)
    second = factory.make_person(org, first_name="Zahra", last_name="Ahmadi")
    foreign = factory.make_person(factory.make_org())
    data = {
        "date": dt.date.today().isoformat(),
        "topic": "Mülltrennung und Hausordnung",
        "participant_ids": [str(person.id), str(second.id)],
    }
    assert client.post("/groupsessionview/add", data=data).status_code == 302
    session = db.session.query(GroupSession).one()
    assert {p.id for p in session.participants} == {person.id, second.id}
    html = client.get(f"/personview/show/{person.id}").get_data(as_text=True)
    assert "Mülltrennung und Hausordnung" in html
    resp = client.post("/groupsessionview/add", data={**data, "participant_ids": [str(foreign.id)]})
    assert "Unbekannte Person" in resp.get_data(as_text=True)
    assert db.session.query(GroupSession).count() == 1


def test_autocomplete_is_limited(factory: Any, login_as: Any) -> None:
    org = factory.make_org()
    client = login_as(matrix.ROLE_CASEWORKER, org)
    for i in range(25):
        factory.make_person(org, last_name=f"Sultani{i}")
    rows = client.get("/personview/autocomplete?q=Sultani").get_json()
    assert len(rows) == 20


def _count_statements(app: Any, client: Any, url: str) -> int:
    from app.extensions import db

    counter = {"n": 0}

    def before(*_a: Any, **_k: Any) -> None:
        counter["n"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        resp = client.get(url)
        assert resp.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return counter["n"]


def test_list_pages_issue_constant_number_of_queries(app: Any, factory: Any, login_as: Any) -> None:
    """Lists cost the same number of SQL statements for 5 and for 50 rows."""
    org = factory.make_org()
    client = login_as(matrix.ROLE_CASEWORKER, org)
    partner = factory.make_partner()
    for i in range(60):
        person = factory.make_person(org, nationality="sy", accommodation_id=None)
        factory.make_note(person, client.user_id, partner_id=partner.id if i % 2 else None)
        factory.make_follow_up(
            person, client.user_id, due_on=dt.date.today() + dt.timedelta(days=i - 30)
        )
    for base in (
        "/personview/list/?psize_PersonView=",
        "/contactnoteview/list/?psize_ContactNoteView=",
    ):
        _count_statements(app, client, base + "5")  # warm-up (permission caches)
        small = _count_statements(app, client, base + "5")
        large = _count_statements(app, client, base + "50")
        assert small == large, (base, small, large)
    assert _count_statements(app, client, "/myfollowupview/list/") == _count_statements(
        app, client, "/myfollowupview/list/"
    )


def test_stale_note_edit_gets_conflict_and_keeps_input(factory: Any, login_as: Any) -> None:
    """A contact note edited by a colleague in between is not overwritten."""
    from app.extensions import db
    from app.models import ContactNote

    org, client, person = _setup(factory, login_as)
    colleague = login_as(matrix.ROLE_CASEWORKER, org, username="kollege.vermerk")
    note = factory.make_note(person, client.user_id, summary="Erstfassung")
    form = client.get(f"/contactnoteview/edit/{note.id}").get_data(as_text=True)
    assert 'name="version"' in form and 'type="hidden"' in form
    base = {"date": dt.date.today().isoformat(), "summary": "x", "version": "1"}
    _switch_user()
    resp = colleague.post(f"/contactnoteview/edit/{note.id}", data={**base, "summary": "Kollege"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
    _switch_user()
    resp = client.post(
        f"/contactnoteview/edit/{note.id}", data={**base, "summary": "Meine Fassung"}
    )
    html = resp.get_data(as_text=True)
    assert "Der Beratungsvermerk wurde zwischenzeitlich von kollege.vermerk" in html
    assert "Meine Fassung" in html
    db.session.expire_all()
    saved = db.session.get(ContactNote, note.id)
    assert (saved.summary, saved.version) == ("Kollege", 2)


def test_case_file_read_is_logged(factory: Any, login_as: Any) -> None:
    """R-8.2: opening a case file leaves an access-log row (who, which person)."""
    from app.extensions import db
    from app.models import AccessLog

    org = factory.make_org()
    person = factory.make_person(org)
    reviewer = login_as(matrix.ROLE_REVIEWER, factory.make_org(kind="county"))
    assert reviewer.get(f"/personview/show/{person.id}").status_code == 200
    row = db.session.query(AccessLog).filter_by(person_id=person.id, action="read").one()
    assert row.user_id == reviewer.user_id


def test_hub_sections_render_and_respect_permission(factory: Any, login_as: Any) -> None:
    """Registered sections appear on the case file; one needing a missing permission does not."""
    from app.views import hub

    hub.register_hub_section(
        hub.HubSection(
            key="test_visible",
            title="Testbereich",
            template="casefile/_section_example.html",
            context=lambda p, data: {"greeting": f"Hallo {p.first_name}"},
        )
    )
    hub.register_hub_section(
        hub.HubSection(
            key="test_hidden",
            title="Geheimbereich",
            template="casefile/_section_example.html",
            context=lambda p, data: {"greeting": "Nicht sichtbar"},
            permission=("can_read", matrix.ACCESS_LOG),
        )
    )
    try:
        _org, client, person = _setup(factory, login_as)
        html = client.get(f"/personview/show/{person.id}").get_data(as_text=True)
        assert "Hallo Amal" in html
        assert "Nicht sichtbar" not in html
    finally:
        hub.HUB_SECTIONS.pop("test_visible", None)
        hub.HUB_SECTIONS.pop("test_hidden", None)


def test_partner_directory_is_read_only_for_caseworkers(factory: Any, login_as: Any) -> None:
    factory.make_partner(name="Tafel Musterstadt")
    client = login_as(matrix.ROLE_CASEWORKER, factory.make_org())
    assert "Tafel Musterstadt" in client.get("/networkpartnerview/list/").get_data(as_text=True)
    resp = client.get("/networkpartnerview/list/?_flt_0_name=Tafel")
    assert "Tafel Musterstadt" in resp.get_data(as_text=True)
    resp = client.post("/networkpartnerview/add", data={"name": "Neu", "category": "authority"})
    assert resp.status_code in (302, 403)
    from app.extensions import db
    from app.models import NetworkPartner

    assert db.session.query(NetworkPartner).filter_by(name="Neu").count() == 0


def test_group_form_and_note_form_never_list_persons(factory: Any, login_as: Any) -> None:
    """No dropdown of all persons: participants and the note's person are never listed."""
    org, client, person = _setup(factory, login_as)
    factory.make_person(org, first_name="Unsichtbar", last_name="Imformular")
    assert "Imformular" not in client.get("/groupsessionview/add").get_data(as_text=True)
    page = client.get(f"/personview/show/{person.id}").get_data(as_text=True)
    assert "Imformular" not in page
    resp = client.get("/contactnoteview/add")
    assert resp.status_code == 302

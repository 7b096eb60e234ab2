"""The case file page: at most 8 SQL statements, whatever the person holds.

The page's own lists, every hub section and every timeline source run in ONE statement
(``app.services.bundle``); these tests fail when a section or source adds a query of its own,
when a count grows with the person's records, and when the bundle loses the provider scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.security import matrix
from tests import factories
from tests.integration.test_performance import MAX_STATEMENTS, count_statements


def _statements(app: Flask, client: Any, path: str) -> list[str]:
    client.get(path)  # warm-up (first request of a client loads templates)
    with count_statements(app) as statements:
        resp = client.get(path)
    assert resp.status_code == 200, resp.status_code
    return statements


def test_case_file_page_statement_count_is_constant(app: Flask, login_as: Any) -> None:
    from app.extensions import db
    from app.models import Accommodation, Employment, PersonLanguage
    from app.models.organisation import AccommodationKind
    from app.services.case_management import workflow as wf
    from app.services.housing import move_procedure as moves

    with app.app_context():
        org = factories.make_org()
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        person = factories.make_person(org, last_name="Haddad")
        pid = factories.id_of(person)
        org_id = factories.id_of(org)
        worker_id = factories.id_of(worker)
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    empty = _statements(app, client, f"/personview/show/{pid}")
    assert len(empty) <= MAX_STATEMENTS, empty

    with app.app_context():
        from app.models import MsaUser, Person

        person = db.session.get(Person, pid)
        home = Accommodation(
            name="Gemeinschaftsunterkunft Nord",
            kind=AccommodationKind.shared_accommodation,
            capacity=80,
        )
        db.session.add(home)
        db.session.flush()
        person.accommodation_id = home.id
        person.caseworker_id = worker_id
        relative = factories.make_person(org, last_name="Haddad", first_name="Omar")
        relative_id = factories.id_of(relative)
        db.session.commit()
    client.post(f"/personview/household/{pid}", data={"member_id": relative_id})
    with app.app_context():
        person = db.session.get(Person, pid)
        for i in range(30):
            factories.make_note(
                person,
                worker_id,
                summary=f"Vermerk {i}",
                date=dt.date.today() - dt.timedelta(days=i),
            )
            factories.make_follow_up(person, worker_id)
        db.session.add_all(
            [
                PersonLanguage(person_id=pid, organisation_id=org_id, language="ar", level="C2"),
                PersonLanguage(person_id=pid, organisation_id=org_id, language="de", level="B1"),
                Employment(
                    person_id=pid,
                    organisation_id=org_id,
                    employer="Bäckerei Kühn",
                    start_on=dt.date(2024, 1, 1),
                ),
            ]
        )
        db.session.commit()
    with app.test_request_context():
        from flask import g

        g.user = db.session.get(MsaUser, worker_id)
        person = db.session.get(Person, pid)
        wf.open_case(person, actor=g.user)
        moves.start(person, moves.default_track(person), by=g.user)
        db.session.commit()

    # the whole timeline ("ältere anzeigen" until the end); the first page shows the newest 20
    assert "ältere anzeigen" in client.get(f"/personview/show/{pid}").get_data(as_text=True)
    full = _statements(app, client, f"/personview/show/{pid}?zeitstrahl=200")
    html = client.get(f"/personview/show/{pid}?zeitstrahl=200").get_data(as_text=True)
    # the page shows what the bundle read …
    for text in (
        "Gemeinschaftsunterkunft Nord",
        "Omar Haddad",
        "Vermerk 0",
        "Vermerk 29",
        "Bäckerei Kühn",
        "Case Management eröffnet",
        "Erstgespräch",
    ):
        assert text in html, text
    # … with the same number of statements as for an empty case file
    assert len(full) == len(empty), (len(empty), full)
    assert len(full) <= MAX_STATEMENTS, full


def test_bundle_keeps_the_provider_scope(app: Flask, login_as: Any) -> None:
    """A row of another provider attached to the person never reaches the page."""
    from app.extensions import db
    from app.models import PersonLanguage

    with app.app_context():
        own, other = factories.make_org(), factories.make_org()
        person = factories.make_person(own, last_name="Eigen")
        pid, own_id, other_id = (factories.id_of(x) for x in (person, own, other))
        # written past the ORM guard: a foreign row pointing at the own person
        db.session.execute(
            PersonLanguage.__table__.insert().values(
                person_id=pid, organisation_id=other_id, language="xx-fremd", level="A1"
            )
        )
        db.session.add(
            PersonLanguage(person_id=pid, organisation_id=own_id, language="ar", level="C2")
        )
        db.session.commit()
    client = login_as(matrix.ROLE_CASEWORKER, own_id)
    html = client.get(f"/personview/show/{pid}").get_data(as_text=True)
    assert "xx-fremd" not in html


def test_bundle_returns_what_the_orm_returns(app: Flask) -> None:
    """Values and types of bundled rows equal a normal ORM load, on SQLite and PostgreSQL."""
    from sqlalchemy import inspect

    from app.extensions import db
    from app.models import ContactNote, FollowUp
    from app.services.bundle import Bundle

    with app.app_context():
        org = factories.make_org()
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        person = factories.make_person(org)
        for i in range(3):
            factories.make_note(person, worker, summary=f'Ä ö ü ß "{i}" \' ; 漢字')
        factories.make_follow_up(person, worker)
        stmt = select(ContactNote).where(ContactNote.person_id == person.id)
        bundle = Bundle()
        bundle.add("notes", stmt.order_by(ContactNote.id))
        bundle.add("pairs", select(FollowUp.id, FollowUp.due_on).order_by(FollowUp.id))
        bundle.add("none", select(FollowUp).where(FollowUp.id < 0))
        data = bundle.run()
        loaded = db.session.scalars(stmt.order_by(ContactNote.id)).all()
        assert [n.id for n in data["notes"]] == [n.id for n in loaded]
        for mine, orm in zip(data["notes"], loaded, strict=True):
            for attr in inspect(ContactNote).column_attrs:
                assert getattr(mine, attr.key) == getattr(orm, attr.key), attr.key
                if getattr(orm, attr.key) is not None:
                    assert type(getattr(mine, attr.key)) is type(getattr(orm, attr.key)), attr.key
            assert mine not in db.session  # detached: never flushed
        follow_up = db.session.scalars(select(FollowUp)).one()
        assert data["pairs"] == [(follow_up.id, follow_up.due_on)]
        assert data["pairs"][0].due_on == follow_up.due_on
        assert data["none"] == []


def test_note_form_finds_partners_through_search_not_a_whole_list(
    app: Flask, login_as: Any
) -> None:
    with app.app_context():
        org = factories.make_org()
        person = factories.make_person(org)
        partners = [factories.make_partner(name=f"Beratungsstelle {i:02d}") for i in range(30)]
        pid, org_id = factories.id_of(person), factories.id_of(org)
        chosen = factories.id_of(partners[7])
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    html = client.get(f"/personview/show/{pid}").get_data(as_text=True)
    assert "Beratungsstelle" not in html  # no <option> per partner
    found = client.get("/networkpartnerview/autocomplete?q=stelle 0").get_json()
    assert [row["label"].split(" (")[0] for row in found] == [
        f"Beratungsstelle {i:02d}" for i in range(10)
    ]
    assert len(client.get("/networkpartnerview/autocomplete?q=Beratung").get_json()) == 20
    assert client.get("/networkpartnerview/autocomplete?q=B").get_json() == []
    # a failed form keeps the chosen partner (name shown again, id kept)
    resp = client.post(
        f"/contactnoteview/document/{pid}",
        data={"date": dt.date.today().isoformat(), "kind": "individual", "partner_id": chosen},
    )
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert 'value="Beratungsstelle 07"' in text
    assert f'name="partner_id" id="partner_id" value="{chosen}"' in text
    # an unknown partner id is refused with a German message at the field
    resp = client.post(
        f"/contactnoteview/document/{pid}",
        data={
            "date": dt.date.today().isoformat(),
            "kind": "individual",
            "summary": "Beratung",
            "topics": "housing",
            "partner_id": "999999",
        },
    )
    assert resp.status_code == 422
    assert "Unbekannter Netzwerkpartner." in resp.get_data(as_text=True)


def test_partner_search_needs_sign_in(app: Flask) -> None:
    with app.app_context():
        factories.make_partner(name="Tafel Nordstadt")
    resp = app.test_client().get("/networkpartnerview/autocomplete?q=Tafel")
    assert resp.status_code in (302, 401, 403)
    assert b"Nordstadt" not in resp.data


def test_a_typed_partner_name_is_not_lost(app: Flask, login_as: Any) -> None:
    """Typed but not picked (or no JavaScript): the name decides; unclear names are refused."""
    from app.extensions import db
    from app.models import Referral

    with app.app_context():
        org = factories.make_org()
        person = factories.make_person(org)
        factories.make_partner(name="Tafel Nordstadt", city="Musterstadt")
        factories.make_partner(name="Jobcenter", city="Nordstadt")
        factories.make_partner(name="Jobcenter", city="Südstadt")
        pid, org_id = factories.id_of(person), factories.id_of(org)
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    note = {
        "date": dt.date.today().isoformat(),
        "kind": "individual",
        "summary": "Beratung",
        "topics": "housing",
    }
    for text in ("tafel nordstadt", "Tafel Nordstadt (Musterstadt)", "Jobcenter (Südstadt)"):
        resp = client.post(
            f"/contactnoteview/document/{pid}", data={**note, "partner_search": text}
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)[-500:]
    for text in ("Jobcenter", "Tafel Süd"):
        resp = client.post(
            f"/contactnoteview/document/{pid}", data={**note, "partner_search": text}
        )
        assert resp.status_code == 422
        html = resp.get_data(as_text=True)
        assert "nicht eindeutig gefunden" in html
        assert f'value="{text}"' in html  # the typed text stays
    with app.app_context():
        partners = sorted(
            (r.partner.name, r.partner.city) for r in db.session.query(Referral).all()
        )
    assert partners == [
        ("Jobcenter", "Südstadt"),
        ("Tafel Nordstadt", "Musterstadt"),
        ("Tafel Nordstadt", "Musterstadt"),
    ]

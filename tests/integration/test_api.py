"""REST resources of the case records: CRUD, validation, no mass assignment, versions, roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from app.security import matrix
from tests import factories

TODAY = dt.date.today().isoformat()


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """Provider A with a caseworker and a person; provider B with a person, note, partner."""
    with app.app_context():
        a = factories.make_org("Träger A")
        b = factories.make_org("Träger B")
        worker_b = factories.make_user(matrix.ROLE_CASEWORKER, b)
        person_a = factories.make_person(a, first_name="Amal", last_name="Haddad")
        person_b = factories.make_person(b, first_name="Bilal", last_name="Fremd")
        note_b = factories.make_note(person_b, worker_b, summary="Vermerk von B")
        partner = factories.make_partner(name="Jobcenter Kreis")
        return {
            "a": a.id,
            "b": b.id,
            "person_a": person_a.id,
            "person_b": person_b.id,
            "note_b": note_b.id,
            "worker_b": worker_b.id,
            "partner": partner.id,
        }


def _count(app: Flask, model: Any) -> int:
    from app.extensions import db

    with app.app_context():
        return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())


def test_login_via_api_and_person_crud(app: Flask, client, world, api_token) -> None:
    """A caseworker creates, reads and changes a person; organisation from the user. There is no
    DELETE (issue 16): a person who left is marked as moved away, only retention destroys."""
    headers = api_token(matrix.ROLE_CASEWORKER, world["a"])
    resp = client.post(
        "/api/v1/person/",
        json={
            "first_name": "Mohammed",
            "last_name": "Karimi",
            "birth_date": "1991-04-02",
            "sex": "male",
            "nationality": "af",
            "moved_in_own_housing_on": "2026-01-15",
            "moved_away_on": None,
        },
        headers=headers,
    )
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    got = client.get(f"/api/v1/person/{pk}", headers=headers).get_json()["result"]
    assert got["first_name"] == "Mohammed" and got["version"] == 1
    assert got["moved_in_own_housing_on"] == "2026-01-15"
    assert got["counselling_ends_on"] == "2026-04-15"
    from app.models import AccessLog, Person

    with app.app_context():
        from app.extensions import db

        assert db.session.get(Person, pk).organisation_id == world["a"]
    resp = client.put(
        f"/api/v1/person/{pk}", json={"last_name": "Karimi-Neu", "version": 1}, headers=headers
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["result"]["version"] == 2
    assert client.delete(f"/api/v1/person/{pk}", headers=headers).status_code == 405
    assert client.get(f"/api/v1/person/{pk}", headers=headers).status_code == 200
    with app.app_context():
        from app.extensions import db

        actions = db.session.execute(
            select(AccessLog.action).where(AccessLog.person_id == pk).order_by(AccessLog.id)
        ).scalars()
        assert list(actions) == ["create", "update"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"organisation_id": 2}, "organisation_id"),
        ({"id": 999}, "id"),
        ({"version": 7}, "version"),
        ({"created_at": "2020-01-01T00:00:00"}, "created_at"),
        ({"is_admin": True}, "is_admin"),
        ({"nationality": "xx-unbekannt"}, "nationality"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"birth_date": "31.02.1990"}, "birth_date"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_person_post_refuses_bad_fields(
    app: Flask, client, world, api_token, payload: dict[str, Any], field: str
) -> None:
    headers = api_token(matrix.ROLE_CASEWORKER, world["a"])
    body = {"first_name": "Sara", "last_name": "Nouri", "birth_date": "1988-03-03", **payload}
    from app.models import Person

    before = _count(app, Person)
    resp = client.post("/api/v1/person/", json=body, headers=headers)
    assert resp.status_code == 400, resp.get_json()
    # the one shape of refusals: a German ``message``, the field map ``errors``, stable keys
    answer = resp.get_json()
    errors = answer["errors"]
    assert field in errors and answer["keys"][field].startswith(field)
    assert any(ch in str(errors[field]) for ch in "äöüßÄÖÜ") or " " in str(errors[field])
    assert _count(app, Person) == before


def test_person_household_of_other_provider_refused(app: Flask, client, world, api_token) -> None:
    from app.models import Household

    with app.app_context():
        from app.extensions import db

        household = Household(name="Familie B", organisation_id=world["b"])
        db.session.add(household)
        db.session.commit()
        hid = household.id
    headers = api_token(matrix.ROLE_CASEWORKER, world["a"])
    resp = client.post(
        "/api/v1/person/",
        json={"first_name": "A", "last_name": "B", "birth_date": "1990-01-01", "household_id": hid},
        headers=headers,
    )
    assert resp.status_code == 400
    assert resp.get_json()["field"] == "household_id"
    resp = client.put(
        f"/api/v1/person/{world['person_a']}",
        json={"household_id": hid, "version": 1},
        headers=headers,
    )
    assert resp.status_code == 400


def test_put_needs_version_and_stale_version_conflicts(
    app: Flask, client, world, api_token
) -> None:
    headers = api_token(matrix.ROLE_CASEWORKER, world["a"])
    url = f"/api/v1/person/{world['person_a']}"
    assert client.get(url, headers=headers).get_json()["result"]["version"] == 1
    resp = client.put(url, json={"first_name": "Ohne"}, headers=headers)
    assert resp.status_code == 400 and "version" in resp.get_json()["message"]
    assert client.put(url, json={"first_name": "Erste", "version": 1}, headers=headers).status_code
    resp = client.put(url, json={"first_name": "Zweite", "version": 1}, headers=headers)
    assert resp.status_code == 409
    assert "geändert" in resp.get_json()["message"]
    got = client.get(url, headers=headers).get_json()["result"]
    assert got["first_name"] == "Erste" and got["version"] == 2


def test_contact_note_crud_with_topics(app: Flask, client, world, api_token) -> None:
    headers = api_token(matrix.ROLE_CASEWORKER, world["a"])
    body = {
        "person_id": world["person_a"],
        "date": TODAY,
        "kind": "accompaniment",
        "topics": ["housing", "work"],
        "summary": "Begleitung zum Jobcenter",
        "result": "Antrag gestellt",
        "education_system": True,
        "return_counselling": False,
        "duration_minutes": 90,
        "interpreter_used": True,
        "partner_id": world["partner"],
    }
    resp = client.post("/api/v1/contactnote/", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    note = resp.get_json()["result"]
    assert sorted(note["topics"]) == ["housing", "work"] and note["version"] == 1
    pk = resp.get_json()["id"]
    resp = client.put(
        f"/api/v1/contactnote/{pk}", json={"topics": ["other"], "version": 1}, headers=headers
    )
    assert resp.status_code == 200, resp.get_json()
    got = client.get(f"/api/v1/contactnote/{pk}", headers=headers).get_json()["result"]
    assert got["topics"] == ["other"] and got["version"] == 2 and got["kind"] == "accompaniment"
    listing = client.get("/api/v1/contactnote/", headers=headers).get_json()
    assert listing["count"] == 1 and listing["result"][0]["topics"] == ["other"]
    resp = client.put(
        f"/api/v1/contactnote/{pk}", json={"summary": "x", "version": 1}, headers=headers
    )
    assert resp.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topics": ["housing", "gibt_es_nicht"]}, "topics"),
        ({"kind": "telefon"}, "kind"),
        ({"person_id": "PERSON_B"}, "person_id"),
        ({"partner_id": 987654}, "partner_id"),
        ({"caseworker_id": 1}, "caseworker_id"),
        ({"organisation_id": "ORG_B"}, "organisation_id"),
        ({"summary": None}, "summary"),
        ({"duration_minutes": -5}, "duration_minutes"),
    ],
)
def test_contact_note_post_refused(
    app: Flask, client, world, api_token, change: dict[str, Any], field: str
) -> None:
    headers = api_token(matrix.ROLE_CASEWORKER, world["a"])
    body: dict[str, Any] = {
        "person_id": world["person_a"],
        "date": TODAY,
        "kind": "individual",
        "topics": ["housing"],
        "summary": "Beratung",
        **change,
    }
    for key, value in list(body.items()):
        if value == "PERSON_B":
            body[key] = world["person_b"]
        if value == "ORG_B":
            body[key] = world["b"]
    from app.models import ContactNote

    before = _count(app, ContactNote)
    resp = client.post("/api/v1/contactnote/", json=body, headers=headers)
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["field"] == field and field in resp.get_json()["errors"]
    assert _count(app, ContactNote) == before


def test_foreign_records_are_404(app: Flask, client, world, api_token) -> None:
    headers = api_token(matrix.ROLE_CASEWORKER, world["a"])
    for url in (f"/api/v1/person/{world['person_b']}", f"/api/v1/contactnote/{world['note_b']}"):
        assert client.get(url, headers=headers).status_code == 404
        assert client.put(url, json={"version": 1}, headers=headers).status_code == 404
        assert client.delete(url, headers=headers).status_code in (404, 405)
    listing = client.get("/api/v1/person/", headers=headers).get_json()
    assert listing["ids"] == [world["person_a"]]


def test_group_session_participants_of_own_provider(app: Flask, client, world, api_token) -> None:
    headers = api_token(matrix.ROLE_CASEWORKER, world["a"])
    body = {
        "date": TODAY,
        "topic": "Mülltrennung im Wohnheim",
        "participant_ids": [world["person_a"]],
        "education_system": False,
        "return_counselling": True,
    }
    resp = client.post("/api/v1/groupsession/", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    got = client.get(f"/api/v1/groupsession/{pk}", headers=headers).get_json()["result"]
    assert got["participant_ids"] == [world["person_a"]] and got["return_counselling"] is True
    from app.models import GroupSession

    before = _count(app, GroupSession)
    foreign = {**body, "participant_ids": [world["person_a"], world["person_b"]]}
    resp = client.post("/api/v1/groupsession/", json=foreign, headers=headers)
    assert resp.status_code == 400 and resp.get_json()["field"] == "participant_ids"
    assert _count(app, GroupSession) == before
    resp = client.put(
        f"/api/v1/groupsession/{pk}",
        json={"participant_ids": [world["person_b"]]},
        headers=headers,
    )
    assert resp.status_code == 400
    got = client.get(f"/api/v1/groupsession/{pk}", headers=headers).get_json()["result"]
    assert got["participant_ids"] == [world["person_a"]]


def test_referral_and_follow_up(app: Flask, client, world, api_token) -> None:
    headers = api_token(matrix.ROLE_CASEWORKER, world["a"])
    resp = client.post(
        "/api/v1/referral/",
        json={
            "person_id": world["person_a"],
            "partner_id": world["partner"],
            "date": TODAY,
            "topic_code": "work",
        },
        headers=headers,
    )
    assert resp.status_code == 201, resp.get_json()
    resp = client.post(
        "/api/v1/referral/",
        json={
            "person_id": world["person_a"],
            "partner_id": world["partner"],
            "date": TODAY,
            "contact_note_id": world["note_b"],
        },
        headers=headers,
    )
    assert resp.status_code == 400 and resp.get_json()["field"] == "contact_note_id"
    resp = client.post(
        "/api/v1/followup/",
        json={"person_id": world["person_a"], "due_on": TODAY, "title": "Bescheid prüfen"},
        headers=headers,
    )
    assert resp.status_code == 201, resp.get_json()
    fu = resp.get_json()["result"]
    assert fu["source"] == "manual" and fu["assignee_id"] is not None
    resp = client.post(
        "/api/v1/followup/",
        json={
            "person_id": world["person_a"],
            "due_on": TODAY,
            "title": "x",
            "assignee_id": world["worker_b"],
        },
        headers=headers,
    )
    assert resp.status_code == 400 and resp.get_json()["field"] == "assignee_id"
    done = client.put(f"/api/v1/followup/{fu['id']}", json={"done_on": TODAY}, headers=headers)
    assert done.status_code == 200 and done.get_json()["result"]["done_on"] == TODAY


@pytest.mark.parametrize(
    ("role", "method", "url", "expected"),
    [
        (matrix.ROLE_COUNTY_ADMIN, "get", "/api/v1/person/", 403),
        (matrix.ROLE_COUNTY_ADMIN, "get", "/api/v1/contactnote/", 403),
        (matrix.ROLE_COUNTY_ADMIN, "post", "/api/v1/followup/", 403),
        (matrix.ROLE_REVIEWER, "post", "/api/v1/person/", 403),
        (matrix.ROLE_REVIEWER, "get", "/api/v1/groupsession/", 403),
        (matrix.ROLE_REVIEWER, "put", "/api/v1/person/PERSON_A/sensitive", 403),
    ],
)
def test_roles_without_permission_get_403(
    app: Flask, client, world, api_token, role: str, method: str, url: str, expected: int
) -> None:
    with app.app_context():
        county = factories.make_org("Landkreis", kind="county")
    headers = api_token(role, county)
    url = url.replace("PERSON_A", str(world["person_a"]))
    resp = getattr(client, method)(url, json={}, headers=headers)
    assert resp.status_code == expected


def test_sensitive_api_logs_reads_and_checks_version(app: Flask, client, world, api_token) -> None:
    from app.models import AccessLog

    headers = api_token(matrix.ROLE_CASEWORKER, world["a"])
    url = f"/api/v1/person/{world['person_a']}/sensitive"
    got = client.get(url, headers=headers).get_json()["result"]
    assert got["health"] is None and got["version"] is None
    resp = client.put(
        url, json={"health": "Diabetes Typ 2", "religion": "islam_sunni"}, headers=headers
    )
    assert resp.status_code == 200, resp.get_json()
    version = resp.get_json()["result"]["version"]
    resp = client.put(url, json={"health": "ohne Version"}, headers=headers)
    assert resp.status_code == 400
    resp = client.put(url, json={"health": "alt", "version": version + 5}, headers=headers)
    assert resp.status_code == 409
    resp = client.put(url, json={"unbekannt": "x", "version": version}, headers=headers)
    assert resp.status_code == 400
    got = client.get(url, headers=headers).get_json()["result"]
    assert got["health"] == "Diabetes Typ 2"
    with app.app_context():
        from app.extensions import db

        rows = (
            db.session.execute(select(AccessLog).where(AccessLog.person_id == world["person_a"]))
            .scalars()
            .all()
        )
        reads = [r for r in rows if r.action == "read_sensitive"]
        assert len(reads) == 10  # two reads × five categories
        assert {r.category for r in reads} >= {"health", "religion", "criminal_proceedings"}
        for row in rows:
            assert "Diabetes" not in (row.detail or "") and "Diabetes" not in (row.category or "")
    assert (
        client.get(f"/api/v1/person/{world['person_b']}/sensitive", headers=headers).status_code
        == 404
    )


def test_reviewer_reads_are_logged(app: Flask, client, world, api_token) -> None:
    from app.models import AccessLog

    with app.app_context():
        county = factories.make_org("Landkreis", kind="county")
    headers = api_token(matrix.ROLE_REVIEWER, county)
    assert client.get(f"/api/v1/person/{world['person_b']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/contactnote/{world['note_b']}", headers=headers).status_code == 200
    with app.app_context():
        from app.extensions import db

        rows = db.session.execute(
            select(AccessLog.action, AccessLog.category).where(
                AccessLog.person_id == world["person_b"]
            )
        ).all()
    assert ("read", "case_file") in rows and ("read", "contact_note") in rows


@contextmanager
def count_statements(app: Flask) -> Iterator[list[str]]:
    from app.extensions import db

    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _before)


@pytest.mark.parametrize("resource", ["person", "contactnote", "groupsession", "followup"])
def test_list_pagination_constant_statements(
    app: Flask, client, world, api_token, resource: str
) -> None:
    """Page size 5 and 50 issue the same number of SQL statements."""
    from app.extensions import db
    from app.models import ContactNoteTopic, GroupSession, Person

    with app.app_context():
        worker = factories.make_user(matrix.ROLE_CASEWORKER, world["a"])
        for i in range(60):
            person = factories.make_person(world["a"])
            note = factories.make_note(person, worker)
            db.session.add(ContactNoteTopic(contact_note_id=note.id, code="housing"))
            factories.make_follow_up(person, worker)
            if i % 2 == 0:
                gs = GroupSession(
                    organisation_id=world["a"],
                    date=dt.date.today(),
                    caseworker_id=worker.id,
                    topic=f"Gruppe {i}",
                )
                gs.participants = [db.session.get(Person, person.id)]
                db.session.add(gs)
        db.session.commit()
    headers = api_token(matrix.ROLE_CASEWORKER, world["a"])
    counts = []
    for size in (5, 50):
        url = f"/api/v1/{resource}/?q=(page:0,page_size:{size})"
        client.get(url, headers=headers)  # warm caches
        with count_statements(app) as statements:
            resp = client.get(url, headers=headers)
        assert resp.status_code == 200
        assert len(resp.get_json()["result"]) == (
            5 if size == 5 else min(50, resp.get_json()["count"])
        )
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_sensitive_page_logs_and_refuses_stale_version(app: Flask, world, login_as) -> None:
    """Browser: reading logs every category; a stale save keeps the input and says why."""
    from app.models import AccessLog

    client = login_as(matrix.ROLE_CASEWORKER, world["a"])
    url = f"/besondere-kategorien/{world['person_a']}/edit"
    assert client.get(url).status_code == 200
    resp = client.post(url, data={"health": "Asthma", "version": ""})
    assert resp.status_code == 302
    body = client.get(f"/besondere-kategorien/{world['person_a']}/").get_data(as_text=True)
    assert "Asthma" in body and "Zugriffsprotokoll" in body
    resp = client.post(url, data={"health": "Neuer Text", "version": "99"})
    assert resp.status_code == 409
    text = resp.get_data(as_text=True)
    assert "inzwischen" in text and "Neuer Text" in text
    resp = client.post(url, data={"religion": "x" * 300, "version": "1"})
    assert resp.status_code == 400 and "Zu lang" in resp.get_data(as_text=True)
    assert client.get(f"/besondere-kategorien/{world['person_b']}/").status_code == 404
    with app.app_context():
        from app.extensions import db

        reads = (
            db.session.execute(
                select(AccessLog.category).where(
                    AccessLog.person_id == world["person_a"], AccessLog.action == "read_sensitive"
                )
            )
            .scalars()
            .all()
        )
    assert len(reads) == 10 and "health" in reads
    county = login_as(matrix.ROLE_COUNTY_ADMIN, world["b"])
    resp = county.get(f"/besondere-kategorien/{world['person_a']}/")
    assert resp.status_code in (302, 403) and "Asthma" not in resp.get_data(as_text=True)

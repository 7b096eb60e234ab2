"""Data protection pages: retention preview and run, log search, Art. 15 export, permissions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccessLog, GroupSession, Household, Person, PersonSensitive, PurgeRecord
from app.security import matrix
from app.services.data_protection import subject_access
from tests import factories as f

OLD_MOVE = dt.date(2020, 1, 15)


@pytest.fixture
def people(app: Flask) -> Any:
    with app.app_context():
        org = f.make_org("Caritas DS")
        user = f.make_user(matrix.ROLE_CASEWORKER, org)
        due = f.make_person(org, last_name="Fälligmann", moved_away_on=OLD_MOVE)
        household = Household(name="Familie Bleibtreu", organisation_id=org.id)
        db.session.add(household)
        db.session.commit()
        keep = f.make_person(org, last_name="Bleibtreu", household_id=household.id)
        f.make_note(keep, user, summary="Vertraulicher Vermerk Bleibtreu")
        db.session.add(
            PersonSensitive(person_id=keep.id, organisation_id=org.id, health="Asthma-Geheim")
        )
        session = GroupSession(
            organisation_id=org.id, date=dt.date(2025, 1, 1), caseworker_id=user.id, topic="Schule"
        )
        session.participants = [db.session.get(Person, keep.id)]
        db.session.add(session)
        db.session.add_all(
            [
                AccessLog(
                    username="fachkraft.a",
                    person_id=keep.id,
                    action="read_sensitive",
                    category="health",
                    at=dt.datetime(2025, 5, 1, 10),
                ),
                AccessLog(
                    username="leitung.b",
                    person_id=due.id,
                    action="update",
                    at=dt.datetime(2025, 6, 1, 10),
                ),
            ]
        )
        db.session.commit()
        return {"org": org.id, "due": due.id, "keep": keep.id}


@pytest.mark.parametrize(
    "role",
    [matrix.ROLE_CASEWORKER, matrix.ROLE_LEAD, matrix.ROLE_REVIEWER, matrix.ROLE_COUNTY_ADMIN],
)
def test_other_roles_get_403(app: Flask, login_as: Any, people: Any, role: str) -> None:
    client = login_as(role, people["org"])
    for url in (
        "/datenschutz/loeschfristen",
        "/datenschutz/protokoll",
        "/datenschutz/auskunft",
        f"/datenschutz/auskunft/{people['keep']}.json",
    ):
        resp = client.get(url)
        assert resp.status_code in (302, 403), (url, resp.status_code)
    resp = client.post("/datenschutz/loeschfristen/ausfuehren")
    assert resp.status_code in (302, 403)
    with app.app_context():
        assert db.session.get(Person, people["due"]) is not None
        assert db.session.scalar(select(func.count()).where(AccessLog.action == "export")) == 0


def test_retention_page_preview_dry_run_and_run(app: Flask, login_as: Any, people: Any) -> None:
    county = None
    with app.app_context():
        county = f.make_org("Landkreis", kind="county").id
    client = login_as(matrix.ROLE_DPO, county)
    page = client.get("/datenschutz/loeschfristen").get_data(as_text=True)
    assert "Fällige Fallakten (1)" in page
    assert str(people["due"]) in page and "16.01.2022" in page
    assert "Fälligmann" not in page  # ids and dates, never content
    dry = client.get("/datenschutz/loeschfristen?probelauf=1").get_data(as_text=True)
    assert "Im Probelauf wurde nichts gelöscht" in dry
    with app.app_context():
        assert db.session.get(Person, people["due"]) is not None
    resp = client.post("/datenschutz/loeschfristen/ausfuehren", follow_redirects=True)
    assert resp.status_code == 200
    assert "1 Fallakte vernichtet" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, people["due"]) is None
        assert db.session.get(Person, people["keep"]) is not None
        record = db.session.scalars(select(PurgeRecord)).one()
        assert record.purged_by.startswith("user")


def test_retention_run_needs_csrf_token(app: Flask, login_as: Any, people: Any) -> None:
    client = login_as(matrix.ROLE_DPO, people["org"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        resp = client.post("/datenschutz/loeschfristen/ausfuehren")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert resp.status_code == 400
    with app.app_context():
        assert db.session.get(Person, people["due"]) is not None


def test_log_search_filters_without_content(app: Flask, login_as: Any, people: Any) -> None:
    client = login_as(matrix.ROLE_DPO, people["org"])
    page = client.get("/datenschutz/protokoll?benutzer=fachkraft").get_data(as_text=True)
    assert "fachkraft.a" in page and "leitung.b" not in page
    assert "Asthma-Geheim" not in page
    page = client.get(f"/datenschutz/protokoll?person={people['due']}").get_data(as_text=True)
    assert "leitung.b" in page and "fachkraft.a" not in page
    page = client.get("/datenschutz/protokoll?aktion=read_sensitive").get_data(as_text=True)
    assert "fachkraft.a" in page and "leitung.b" not in page
    page = client.get("/datenschutz/protokoll?von=2025-05-15&bis=2025-12-31").get_data(as_text=True)
    assert "leitung.b" in page and "fachkraft.a" not in page
    page = client.get("/datenschutz/protokoll?person=abc&von=gestern").get_data(as_text=True)
    assert "Bitte eine Personen-Nummer" in page and 'value="abc"' in page
    assert "„gestern“ ist kein Datum – bitte im Format TT.MM.JJJJ angeben." in page
    assert 'value="gestern"' in page


def test_subject_access_export_json_pdf_and_logged(app: Flask, login_as: Any, people: Any) -> None:
    client = login_as(matrix.ROLE_DPO, people["org"])
    keep = people["keep"]
    page = client.get(f"/datenschutz/auskunft?person={keep}").get_data(as_text=True)
    assert f"/datenschutz/auskunft/{keep}.pdf" in page
    assert "Keine Person" in client.get("/datenschutz/auskunft?person=999999").get_data(
        as_text=True
    )
    resp = client.get(f"/datenschutz/auskunft/{keep}.json")
    assert resp.status_code == 200
    data = json.loads(resp.get_data())
    assert data["person"]["last_name"] == "Bleibtreu"
    assert data["records"]["person_sensitive"][0]["health"] == "Asthma-Geheim"
    assert data["records"]["contact_note"][0]["summary"] == "Vertraulicher Vermerk Bleibtreu"
    assert [s["topic"] for s in data["group_sessions"]] == ["Schule"]
    assert data["household"]["name"] == "Familie Bleibtreu"
    assert [e["action"] for e in data["access_log"]] == ["read_sensitive"]
    pdf = client.get(f"/datenschutz/auskunft/{keep}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get("/datenschutz/auskunft/999999.json").status_code == 404
    with app.app_context():
        exports = db.session.scalars(
            select(AccessLog).where(AccessLog.action == "export", AccessLog.person_id == keep)
        ).all()
        assert len(exports) == 2
        assert all(e.username and e.username.startswith("user") for e in exports)


def test_subject_access_collect_is_generic(app: Flask, people: Any) -> None:
    with app.app_context():
        data = subject_access.collect(people["keep"])
        assert set(data["records"]) >= {"contact_note", "person_sensitive"}
        with pytest.raises(subject_access.SubjectAccessError):
            subject_access.collect(424242)

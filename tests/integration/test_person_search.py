"""Personensuche: one field, UI and API, scoped, within the statement budget."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.security import matrix
from tests import factories
from tests.integration.test_performance import count_statements


def _setup(app: Flask) -> dict[str, Any]:
    with app.app_context():
        a = factories.make_org("Träger A")
        b = factories.make_org("Träger B")
        p1 = factories.make_person(
            a, first_name="Mohammed", last_name="Al-Hassan", birth_date=dt.date(1990, 5, 17)
        )
        p2 = factories.make_person(a, first_name="Anna", last_name="Größe")
        p3 = factories.make_person(
            a, first_name="Olena", last_name="Petrenko", moved_away_on=dt.date(2025, 1, 1)
        )
        pb = factories.make_person(b, first_name="Muhammad", last_name="Al Hassan")
        return {
            "a": a.id,
            "b": b.id,
            "p1": p1.id,
            "p2": p2.id,
            "p3": p3.id,
            "pb": pb.id,
            "file1": p1.file_number,
        }


def test_api_search_variants_scope_and_format(app: Flask, client: Any, api_token: Any) -> None:
    """Muhammad Al Hassan finds Mohammed Al-Hassan of the own provider, never B's."""
    w = _setup(app)
    headers = api_token(matrix.ROLE_CASEWORKER, w["a"])
    resp = client.get("/api/v1/person/search?q=Muhammad Al Hassan", headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    result = resp.get_json()["result"]
    assert [r["id"] for r in result] == [w["p1"]]
    assert set(result[0]) == {"id", "first_name", "last_name", "birth_date", "file_number"}
    assert result[0]["birth_date"] == "1990-05-17"

    def ids(q: str) -> list[int]:
        resp = client.get("/api/v1/person/search", query_string={"q": q}, headers=headers)
        return [r["id"] for r in resp.get_json()["result"]]

    assert ids("groesse") == [w["p2"]]
    assert ids("17.05.1990") == [w["p1"]]
    assert ids("hassan 17.05.1990") == [w["p1"]]
    assert ids("hassan 18.05.1990") == []
    if w["file1"]:
        assert ids(w["file1"]) == [w["p1"]]
    assert w["p3"] in ids("petrenko")  # moved away: still found by the search
    assert ids("x") == []


def test_misspelt_names_find_similar_spellings_only_without_exact_hits(
    app: Flask, client: Any, api_token: Any, login_as: Any
) -> None:
    """One letter wrong, missing or too many per name: "Petrneko", "Hasan Al", "Grösse"."""
    w = _setup(app)
    headers = api_token(matrix.ROLE_CASEWORKER, w["a"])

    def ids(q: str) -> list[int]:
        resp = client.get("/api/v1/person/search", query_string={"q": q}, headers=headers)
        assert resp.status_code == 200
        return [r["id"] for r in resp.get_json()["result"]]

    assert ids("Petrenkko") == [w["p3"]]  # one letter too many
    assert ids("Petrnko") == [w["p3"]]  # one letter missing
    assert ids("Petrenka") == [w["p3"]]  # one letter wrong
    assert ids("Hassen Mohammed") == [w["p1"]]
    assert ids("Hassen 17.05.1990") == [w["p1"]]  # the birth date still exact
    assert ids("Hassen 18.05.1990") == []
    assert ids("Pterenko") == []  # two mistakes: not similar enough
    assert w["pb"] not in ids("Hassen")  # scoped like every search
    # an exact hit wins: no similar names mixed in
    assert ids("Hassan") == [w["p1"]]
    browser = login_as(matrix.ROLE_CASEWORKER, w["a"])
    with count_statements(app) as statements:
        html = browser.get("/personview/search?q=Petrnko").get_data(as_text=True)
    assert len(statements) <= 8, statements  # the second question stays within the budget
    assert "ähnlicher Schreibweise" in html and "Petrenko" in html
    rows = browser.get("/personview/autocomplete?all=1&q=Petrnko").get_json()
    assert [r["url"] for r in rows] == [f"/personview/show/{w['p3']}"]
    assert "ähnliche Schreibweise" in rows[0]["label"]


def test_api_has_no_delete_and_create_names_the_caller(
    app: Flask, client: Any, api_token: Any
) -> None:
    """No provider role deletes a case file through the API; the creator is the caseworker."""
    w = _setup(app)
    headers = api_token(matrix.ROLE_LEAD, w["a"])
    assert client.delete(f"/api/v1/person/{w['p1']}", headers=headers).status_code in (404, 405)
    resp = client.post(
        "/api/v1/person/",
        json={"first_name": "Neu", "last_name": "Person", "birth_date": "1980-01-01"},
        headers=headers,
    )
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["result"]["caseworker_id"] is not None
    from app.extensions import db
    from app.models import MsaUser, Person

    with app.app_context():
        person = db.session.get(Person, resp.get_json()["id"])
        user = db.session.get(MsaUser, person.caseworker_id)
        assert user.organisation_id == w["a"]
        assert db.session.get(Person, w["p1"]) is not None


def test_ui_search_page_suggestions_and_budget(app: Flask, login_as: Any) -> None:
    w = _setup(app)
    client = login_as(matrix.ROLE_CASEWORKER, w["a"])
    with count_statements(app) as statements:
        html = client.get("/personview/search?q=muhamad").get_data(as_text=True)
    assert len(statements) <= 8, statements
    assert "Al-Hassan, Mohammed" in html and "Al Hassan" not in html
    assert 'id="top-suche"' in html  # the field in the top bar
    rows = client.get("/personview/autocomplete?all=1&q=hassan").get_json()
    assert [r["url"] for r in rows] == [f"/personview/show/{w['p1']}"]
    # without all=1 (group sessions, households) persons who moved away are left out
    assert client.get("/personview/autocomplete?q=petrenko").get_json() == []
    html = client.get("/personview/list/").get_data(as_text=True)
    assert 'id="personen-suche"' in html and "fa-trash" not in html


def test_no_delete_route_for_case_files_in_the_ui(app: Flask, login_as: Any) -> None:
    w = _setup(app)
    for role in (matrix.ROLE_CASEWORKER, matrix.ROLE_LEAD, matrix.ROLE_SPECIALIST):
        client = login_as(role, w["a"])
        for url in (f"/personview/delete/{w['p1']}", "/contactnoteview/delete/1"):
            assert client.post(url).status_code in (404, 405)
    from app.extensions import db
    from app.models import Person

    with app.app_context():
        assert db.session.execute(select(Person.id).where(Person.id == w["p1"])).scalar()


def test_reviewer_search_and_list_are_access_logged(app: Flask, login_as: Any) -> None:
    w = _setup(app)
    client = login_as(matrix.ROLE_REVIEWER)
    assert client.get("/personview/search?q=hassan").status_code == 200
    assert client.get("/personview/list/").status_code == 200
    from app.extensions import db
    from app.models import AccessLog

    with app.app_context():
        details = db.session.execute(
            select(AccessLog.detail, AccessLog.person_id).where(AccessLog.action == "read")
        ).all()
    assert ("Personensuche", w["pb"]) in details
    assert any(d == "Personenliste" for d, _ in details)

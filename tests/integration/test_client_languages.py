"""The client's languages on the case file: form, REST API, case page and the letters' default
language — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Person
from app.security import matrix
from app.services.documents.letters import preferred_language
from tests import factories


def test_rest_person_takes_languages_interpreter_and_reading(
    app: Flask, api_token: Callable[..., dict[str, str]]
) -> None:
    with app.app_context():
        org = factories.make_org()
        org_id = org.id
    headers = api_token(matrix.ROLE_CASEWORKER, org_id)
    client = app.test_client()
    body = {
        "first_name": "Mariam",
        "last_name": "Sultani",
        "birth_date": "1988-04-02",
        "languages": ["prs", "ar"],
        "interpreter_language": "prs",
        "reading_ability": "some",
    }
    resp = client.post("/api/v1/person/", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    pk = resp.get_json()["id"]
    shown = client.get(f"/api/v1/person/{pk}", headers=headers).get_json()["result"]
    assert shown["languages"] == ["prs", "ar"]
    assert shown["interpreter_language"] == "prs"
    assert shown["reading_ability"] == "some"

    bad = dict(body, first_name="Other", languages=["ar", "xx"])
    resp = client.post("/api/v1/person/", json=bad, headers=headers)
    assert resp.status_code in (400, 422), resp.get_data(as_text=True)
    answer = resp.get_json()
    assert "languages" in answer.get("errors", {}) or answer.get("field") == "languages", answer
    resp = client.post(
        "/api/v1/person/", json=dict(body, first_name="Third", languages="ar"), headers=headers
    )
    assert resp.status_code in (400, 422)
    resp = client.post(
        "/api/v1/person/",
        json=dict(body, first_name="Fourth", reading_ability="fluent"),
        headers=headers,
    )
    assert resp.status_code in (400, 422)
    assert "liest sicher" in resp.get_data(as_text=True)  # the accepted values are named


def test_case_page_shows_the_languages_and_letters_default_to_them(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    with app.app_context():
        org = factories.make_org()
        person = factories.make_person(
            org, languages=["uk", "ru"], interpreter_language=None, reading_ability="none"
        )
        pk, org_id = person.id, org.id
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    body = client.get(f"/personview/show/{pk}").get_data(as_text=True)
    assert "Ukrainisch, Russisch" in body
    assert "liest nicht – Schreiben vorlesen" in body
    assert '<option value="uk" selected>' in body


def test_person_form_stores_the_languages(app: Flask, login_as: Callable[..., FlaskClient]) -> None:
    with app.app_context():
        org = factories.make_org()
        person = factories.make_person(org)
        pk, org_id, version = person.id, org.id, person.version
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    form = client.get(f"/personview/edit/{pk}").get_data(as_text=True)
    assert "Sprachen der Person" in form and "Lesefähigkeit" in form
    data: dict[str, Any] = {
        "first_name": "Amal",
        "last_name": "Haddad",
        "birth_date": "01.01.1990",
        "languages": ["ar", "fr"],
        "interpreter_language": "ar",
        "reading_ability": "good",
        "version": str(version),
    }
    resp = client.post(f"/personview/edit/{pk}", data=data)
    assert resp.status_code in (200, 302), resp.status_code
    with app.app_context():
        stored = db.session.get(Person, pk)
        assert stored is not None
        assert stored.languages == ["ar", "fr"]
        assert stored.interpreter_language == "ar"
        assert stored.reading_ability == "good"


def test_preferred_language_rule() -> None:
    """Interpreter language first, then the client's languages; Dari prints the Farsi texts;
    a language without letters falls through; nothing known: German."""
    assert preferred_language(["prs", "ar"]) == "fa"
    assert preferred_language([None, "ps", "ar"]) == "ar"
    assert preferred_language([None]) == "de"
    assert preferred_language([]) == "de"

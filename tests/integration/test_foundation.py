"""Login, German landing page per role, CLI, baseline web security."""

from __future__ import annotations

import pytest
from flask import Flask

from app.security import matrix
from tests import factories
from tests.conftest import make_test_app


def test_login_page_is_german(client) -> None:
    """The login page is German, with page language de."""
    body = client.get("/login/").get_data(as_text=True)
    assert '<html lang="de">' in body
    assert "Anmelden" in body or "Benutzername" in body


def test_login_with_password_and_landing_page(app: Flask, client) -> None:
    """A caseworker logs in with the form and sees where to start."""
    with app.app_context():
        org = factories.make_org("Caritas Test")
        factories.make_user(matrix.ROLE_CASEWORKER, org, username="fk1")
    resp = client.post("/login/", data={"username": "fk1", "password": factories.PASSWORD})
    assert resp.status_code == 302
    body = client.get("/").get_data(as_text=True)
    assert "Willkommen im MSA-Portal" in body
    assert "Personen" in body and "Meine Wiedervorlagen" in body
    assert "Caritas Test" in body


def test_wrong_password_gives_generic_german_message(app: Flask, client) -> None:
    with app.app_context():
        factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org(), username="fk2")
    resp = client.post(
        "/login/", data={"username": "fk2", "password": "falsch"}, follow_redirects=True
    )
    body = resp.get_data(as_text=True)
    assert "Ungültige Anmeldedaten" in body or "Ungültig" in body


@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        (matrix.ROLE_COUNTY_ADMIN, "Organisationen", "Meine Wiedervorlagen"),
        (matrix.ROLE_REVIEWER, "Zugriffsprotokoll", "Organisationen"),
        (matrix.ROLE_LEAD, "Beratungsvermerke", "Kataloge"),
        (matrix.ROLE_SPECIALIST, "freigegebene", "Kataloge"),
    ],
)
def test_landing_page_per_role(app: Flask, login_as, role: str, expected: str, absent: str) -> None:
    """Each role is told where to start, and not pointed at what it may not use."""
    with app.app_context():
        org = factories.make_org(kind="county" if role in matrix.COUNTY_ROLES else "provider")
    client = login_as(role, org)
    body = client.get("/").get_data(as_text=True)
    assert expected in body
    assert f">{absent}</a></h2>" not in body


def test_anonymous_is_sent_to_login(client) -> None:
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/personview/list/").status_code in (302, 401, 403)


def test_security_headers(client) -> None:
    resp = client.get("/login/")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert "no-store" in resp.headers["Cache-Control"]


def test_error_page_has_no_traceback(client) -> None:
    resp = client.get("/gibt-es-nicht")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 404
    assert "Die Seite wurde nicht gefunden." in body
    assert "Traceback" not in body


def test_csrf_protects_forms(database_url: str, app: Flask) -> None:
    """With CSRF on (the default outside tests) a form post without token is refused."""
    strict = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org(), username="fk3")
    client = strict.test_client()
    resp = client.post("/login/", data={"username": "fk3", "password": factories.PASSWORD})
    assert resp.status_code == 400


def test_api_login_rate_limited(database_url: str) -> None:
    """The API login is rate-limited like the form (10 per minute)."""
    limited = make_test_app(database_url, AUTH_RATE_LIMITED=True, RATELIMIT_ENABLED=True)
    client = limited.test_client()
    codes = [
        client.post(
            "/api/v1/security/login",
            json={"username": "niemand", "password": "x", "provider": "db"},
        ).status_code
        for _ in range(12)
    ]
    assert 429 in codes


def test_production_refuses_weak_secret(monkeypatch) -> None:
    from app import create_app
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_english_selectable(app: Flask, login_as) -> None:
    client = login_as(matrix.ROLE_CASEWORKER, None)
    resp = client.get("/lang/en", follow_redirects=False)
    assert resp.status_code == 302
    with client.session_transaction() as sess:
        assert sess["locale"] == "en"


def test_english_locale_translates_app_labels(app: Flask, login_as) -> None:
    """English is selectable and the app's own labels follow (German stays the default)."""
    with app.app_context():
        org = factories.make_org()
    client = login_as(matrix.ROLE_CASEWORKER, org)
    assert "Willkommen im MSA-Portal" in client.get("/").get_data(as_text=True)
    client.get("/lang/en")
    body = client.get("/").get_data(as_text=True)
    assert "Welcome to MSA-Portal" in body and "My follow-ups" in body
    assert '<html lang="en">' in body


def test_translation_catalogues_are_compiled_and_complete() -> None:
    """Every message of the app's template has an English translation; .mo files are current."""
    from pathlib import Path

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    base = Path(__file__).resolve().parents[2] / "app" / "translations"
    pot = read_po((base / "messages.pot").open("rb"))
    for locale in ("de", "en"):
        po = read_po((base / locale / "LC_MESSAGES" / "messages.po").open("rb"))
        mo = read_mo((base / locale / "LC_MESSAGES" / "messages.mo").open("rb"))
        missing = [m.id for m in pot if m.id and not (po.get(m.id) and po.get(m.id).string)]
        assert missing == [], (locale, missing)
        assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}

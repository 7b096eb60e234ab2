"""Sessions end at logout, password change and deactivation; old cookies and tokens are refused."""

from __future__ import annotations

import time

from flask import Flask

from app.models import MsaUser
from app.security import matrix
from app.security.sessions import LOGIN_AT_KEY, SEEN_AT_KEY
from tests import factories


def _login_form(app: Flask, username: str):
    client = app.test_client()
    resp = client.post("/login/", data={"username": username, "password": factories.PASSWORD})
    assert resp.status_code == 302
    return client


def test_replayed_cookie_after_logout_is_refused(app: Flask) -> None:
    with app.app_context():
        factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org(), username="s1")
    client = _login_form(app, "s1")
    assert client.get("/").status_code == 200
    cookie = client.get_cookie("session").value
    client.get("/logout/")
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    resp = replay.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_password_change_ends_other_sessions(app: Flask) -> None:
    with app.app_context():
        user = factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org(), username="s2")
        user_id = user.id
    client = _login_form(app, "s2")
    assert client.get("/").status_code == 200
    with app.app_context():
        app.appbuilder.sm.reset_password(user_id, "ein-neues-langes-Kennwort")
    resp = client.get("/")
    assert resp.status_code == 302


def test_deactivated_user_is_signed_out(app: Flask) -> None:
    with app.app_context():
        factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org(), username="s3")
    client = _login_form(app, "s3")
    with app.app_context():
        user = MsaUser.query.filter_by(username="s3").one()
        user.active = False
        from app.extensions import db

        db.session.commit()
    assert client.get("/").status_code == 302


def test_idle_timeout(app: Flask) -> None:
    with app.app_context():
        factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org(), username="s4")
    client = _login_form(app, "s4")
    with client.session_transaction() as sess:
        sess[SEEN_AT_KEY] = int(time.time()) - 31 * 60
    resp = client.get("/", follow_redirects=True)
    assert "Inaktivität" in resp.get_data(as_text=True)


def test_absolute_timeout(app: Flask) -> None:
    with app.app_context():
        factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org(), username="s5")
    client = _login_form(app, "s5")
    with client.session_transaction() as sess:
        sess[LOGIN_AT_KEY] = int(time.time()) - 11 * 3600
    resp = client.get("/", follow_redirects=True)
    assert "maximale Sitzungsdauer" in resp.get_data(as_text=True)


def test_new_session_at_login(app: Flask) -> None:
    """Nothing of the anonymous session survives the sign-in (no session fixation)."""
    with app.app_context():
        factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org(), username="s6")
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["planted"] = "x"
    client.post("/login/", data={"username": "s6", "password": factories.PASSWORD})
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_api_token_revoked_by_logout(app: Flask) -> None:
    with app.app_context():
        factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org(), username="s7")
    api = app.test_client()
    token = api.post(
        "/api/v1/security/login",
        json={"username": "s7", "password": factories.PASSWORD, "provider": "db"},
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/networkpartner/", headers=headers).status_code == 200
    browser = _login_form(app, "s7")
    browser.get("/logout/")
    assert api.get("/api/v1/networkpartner/", headers=headers).status_code == 401


def test_weak_password_refused_in_cli(app: Flask) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        factories.make_org("Org PW")
    result = runner.invoke(
        args=["msa", "create-user", "weak", "--role", "Fachkraft", "--organisation", "Org PW"],
        env={"MSA_PASSWORD": "password1234"},
    )
    assert result.exit_code != 0 and "zu leicht zu erraten" in result.output

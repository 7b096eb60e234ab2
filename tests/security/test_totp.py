"""TOTP second factor: enrolment, sign-in step, API login, replay, required roles."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask

from app.security import matrix, totp
from tests import factories


@pytest.fixture
def require_admins(app: Flask) -> Iterator[None]:
    """Switch on the production default: Kreis-Admin and Admin must use TOTP."""
    old = app.config["MSA_TOTP_REQUIRED_ROLES"]
    app.config["MSA_TOTP_REQUIRED_ROLES"] = (matrix.ROLE_COUNTY_ADMIN, matrix.ROLE_ADMIN)
    yield
    app.config["MSA_TOTP_REQUIRED_ROLES"] = old


def _user(app: Flask, role: str = matrix.ROLE_CASEWORKER, *, secret: str | None = None) -> str:
    with app.app_context():
        user = factories.make_user(role, factories.make_org())
        if secret:
            user.totp_secret = secret
            user.totp_enabled = True
            from app.extensions import db

            db.session.commit()
        return str(user.username)


def _code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * totp.INTERVAL)


def _signed_in(client: Any) -> bool:
    with client.session_transaction() as sess:
        return "_user_id" in sess


def _password_step(client: Any, username: str, next_url: str = "") -> Any:
    url = "/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": factories.PASSWORD})


# --- unit: service -------------------------------------------------------------------------


def test_matching_step_accepts_drift_of_one_step_only(app: Flask) -> None:
    secret = totp.new_secret()
    now = 1_800_000_000.0
    step = int(now // totp.INTERVAL)
    code = pyotp.TOTP(secret)
    assert totp.matching_step(secret, code.at(now), now) == step
    assert totp.matching_step(secret, code.at(now - 30), now) == step - 1
    assert totp.matching_step(secret, code.at(now + 30), now) == step + 1
    assert totp.matching_step(secret, code.at(now - 90), now) is None
    assert totp.matching_step(secret, "12345", now) is None
    assert totp.matching_step(secret, "abcdef", now) is None
    assert totp.matching_step(secret, None, now) is None
    assert totp.matching_step(secret, code.at(now)[:3] + " " + code.at(now)[3:], now) == step


def test_verify_refuses_replay_of_the_same_code(app: Flask) -> None:
    secret = totp.new_secret()
    with app.app_context():
        user = factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org())
        assert totp.enable(user, secret, _code(secret))
        # the code used for enrolment cannot be used again
        assert not totp.verify(user, _code(secret))
        # the next time step's code is fresh, once
        nxt = _code(secret, 1)
        assert totp.verify(user, nxt)
        assert not totp.verify(user, nxt)
        # an older step's code is refused after a newer one was used
        assert not totp.verify(user, _code(secret, -1))


def test_enable_needs_a_fitting_code(app: Flask) -> None:
    secret = totp.new_secret()
    with app.app_context():
        user = factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org())
        assert not totp.enable(user, secret, "000000" if _code(secret) != "000000" else "111111")
        assert not totp.is_enabled(user)
        assert totp.enable(user, secret, _code(secret))
        assert totp.is_enabled(user) and user.totp_secret == secret


def test_required_roles_come_from_config(app: Flask, require_admins: None) -> None:
    with app.app_context():
        admin = factories.make_user(matrix.ROLE_COUNTY_ADMIN, factories.make_org())
        worker = factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org())
        assert totp.is_required(admin) and totp.needs_second_factor(admin)
        assert not totp.is_required(worker) and not totp.needs_second_factor(worker)


def test_config_default_requires_county_admin_and_admin() -> None:
    from config import Config, TestingConfig

    assert set(Config.MSA_TOTP_REQUIRED_ROLES) == {matrix.ROLE_COUNTY_ADMIN, matrix.ROLE_ADMIN}
    assert TestingConfig.MSA_TOTP_REQUIRED_ROLES == ()


# --- form sign-in ------------------------------------------------------------------------


def test_user_without_totp_signs_in_with_password(app: Flask) -> None:
    client = app.test_client()
    resp = _password_step(client, _user(app))
    assert resp.status_code == 302 and "zwei-faktor" not in resp.headers["Location"]
    assert _signed_in(client)


def test_totp_user_is_not_signed_in_before_the_code(app: Flask) -> None:
    secret = totp.new_secret()
    username = _user(app, secret=secret)
    client = app.test_client()
    resp = _password_step(client, username, next_url="/personview/list/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/zwei-faktor/code/")
    assert not _signed_in(client)
    # nothing behind the login is reachable yet
    assert client.get("/personview/list/").status_code == 302
    page = client.get("/zwei-faktor/code/")
    assert page.status_code == 200 and "Sicherheitscode" in page.get_data(as_text=True)
    # wrong code: German message at the field, still not signed in
    wrong = "000000" if _code(secret) != "000000" else "111111"
    resp = client.post("/zwei-faktor/code/", data={"code": wrong})
    assert resp.status_code == 200
    assert "ungültig oder wurde bereits verwendet" in resp.get_data(as_text=True)
    assert not _signed_in(client)
    # right code: signed in and sent on to ``next``
    resp = client.post("/zwei-faktor/code/", data={"code": _code(secret)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/personview/list/")
    assert _signed_in(client)
    assert client.get("/personview/list/").status_code == 200


def test_code_replayed_in_a_second_login_is_refused(app: Flask) -> None:
    secret = totp.new_secret()
    username = _user(app, secret=secret)
    code = _code(secret)
    first = app.test_client()
    _password_step(first, username)
    assert first.post("/zwei-faktor/code/", data={"code": code}).status_code == 302
    assert _signed_in(first)
    second = app.test_client()
    _password_step(second, username)
    resp = second.post("/zwei-faktor/code/", data={"code": code})
    assert resp.status_code == 200 and not _signed_in(second)


def test_code_page_without_password_step_goes_to_login(app: Flask) -> None:
    client = app.test_client()
    resp = client.post("/zwei-faktor/code/", data={"code": "123456"})
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    assert not _signed_in(client)


def test_too_many_wrong_codes_end_the_password_step(app: Flask) -> None:
    secret = totp.new_secret()
    username = _user(app, secret=secret)
    client = app.test_client()
    _password_step(client, username)
    wrong = "000000" if _code(secret) != "000000" else "111111"
    from app.security.views import MAX_CODE_ATTEMPTS

    for _ in range(MAX_CODE_ATTEMPTS - 1):
        assert client.post("/zwei-faktor/code/", data={"code": wrong}).status_code == 200
    resp = client.post("/zwei-faktor/code/", data={"code": wrong})
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    # even the right code no longer helps: the password must be entered again
    resp = client.post("/zwei-faktor/code/", data={"code": _code(secret)})
    assert "/login/" in resp.headers["Location"] and not _signed_in(client)


def test_expired_password_step_is_refused(app: Flask) -> None:
    secret = totp.new_secret()
    username = _user(app, secret=secret)
    client = app.test_client()
    _password_step(client, username)
    from app.security.views import PENDING_KEY, PENDING_SECONDS

    with client.session_transaction() as sess:
        pending = dict(sess[PENDING_KEY])
        pending["at"] = time.time() - PENDING_SECONDS - 1
        sess[PENDING_KEY] = pending
    resp = client.post("/zwei-faktor/code/", data={"code": _code(secret)})
    assert "/login/" in resp.headers["Location"] and not _signed_in(client)


def test_required_role_must_enrol_before_sign_in(app: Flask, require_admins: None) -> None:
    username = _user(app, matrix.ROLE_COUNTY_ADMIN)
    client = app.test_client()
    resp = _password_step(client, username)
    assert resp.headers["Location"].endswith("/zwei-faktor/einrichten/")
    assert not _signed_in(client)
    assert client.get("/organisationview/list/").status_code == 302
    page = client.get("/zwei-faktor/einrichten/")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in body and "otpauth://totp/" in body
    from app.security.views import ENROL_KEY

    with client.session_transaction() as sess:
        secret = sess[ENROL_KEY]
    assert secret in body
    resp = client.post("/zwei-faktor/einrichten/", data={"code": "abc"})
    assert resp.status_code == 200 and not _signed_in(client)
    resp = client.post("/zwei-faktor/einrichten/", data={"code": _code(secret)})
    assert resp.status_code == 302 and _signed_in(client)
    assert client.get("/organisationview/list/").status_code == 200
    with app.app_context():
        from app.models import MsaUser

        stored = MsaUser.query.filter_by(username=username).one()
        assert stored.totp_enabled and stored.totp_secret == secret


def test_required_role_signed_in_without_totp_is_sent_to_enrolment(
    app: Flask, login_as: Any, require_admins: None
) -> None:
    client = login_as(matrix.ROLE_COUNTY_ADMIN, None)
    resp = client.get("/organisationview/list/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/zwei-faktor/einrichten/")
    assert client.get("/zwei-faktor/einrichten/").status_code == 200


def test_signed_in_user_enrols_and_disables(app: Flask, login_as: Any) -> None:
    client = login_as(matrix.ROLE_CASEWORKER, None)
    assert "nicht eingerichtet" in client.get("/zwei-faktor/").get_data(as_text=True)
    client.get("/zwei-faktor/einrichten/")
    from app.security.views import ENROL_KEY

    with client.session_transaction() as sess:
        secret = sess[ENROL_KEY]
    resp = client.post("/zwei-faktor/einrichten/", data={"code": _code(secret)})
    assert resp.status_code == 302
    assert "ist eingerichtet" in client.get("/zwei-faktor/").get_data(as_text=True)
    # switching off needs a fresh code (the enrolment code is spent)
    client.post("/zwei-faktor/abschalten/", data={"code": _code(secret)})
    with app.app_context():
        from app.models import MsaUser

        assert MsaUser.query.get(client.user_id).totp_enabled
    client.post("/zwei-faktor/abschalten/", data={"code": _code(secret, 1)})
    with app.app_context():
        from app.models import MsaUser

        assert not MsaUser.query.get(client.user_id).totp_enabled


def test_required_role_cannot_disable(app: Flask, login_as: Any, require_admins: None) -> None:
    secret = totp.new_secret()
    client = login_as(matrix.ROLE_COUNTY_ADMIN, None)
    with app.app_context():
        from app.extensions import db
        from app.models import MsaUser

        user = db.session.get(MsaUser, client.user_id)
        totp.enable(user, secret, _code(secret, -1))
    client.post("/zwei-faktor/abschalten/", data={"code": _code(secret)})
    with app.app_context():
        assert db.session.get(MsaUser, client.user_id).totp_enabled


def test_anonymous_cannot_reach_settings(app: Flask) -> None:
    client = app.test_client()
    for url, method in (("/zwei-faktor/", "GET"), ("/zwei-faktor/einrichten/", "GET")):
        resp = client.open(url, method=method)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = client.post("/zwei-faktor/abschalten/", data={"code": "123456"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# --- API sign-in ---------------------------------------------------------------------------


def _api_login(app: Flask, username: str, **extra: Any) -> Any:
    return app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": factories.PASSWORD, "provider": "db", **extra},
    )


def test_api_login_of_totp_user_needs_the_code(app: Flask) -> None:
    secret = totp.new_secret()
    username = _user(app, secret=secret)
    assert _api_login(app, username).status_code == 401
    assert (
        _api_login(app, username, totp="000000" if _code(secret) != "000000" else "1").status_code
        == 401
    )
    assert _api_login(app, username, totp=123456).status_code == 400
    code = _code(secret)
    resp = _api_login(app, username, totp=code)
    assert resp.status_code == 200 and "access_token" in resp.get_json()
    token = resp.get_json()["access_token"]
    assert (
        app.test_client()
        .get("/api/v1/networkpartner/", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 200
    )
    # the same code again: refused
    assert _api_login(app, username, totp=code).status_code == 401


def test_api_login_of_required_role_without_enrolment_is_refused(
    app: Flask, require_admins: None
) -> None:
    username = _user(app, matrix.ROLE_COUNTY_ADMIN)
    assert _api_login(app, username).status_code == 401
    assert _api_login(app, username, totp="123456").status_code == 401


def test_api_login_failures_look_the_same(app: Flask) -> None:
    secret = totp.new_secret()
    username = _user(app, secret=secret)
    missing_code = _api_login(app, username)
    wrong_password = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": "falsch-falsch", "provider": "db"},
    )
    assert missing_code.status_code == wrong_password.status_code == 401
    assert missing_code.get_json() == wrong_password.get_json()


def test_api_login_without_totp_unchanged(app: Flask) -> None:
    resp = _api_login(app, _user(app), refresh=True)
    assert resp.status_code == 200 and {"access_token", "refresh_token"} <= set(resp.get_json())


def test_api_login_rejects_unknown_fields(app: Flask) -> None:
    resp = _api_login(app, _user(app), is_admin=True)
    assert resp.status_code == 400

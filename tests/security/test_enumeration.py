"""No user enumeration: same answer (and comparable work) for unknown user and wrong password."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest
from flask import Flask

from app.security import matrix
from tests import factories


@pytest.fixture
def accounts(app: Flask) -> dict[str, str]:
    with app.app_context():
        org = factories.make_org()
        active = factories.make_user(matrix.ROLE_CASEWORKER, org)
        inactive = factories.make_user(matrix.ROLE_CASEWORKER, org)
        inactive.active = False
        from app.extensions import db

        db.session.commit()
        return {"active": active.username, "inactive": inactive.username}


def _form_login(app: Flask, username: str, password: str) -> tuple[str, str]:
    client = app.test_client()
    resp = client.post("/login/", data={"username": username, "password": password})
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    return resp.headers["Location"], page


def _flash_text(page: str) -> str:
    import re

    found = re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', page, flags=re.S)
    return " ".join(" ".join(found).split())


def test_form_gives_the_same_message(app: Flask, accounts: dict[str, str]) -> None:
    unknown = _form_login(app, "niemand-hier", "Irgendein-Passwort-1")
    wrong = _form_login(app, accounts["active"], "Irgendein-Passwort-1")
    inactive = _form_login(app, accounts["inactive"], factories.PASSWORD)
    assert unknown[0] == wrong[0] == inactive[0]
    message = _flash_text(wrong[1])
    assert message and "Ungültig" in message
    assert _flash_text(unknown[1]) == message == _flash_text(inactive[1])
    assert accounts["active"] not in wrong[1]


def test_api_gives_the_same_answer(app: Flask, accounts: dict[str, str]) -> None:
    def login(username: str, password: str) -> Any:
        return app.test_client().post(
            "/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db"},
        )

    answers = [
        login("niemand-hier", "Irgendein-Passwort-1"),
        login(accounts["active"], "Irgendein-Passwort-1"),
        login(accounts["inactive"], factories.PASSWORD),
    ]
    assert {r.status_code for r in answers} == {401}
    assert len({r.get_data() for r in answers}) == 1


def test_unknown_user_costs_one_password_hash_like_a_wrong_password(
    app: Flask, accounts: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAB checks a fake hash for unknown users; it must use our hash method and parameters."""
    import flask_appbuilder.security.manager as fab_manager
    from werkzeug.security import generate_password_hash

    with app.app_context():
        fake = app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"]
        method = app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt")
        real = generate_password_hash("x", method=method)
        assert fake.split("$")[0] == real.split("$")[0]  # same algorithm and cost
    calls: list[str] = []
    original = fab_manager.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        calls.append(pwhash)
        return original(pwhash, password)

    monkeypatch.setattr(fab_manager, "check_password_hash", counting)
    for username in ("niemand-hier", accounts["active"], accounts["inactive"]):
        calls.clear()
        _form_login(app, username, "Irgendein-Passwort-1")
        assert len(calls) == 1, username


def test_timing_of_unknown_user_and_wrong_password_is_similar(
    app: Flask, accounts: dict[str, str]
) -> None:
    client = app.test_client()

    def timed(username: str) -> float:
        start = time.perf_counter()
        client.post(
            "/api/v1/security/login",
            json={"username": username, "password": "Irgendein-Passwort-1", "provider": "db"},
        )
        return time.perf_counter() - start

    unknown = statistics.median(timed("niemand-hier") for _ in range(5))
    wrong = statistics.median(timed(accounts["active"]) for _ in range(5))
    # both are dominated by one scrypt check; a missing fake check would be ~100x faster
    assert 0.25 < unknown / wrong < 4, (unknown, wrong)

"""Every route needs a permission; no open redirects; the database being down gives a 503."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.conftest import make_test_app

#: routes an anonymous visitor may reach (login, language, static assets, API login/spec)
PUBLIC = {
    "AuthDBView.login",
    "AuthDBView.logout",
    "LocaleView.index",
    "static",
    "appbuilder.static",
    "SecurityApi.login",
    "SecurityApi.refresh",
    "MsaIndexView.index",
    "UtilView.back",
    # second step of the sign-in (only with a pending password step, else back to login)
    "TotpView.verify",
    "TotpView.enrol",
    # the iCalendar feed: its secret, revocable token is the key (calendar apps cannot sign in)
    "CalendarFeedView.feed",
    # the accessibility statement and the page in Leichte Sprache (BITV 2.0: reachable by all)
    "AccessibilityView.statement",
    "AccessibilityView.easy_language",
}


def _concrete(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", "1", rule)


def test_every_route_requires_login(app: Flask) -> None:
    """Walk app.url_map: every non-public route refuses an anonymous visitor."""
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        url = _concrete(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(url, method=method)
            assert resp.status_code in (302, 400, 401, 403, 404, 405), (
                rule.rule,
                method,
                resp.status_code,
            )
            if resp.status_code == 302:
                location = resp.headers["Location"]
                assert "/login" in location or location == "/", (rule.rule, location)
            checked += 1
    assert checked > 50


def test_public_routes_are_few() -> None:
    assert len(PUBLIC) < 15  # 14 since the accessibility statement and Leichte Sprache


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "http:evil.example"],
)
def test_no_open_redirect_through_next(app: Flask, target: str) -> None:
    from app.security import matrix
    from tests import factories

    with app.app_context():
        factories.make_user(
            matrix.ROLE_CASEWORKER, factories.make_org(), username=f"r{abs(hash(target))}"
        )
    client = app.test_client()
    resp = client.post(
        f"/login/?next={target}",
        data={"username": f"r{abs(hash(target))}", "password": factories.PASSWORD},
    )
    assert resp.status_code == 302
    location = resp.headers["Location"]
    # stays on this host: a path, not a scheme-relative or absolute URL
    assert location.startswith("/") and location[1:2] not in ("/", "\\"), location
    assert "://" not in location


def test_host_header_does_not_redirect_elsewhere(client) -> None:
    """Redirects are relative: a forged Host header cannot send the browser elsewhere."""
    resp = client.get("/", headers={"Host": "evil.example"})
    assert resp.status_code == 302
    assert "evil.example" not in resp.headers["Location"]


def test_database_down_gives_503_page() -> None:
    """With the database unreachable the portal answers a clear German 503, no traceback."""
    down = make_test_app("postgresql+psycopg://postgres@127.0.0.1:1/none")
    client = down.test_client()
    resp = client.post("/login/", data={"username": "x", "password": "y"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert "vorübergehend nicht erreichbar" in body
    assert "Traceback" not in body and "psycopg" not in body

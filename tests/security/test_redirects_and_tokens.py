"""Redirect targets are normalised before they are checked; a malformed token is 401.

Findings: ``next=/\\t/evil`` became ``Location: /\\t/evil``, which a browser reads as
``//evil`` (another host); a malformed JWT on the REST API answered 422 instead of 401.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from app.security import matrix
from tests import factories

#: targets a browser reads as another host, and a harmless one
HOSTILE = ["/\t/evil", "/\n/evil", "\t//evil", " //evil", "/\\evil", "\\\\evil", "/\r\n/evil"]


def browser_reads(location: str) -> str:
    """How a browser parses a Location (URL standard): C0 controls and spaces trimmed, tabs
    and newlines removed, backslash as slash — written here independently of the app."""
    text = location.strip("".join(chr(c) for c in range(0x21)))
    text = text.replace("\t", "").replace("\n", "").replace("\r", "")
    return text.replace("\\", "/")


def _stays_on_site(location: str) -> bool:
    seen = browser_reads(location)
    parts = urlsplit(seen)
    if parts.netloc:
        return parts.netloc == "localhost"
    return not seen.startswith("//")


@pytest.mark.parametrize("target", HOSTILE)
def test_follow_up_next_stays_on_the_site(app: Flask, login_as: Any, target: str) -> None:
    with app.app_context():
        org = factories.make_org()
        person = factories.make_person(org)
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        fu = factories.make_follow_up(person, worker)
        fu_id, worker_id = fu.id, worker.id
    from tests.conftest import sign_in

    client = sign_in(app.test_client(), worker_id)
    resp = client.post(f"/myfollowupview/done/{fu_id}", data={"next": target})
    assert resp.status_code == 302
    assert _stays_on_site(resp.headers["Location"]), resp.headers["Location"]


def test_follow_up_next_to_a_page_of_the_site_is_kept(app: Flask) -> None:
    with app.app_context():
        org = factories.make_org()
        person = factories.make_person(org)
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        fu = factories.make_follow_up(person, worker)
        fu_id, worker_id, person_id = fu.id, worker.id, person.id
    from tests.conftest import sign_in

    client = sign_in(app.test_client(), worker_id)
    target = f"/personview/show/{person_id}#wiedervorlagen"
    resp = client.post(f"/myfollowupview/done/{fu_id}", data={"next": target})
    assert resp.headers["Location"].endswith(target)


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_next_stays_on_the_site(app: Flask, target: str) -> None:
    with app.app_context():
        username = factories.make_user(matrix.ROLE_CASEWORKER, None).username
    client = app.test_client()
    resp = client.post(
        "/login/",
        query_string={"next": target},
        data={"username": username, "password": factories.PASSWORD},
    )
    assert resp.status_code == 302
    assert _stays_on_site(resp.headers["Location"]), resp.headers["Location"]
    again = client.get("/login/", query_string={"next": target})
    assert _stays_on_site(again.headers["Location"]), again.headers["Location"]


@pytest.mark.parametrize(
    "header",
    ["Bearer abc", "Bearer a.b.c", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "Bearer ", "Basic eA=="],
)
def test_a_malformed_token_is_401_with_a_json_body(app: Flask, header: str) -> None:
    resp = app.test_client().get("/api/v1/person/", headers={"Authorization": header})
    assert resp.status_code == 401
    body = resp.get_json()
    assert isinstance(body, dict) and body.get("message")

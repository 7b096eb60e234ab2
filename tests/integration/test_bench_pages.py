"""CI guard for the benchmark's pages: every page of ``bench.pages.PAGES``.

Each page is requested like ``bench/run.py`` does it (same user, same placeholders, a first
request before the counted one), on the demo data plus the bench person's documents, and must
answer its expected status with at most ``MAX_STATEMENTS`` SQL statements and less than
``MAX_PAGE_BYTES``. Times are the benchmark's business, never asserted here.

Known offenders are ``xfail(strict=True)``: when they are fixed the xfail turns into a failure
and the mark must go.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.demo.data import DEMO_PASSWORD
from bench.pages import LOGIN, PAGES, USERS, Page
from tests.conftest import sign_in
from tests.integration.test_performance import MAX_PAGE_BYTES, MAX_STATEMENTS, count_statements

#: pages over the statement budget today, fixed elsewhere (name -> reason)
KNOWN_OFFENDERS = {}


def _cases() -> list[Any]:
    cases = []
    for page in PAGES:
        marks = []
        if page.name in KNOWN_OFFENDERS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_OFFENDERS[page.name]))
        cases.append(pytest.param(page, id=page.name, marks=marks))
    return cases


def _load(app: Flask) -> dict[str, Any]:
    """Demo data, the bench person's CV and reports; return the filled placeholders."""
    from app.demo.data import load_demo_data
    from app.extensions import db
    from bench.generate import add_bench_documents
    from bench.pages import params

    with app.app_context():
        load_demo_data(persons=40)
        add_bench_documents()
        return params(db.session.connection())


def _client_for(app: Flask, user_key: str) -> FlaskClient:
    """A test client signed in as the demo account the benchmark uses for ``user_key``."""
    from app.extensions import db
    from app.models import MsaUser

    username = USERS[user_key][0]
    with app.app_context():
        user_id = db.session.scalars(select(MsaUser.id).where(MsaUser.username == username)).one()
    client = sign_in(app.test_client(), user_id)
    # the API takes the JWT, as in bench/run.py (Client.api_login)
    resp = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": DEMO_PASSWORD, "provider": "db"},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {resp.get_json()['access_token']}"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    return client


def _request(client: FlaskClient, page: Page, params: dict[str, Any]) -> Any:
    path = page.path.format(**params)
    if page.method == "POST":
        return client.post(path, data=page.form(params) if page.form else {})
    return client.get(path)


@pytest.mark.parametrize("page", _cases())
def test_bench_page_within_budget(app: Flask, page: Page) -> None:
    params = _load(app)
    assert all(params[k] is not None for k in ("person_id", "draft_report_id", "final_report_id"))
    client = _client_for(app, page.user)
    first = _request(client, page, params)  # warm-up, like the benchmark's first request
    if first.status_code == 404 and page.optional:
        pytest.skip(f"{page.name}: nicht vorhanden")
    with count_statements(app) as statements:
        resp = _request(client, page, params)
    assert resp.status_code == page.expect_status, (page.name, resp.status_code)
    assert len(resp.data) < MAX_PAGE_BYTES, (page.name, len(resp.data))
    assert len(statements) <= MAX_STATEMENTS, " | ".join(
        [page.name] + [" ".join(s[:70].split()) for s in statements]
    )


def test_bench_login_within_budget(app: Flask) -> None:
    params = _load(app)
    form = {"username": params["username"], "password": DEMO_PASSWORD}
    with count_statements(app) as statements:
        resp = app.test_client().post(LOGIN.path, data=form)
    assert resp.status_code == 302, resp.status_code
    assert "/login" not in resp.headers.get("Location", "")
    assert len(statements) <= MAX_STATEMENTS, (len(statements), statements)

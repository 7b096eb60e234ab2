"""Statement budget for EVERY page: walk every GET route of ``app.url_map``.

With the demo data (plus the bench person's CV and social reports and a drawn file audit) each
role that uses the portal — signed in with its demo account, session cookie for the HTML pages,
JWT for the REST API as in ``bench/run.py`` — requests every GET route, path parameters filled
with ids of real rows the role can see (the bench person of the Caritas and what hangs off it,
else the first row of the model). Each URL is requested twice; the second request is counted.

Every page answering 200 must stay within ``MAX_STATEMENTS`` SQL statements (authentication
and permission checks included) and below ``MAX_PAGE_BYTES``. Known offenders are listed in
``KNOWN`` with the reason; the check is strict: a known page that is within budget (or no longer
answers 200) fails the test until its entry is removed.

Run with ``-s`` to print the table of the most expensive pages of each role.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.demo.data import DEMO_PASSWORD, PROVIDERS
from app.security import matrix
from bench.walk import routes as _urls
from tests.conftest import sign_in
from tests.integration.test_performance import MAX_PAGE_BYTES, MAX_STATEMENTS, count_statements

#: role key -> demo account (the provider roles of the Caritas, the county roles)
ACCOUNTS = {
    "fachkraft": ("fachkraft.caritas", matrix.ROLE_CASEWORKER),
    "leitung": ("leitung.caritas", matrix.ROLE_LEAD),
    "pruefer": ("pruefer", matrix.ROLE_REVIEWER),
    "kreisadmin": ("kreisadmin", matrix.ROLE_COUNTY_ADMIN),
    "datenschutz": ("datenschutz", matrix.ROLE_DPO),
}

#: pages over budget today: (endpoint, role key) -> reason. Strict: a fixed page fails the
#: test until its entry is removed.
KNOWN: dict[tuple[str, str], str] = {}


@dataclass
class Result:
    endpoint: str
    url: str
    role: str
    status: int
    statements: int
    size: int
    sql: list[str]


# -- data ---------------------------------------------------------------------------------
def _load(app: Flask) -> dict[str, Any]:
    """Demo data, bench documents, a file audit; return the focus organisation and person."""
    from app.demo.data import load_demo_data
    from app.extensions import db
    from app.models import MsaUser, Organisation, SocialReport
    from app.services.data_protection.file_audit import draw_sample
    from bench.generate import add_bench_documents
    from bench.pages import bench_person_id

    with app.app_context():
        load_demo_data(persons=40)
        add_bench_documents()
        org_id = db.session.scalars(
            select(Organisation.id).where(Organisation.name == PROVIDERS[0])
        ).one()
        reviewer = db.session.scalars(select(MsaUser).where(MsaUser.username == "pruefer")).one()
        day = dt.date.today()
        quarter = (day.month - 1) // 3 + 1
        draw_sample(reviewer, org_id, day.year, quarter, size=5)
        person_id = bench_person_id(db.session.connection(), org_id)
        draft = db.session.scalars(
            select(SocialReport.id).where(
                SocialReport.person_id == person_id, SocialReport.status == "draft"
            )
        ).first()
        return {
            "org": org_id,
            "person": person_id,
            "draft_report": draft,
            "year": day.year,
            "quarter": quarter,
        }


def _clients_for(app: Flask, username: str) -> tuple[FlaskClient, FlaskClient]:
    """The browser (session cookie, as ``sign_in``) and an API client (JWT only, from
    ``/api/v1/security/login`` like bench/run.py). A client with both would be checked by
    FAB as the cookie user and load the user twice."""
    from app.extensions import db
    from app.models import MsaUser

    with app.app_context():
        user_id = db.session.scalars(select(MsaUser.id).where(MsaUser.username == username)).one()
    browser = sign_in(app.test_client(), user_id)
    api = app.test_client()
    resp = api.post(
        "/api/v1/security/login",
        json={"username": username, "password": DEMO_PASSWORD, "provider": "db"},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {resp.get_json()['access_token']}"
    for client in (browser, api):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    return browser, api


# -- the walk -----------------------------------------------------------------------------
def walk(app: Flask, role_key: str, focus: dict[str, Any]) -> list[Result]:
    browser, api = _clients_for(app, ACCOUNTS[role_key][0])
    results = []
    for endpoint, url in _urls(app, focus):
        client = api if url.startswith("/api/") else browser
        client.get(url)  # warm-up: FAB's first render of a view, caches of the process
        with count_statements(app) as statements:
            resp = client.get(url)
        results.append(
            Result(
                endpoint,
                url,
                role_key,
                resp.status_code,
                len(statements),
                len(resp.data),
                list(statements),
            )
        )
    return results


def _table(results: list[Result], top: int = 25) -> str:
    rows = sorted(
        (r for r in results if r.status == 200), key=lambda r: (-r.statements, -r.size, r.url)
    )[:top]
    lines = [f"{'SQL':>4} {'KiB':>7}  {'role':<11} {'endpoint':<42} url"]
    lines += [
        f"{r.statements:>4} {r.size / 1024:>7.1f}  {r.role:<11} {r.endpoint:<42} {r.url}"
        for r in rows
    ]
    return "\n".join(lines)


@pytest.mark.parametrize("role_key", list(ACCOUNTS))
def test_every_page_of_the_role_within_budget(app: Flask, role_key: str) -> None:
    focus = _load(app)
    results = walk(app, role_key, focus)
    ok = [r for r in results if r.status == 200]
    print(f"\n{role_key}: {len(results)} GET-Routen, {len(ok)} mit 200\n{_table(results)}")
    # the walk is meaningful only when the role really opened pages
    assert len(ok) >= 10, [(r.url, r.status) for r in results]
    assert all(r.status < 500 for r in results), [(r.url, r.status) for r in results]
    problems = []
    for r in results:
        known = KNOWN.get((r.endpoint, r.role))
        over = r.status == 200 and (r.statements > MAX_STATEMENTS or r.size >= MAX_PAGE_BYTES)
        if over and not known:
            problems.append(f"{r.url} ({r.role}): {r.statements} SQL, {r.size} bytes")
        elif known and not over:
            problems.append(
                f"{r.endpoint} ({r.role}) steht in KNOWN ({known}), ist aber "
                f"im Budget (Status {r.status}, {r.statements} SQL): Eintrag entfernen"
            )
    seen = {(r.endpoint, r.role) for r in results}
    problems += [
        f"KNOWN-Eintrag {key} wurde nicht aufgerufen"
        for key in KNOWN
        if key[1] == role_key and key not in seen
    ]
    assert not problems, "\n".join(problems)

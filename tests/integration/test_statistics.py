"""Statistics over HTTP and CLI: same figures in UI, API and CLI; 403 for foreign providers."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from flask import Flask

from app.security import matrix
from app.services.statistics import counting as st
from tests.conftest import sign_in

URL = "/api/v1/statistics/quarterly"


@pytest.fixture
def two_providers(app: Flask) -> dict[str, Any]:
    """Providers A and B with notes in Q2/2025 (no app context stays open: requests get fresh g)."""
    with app.app_context():
        return _two_providers()


def _two_providers() -> dict[str, Any]:
    from tests import factories as factory

    a = factory.make_org("Träger A")
    b = factory.make_org("Träger B")
    county = factory.make_org("Landkreis", kind="county")
    cw = factory.make_user(matrix.ROLE_CASEWORKER, a, username="fk_a")
    cw2 = factory.make_user(matrix.ROLE_CASEWORKER, a, username="fk_a2")
    p = factory.make_person(a)
    factory.make_note(p, cw, date=dt.date(2025, 4, 2))
    factory.make_note(p, cw, date=dt.date(2025, 5, 2), education_system=True)
    factory.make_note(p, cw2, date=dt.date(2025, 6, 2))
    pb = factory.make_person(b)
    factory.make_note(pb, factory.make_user(matrix.ROLE_CASEWORKER, b), date=dt.date(2025, 4, 9))
    return {"a": a.id, "b": b.id, "county": county.id, "cw": cw.id}


def test_api_shape_and_default_organisation(two_providers, api_token) -> None:
    client_headers = api_token(matrix.ROLE_LEAD, two_providers["a"])
    from flask import current_app  # noqa: F401

    resp = _get(client_headers, "?year=2025&quarter=2")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    assert data["organisation"] == "Träger A" and (data["year"], data["quarter"]) == (2025, 2)
    assert {"organisation", "year", "quarter", "caseworkers", "totals"} <= set(data)
    assert set(data["totals"]) == set(st.FIGURES)
    cw = data["caseworkers"][0]
    assert cw["username"] == "fk_a" and list(cw["months"]) == ["2025-04", "2025-05", "2025-06"]
    assert set(cw["months"]["2025-05"]) == set(st.FIGURES)
    assert data["totals"] == {
        "individual": 3,
        "group": 0,
        "education_system": 1,
        "return_counselling": 0,
        "case_management": 0,
    }


_CLIENT: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _client(client) -> None:
    _CLIENT["c"] = client


def _get(headers: dict[str, str], query: str) -> Any:
    return _CLIENT["c"].get(URL + query, headers=headers)


def test_api_refuses_other_provider_unless_county(two_providers, api_token) -> None:
    """A lead of A gets 403 for B; Prüfer and Kreis-Admin may read B."""
    q = f"?organisation_id={two_providers['b']}&year=2025&quarter=2"
    assert _get(api_token(matrix.ROLE_LEAD, two_providers["a"]), q).status_code == 403
    assert _get(api_token(matrix.ROLE_CASEWORKER, two_providers["a"]), q).status_code == 403
    for role in (matrix.ROLE_REVIEWER, matrix.ROLE_COUNTY_ADMIN):
        resp = _get(api_token(role, two_providers["county"]), q)
        assert resp.status_code == 200 and resp.get_json()["totals"]["individual"] == 1


def test_api_caseworker_sees_own_figures_only(two_providers, api_token) -> None:
    data = _get(api_token(matrix.ROLE_CASEWORKER, two_providers["a"]), "?year=2025&quarter=2")
    body = data.get_json()
    # a new caseworker account: her own (empty) row only, no colleague's figures
    names = [c["username"] for c in body["caseworkers"]]
    assert len(names) == 1 and names[0] not in ("fk_a", "fk_a2")
    assert body["totals"]["individual"] == 0


def test_api_bad_parameters_and_anonymous(two_providers, api_token, client) -> None:
    headers = api_token(matrix.ROLE_LEAD, two_providers["a"])
    assert _get(headers, "?year=2025").status_code == 400
    assert _get(headers, "?year=2025&quarter=7").status_code == 400
    assert _get(headers, "?year=x&quarter=1").status_code == 400
    assert client.get(URL + "?year=2025&quarter=2").status_code == 401


def _ui_figures(html: str) -> dict[str, dict[str, dict[str, int]]]:
    out: dict[str, dict[str, dict[str, int]]] = {}
    for user, month, fig, value in re.findall(
        r'data-figure="([^|]+)\|([^|]+)\|([^"]+)">(\d+)<', html
    ):
        out.setdefault(user, {}).setdefault(month, {})[fig] = int(value)
    return out


def test_ui_equals_cli_equals_api_for_demo_data(app: Flask, client, api_token) -> None:
    """For the demo data the three ways show the same figures (hand count in the unit tests)."""
    from app.demo.data import PROVIDERS, load_demo_data
    from app.extensions import db
    from app.models import ContactNote, MsaUser, Organisation

    with app.app_context():
        load_demo_data(persons=80, seed=5)
        org = db.session.query(Organisation).filter_by(name=PROVIDERS[1]).one()
        org_id = org.id
        lead_id = db.session.query(MsaUser).filter_by(username="leitung.diakonie").one().id
        period = st.Quarter.of(dt.date.today()).previous()
        # an independent count straight from the rows
        hand = sum(
            1
            for n in db.session.query(ContactNote).filter_by(organisation_id=org_id)
            if period.start <= n.date <= period.end and n.kind != "group"
        )
    q = f"year={period.year}&quarter={period.quarter}"
    cli = app.test_cli_runner().invoke(
        args=[
            "msa",
            "statistics",
            "--organisation",
            PROVIDERS[1],
            "--year",
            str(period.year),
            "--quarter",
            str(period.quarter),
        ]
    )
    assert cli.exit_code == 0, cli.output
    cli_data = json.loads(cli.stdout)
    api_data = _get(api_token(matrix.ROLE_REVIEWER, None), f"?organisation_id={org_id}&{q}")
    api_data = api_data.get_json()
    web = client
    sign_in(web, int(str(lead_id)))
    html = web.get(f"/statistics/?{q}").get_data(as_text=True)
    ui = _ui_figures(html)
    assert cli_data["totals"] == api_data["totals"]
    assert cli_data["totals"]["individual"] == hand > 0
    for source in (cli_data, api_data):
        assert {c["username"]: c["months"] for c in source["caseworkers"]} == ui
    totals_ui = dict(re.findall(r'data-total="([a-z_]+)">(\d+)<', html))
    assert {k: int(v) for k, v in totals_ui.items()} == cli_data["totals"]


def test_cli_formats_and_errors(two_providers, app: Flask) -> None:
    runner = app.test_cli_runner()
    base = ["msa", "statistics", "--organisation", "Träger A", "--year", "2025", "--quarter", "2"]
    csv_out = runner.invoke(args=[*base, "--format", "csv"])
    assert csv_out.exit_code == 0 and "fk_a;2025-05;1;0;1;0;0" in csv_out.stdout
    xlsx = runner.invoke(args=[*base, "--format", "xlsx"])
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx.stdout_bytes))
    assert wb["Anlage 1"].max_row > 3
    bad = runner.invoke(
        args=[
            "msa",
            "statistics",
            "--organisation",
            "Gibtsnicht",
            "--year",
            "2025",
            "--quarter",
            "2",
        ]
    )
    assert bad.exit_code != 0 and "Organisation 'Gibtsnicht' gibt es nicht" in bad.output


def test_lead_submits_in_ui_and_reviewer_marks_reviewed(two_providers, login_as) -> None:
    lead = login_as(matrix.ROLE_LEAD, two_providers["a"])
    page = lead.get("/statistics/?year=2025&quarter=2").get_data(as_text=True)
    assert "Quartalsmeldung einreichen" in page and 'data-status="draft"' in page
    resp = lead.post(
        "/statistics/submit",
        data={"organisation_id": two_providers["a"], "year": 2025, "quarter": 2},
        follow_redirects=True,
    )
    body = resp.get_data(as_text=True)
    assert "wurde eingereicht" in body and 'data-status="submitted"' in body
    assert "Quartalsmeldung einreichen" not in body

    reviewer = login_as(matrix.ROLE_REVIEWER, two_providers["county"])
    overview = reviewer.get("/statistics-review/?year=2025&quarter=2").get_data(as_text=True)
    assert "Träger A" in overview and "Eingereicht" in overview
    page = reviewer.get(
        f"/statistics/?organisation_id={two_providers['a']}&year=2025&quarter=2"
    ).get_data(as_text=True)
    report_id = re.search(r"/statistics-review/(\d+)/review", page).group(1)
    # the lead cannot review her own report
    assert lead.post(f"/statistics-review/{report_id}/review").status_code in (302, 403)
    resp = reviewer.post(f"/statistics-review/{report_id}/review", follow_redirects=True)
    assert 'data-status="reviewed"' in resp.get_data(as_text=True)


def test_forbidden_pages(two_providers, login_as, app: Flask) -> None:
    """Other providers' figures 403; roles without permission do not reach review or charts."""
    lead = login_as(matrix.ROLE_LEAD, two_providers["a"])
    assert lead.get(f"/statistics/?organisation_id={two_providers['b']}").status_code == 403
    assert (
        lead.get(f"/statistics/export/csv?organisation_id={two_providers['b']}").status_code == 403
    )
    for role in (matrix.ROLE_LEAD, matrix.ROLE_CASEWORKER):
        c = login_as(role, two_providers["a"])
        assert c.get("/statistics-review/charts").status_code != 200
        assert c.get("/statistics-review/").status_code != 200
    cw = login_as(matrix.ROLE_CASEWORKER, two_providers["a"])
    resp = cw.post(
        "/statistics/submit",
        data={"organisation_id": two_providers["a"], "year": 2025, "quarter": 2},
    )
    assert resp.status_code in (302, 403)
    assert _reports(app) == 0
    # another provider's lead cannot submit for A
    other = login_as(matrix.ROLE_LEAD, two_providers["b"])
    resp = other.post(
        "/statistics/submit",
        data={"organisation_id": two_providers["a"], "year": 2025, "quarter": 2},
    )
    assert resp.status_code == 403
    assert _reports(app) == 0


def _reports(app: Flask) -> int:
    from app.extensions import db
    from app.models import QuarterlyReport

    with app.app_context():
        return db.session.query(QuarterlyReport).count()


def test_caseworker_page_shows_own_figures(two_providers, app: Flask, client) -> None:
    sign_in(client, int(str(two_providers["cw"])))
    html = client.get("/statistics/?year=2025&quarter=2").get_data(as_text=True)
    assert set(_ui_figures(html)) == {"fk_a"}
    assert "Sie sehen Ihre eigenen Zahlen" in html
    assert "Quartalsmeldung einreichen" not in html


def test_exports_over_http(two_providers, login_as) -> None:
    lead = login_as(matrix.ROLE_LEAD, two_providers["a"])
    q = "?year=2025&quarter=2"
    csv_resp = lead.get("/statistics/export/csv" + q)
    assert csv_resp.status_code == 200 and "text/csv" in csv_resp.content_type
    assert "fk_a;2025-04;1;0;0;0;0" in csv_resp.get_data(as_text=True)
    xlsx = lead.get("/statistics/export/xlsx" + q)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    pdf = lead.get("/statistics/export/pdf" + q)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert lead.get("/statistics/export/exe" + q).status_code == 404


def test_reviewer_charts_page_draws_svg_without_case_content(
    two_providers, login_as, app: Flask
) -> None:
    from app.extensions import db
    from app.models import Person

    with app.app_context():
        names = [p.last_name for p in db.session.query(Person)]
    reviewer = login_as(matrix.ROLE_REVIEWER, two_providers["county"])
    html = reviewer.get("/statistics-review/charts?year=2025&quarter=2").get_data(as_text=True)
    assert html.count("<svg ") == 5 and '<script src="http' not in html
    assert "Träger A" in html and "Träger B" in html
    assert not any(name in html for name in names)
    admin = login_as(matrix.ROLE_COUNTY_ADMIN, two_providers["county"])
    assert admin.get("/statistics-review/charts").status_code == 200


def test_county_page_starts_with_a_provider(two_providers, login_as) -> None:
    admin = login_as(matrix.ROLE_COUNTY_ADMIN, two_providers["county"])
    html = admin.get("/statistics/?year=2025&quarter=2").get_data(as_text=True)
    assert "Träger A · 2. Quartal 2025" in html and 'id="organisation_id"' in html

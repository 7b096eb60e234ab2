"""Injection strings in forms, API fields, list filters and search: stored verbatim, shown
escaped, never a 5xx (Hypothesis property tests and exhaustive filter walks)."""

from __future__ import annotations

import html as htmlmod
import os
from typing import Any

import prison
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.security import matrix
from tests import factories
from tests.security.helpers import (
    INJECTIONS,
    FormFields,
    assert_rendered_escaped,
    model_rest_apis,
    model_views,
)

CI_RUN = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=CI_RUN,  # CI: the same examples every run; locally: explore
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: injection strings, arbitrary unicode, mixes and very long strings
fuzz_text = st.one_of(
    st.sampled_from(INJECTIONS),
    st.text(max_size=60),
    st.builds(lambda a, b: a + b, st.sampled_from(INJECTIONS), st.text(max_size=20)),
    st.integers(min_value=201, max_value=20_000).map(lambda n: "Ä<" * (n // 2)),
)


def _pages_of(client: Any, *urls: str) -> list[str]:
    pages = []
    for url in urls:
        resp = client.get(url)
        assert resp.status_code < 500, (url, resp.status_code)
        pages.append(resp.get_data(as_text=True))
    return pages


# --- network partners: form and API -------------------------------------------------------


@pytest.mark.parametrize("payload", INJECTIONS)
def test_partner_form_stores_verbatim_and_shows_escaped(
    app: Flask, login_as: Any, payload: str
) -> None:
    client = login_as(matrix.ROLE_COUNTY_ADMIN, None)
    form = FormFields(client.get("/networkpartnerview/add").get_data(as_text=True))
    assert "name" in form.text
    resp = client.post("/networkpartnerview/add", data=form.data(payload))
    assert resp.status_code < 500
    assert_rendered_escaped(resp.get_data(as_text=True), payload)
    with app.app_context():
        from app.models import NetworkPartner

        partner = NetworkPartner.query.one()
        assert partner.name == payload[:200]
        pk = partner.id
    pages = _pages_of(
        client,
        "/networkpartnerview/list/",
        f"/networkpartnerview/show/{pk}",
        f"/networkpartnerview/edit/{pk}",
    )
    for page in pages:
        assert_rendered_escaped(page, payload)
    if "<" in payload:
        assert (
            htmlmod.escape(payload, quote=False) in pages[1] or htmlmod.escape(payload) in pages[1]
        )
    if "{{7*7}}" in payload:
        assert payload in pages[1]


@FUZZ
@given(name=fuzz_text, services=fuzz_text, city=fuzz_text)
def test_partner_api_never_5xx(
    app: Flask, api_token: Any, name: str, services: str, city: str
) -> None:
    headers = _county_token(app, api_token)
    client = app.test_client()
    resp = client.post(
        "/api/v1/networkpartner/",
        json={"name": name, "category": "other", "services": services, "city": city},
        headers=headers,
    )
    assert resp.status_code < 500, resp.get_data(as_text=True)[:300]
    if resp.status_code == 201:
        pk = resp.get_json()["id"]
        shown = client.get(f"/api/v1/networkpartner/{pk}", headers=headers).get_json()["result"]
        assert shown["name"] == name and shown["services"] == services
        assert client.delete(f"/api/v1/networkpartner/{pk}", headers=headers).status_code == 200


_TOKENS: dict[int, dict[str, str]] = {}


def _county_token(app: Flask, api_token: Any) -> dict[str, str]:
    # one user per test run of the property (the tables are emptied after the test only)
    key = id(app)
    if key not in _TOKENS:
        _TOKENS[key] = api_token(matrix.ROLE_COUNTY_ADMIN)
    return _TOKENS[key]


@pytest.fixture(autouse=True)
def _forget_tokens() -> Any:
    yield
    _TOKENS.clear()


@FUZZ
@given(value=fuzz_text)
def test_partner_form_never_5xx(app: Flask, login_as: Any, value: str) -> None:
    client = _county_client(app, login_as)
    form = FormFields(client.get("/networkpartnerview/add").get_data(as_text=True))
    resp = client.post("/networkpartnerview/add", data=form.data(value))
    assert resp.status_code < 500
    assert_rendered_escaped(resp.get_data(as_text=True), value)


_CLIENTS: dict[str, Any] = {}


def _county_client(app: Flask, login_as: Any) -> Any:
    if "county" not in _CLIENTS:
        _CLIENTS["county"] = login_as(matrix.ROLE_COUNTY_ADMIN, None)
    return _CLIENTS["county"]


def _worker_client(app: Flask, login_as: Any) -> Any:
    if "worker" not in _CLIENTS:
        with app.app_context():
            org = factories.make_org()
        _CLIENTS["worker"] = login_as(matrix.ROLE_CASEWORKER, org)
    return _CLIENTS["worker"]


@pytest.fixture(autouse=True)
def _forget_clients() -> Any:
    yield
    _CLIENTS.clear()


# --- persons: the case-file form ----------------------------------------------------------


@pytest.mark.parametrize("payload", INJECTIONS)
def test_person_form_stores_verbatim_and_shows_escaped(
    app: Flask, login_as: Any, payload: str
) -> None:
    client = _worker_client(app, login_as)
    form = FormFields(client.get("/personview/add").get_data(as_text=True))
    assert {"first_name", "last_name"} <= set(form.text)
    resp = client.post("/personview/add", data=form.data(payload))
    assert resp.status_code < 500
    assert_rendered_escaped(resp.get_data(as_text=True), payload)
    from app.models import Person

    with app.app_context():
        saved = Person.query.count()
    if not saved:  # other fields refused the string: put it into the names only
        resp = client.post("/personview/add", data=form.data(payload, only_required=True))
        assert resp.status_code < 500
        assert_rendered_escaped(resp.get_data(as_text=True), payload)
    with app.app_context():
        person = Person.query.one()
        assert person.last_name == payload[:100]
        pk = person.id
    for page in _pages_of(
        client, "/personview/list/", f"/personview/show/{pk}", f"/personview/edit/{pk}", "/"
    ):
        assert_rendered_escaped(page, payload)


@FUZZ
@given(value=fuzz_text)
def test_person_form_never_5xx(app: Flask, login_as: Any, value: str) -> None:
    client = _worker_client(app, login_as)
    form = FormFields(client.get("/personview/add").get_data(as_text=True))
    resp = client.post("/personview/add", data=form.data(value))
    assert resp.status_code < 500
    assert_rendered_escaped(resp.get_data(as_text=True), value)


# --- every list filter and search parameter -----------------------------------------------

FILTER_PAYLOADS = [
    "<script>alert(1)</script>",
    "{{7*7}}' OR '1'='1 %_",
    "1; DROP TABLE person --",
    "\u202e" + "Ä" * 300,
    "2026-13-45",
    "-99999999999999999999999",
]


def test_injection_in_every_list_filter_of_every_model_view(app: Flask, login_as: Any) -> None:
    """Every ``_flt_<n>_<col>`` of every ModelView list, each payload in all filters at once
    (a failing filter still shows as 5xx), plus ordering and paging parameters."""
    from flask import url_for

    client = login_as(matrix.ROLE_ADMIN, None)
    with app.app_context():
        factories.make_partner()
    with app.test_request_context():
        targets = [
            (view, url_for(f"{view.endpoint}.list"), view._filters.get_search_filters())
            for view in model_views(app)
            if f"{view.endpoint}.list" in app.view_functions
        ]
    assert len(targets) >= 8
    checked = 0
    for view, url, filters in targets:
        keys = [f"_flt_{i}_{col}" for col, flts in filters.items() for i in range(len(flts))]
        for payload in FILTER_PAYLOADS:
            resp = client.get(url, query_string=dict.fromkeys(keys, payload))
            assert resp.status_code < 500, (url, payload)
            assert_rendered_escaped(resp.get_data(as_text=True), payload)
            checked += len(keys)
        name = view.__class__.__name__
        for params in (
            {f"_oc_{name}": "<script>", f"_od_{name}": "asc"},
            {f"_oc_{name}": "id", f"_od_{name}": "'; --"},
            {f"page_{name}": "-1"},
            {f"page_{name}": "99999999999999999999"},
            {f"psize_{name}": "-5"},
            {f"psize_{name}": "abc"},
        ):
            resp = client.get(url, query_string=params)
            assert resp.status_code < 500, (url, params)
    assert checked > 100


def test_huge_number_in_a_filter_is_refused_not_500(app: Flask, login_as: Any) -> None:
    client = login_as(matrix.ROLE_ADMIN, None)
    resp = client.get("/users/list/", query_string={"_flt_0_login_count": "-" + "9" * 25})
    assert resp.status_code == 400


def test_injection_in_every_api_filter(app: Flask, api_token: Any) -> None:
    """Every search filter of every ModelRestApi (rison ``q``), each payload in all at once."""
    headers = api_token(matrix.ROLE_ADMIN)
    client = app.test_client()
    checked = 0
    for api in model_rest_apis(app):
        filters = [
            {"col": col, "opr": flt.arg_name}
            for col, flts in api._filters.get_search_filters().items()
            for flt in flts
        ]
        for payload in FILTER_PAYLOADS:
            q = prison.dumps({"filters": [{**f, "value": payload} for f in filters]})
            resp = client.get(f"{api.route_base}/", query_string={"q": q}, headers=headers)
            assert resp.status_code < 500, (api.route_base, payload)
            checked += len(filters)
        for q in ("(", "(order_column:'<x>',order_direction:desc)", "(page:-1,page_size:-1)"):
            resp = client.get(f"{api.route_base}/", query_string={"q": q}, headers=headers)
            assert resp.status_code < 500, (api.route_base, q)
    assert checked > 20

"""The OpenAPI description tells the truth: schemathesis sends generated requests to every
operation of /api/v1/_openapi as a provider caseworker and checks each answer against it."""

from __future__ import annotations

import collections
from typing import Any

import schemathesis
from flask import Flask
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from app.security import matrix
from tests import factories

#: the checks of the contract: no 5xx, and status, content type, body and headers as described
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
#: bounded run (both databases in ``make test`` on two cores); fixed seed, no shrinking
MAX_EXAMPLES = 5
SEED = 20261206


def _token(app: Flask, username: str) -> str:
    resp = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": factories.PASSWORD, "provider": "db"},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return str(resp.get_json()["access_token"])


def _spec(app: Flask, token: str) -> dict[str, Any]:
    resp = app.test_client().get("/api/v1/_openapi", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    spec: dict[str, Any] = resp.get_json()
    return spec


def _run(app: Flask, spec: dict[str, Any], token: str) -> tuple[int, dict[Any, list[str]]]:
    """Run the examples, coverage and fuzzing phases; (answers checked, failures by operation)."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {token}"},
            "continue-on-failure": True,
            "cache": {"enabled": False},  # no replay of earlier runs: the same cases every run
            "workers": 1,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )
    schema = schemathesis.openapi.from_dict(spec, config=config)
    schema.app = app
    schema.location = "/api/v1/_openapi"
    checked = 0
    failures: dict[Any, list[str]] = collections.defaultdict(list)
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            failures[("error", getattr(event, "label", ""))].append(str(event))
            continue
        if not isinstance(event, events.ScenarioFinished):
            continue
        recorder = event.recorder
        for case_id, results in recorder.checks.items():
            for result in results:
                checked += 1
                if str(result.status) != "failure":
                    continue
                case = recorder.cases[case_id].value
                info = result.failure_info
                detail = info.failure.title + ": " + str(info.failure.message)[:300] if info else ""
                failures[(recorder.label, result.name)].append(
                    f"{case.method} {case.formatted_path} {case.query or ''} — {detail}"
                )
    return checked, failures


def test_every_answer_matches_the_openapi_description(app: Flask) -> None:
    """Whatever a caseworker sends — valid or not, for records that exist or not — the portal
    never answers with a server error, and every answer (status, content type, body, headers)
    is one the OpenAPI description names."""
    with app.app_context():
        own = factories.make_org("Träger A")
        worker = factories.make_user(matrix.ROLE_CASEWORKER, own)
        person = factories.make_person(own, first_name="Amal", last_name="Haddad")
        factories.make_note(person, worker, summary="Wohnungssuche besprochen")
        factories.make_partner(name="Jobcenter Kreis")
        admin = factories.make_user(matrix.ROLE_ADMIN, None)
        worker_name, admin_name = worker.username, admin.username
    # the description itself is for the administrator (FAB's OpenApi permission)
    spec = _spec(app, _token(app, admin_name))
    checked, failures = _run(app, spec, _token(app, worker_name))
    assert checked > 1000, checked  # the run reached every operation
    report = "\n".join(f"{key}: {len(v)} × {v[0]}" for key, v in sorted(failures.items()))
    assert not failures, report


def test_description_types_ids_and_errors_as_answered(app: Flask, api_token) -> None:
    """Ids are integers, ``_info`` columns lists, a validation message an object per field, and
    403/404/405 are described for every operation — as the portal answers them."""
    with app.app_context():
        admin = factories.make_user(matrix.ROLE_ADMIN, None)
        admin_name = admin.username
    spec = _spec(app, _token(app, admin_name))
    person_list = spec["paths"]["/api/v1/person/"]["get"]["responses"]["200"]
    props = person_list["content"]["application/json"]["schema"]["properties"]
    assert props["ids"]["items"] == {"type": "integer"}
    info = spec["paths"]["/api/v1/person/_info"]["get"]["responses"]["200"]
    info_props = info["content"]["application/json"]["schema"]["properties"]
    assert info_props["edit_columns"]["type"] == "array"
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete"):
                assert {"401", "403", "404", "405"} <= set(operation["responses"]), (method, path)
                described = {
                    p["name"] for p in operation.get("parameters", []) if p["in"] == "path"
                }
                assert described == set(path.replace("}", "{").split("{")[1::2]), path
    message = spec["components"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert {"type": "object"} in [
        {"type": s["type"]} for s in message["properties"]["message"]["anyOf"]
    ]


def test_malformed_input_is_refused_not_a_server_error(app: Flask, client, api_token) -> None:
    """A ``q`` with a broken number (prison raises ValueError, FAB catches only its own parse
    error) and a JSON body that is no object when opening or moving a case are answered 400;
    so is an id parameter beyond the integer range (a social-report or statistics filter)."""
    with app.app_context():
        own = factories.make_org("Träger A")
        person_id = factories.make_person(own).id
        own_id = own.id
    headers = api_token(matrix.ROLE_CASEWORKER, own_id)
    for url in ("/api/v1/person/_info", "/api/v1/person/", "/api/v1/networkpartner/"):
        resp = client.get(url, query_string={"q": "-4.636424273758994e+16"}, headers=headers)
        assert resp.status_code == 400, (url, resp.get_data(as_text=True))
        assert client.get(url, query_string={"q": "(page:0)"}, headers=headers).status_code == 200
    # ids no integer column holds (PostgreSQL refused the query: 500)
    for url in (
        "/api/v1/socialreport/?person_id=787401226399127",
        "/api/v1/statistics/quarterly?organisation_id=381591051912&year=2026&quarter=1",
        "/api/v1/statistics/referrals?organisation_id=-2285271095&year=2026&quarter=1",
    ):
        assert client.get(url, headers=headers).status_code == 400, url
    # a year no quarter has is refused before the statistics are queried
    url = "/api/v1/statistics/quarterly?year=121645100408832000&quarter=3"
    assert client.get(url, headers=headers).status_code == 400
    opened = client.post("/api/v1/casemanagement/", json={"person_id": person_id}, headers=headers)
    assert opened.status_code == 201, opened.get_data(as_text=True)
    case_id = opened.get_json()["id"]
    for url in ("/api/v1/casemanagement/", f"/api/v1/casemanagement/{case_id}/transition"):
        for body in ([1], "x", 2.5):
            resp = client.post(url, json=body, headers=headers)
            assert resp.status_code == 400, (url, body, resp.get_data(as_text=True))
            assert "JSON-Objekt" in resp.get_json()["message"]

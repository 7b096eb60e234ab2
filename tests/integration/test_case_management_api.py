"""Case management REST API (INTERFACES.md): open, transition, show, step contents, scoping."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.security import matrix
from tests import factories

API = "/api/v1/casemanagement/"


@pytest.fixture
def world(app: Any, api_token: Any) -> dict[str, Any]:
    """Two providers with one person each (no app context stays open: requests are separate)."""
    with app.app_context():
        org_a = factories.id_of(factories.make_org("Caritas"))
        org_b = factories.id_of(factories.make_org("Diakonie"))
        person_a = factories.id_of(factories.make_person(org_a))
        person_b = factories.id_of(factories.make_person(org_b))
    return {
        "a": api_token(matrix.ROLE_CASEWORKER, org_a, first_name="Fatma", last_name="Kaya"),
        "b": api_token(matrix.ROLE_CASEWORKER, org_b),
        "person_a": person_a,
        "person_b": person_b,
        "org_a": org_a,
    }


def _open(client: Any, headers: dict[str, str], person_id: int) -> int:
    resp = client.post(API, json={"person_id": person_id, "step": "closed"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return int(resp.get_json()["id"])


def _post(client: Any, headers: dict[str, str], case_id: int, kind: str, body: Any) -> Any:
    return client.post(f"{API}{case_id}/{kind}", json=body, headers=headers)


def _move(client: Any, headers: dict[str, str], case_id: int, to: str, reason: str = "") -> Any:
    return client.post(
        f"{API}{case_id}/transition", json={"to": to, "reason": reason}, headers=headers
    )


def test_open_case_starts_in_first_interview_step_not_writable(client: Any, world: Any) -> None:
    """POST opens in first_interview; a step in the body is ignored (never a write field)."""
    case_id = _open(client, world["a"], world["person_a"])
    body = client.get(f"{API}{case_id}", headers=world["a"]).get_json()["result"]
    assert body["step"] == "first_interview"
    assert body["events"][0]["to"] == "first_interview"
    assert body["events"][0]["who"] == "Fatma Kaya"
    again = client.post(API, json={"person_id": world["person_a"]}, headers=world["a"])
    assert again.status_code == 409
    assert "bereits" in again.get_json()["message"]


def test_forbidden_transition_is_4xx_with_german_message(client: Any, world: Any) -> None:
    case_id = _open(client, world["a"], world["person_a"])
    resp = _move(client, world["a"], case_id, "closed")
    assert resp.status_code == 422
    assert "nicht erlaubt" in resp.get_json()["message"]
    resp = _move(client, world["a"], case_id, "assessment")
    assert resp.status_code == 422
    assert "Erstgespräch" in resp.get_json()["message"]
    body = client.get(f"{API}{case_id}", headers=world["a"]).get_json()["result"]
    assert body["step"] == "first_interview" and len(body["events"]) == 1


def test_whole_journey_through_the_api(client: Any, world: Any) -> None:
    """First interview to closure via the step resources; each move is an event."""
    h = world["a"]
    cid = _open(client, h, world["person_a"])
    fi = {
        "problem_situation": "Wohnung, Arbeit",
        "motivation": "hoch",
        "transparency_given": True,
        "decision": "case_management",
    }
    assert _post(client, h, cid, "first_interview", fi).status_code == 201
    assert _move(client, h, cid, "assessment").status_code == 200
    resp = _post(client, h, cid, "assessment", {"aspect": "language_skills", "text": "A2"})
    assert resp.status_code == 201
    assert _move(client, h, cid, "goal_agreement").status_code == 200
    target = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    resp = _post(client, h, cid, "goal", {"title": "Wohnung", "target_date": target})
    assert resp.status_code == 201
    goal_id = resp.get_json()["id"]
    assert _move(client, h, cid, "help_planning").status_code == 200
    resp = _move(client, h, cid, "service_steering")
    assert resp.status_code == 422 and "Hilfeplan" in resp.get_json()["message"]
    plan = {"tasks": [{"task": "Suchen", "role": "Klient:in", "responsible_text": "Klient:in"}]}
    assert _post(client, h, cid, "help_plan", plan).status_code == 201
    assert _move(client, h, cid, "service_steering").status_code == 200
    service = {"service": "Vermittlung", "starts_on": "2026-01-01", "standards": "14 Tage"}
    assert _post(client, h, cid, "service", service).status_code == 201
    conf = {"held_on": "2026-01-02", "participants": "Jobcenter", "outcome": "Plan"}
    assert _post(client, h, cid, "conference", conf).status_code == 201
    assert _move(client, h, cid, "monitoring").status_code == 200
    mon = {"goal_id": goal_id, "progress": "gut", "service_gap_topic": "housing"}
    assert _post(client, h, cid, "monitoring", mon).status_code == 201
    resp = _move(client, h, cid, "closed")
    assert resp.status_code == 422 and "Abschlussauswertung" in resp.get_json()["message"]
    closure = {
        "reason_code": "goal_reached",
        "goals_results": "erreicht",
        "methods_cooperation": "gut",
        "client_satisfaction": 5,
    }
    assert _post(client, h, cid, "closure", closure).status_code == 201
    resp = _move(client, h, cid, "closed", "fertig")
    assert resp.status_code == 200
    body = resp.get_json()["result"]
    assert body["step"] == "closed"
    assert [e["to"] for e in body["events"]] == [
        "first_interview",
        "assessment",
        "goal_agreement",
        "help_planning",
        "service_steering",
        "monitoring",
        "closed",
    ]
    assert body["closure"]["client_satisfaction"] == 5
    assert body["help_plans"][0]["tasks"][0]["role"] == "Klient:in"
    resp = _post(client, h, cid, "assessment", {"aspect": "religion", "text": "x"})
    assert resp.status_code == 422


def test_content_validation_is_german_with_field(client: Any, world: Any) -> None:
    cid = _open(client, world["a"], world["person_a"])
    resp = _post(client, world["a"], cid, "first_interview", {"motivation": "x"})
    assert resp.status_code == 422
    assert resp.get_json()["field"] == "problem_situation"
    assert resp.get_json()["message"].startswith("Bitte")
    assert _post(client, world["a"], cid, "nonsense", {}).status_code == 404


def test_other_providers_case_is_404_and_untouched(client: Any, world: Any) -> None:
    """Another provider's case: GET, transition and content all 404; nothing changes."""
    cid = _open(client, world["a"], world["person_a"])
    assert client.get(f"{API}{cid}", headers=world["b"]).status_code == 404
    assert _move(client, world["b"], cid, "occasion_based", "x").status_code == 404
    fi = {"problem_situation": "x", "motivation": "y", "decision": "occasion_based"}
    assert _post(client, world["b"], cid, "first_interview", fi).status_code == 404
    listing = client.get(API, headers=world["b"]).get_json()["result"]
    assert listing == []
    body = client.get(f"{API}{cid}", headers=world["a"]).get_json()["result"]
    assert body["first_interview"] is None and len(body["events"]) == 1
    # opening a case for another provider's person
    resp = client.post(API, json={"person_id": world["person_a"]}, headers=world["b"])
    assert resp.status_code == 404


def test_roles_without_permission(client: Any, world: Any, api_token: Any, app: Any) -> None:
    cid = _open(client, world["a"], world["person_a"])
    with app.app_context():
        county = factories.id_of(factories.make_org("Kreis", kind="county"))
    reviewer = api_token(matrix.ROLE_REVIEWER, county)
    assert client.get(f"{API}{cid}", headers=reviewer).status_code == 200
    assert _move(client, reviewer, cid, "occasion_based", "x").status_code == 403
    county_admin = api_token(matrix.ROLE_COUNTY_ADMIN, county)
    assert client.get(f"{API}{cid}", headers=county_admin).status_code == 403
    assert client.get(f"{API}{cid}").status_code == 401

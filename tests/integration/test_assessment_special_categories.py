"""Special categories wherever they appear (R-2.2): typed into the case-management assessment,
health, religion and biographical events are read, logged and exported as special categories.

Finding: special-category content typed into the assessment was read and logged as an ordinary
case-management read.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import AccessLog
from app.security import matrix
from app.services.data_protection.subject_access import collect
from tests import factories

API = "/api/v1/casemanagement/"


@pytest.fixture
def case(app: Flask, api_token: Any) -> dict[str, Any]:
    """A case in the assessment step with a religion entry and a language entry."""
    with app.app_context():
        org = factories.id_of(factories.make_org("Caritas"))
        person = factories.id_of(factories.make_person(org))
    headers = api_token(matrix.ROLE_CASEWORKER, org)
    client = app.test_client()
    resp = client.post(API, json={"person_id": person}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    cid = int(resp.get_json()["id"])
    first = {
        "problem_situation": "Wohnung",
        "motivation": "hoch",
        "transparency_given": True,
        "decision": "case_management",
    }
    assert client.post(f"{API}{cid}/first_interview", json=first, headers=headers).status_code
    assert (
        client.post(f"{API}{cid}/transition", json={"to": "assessment"}, headers=headers)
    ).status_code == 200
    for aspect, text in (("religion", "Glaubensrichtung X"), ("language_skills", "A2")):
        resp = client.post(
            f"{API}{cid}/assessment", json={"aspect": aspect, "text": text}, headers=headers
        )
        assert resp.status_code == 201, resp.get_json()
    return {"org": org, "person": person, "case": cid, "headers": headers}


def _sensitive_reads(app: Flask, person: int) -> list[tuple[Any, ...]]:
    with app.app_context():
        rows = db.session.execute(
            select(AccessLog.category, AccessLog.detail)
            .where(AccessLog.person_id == person, AccessLog.action == "read_sensitive")
            .order_by(AccessLog.id)
        ).all()
        return [tuple(r) for r in rows]


def _role_without_special_categories(app: Flask) -> str:
    """A custom role with case management but without the special-category permission."""
    from flask import current_app

    name = f"CM ohne besondere Kategorien {uuid.uuid4().hex[:6]}"
    with app.app_context():
        sm = current_app.appbuilder.sm
        caseworker = sm.find_role(matrix.ROLE_CASEWORKER)
        role = sm.add_role(name)
        role.permissions = [
            pv for pv in caseworker.permissions if pv.view_menu.name != matrix.SENSITIVE
        ]
        db.session.commit()
    return name


def test_reading_the_assessment_is_logged_as_a_special_category_read(
    app: Flask, case: dict[str, Any], login_as: Any
) -> None:
    """API and case page: the religion entry is shown and its read is logged as the
    special-category page logs it (read_sensitive, category religion); the language entry is
    an ordinary read."""
    client = app.test_client()
    before = len(_sensitive_reads(app, case["person"]))  # the replies to the writes showed it
    assert before >= 1
    resp = client.get(f"{API}{case['case']}", headers=case["headers"])
    assessment = resp.get_json()["result"]["assessment"]
    assert assessment["religion"]["text"] == "Glaubensrichtung X"
    assert assessment["religion"]["special_category"] is True
    assert assessment["language_skills"]["special_category"] is False
    reads = _sensitive_reads(app, case["person"])
    assert reads[before:] == [("religion", "Case Management: Assessment (API)")]
    page = login_as(matrix.ROLE_CASEWORKER, case["org"])
    html = page.get(f"/casemanagement/case/{case['case']}").get_data(as_text=True)
    assert "Glaubensrichtung X" in html
    reads = _sensitive_reads(app, case["person"])
    assert reads[before + 1 :] == [("religion", "Case Management: Assessment (Web)")]
    assert {c for c, _d in reads} == {"religion"}  # the language entry is an ordinary read


def test_without_the_permission_the_text_is_withheld_and_cannot_be_written(
    app: Flask, case: dict[str, Any], api_token: Any, login_as: Any
) -> None:
    role = _role_without_special_categories(app)
    headers = api_token(role, case["org"])
    client = app.test_client()
    before = len(_sensitive_reads(app, case["person"]))
    resp = client.get(f"{API}{case['case']}", headers=headers)
    assert resp.status_code == 200
    assessment = resp.get_json()["result"]["assessment"]
    assert assessment["religion"]["text"] is None
    assert assessment["language_skills"]["text"] == "A2"
    page = login_as(role, case["org"])
    html = page.get(f"/casemanagement/case/{case['case']}").get_data(as_text=True)
    assert "Glaubensrichtung X" not in html and "A2" in html
    assert len(_sensitive_reads(app, case["person"])) == before
    resp = client.post(
        f"{API}{case['case']}/assessment",
        json={"aspect": "health_situation", "text": "Diabetes"},
        headers=headers,
    )
    assert resp.status_code == 422
    assert "besondere Kategorien" in resp.get_json()["message"]


def test_the_art15_export_lists_them_under_the_special_categories(
    app: Flask, case: dict[str, Any]
) -> None:
    with app.app_context():
        records = collect(case["person"])["records"]
    assert [r["aspect_code"] for r in records["cm_assessment_entry_special"]] == ["religion"]
    assert [r["aspect_code"] for r in records["cm_assessment_entry"]] == ["language_skills"]

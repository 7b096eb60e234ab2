"""Case management in the browser UI: case page, forms, hub section, my cases, service gaps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.security import matrix
from tests import factories


@pytest.fixture
def world(app: Any, login_as: Any) -> dict[str, Any]:
    with app.app_context():
        org_a = factories.id_of(factories.make_org("Caritas"))
        org_b = factories.id_of(factories.make_org("Diakonie"))
        person_a = factories.id_of(
            factories.make_person(org_a, first_name="Amal", last_name="Haddad")
        )
    ui_a = login_as(matrix.ROLE_CASEWORKER, org_a, first_name="Fatma", last_name="Kaya")
    ui_b = login_as(matrix.ROLE_CASEWORKER, org_b)
    return {"a": ui_a, "b": ui_b, "person_a": person_a, "org_a": org_a, "org_b": org_b}


def _open(world: dict[str, Any]) -> int:
    resp = world["a"].post(f"/casemanagement/person/{world['person_a']}/open")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def test_open_case_and_case_page_is_german(world: dict[str, Any]) -> None:
    page = world["a"].get(f"/casemanagement/person/{world['person_a']}").get_data(as_text=True)
    assert "Case Management beginnen (Erstgespräch)" in page
    cid = _open(world)
    html = world["a"].get(f"/casemanagement/case/{cid}").get_data(as_text=True)
    assert "Aktueller Schritt: <strong>Erstgespräch</strong>" in html
    assert "Problemlage" in html and "Transparenz" in html
    assert "Anlassbezogene Hilfe statt Case Management" in html
    assert "Fatma Kaya" in html  # the timeline: who opened it


def test_bad_input_gets_german_message_at_field_and_keeps_input(world: dict[str, Any]) -> None:
    cid = _open(world)
    resp = world["a"].post(
        f"/casemanagement/case/{cid}/first_interview",
        data={"problem_situation": "Wohnung und Arbeit", "motivation": "", "decision": ""},
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Bitte die Motivation angeben." in html
    assert "Wohnung und Arbeit</textarea>" in html
    assert 'aria-invalid="true"' in html


def test_forbidden_move_is_refused_with_message(world: dict[str, Any]) -> None:
    cid = _open(world)
    resp = world["a"].post(
        f"/casemanagement/case/{cid}/transition", data={"to": "closed"}, follow_redirects=True
    )
    html = resp.get_data(as_text=True)
    assert "nicht erlaubt" in html
    assert "Aktueller Schritt: <strong>Erstgespräch</strong>" in html
    resp = world["a"].post(
        f"/casemanagement/case/{cid}/transition", data={"to": "assessment"}, follow_redirects=True
    )
    assert "Bitte zuerst das Erstgespräch" in resp.get_data(as_text=True)


def test_form_journey_to_assessment_and_hub_section(world: dict[str, Any]) -> None:
    cid = _open(world)
    ui = world["a"]
    resp = ui.post(
        f"/casemanagement/case/{cid}/first_interview",
        data={
            "problem_situation": "Mehrere Problemlagen",
            "motivation": "hoch",
            "transparency_given": "1",
            "decision": "case_management",
        },
    )
    assert resp.status_code == 302
    resp = ui.post(
        f"/casemanagement/case/{cid}/transition",
        data={"to": "assessment", "reason": ""},
        follow_redirects=True,
    )
    html = resp.get_data(as_text=True)
    assert "Aktueller Schritt: <strong>Assessment</strong>" in html
    assert "Familiäre Situation, Familienstatus" in html
    hub = ui.get(f"/casemanagement/person/{world['person_a']}").get_data(as_text=True)
    assert 'Schritt: <strong class="cm-hub-step">Assessment</strong>' in hub
    assert "Weiter zur Zielvereinbarung" in hub
    assert "Case Management beginnen" not in hub


def test_other_provider_gets_404_and_leaves_no_trace(app: Any, world: dict[str, Any]) -> None:
    cid = _open(world)
    assert world["b"].get(f"/casemanagement/case/{cid}").status_code == 404
    assert (
        world["b"].post(f"/casemanagement/case/{cid}/transition", data={"to": "x"}).status_code
        == 404
    )
    assert (
        world["b"]
        .post(f"/casemanagement/case/{cid}/first_interview", data={"motivation": "x"})
        .status_code
        == 404
    )
    assert world["b"].get(f"/casemanagement/person/{world['person_a']}").status_code == 404
    assert world["b"].post(f"/casemanagement/person/{world['person_a']}/open").status_code == 404
    with app.app_context():
        from app.services.case_management import workflow as wf

        assert len(wf.events_of(cid)) == 1
        assert wf.first_interview_of(cid) is None


def test_my_cases_lists_by_step_with_overdue(app: Any, world: dict[str, Any]) -> None:
    cid = _open(world)
    with app.app_context():
        from app.extensions import db
        from app.models import CaseManagementCase, FollowUp

        case_ = db.session.get(CaseManagementCase, cid)
        db.session.add(
            FollowUp(
                person_id=case_.person_id,
                organisation_id=case_.organisation_id,
                assignee_id=case_.caseworker_id,
                due_on=dt.date.today() - dt.timedelta(days=2),
                title="Ziel prüfen",
                source="case_management",
            )
        )
        db.session.commit()
    html = world["a"].get("/casemanagement/mine/").get_data(as_text=True)
    assert "Meine Fälle" in html and "Haddad, Amal" in html
    assert "1 überfällig" in html
    assert "Haddad" not in world["b"].get("/casemanagement/mine/").get_data(as_text=True)


def test_service_gaps_for_county_only(app: Any, world: dict[str, Any], login_as: Any) -> None:
    with app.app_context():
        county = factories.id_of(factories.make_org("Landkreis", kind="county"))
    admin = login_as(matrix.ROLE_COUNTY_ADMIN, county)
    html = admin.get("/servicegaps/").get_data(as_text=True)
    assert "Angebotslücken im Landkreis" in html
    assert world["a"].get("/servicegaps/").status_code in (302, 403)
    assert admin.get("/casemanagement/mine/").status_code in (302, 403)


def test_timeline_source_lists_each_move_with_who(app: Any, world: dict[str, Any]) -> None:
    cid = _open(world)
    from app.views.hub import source_events

    with app.test_request_context():
        from flask import g

        from app.extensions import db
        from app.models import MsaUser, Person

        g.user = db.session.get(MsaUser, world["a"].user_id)
        person = db.session.get(Person, world["person_a"])
        events = source_events("case_management", person)
    assert [e.title for e in events] == ["Case Management eröffnet"]
    assert events[0].who == "Fatma Kaya"
    assert events[0].url.endswith(f"/casemanagement/case/{cid}")


def test_reviewer_reads_without_forms_and_cannot_write(
    app: Any, world: dict[str, Any], login_as: Any
) -> None:
    """Prüfer see the case (access-logged) but get no buttons or forms; writes are 403."""
    cid = _open(world)
    with app.app_context():
        county = factories.id_of(factories.make_org("Landkreis", kind="county"))
    reviewer = login_as(matrix.ROLE_REVIEWER, county)
    html = reviewer.get(f"/casemanagement/case/{cid}").get_data(as_text=True)
    assert "Aktueller Schritt: <strong>Erstgespräch</strong>" in html
    assert "Erstgespräch speichern" not in html and 'name="to"' not in html
    resp = reviewer.post(f"/casemanagement/case/{cid}/transition", data={"to": "x"})
    assert resp.status_code in (302, 403)
    with app.app_context():
        from app.extensions import db
        from app.models import AccessLog
        from app.services.case_management import workflow as wf

        assert len(wf.events_of(cid)) == 1
        logged = db.session.query(AccessLog).filter_by(category="case_management", action="read")
        assert logged.count() >= 1

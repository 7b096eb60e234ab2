"""Kostenübernahme (§3.1.8) through the Flask test client: REST, the edit form, the lead's tile
and list, the case file — and who may not.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from flask import Flask

from app.security import matrix
from tests import factories
from tests.conftest import sign_in

TODAY = dt.date.today()
DAY = TODAY - dt.timedelta(days=10)
REQ, DECIDED, START = (TODAY - dt.timedelta(days=d) for d in (9, 6, 4))


def _setup(app: Flask) -> dict[str, Any]:
    with app.app_context():
        org, other = factories.make_org("Träger A"), factories.make_org("Träger B")
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        lead = factories.make_user(matrix.ROLE_LEAD, org)
        other_worker = factories.make_user(matrix.ROLE_CASEWORKER, other)
        other_lead = factories.make_user(matrix.ROLE_LEAD, other)
        person = factories.make_person(
            org, caseworker_id=worker.id, benefit_basis="asylblg_basic", last_name="Rahimi"
        )
        psz = factories.make_partner(
            name="Psychosoziales Zentrum KommMit", partner_type="psz", category="counselling"
        )
        jobcenter = factories.make_partner(name="Jobcenter PM", partner_type="jobcenter")
        return {
            "org": org.id,
            "other": other.id,
            "worker": worker.id,
            "lead": lead.id,
            "other_worker": other_worker.id,
            "other_lead": other_lead.id,
            "person": person.id,
            "psz": psz.id,
            "jobcenter": jobcenter.id,
        }


def _token(app: Flask, user_id: int) -> dict[str, str]:
    from app.extensions import db
    from app.models import MsaUser

    with app.app_context():
        username = db.session.get(MsaUser, user_id).username
    resp = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": factories.PASSWORD, "provider": "db"},
    )
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def _desk_number(page: str) -> int:
    card = page[page.index('id="desk-cost-approvals"') :]
    match = re.search(r'<p class="msa-desk-number">(\d+)</p>', card)
    assert match, card[:400]
    return int(match.group(1))


def _list_rows(page: str) -> int:
    if 'id="cost-approvals"' not in page:
        return 0
    table = page[page.index('id="cost-approvals"') : page.index("</table>")]
    return table.count("<tr><td>")


def test_rest_defaults_approval_and_start(app: Flask, client: Any) -> None:
    """The new fields are optional (null by default); the start waits for the approval."""
    ids = _setup(app)
    api = _token(app, ids["worker"])
    base = {"person_id": ids["person"], "partner_id": ids["psz"], "date": DAY.isoformat()}
    resp = client.post("/api/v1/referral/", json=base, headers=api)
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()["result"]
    for name in (
        "started_on",
        "cost_approval_state",
        "cost_approval_requested_on",
        "cost_approval_decided_on",
        "cost_approval_reference",
    ):
        assert made[name] is None, (name, made)
    pk = made["id"]
    resp = client.put(f"/api/v1/referral/{pk}", json={"outcome": "taken_up"}, headers=api)
    body = resp.get_json()
    assert resp.status_code == 400, body
    assert (body["field"], body["key"]) == ("started_on", "cost_approval.missing")
    assert "Fachdienst Soziales und Wohnen" in body["message"]
    resp = client.put(
        f"/api/v1/referral/{pk}",
        json={
            "cost_approval_state": "requested",
            "cost_approval_requested_on": REQ.isoformat(),
            "cost_approval_reference": "50.2-4711/26",
        },
        headers=api,
    )
    assert resp.status_code == 200, resp.get_json()
    resp = client.put(
        f"/api/v1/referral/{pk}",
        json={"cost_approval_state": "refused", "cost_approval_decided_on": DECIDED.isoformat()},
        headers=api,
    )
    assert resp.status_code == 200
    resp = client.put(
        f"/api/v1/referral/{pk}",
        json={"outcome": "taken_up", "started_on": START.isoformat()},
        headers=api,
    )
    assert resp.get_json()["key"] == "cost_approval.refused"
    resp = client.put(
        f"/api/v1/referral/{pk}",
        json={
            "cost_approval_state": "approved",
            "outcome": "taken_up",
            "started_on": START.isoformat(),
        },
        headers=api,
    )
    assert resp.status_code == 200, resp.get_json()
    got = client.get(f"/api/v1/referral/{pk}", headers=api).get_json()["result"]
    assert (got["cost_approval_state"], got["cost_approval_decided_on"], got["started_on"]) == (
        "approved",
        DECIDED.isoformat(),
        START.isoformat(),
    )
    assert got["cost_approval_reference"] == "50.2-4711/26"
    # a referral that needs no approval takes none, and starts without one
    resp = client.post(
        "/api/v1/referral/",
        json={
            **base,
            "partner_id": ids["jobcenter"],
            "cost_approval_state": "requested",
            "cost_approval_requested_on": REQ.isoformat(),
        },
        headers=api,
    )
    assert resp.get_json()["key"] == "cost_approval.not_required"
    resp = client.post(
        "/api/v1/referral/",
        json={**base, "partner_id": ids["jobcenter"], "outcome": "taken_up"},
        headers=api,
    )
    assert resp.status_code == 201 and resp.get_json()["result"]["started_on"] is None


def test_other_provider_cannot_read_or_approve(app: Flask, client: Any) -> None:
    """Another provider's caseworker neither sees nor changes the referral; its lead counts 0."""
    ids = _setup(app)
    api = _token(app, ids["worker"])
    resp = client.post(
        "/api/v1/referral/",
        json={
            "person_id": ids["person"],
            "partner_id": ids["psz"],
            "date": DAY.isoformat(),
            "cost_approval_state": "requested",
            "cost_approval_requested_on": REQ.isoformat(),
        },
        headers=api,
    )
    pk = resp.get_json()["id"]
    foreign = _token(app, ids["other_worker"])
    assert client.get(f"/api/v1/referral/{pk}", headers=foreign).status_code == 404
    resp = client.put(
        f"/api/v1/referral/{pk}",
        json={"cost_approval_state": "approved", "cost_approval_decided_on": DECIDED.isoformat()},
        headers=foreign,
    )
    assert resp.status_code == 404
    page = sign_in(app.test_client(), ids["other_worker"])
    assert page.post(f"/referralview/edit/{pk}", data={"date": "x"}).status_code == 404
    other_lead = sign_in(app.test_client(), ids["other_lead"])
    assert _desk_number(other_lead.get("/").get_data(as_text=True)) == 0
    assert _list_rows(other_lead.get("/kostenuebernahmen/").get_data(as_text=True)) == 0
    lead = sign_in(app.test_client(), ids["lead"])
    assert _desk_number(lead.get("/").get_data(as_text=True)) == 1


def test_roles_without_referrals_may_not_open_the_list(app: Flask, login_as: Any) -> None:
    ids = _setup(app)
    for role in (matrix.ROLE_COUNTY_ADMIN, matrix.ROLE_DPO, matrix.ROLE_REVIEWER):
        org = None if role != matrix.ROLE_REVIEWER else ids["org"]
        resp = login_as(role, org).get("/kostenuebernahmen/")
        assert resp.status_code in (302, 403), (role, resp.status_code)
        assert "Rahimi" not in resp.get_data(as_text=True)
    # the caseworker reads referrals: the list answers (no desk tile for the caseworker)
    worker = sign_in(app.test_client(), ids["worker"])
    assert worker.get("/kostenuebernahmen/").status_code == 200
    assert 'id="desk-cost-approvals"' not in worker.get("/").get_data(as_text=True)


def test_tile_equals_list_and_is_paged(app: Flask) -> None:
    """The lead's tile counts exactly the rows of the list (all pages); decided ones leave."""
    from app.extensions import db
    from app.models import MsaUser, Person
    from app.services.casefile.follow_ups import create_referral, update_referral
    from app.views.casefile.cost_approval import PAGE_SIZE

    ids = _setup(app)
    n = PAGE_SIZE + 3
    with app.app_context():
        actor = db.session.get(MsaUser, ids["worker"])
        made = []
        for i in range(n):
            person = factories.make_person(ids["org"], benefit_basis="asylblg_analog")
            made.append(
                create_referral(
                    person,
                    actor=actor,
                    partner_id=ids["psz"],
                    date=DAY,
                    cost_approval_state="requested",
                    cost_approval_requested_on=REQ - dt.timedelta(days=i % 5),
                ).id
            )
        # another provider's pending approval is not the lead's
        other = factories.make_person(ids["other"], benefit_basis="asylblg_basic")
        create_referral(
            db.session.get(Person, other.id),
            actor=actor,
            partner_id=ids["psz"],
            date=DAY,
            cost_approval_state="requested",
            cost_approval_requested_on=REQ,
        )
        from app.models import Referral

        update_referral(
            db.session.get(Referral, made[0]),
            actor=actor,
            changes={"cost_approval_state": "approved", "cost_approval_decided_on": DECIDED},
        )
    lead = sign_in(app.test_client(), ids["lead"])
    number = _desk_number(lead.get("/").get_data(as_text=True))
    first = lead.get("/kostenuebernahmen/").get_data(as_text=True)
    second = lead.get("/kostenuebernahmen/?seite=2").get_data(as_text=True)
    assert number == n - 1 == _list_rows(first) + _list_rows(second)
    assert _list_rows(first) == PAGE_SIZE
    assert "Seite 1 von 2" in first and "<title>" in first
    assert lead.get("/kostenuebernahmen/?seite=x").status_code == 400


def test_edit_form_keeps_the_input_and_the_case_file_shows_the_approval(app: Flask) -> None:
    from app.extensions import db
    from app.models import MsaUser, Person
    from app.services.casefile.follow_ups import create_referral

    ids = _setup(app)
    with app.app_context():
        pk = create_referral(
            db.session.get(Person, ids["person"]),
            actor=db.session.get(MsaUser, ids["worker"]),
            partner_id=ids["psz"],
            date=DAY,
        ).id
    page = sign_in(app.test_client(), ids["worker"])
    form = {
        "date": DAY.strftime("%d.%m.%Y"),
        "topic_code": "health",
        "note": "Erstgespräch am Dienstag",
        "outcome": "taken_up",
        "started_on": START.strftime("%d.%m.%Y"),
    }
    resp = page.post(f"/referralview/edit/{pk}", data=form)
    text = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 422
    assert "erst beginnen, wenn der Fachdienst Soziales und Wohnen die Kosten" in text
    assert "Erstgespräch am Dienstag" in text and START.strftime("%d.%m.%Y") in text
    form |= {
        "outcome": "",
        "started_on": "",
        "cost_approval_state": "requested",
        "cost_approval_requested_on": REQ.strftime("%d.%m.%Y"),
        "cost_approval_reference": "50.2-4711/26",
    }
    assert page.post(f"/referralview/edit/{pk}", data=form).status_code == 302
    casefile = html.unescape(page.get(f"/personview/show/{ids['person']}").get_data(as_text=True))
    assert "Vermittlungen und Kostenübernahme" in casefile
    assert "Psychosoziales Zentrum KommMit" in casefile
    assert (
        f"Kostenübernahme beantragt am {REQ.strftime('%d.%m.%Y')}, noch nicht entschieden "
        "(Az. 50.2-4711/26)" in casefile
    )
    shown = html.unescape(page.get(f"/referralview/show/{pk}").get_data(as_text=True))
    assert "beantragt" in shown and "requested" not in shown

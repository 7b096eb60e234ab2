"""Handover (Übergabe), sharing (Freigabe) and duplicates across providers.

Every forbidden path: a third provider never sees an offer; the sender loses access; a declined
offer changes nothing; only the receiver accepts; past quarterly figures of both providers stay.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AccessLog, Household, Person
from app.security import matrix
from app.services.statistics import counting as st

PAST = dt.date(2026, 4, 15)  # a past quarter (Q2 2026)


def _world(app: Flask, api_token: Any) -> dict[str, Any]:
    from tests import factories

    with app.app_context():
        a = factories.make_org("Träger A")
        b = factories.make_org("Träger B")
        c = factories.make_org("Träger C")
        fbd = factories.make_org("Fachberatungsdienst", kind="specialist_service")
        cw_a = factories.make_user(matrix.ROLE_CASEWORKER, a)
        hh = Household(name="Familie Haddad", organisation_id=a.id)
        db.session.add(hh)
        db.session.commit()
        p = factories.make_person(a, first_name="Amal", last_name="Haddad", household_id=hh.id)
        child = factories.make_person(a, first_name="Yusuf", last_name="Haddad", household_id=hh.id)
        note = factories.make_note(p, cw_a, date=PAST, summary="Beratung vor der Übergabe")
        ids = {
            "a": a.id,
            "b": b.id,
            "c": c.id,
            "fbd": fbd.id,
            "p": p.id,
            "child": child.id,
            "note": note.id,
            "hh": hh.id,
        }
    ids["ha"] = api_token(matrix.ROLE_CASEWORKER, ids["a"])
    ids["hb"] = api_token(matrix.ROLE_LEAD, ids["b"])
    ids["hc"] = api_token(matrix.ROLE_LEAD, ids["c"])
    ids["hf"] = api_token(matrix.ROLE_SPECIALIST, ids["fbd"])
    return ids


def _offer(client: Any, w: dict[str, Any], **kw: Any) -> Any:
    body = {
        "person_id": w["p"],
        "to_organisation_id": w["b"],
        "scope": "full",
        "consent_given": True,
        "consent_on": "2026-11-30",
        "consent_form": "written",
        "reason": "Umzug in die Unterkunft von Träger B",
        "include_household": True,
        **kw,
    }
    return client.post("/api/v1/handover/", json=body, headers=w["ha"])


def _figures(app: Flask, org_id: int) -> Any:
    with app.app_context():
        stats = st.quarterly_statistics(org_id, 2026, 2)
        return stats["caseworkers"], stats["totals"]


def test_offer_accept_moves_the_family_and_keeps_past_statistics(
    app: Flask, api_token: Any
) -> None:
    w = _world(app, api_token)
    client = app.test_client()
    before_a, before_b = _figures(app, w["a"]), _figures(app, w["b"])
    assert before_a[1]["individual"] == 1
    resp = _offer(client, w)
    assert resp.status_code == 201, resp.get_json()
    hid = resp.get_json()["id"]
    assert resp.get_json()["status"] == "offered"
    # the receiver's inbox: name and birth date only; the third provider sees nothing
    inbox = client.get("/api/v1/handover/", headers=w["hb"]).get_json()["result"]
    assert [(h["id"], h["last_name"], h["status"]) for h in inbox] == [(hid, "Haddad", "offered")]
    assert "summary" not in inbox[0]
    assert client.get("/api/v1/handover/", headers=w["hc"]).get_json()["result"] == []
    assert client.post(f"/api/v1/handover/{hid}/accept", headers=w["hc"]).status_code == 404
    assert client.post(f"/api/v1/handover/{hid}/accept", headers=w["ha"]).status_code == 403
    # before acceptance the receiver cannot open the file
    assert client.get(f"/api/v1/person/{w['p']}", headers=w["hb"]).status_code == 404
    resp = client.post(f"/api/v1/handover/{hid}/accept", json={}, headers=w["hb"])
    assert resp.status_code == 200 and resp.get_json()["status"] == "accepted"
    # receiver owns person and household member; sees the earlier note (scope full)
    assert client.get(f"/api/v1/person/{w['p']}", headers=w["hb"]).status_code == 200
    assert client.get(f"/api/v1/person/{w['child']}", headers=w["hb"]).status_code == 200
    assert client.get(f"/api/v1/contactnote/{w['note']}", headers=w["hb"]).status_code == 200
    # the sender loses access to the file and what it documented; the third provider too
    for h in ("ha", "hc"):
        assert client.get(f"/api/v1/person/{w['p']}", headers=w[h]).status_code == 404
        assert client.get(f"/api/v1/contactnote/{w['note']}", headers=w[h]).status_code == 404
    notes_a = client.get("/api/v1/contactnote/", headers=w["ha"]).get_json()
    assert notes_a["count"] == 0
    # once accepted it cannot be withdrawn or accepted again
    assert client.post(f"/api/v1/handover/{hid}/withdraw", headers=w["ha"]).status_code == 409
    assert client.post(f"/api/v1/handover/{hid}/accept", headers=w["hb"]).status_code == 409
    # past quarterly statistics of both providers are unchanged
    assert _figures(app, w["a"]) == before_a
    assert _figures(app, w["b"]) == before_b
    with app.app_context():
        person = db.session.get(Person, w["p"])
        assert person.organisation_id == w["b"] and person.caseworker_id is None
        assert db.session.get(Household, w["hh"]).organisation_id == w["b"]
        actions = set(
            db.session.scalars(select(AccessLog.action).where(AccessLog.person_id == w["p"]))
        )
        assert {"handover_offer", "handover_accept"} <= actions
    # a new note of the receiver counts for the receiver
    resp = client.post(
        "/api/v1/contactnote/",
        json={
            "person_id": w["p"],
            "date": dt.date.today().isoformat(),
            "kind": "individual",
            "topics": [],
            "summary": "Erstkontakt nach Übergabe",
            "education_system": False,
            "return_counselling": False,
        },
        headers=w["hb"],
    )
    assert resp.status_code == 201, resp.get_json()
    with app.app_context():
        from app.models import ContactNote

        assert db.session.get(ContactNote, resp.get_json()["id"]).organisation_id == w["b"]


def test_master_data_scope_hides_earlier_records(app: Flask, api_token: Any) -> None:
    w = _world(app, api_token)
    client = app.test_client()
    resp = _offer(client, w, scope="master_data", consent_given=False, include_household=False)
    assert resp.status_code == 201, resp.get_json()
    hid = resp.get_json()["id"]
    assert client.post(f"/api/v1/handover/{hid}/accept", headers=w["hb"]).status_code == 200
    assert client.get(f"/api/v1/person/{w['p']}", headers=w["hb"]).status_code == 200
    assert client.get(f"/api/v1/contactnote/{w['note']}", headers=w["hb"]).status_code == 404
    # without the household: the child stays with A, the person leaves the household
    assert client.get(f"/api/v1/person/{w['child']}", headers=w["ha"]).status_code == 200
    with app.app_context():
        assert db.session.get(Person, w["p"]).household_id is None


def test_full_scope_needs_consent_and_only_the_owner_offers(app: Flask, api_token: Any) -> None:
    w = _world(app, api_token)
    client = app.test_client()
    resp = _offer(client, w, consent_given=False)
    assert resp.status_code == 400 and "Einwilligung" in resp.get_json()["message"]
    assert _offer(client, w, consent_on="2099-01-01").status_code == 400
    assert _offer(client, w, to_organisation_id=w["a"]).status_code == 400
    other = {"Authorization": w["hc"]["Authorization"]}
    resp = client.post(
        "/api/v1/handover/",
        json={"person_id": w["p"], "to_organisation_id": w["c"], "scope": "master_data"},
        headers=other,
    )
    assert resp.status_code == 404
    assert _offer(client, w).status_code == 201
    assert _offer(client, w).status_code == 409  # one open offer per person
    assert client.post("/api/v1/handover/", json={"x": 1}, headers=w["ha"]).status_code == 400


def test_declined_offer_changes_nothing_and_withdraw(app: Flask, api_token: Any) -> None:
    w = _world(app, api_token)
    client = app.test_client()
    hid = _offer(client, w).get_json()["id"]
    assert (
        client.post(f"/api/v1/handover/{hid}/decline", json={}, headers=w["hb"]).status_code == 400
    )
    assert (
        client.post(
            f"/api/v1/handover/{hid}/decline", json={"reason": "x"}, headers=w["hc"]
        ).status_code
        == 404
    )
    resp = client.post(
        f"/api/v1/handover/{hid}/decline", json={"reason": "Keine Kapazität"}, headers=w["hb"]
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "declined"
    assert client.get(f"/api/v1/person/{w['p']}", headers=w["ha"]).status_code == 200
    assert client.get(f"/api/v1/contactnote/{w['note']}", headers=w["ha"]).status_code == 200
    assert client.get(f"/api/v1/person/{w['p']}", headers=w["hb"]).status_code == 404
    assert client.post(f"/api/v1/handover/{hid}/accept", headers=w["hb"]).status_code == 409
    with app.app_context():
        assert db.session.get(Person, w["p"]).organisation_id == w["a"]
    # a new offer, withdrawn by the sender before acceptance
    hid2 = _offer(client, w).get_json()["id"]
    assert client.post(f"/api/v1/handover/{hid2}/withdraw", headers=w["hb"]).status_code == 403
    assert client.post(f"/api/v1/handover/{hid2}/withdraw", headers=w["ha"]).status_code == 200
    assert client.post(f"/api/v1/handover/{hid2}/accept", headers=w["hb"]).status_code == 409
    statuses = [
        h["status"] for h in client.get("/api/v1/handover/", headers=w["ha"]).get_json()["result"]
    ]
    assert sorted(statuses) == ["declined", "withdrawn"]


def test_handover_back_restores_the_sender(app: Flask, api_token: Any) -> None:
    w = _world(app, api_token)
    client = app.test_client()
    hid = _offer(client, w, include_household=False).get_json()["id"]
    client.post(f"/api/v1/handover/{hid}/accept", headers=w["hb"])
    hb_cw = api_token(matrix.ROLE_CASEWORKER, w["b"])
    resp = client.post(
        "/api/v1/handover/",
        json={"person_id": w["p"], "to_organisation_id": w["a"], "scope": "master_data"},
        headers=hb_cw,
    )
    assert resp.status_code == 201, resp.get_json()
    back = resp.get_json()["id"]
    assert client.post(f"/api/v1/handover/{back}/accept", headers=w["ha"]).status_code == 200
    assert client.get(f"/api/v1/contactnote/{w['note']}", headers=w["ha"]).status_code == 200
    assert client.get(f"/api/v1/contactnote/{w['note']}", headers=w["hb"]).status_code == 404


def test_shares_with_the_specialist_service(app: Flask, api_token: Any) -> None:
    w = _world(app, api_token)
    client = app.test_client()
    url = f"/api/v1/person/{w['p']}/shares"
    today = dt.date.today()
    body = {
        "organisation_id": w["fbd"],
        "until": (today + dt.timedelta(days=30)).isoformat(),
        "consent_on": today.isoformat(),
    }
    assert client.get(f"/api/v1/person/{w['p']}", headers=w["hf"]).status_code == 404
    assert client.post(url, json=body, headers=w["hc"]).status_code == 404
    assert (
        client.post(url, json={**body, "until": "2000-01-01"}, headers=w["ha"]).status_code == 400
    )
    resp = client.post(url, json=body, headers=w["ha"])
    assert resp.status_code == 201, resp.get_json()
    listed = client.get(url, headers=w["ha"]).get_json()["result"]
    assert [(s["organisation"], s["active"]) for s in listed] == [("Fachberatungsdienst", True)]
    assert client.get(f"/api/v1/person/{w['p']}", headers=w["hf"]).status_code == 200
    assert client.get(f"/api/v1/contactnote/{w['note']}", headers=w["hf"]).status_code == 200
    # the specialist service may not hand the file on or share it further
    assert (
        client.post(url, json={**body, "organisation_id": w["c"]}, headers=w["hf"]).status_code
        == 403
    )
    assert client.delete(f"{url}/{w['fbd']}", headers=w["hf"]).status_code == 403
    assert client.delete(f"{url}/{w['fbd']}", headers=w["ha"]).status_code == 200
    assert client.get(f"/api/v1/person/{w['p']}", headers=w["hf"]).status_code == 404
    assert client.delete(f"{url}/{w['fbd']}", headers=w["ha"]).status_code == 404
    # an ended share stays as a row (provenance of what the recipient wrote), not active
    listed = client.get(url, headers=w["ha"]).get_json()["result"]
    assert [s["active"] for s in listed] == [False]
    # an expired share ends by itself
    assert client.post(url, json=body, headers=w["ha"]).status_code == 201
    assert client.get(f"/api/v1/person/{w['p']}", headers=w["hf"]).status_code == 200
    from app.models import PersonShare

    with app.app_context():
        db.session.execute(
            update(PersonShare)
            .where(PersonShare.person_id == w["p"], PersonShare.organisation_id == w["fbd"])
            .values(until=today - dt.timedelta(days=2))
        )
        db.session.commit()
    assert client.get(f"/api/v1/person/{w['p']}", headers=w["hf"]).status_code == 404
    listed = client.get(url, headers=w["ha"]).get_json()["result"]
    assert [s["active"] for s in listed] == [False]


def test_duplicate_across_providers_409_names_only(app: Flask, api_token: Any) -> None:
    w = _world(app, api_token)
    client = app.test_client()
    with app.app_context():
        born = db.session.get(Person, w["p"]).birth_date.isoformat()
    body = {"first_name": "Amal", "last_name": "Hadad", "birth_date": born}
    resp = client.post("/api/v1/person/", json=body, headers=w["hb"])
    assert resp.status_code == 409
    data = resp.get_json()
    assert data["candidates"] == [{"organisation": "Träger A"}]
    assert "Träger A" in data["message"]
    with app.app_context():
        hints = db.session.scalar(
            select(func.count(AccessLog.id)).where(
                AccessLog.action == "duplicate_hint", AccessLog.person_id == w["p"]
            )
        )
        assert hints == 1
    # within the own provider: candidates with ids
    resp = client.post("/api/v1/person/", json=body, headers=w["ha"])
    assert resp.status_code == 409
    assert resp.get_json()["candidates"][0]["id"] == w["p"]
    resp = client.post("/api/v1/person/", json={**body, "confirm_new": True}, headers=w["hb"])
    assert resp.status_code == 201, resp.get_json()
    assert (
        client.post(
            "/api/v1/person/", json={**body, "confirm_new": "ja"}, headers=w["hb"]
        ).status_code
        == 400
    )


def test_browser_duplicate_hint_inbox_and_case_file_section(
    app: Flask, login_as: Any, api_token: Any
) -> None:
    w = _world(app, api_token)
    browser_b = login_as(matrix.ROLE_LEAD, w["b"])
    with app.app_context():
        born = db.session.get(Person, w["p"]).birth_date.strftime("%d.%m.%Y")
    page = browser_b.post(
        "/personview/add",
        data={"first_name": "Amal", "last_name": "Haddad", "birth_date": born},
    ).get_data(as_text=True)
    assert "Bereits bei einem anderen Träger bekannt" in page and "Träger A" in page
    assert "Beratung vor der Übergabe" not in page
    browser_a = login_as(matrix.ROLE_CASEWORKER, w["a"])
    page = browser_a.get(f"/personview/show/{w['p']}").get_data(as_text=True)
    assert "Übergabe anbieten" in page and "Freigeben" in page
    resp = browser_a.post(
        f"/uebergaben/anbieten/{w['p']}",
        data={"to_organisation_id": str(w["b"]), "scope": "master_data", "reason": "Umzug"},
    )
    assert resp.status_code == 302
    page = browser_b.get("/uebergaben/").get_data(as_text=True)
    assert "Haddad, Amal" in page and "Annehmen" in page
    browser_c = login_as(matrix.ROLE_LEAD, w["c"])
    assert "Haddad" not in browser_c.get("/uebergaben/").get_data(as_text=True)


def test_refused_offer_shows_the_form_open_with_the_input(
    app: Flask, login_as: Any, api_token: Any
) -> None:
    """The whole case file without consent is refused: the form is open again, input kept."""
    w = _world(app, api_token)
    browser_a = login_as(matrix.ROLE_CASEWORKER, w["a"])
    page = browser_a.get(f"/personview/show/{w['p']}").get_data(as_text=True)
    assert '<details class="msa-disclosure">' in page  # folded away until needed
    resp = browser_a.post(
        f"/uebergaben/anbieten/{w['p']}",
        data={"to_organisation_id": str(w["b"]), "scope": "full", "reason": "Umzug nach B"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#bereich-handover")
    page = browser_a.get(f"/personview/show/{w['p']}").get_data(as_text=True)
    assert "Einwilligung" in page and '<details class="msa-disclosure" open>' in page
    assert 'value="Umzug nach B"' in page
    assert '<option value="full" selected>' in page
    assert f'<option value="{w["b"]}" selected>' in page
    # shown once: the next visit starts empty
    page = browser_a.get(f"/personview/show/{w['p']}").get_data(as_text=True)
    assert 'value="Umzug nach B"' not in page


def test_open_case_management_of_the_sender_ends_with_the_handover(
    app: Flask, api_token: Any, login_as: Any
) -> None:
    """Persons in case management: the sender's past months stay; its open case is closed on
    the day of acceptance (with an event), so it does not count for later months."""
    from app.models import CaseEvent, CaseManagementCase, MsaUser

    w = _world(app, api_token)
    with app.app_context():
        cw = db.session.scalars(select(MsaUser).where(MsaUser.organisation_id == w["a"])).first()
        case_ = CaseManagementCase(
            organisation_id=w["a"],
            person_id=w["p"],
            caseworker_id=cw.id,
            step="assessment",
            opened_on=dt.date(2026, 4, 1),
        )
        db.session.add(case_)
        db.session.flush()
        for step in ("first_interview", "assessment"):
            db.session.add(
                CaseEvent(
                    organisation_id=w["a"],
                    person_id=w["p"],
                    case_id=case_.id,
                    at=dt.datetime(2026, 4, 2, 10),
                    actor_name="Test",
                    to_step=step,
                )
            )
        db.session.commit()
        case_id = case_.id
    before = _figures(app, w["a"])
    assert before[1]["case_management"] >= 1
    client = app.test_client()
    hid = _offer(client, w).get_json()["id"]
    assert client.post(f"/api/v1/handover/{hid}/accept", headers=w["hb"]).status_code == 200
    assert _figures(app, w["a"]) == before
    with app.app_context():
        closed = db.session.get(CaseManagementCase, case_id)
        assert closed.step == "closed" and closed.closed_on == dt.date.today()
        reasons = db.session.scalars(
            select(CaseEvent.reason).where(
                CaseEvent.case_id == case_id, CaseEvent.to_step == "closed"
            )
        ).all()
        assert reasons == ["Übergabe an Träger B"]
    # the receiver (scope full) opens the closed case page without an error
    browser_b = login_as(matrix.ROLE_CASEWORKER, w["b"])
    assert browser_b.get(f"/casemanagement/case/{case_id}").status_code == 200
    assert browser_b.get(f"/personview/show/{w['p']}").status_code == 200


def test_inbox_and_case_file_within_statement_budget(
    app: Flask, api_token: Any, login_as: Any
) -> None:
    from tests.integration.test_performance import MAX_STATEMENTS, count_statements

    w = _world(app, api_token)
    client = app.test_client()
    hid = _offer(client, w).get_json()["id"]
    assert (
        client.post(
            f"/api/v1/person/{w['child']}/shares",
            json={
                "organisation_id": w["fbd"],
                "until": (dt.date.today() + dt.timedelta(days=5)).isoformat(),
                "consent_on": dt.date.today().isoformat(),
            },
            headers=w["ha"],
        ).status_code
        == 201
    )
    browser_b = login_as(matrix.ROLE_LEAD, w["b"])
    browser_a = login_as(matrix.ROLE_CASEWORKER, w["a"])
    for browser, url in (
        (browser_b, "/uebergaben/"),
        (browser_a, "/uebergaben/"),
        (browser_a, f"/personview/show/{w['child']}"),
        (browser_a, f"/personview/show/{w['p']}"),
    ):
        browser.get(url)
        with count_statements(app) as statements:
            resp = browser.get(url)
        assert resp.status_code == 200, url
        assert len(statements) <= MAX_STATEMENTS, (url, len(statements))
    for headers in (w["ha"], w["hb"]):
        client.get("/api/v1/handover/", headers=headers)
        with count_statements(app) as statements:
            assert client.get("/api/v1/handover/", headers=headers).status_code == 200
        assert len(statements) <= MAX_STATEMENTS
    assert hid

"""Referral statistics count a note's referral the same, whichever door the note came through.

A note that names a network partner is a referral to that partner (R-6.2). Two providers each
document one such note — one on the case-file page, one through the REST API — with the same
partner, day and topic; the referral statistics of both quarters are the same: one referral to
that partner with that topic. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.security import matrix
from tests.conftest import sign_in

TODAY = dt.date.today()


def _referrals(client: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    quarter = (TODAY.month - 1) // 3 + 1
    resp = client.get(
        f"/api/v1/statistics/referrals?year={TODAY.year}&quarter={quarter}", headers=headers
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body: dict[str, Any] = resp.get_json()
    return body


def test_referral_counted_the_same_from_page_and_rest(
    app: Flask, client: FlaskClient, factory: Any, api_token: Any
) -> None:
    """The page's note and the REST note each count as one referral to the same partner."""
    page_org, rest_org = factory.make_org(), factory.make_org()
    page_worker = factory.make_user(matrix.ROLE_CASEWORKER, page_org)
    page_person = factory.make_person(page_org)
    rest_person = factory.make_person(rest_org)
    partner = factory.make_partner()
    ids = {
        "page_worker": page_worker.id,
        "page_person": page_person.id,
        "rest_person": rest_person.id,
        "partner": partner.id,
        "page_org": page_org.id,
        "rest_org": rest_org.id,
    }
    page = sign_in(app.test_client(), ids["page_worker"])
    resp = page.post(
        f"/contactnoteview/document/{ids['page_person']}",
        data={
            "date": TODAY.strftime("%d.%m.%Y"),
            "kind": "individual",
            "topics": ["work"],
            "summary": "Bewerbung besprochen",
            "partner_id": str(ids["partner"]),
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    rest_headers = api_token(matrix.ROLE_CASEWORKER, ids["rest_org"])
    resp = client.post(
        "/api/v1/contactnote/",
        json={
            "person_id": ids["rest_person"],
            "date": TODAY.isoformat(),
            "kind": "individual",
            "topics": ["work"],
            "summary": "Bewerbung besprochen",
            "partner_id": ids["partner"],
        },
        headers=rest_headers,
    )
    assert resp.status_code == 201, resp.get_json()

    by_page = _referrals(client, api_token(matrix.ROLE_LEAD, ids["page_org"]))
    by_rest = _referrals(client, api_token(matrix.ROLE_LEAD, ids["rest_org"]))
    assert by_page["total"] == by_rest["total"] == 1
    for stats in (by_page, by_rest):
        assert [(p["partner_id"], p["referrals"]) for p in stats["by_partner"]] == [
            (ids["partner"], 1)
        ]
    for key in ("by_partner", "by_category", "by_topic"):
        if key in by_page:
            assert by_page[key] == by_rest[key], key

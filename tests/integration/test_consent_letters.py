"""The recorded consent names the consent letter handed out (handover and share, all doors).

Before the client consents, the caseworker prints the bilingual consent letter — for a handover
also before the offer is sent — and records with the consent which letter was handed out
(language, day; default the consent's day). Page forms and REST go through the same verbs; the
fields are optional (omitted: no letter recorded). Refused: an unknown language, a day in the
future, a letter without a consent; a draft letter only for the holder and a provider or the
specialist service. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import AccessLog, Handover, PersonShare
from app.security import matrix
from app.services.intake.common import IntakeError
from app.services.intake.consent_letter import checked_letter, letter_label
from tests.integration.test_client_letters import _pdf_text
from tests.integration.test_intake_handover import _offer, _world

TODAY = dt.date.today()
YESTERDAY = TODAY - dt.timedelta(days=1)


def test_checked_letter_restated() -> None:
    """The rule, written out: (language, day, consent day) → stored or refused."""
    cases = [
        ((None, None, YESTERDAY), (None, None)),
        (("", None, YESTERDAY), (None, None)),
        (("ar", None, YESTERDAY), ("ar", YESTERDAY)),
        (("de", YESTERDAY, YESTERDAY), ("de", YESTERDAY)),
        (("de", TODAY, YESTERDAY), IntakeError),  # handed out after the consent
        (("ti", YESTERDAY, TODAY), ("ti", YESTERDAY)),
        (("xx", None, YESTERDAY), IntakeError),
        (("ar", TODAY + dt.timedelta(days=1), YESTERDAY), IntakeError),
        ((None, YESTERDAY, YESTERDAY), IntakeError),
    ]
    for (language, on, consent_on), expected in cases:
        if expected is IntakeError:
            try:
                checked_letter(language, on, consent_on=consent_on, today=TODAY)
            except IntakeError:
                continue
            raise AssertionError((language, on))
        assert checked_letter(language, on, consent_on=consent_on, today=TODAY) == expected
    assert letter_label("ar", dt.date(2026, 12, 6)) == (
        "Einwilligungserklärung (Arabisch) vom 06.12.2026 ausgehändigt"
    )
    assert letter_label("de", dt.date(2026, 12, 6)).startswith("Einwilligungserklärung (Deutsch)")
    assert letter_label(None, None) == ""


def test_handover_api_records_the_letter(app: Flask, api_token: Any) -> None:
    w = _world(app, api_token)
    client = app.test_client()
    for bad, message in (
        ({"consent_letter_language": "xx"}, "Unbekannte Sprache"),
        ({"consent_letter_language": "ar", "consent_letter_on": "2099-01-01"}, "Zukunft"),
        ({"consent_letter_language": 7}, "Texte"),
        (
            {
                "consent_letter_language": "ar",
                "consent_given": False,
                "consent_on": None,
                "scope": "master_data",
            },
            "Einwilligung",
        ),
    ):
        resp = _offer(client, w, **bad)
        assert resp.status_code == 400, (bad, resp.get_json())
        assert message in resp.get_json()["message"], resp.get_json()
    resp = _offer(client, w, consent_letter_language="ar")
    assert resp.status_code == 201, resp.get_json()
    with app.app_context():
        handover = db.session.get(Handover, resp.get_json()["id"])
        assert handover is not None
        assert (handover.consent_letter_language, handover.consent_letter_on) == (
            "ar",
            dt.date(2026, 11, 30),  # the consent's day
        )
        detail = db.session.scalars(
            select(AccessLog.detail).where(
                AccessLog.person_id == w["p"], AccessLog.action == "handover_offer"
            )
        ).one()
        assert "Einwilligungserklärung (Arabisch) vom 30.11.2026 ausgehändigt" in (detail or "")
    rows = client.get("/api/v1/handover/", headers=w["hb"]).get_json()["result"]
    (row,) = [r for r in rows if r["id"] == handover.id]
    assert (row["consent_letter_language"], row["consent_letter_on"]) == ("ar", "2026-11-30")


def test_handover_without_a_letter_stays_as_before(app: Flask, api_token: Any) -> None:
    w = _world(app, api_token)
    resp = _offer(app.test_client(), w)
    assert resp.status_code == 201
    rows = app.test_client().get("/api/v1/handover/", headers=w["ha"]).get_json()["result"]
    assert rows[0]["consent_letter_language"] is None and rows[0]["consent_letter_on"] is None


def test_handover_page_form_records_the_letter_and_shows_it(
    app: Flask, login_as: Any, api_token: Any
) -> None:
    w = _world(app, api_token)
    browser_a = login_as(matrix.ROLE_CASEWORKER, w["a"])
    page = html.unescape(browser_a.get(f"/personview/show/{w['p']}").get_data(as_text=True))
    assert "Einwilligungsschreiben ausgehändigt" in page
    assert '<option value="ti">Tigrinya (ትግርኛ)</option>' in page
    # a refused offer keeps the letter's language
    resp = browser_a.post(
        f"/uebergaben/anbieten/{w['p']}",
        data={
            "to_organisation_id": str(w["b"]),
            "scope": "full",
            "consent_given": "1",
            "consent_on": YESTERDAY.strftime("%d.%m.%Y"),
            "consent_form": "written",
            "consent_letter_language": "fa",
            "consent_letter_on": "01.01.2099",
        },
    )
    assert resp.status_code == 302
    page = html.unescape(browser_a.get(f"/personview/show/{w['p']}").get_data(as_text=True))
    assert "Zukunft" in page
    assert '<option value="fa" selected>' in page
    resp = browser_a.post(
        f"/uebergaben/anbieten/{w['p']}",
        data={
            "to_organisation_id": str(w["b"]),
            "scope": "full",
            "consent_given": "1",
            "consent_on": YESTERDAY.strftime("%d.%m.%Y"),
            "consent_form": "written",
            "consent_letter_language": "fa",
        },
    )
    assert resp.status_code == 302
    label = f"Einwilligungserklärung (Farsi/Dari) vom {YESTERDAY:%d.%m.%Y} ausgehändigt"
    page = html.unescape(browser_a.get(f"/personview/show/{w['p']}").get_data(as_text=True))
    assert label in page  # the open offer names the letter
    browser_b = login_as(matrix.ROLE_LEAD, w["b"])
    inbox = html.unescape(browser_b.get("/uebergaben/").get_data(as_text=True))
    assert label in inbox  # the receiver sees which letter the consent rests on


def test_shares_record_the_letter_through_page_and_api(
    app: Flask, login_as: Any, api_token: Any
) -> None:
    w = _world(app, api_token)
    client = app.test_client()
    url = f"/api/v1/person/{w['p']}/shares"
    until = (TODAY + dt.timedelta(days=90)).isoformat()
    resp = client.post(
        url,
        json={
            "organisation_id": w["fbd"],
            "until": until,
            "consent_on": YESTERDAY.isoformat(),
            "consent_letter_language": "xx",
        },
        headers=w["ha"],
    )
    assert resp.status_code == 400 and "Unbekannte Sprache" in resp.get_json()["message"]
    resp = client.post(
        url,
        json={
            "organisation_id": w["fbd"],
            "until": until,
            "consent_on": YESTERDAY.isoformat(),
            "consent_letter_language": "uk",
            "consent_letter_on": YESTERDAY.isoformat(),
        },
        headers=w["ha"],
    )
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["consent_letter_language"], body["consent_letter_on"]) == (
        "uk",
        YESTERDAY.isoformat(),
    )
    (row,) = client.get(url, headers=w["ha"]).get_json()["result"]
    assert (row["consent_letter_language"], row["consent_letter_on"]) == (
        "uk",
        YESTERDAY.isoformat(),
    )
    # the page door: the share with another provider, the letter in German
    browser_a = login_as(matrix.ROLE_CASEWORKER, w["a"])
    resp = browser_a.post(
        f"/uebergaben/freigabe/{w['p']}",
        data={
            "organisation_id": str(w["c"]),
            "until": (TODAY + dt.timedelta(days=30)).strftime("%d.%m.%Y"),
            "consent_on": TODAY.strftime("%d.%m.%Y"),
            "consent_letter_language": "de",
        },
    )
    assert resp.status_code == 302
    with app.app_context():
        share = db.session.scalars(
            select(PersonShare).where(
                PersonShare.person_id == w["p"], PersonShare.organisation_id == w["c"]
            )
        ).one()
        assert (share.consent_letter_language, share.consent_letter_on) == ("de", TODAY)
    page = html.unescape(browser_a.get(f"/personview/show/{w['p']}").get_data(as_text=True))
    assert f"Einwilligungserklärung (Ukrainisch) vom {YESTERDAY:%d.%m.%Y} ausgehändigt" in page
    assert f"Einwilligungserklärung (Deutsch) vom {TODAY:%d.%m.%Y} ausgehändigt" in page
    # only the holder shares: the specialist service cannot record a share (and its letter)
    resp = client.post(
        url,
        json={
            "organisation_id": w["c"],
            "until": until,
            "consent_on": YESTERDAY.isoformat(),
            "consent_letter_language": "ar",
        },
        headers=w["hf"],
    )
    assert resp.status_code in (403, 404)


def test_handover_letter_prints_before_the_offer_is_sent(
    app: Flask, login_as: Any, api_token: Any
) -> None:
    w = _world(app, api_token)
    browser_a = login_as(matrix.ROLE_CASEWORKER, w["a"])
    page = html.unescape(browser_a.get(f"/personview/show/{w['p']}").get_data(as_text=True))
    assert 'name="to_organisation_id" form="letter-consent_handover"' in page
    base = f"/schreiben/{w['p']}/consent_handover.pdf"
    resp = browser_a.get(f"{base}?lang=ar&to_organisation_id={w['b']}&scope=full")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = _pdf_text(resp.data)
    assert "Träger B" in text and "Träger A" in text
    assert "Übergeben wird Ihre ganze Fallakte" in text
    assert "الموافقة على نقل ملفك" in text  # the reviewed Arabic title
    resp = browser_a.get(f"{base}?lang=de&to_organisation_id={w['b']}&handover_id=")
    assert "Übergeben werden nur Ihre Stammdaten" in _pdf_text(resp.data)
    # refused: an unknown scope (400), the own organisation, a county, another provider's
    # caseworker (404 — not the holder)
    assert browser_a.get(f"{base}?to_organisation_id={w['b']}&scope=alles").status_code == 400
    assert browser_a.get(f"{base}?to_organisation_id={w['a']}").status_code == 404
    with app.app_context():
        from tests import factories

        county = factories.make_org("Landkreis", kind="county").id
    assert browser_a.get(f"{base}?to_organisation_id={county}").status_code == 404
    browser_c = login_as(matrix.ROLE_CASEWORKER, w["c"])
    assert browser_c.get(f"{base}?to_organisation_id={w['b']}").status_code == 404
    # without any parameter and nothing offered yet: the holder's draft to the first other
    # provider (master data only)
    text = _pdf_text(browser_a.get(base).data)
    assert "Träger B" in text and "Übergeben werden nur Ihre Stammdaten" in text
    # nothing was offered by printing
    with app.app_context():
        assert db.session.scalars(select(Handover).where(Handover.person_id == w["p"])).all() == []

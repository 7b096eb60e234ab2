"""The referral's edit form shows the topic ("Thema") by its German label, stores its code.

FAB's generated text field showed the catalogue code (``health``); the form offers the active
topics by label, the stored code stays as it is on a save, and a topic no longer offered stays
shown (by its label or, unknown to the catalogue, its code) instead of silently becoming the
first choice. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from flask import Flask
from sqlalchemy import update

from app.extensions import db
from app.models import MsaUser, Person, Referral
from app.security import matrix
from app.services.catalogues import labels
from tests.conftest import sign_in

DAY = dt.date.today() - dt.timedelta(days=2)


def _world(app: Flask, factory: Any) -> dict[str, Any]:
    from app.services.casefile.follow_ups import create_referral

    org = factory.make_org()
    worker = factory.make_user(matrix.ROLE_CASEWORKER, org)
    person = factory.make_person(org)
    partner = factory.make_partner()
    db.session.commit()
    referral = create_referral(
        db.session.get(Person, person.id),
        actor=db.session.get(MsaUser, worker.id),
        partner_id=partner.id,
        date=DAY,
        topic_code="health",
        note="Hausarzt",
    )
    return {"pk": referral.id, "page": sign_in(app.test_client(), worker.id)}


def _topic_select(page: str) -> str:
    match = re.search(r'<select[^>]*name="topic_code"[^>]*>.*?</select>', page, re.S)
    assert match is not None, "the topic is a select"
    return match.group(0)


def _stored_topic(pk: int) -> str | None:
    db.session.expire_all()
    referral = db.session.get(Referral, pk)
    assert referral is not None
    return referral.topic_code


def _form(topic: str) -> dict[str, str]:
    return {"date": DAY.strftime("%d.%m.%Y"), "topic_code": topic, "note": "Hausarzt"}


def test_topic_shows_its_label_and_keeps_its_code(app: Flask, factory: Any) -> None:
    w = _world(app, factory)
    label = labels("contact_topic")["health"]
    page = html.unescape(w["page"].get(f"/referralview/edit/{w['pk']}").get_data(as_text=True))
    select = _topic_select(page)
    assert re.search(rf'<option selected value="health">{re.escape(label)}</option>', select)
    assert 'value="health"' not in page.replace(select, "")  # no text field with the code
    # saved unchanged: the code stays
    resp = w["page"].post(f"/referralview/edit/{w['pk']}", data=_form("health"))
    assert resp.status_code == 302, html.unescape(resp.get_data(as_text=True))[:500]
    assert _stored_topic(w["pk"]) == "health"
    # another topic chosen: its code is stored, its label shown on the record
    resp = w["page"].post(f"/referralview/edit/{w['pk']}", data=_form("work"))
    assert resp.status_code == 302
    assert _stored_topic(w["pk"]) == "work"
    shown = html.unescape(w["page"].get(f"/referralview/show/{w['pk']}").get_data(as_text=True))
    assert labels("contact_topic")["work"] in shown


def test_unknown_topic_is_refused_at_the_field(app: Flask, factory: Any) -> None:
    w = _world(app, factory)
    resp = w["page"].post(f"/referralview/edit/{w['pk']}", data=_form("zauberei"))
    assert resp.status_code == 422
    assert "Unbekannter Themenbereich" in html.unescape(resp.get_data(as_text=True))
    assert _stored_topic(w["pk"]) == "health"


def test_a_topic_no_longer_offered_stays_selected(app: Flask, factory: Any) -> None:
    w = _world(app, factory)
    db.session.execute(update(Referral).where(Referral.id == w["pk"]).values(topic_code="altes"))
    db.session.commit()
    page = html.unescape(w["page"].get(f"/referralview/edit/{w['pk']}").get_data(as_text=True))
    select = _topic_select(page)
    assert '<option selected value="altes">altes</option>' in select
    assert select.count(" selected") == 1

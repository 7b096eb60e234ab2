"""One door per record, for the consent letter named in a recorded consent: the same input
through every door gives the same outcome.

The letter handed out before the consent (``consent_letter_language``, ``consent_letter_on``)
is recorded with a handover offer and with a share, each through its page form on the case file
and its REST resource — four doors, one verb rule (``checked_letter``). Every door must refuse
the same inputs with the same German message and store nothing, or store the same language and
day. Left out in REST, the fields take their documented defaults (docs/api.md): no letter
(null, null); with a language and no day, the day of the consent.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import Handover, PersonShare
from app.services.intake.common import IntakeError
from app.services.intake.consent_letter import checked_letter
from tests.integration.test_intake_handover import _world

TODAY = dt.date.today()
CONSENT = TODAY - dt.timedelta(days=3)
EARLIER = TODAY - dt.timedelta(days=5)
OMIT = None  # the field is not sent (REST) / sent empty (page form: every field is sent)

DOORS = ["handover:page", "share:page", "handover:rest", "share:rest"]

#: rule -> (language sent, day sent (a date or a text), expected (language, day) or None:
#: refused with the verb's German message)
RULES: dict[str, tuple[str | None, Any, tuple[str | None, dt.date | None] | None]] = {
    "no letter (fields left out)": (OMIT, OMIT, (None, None)),
    "no letter (fields empty)": ("", "", (None, None)),
    "language, day left out: the consent's day": ("ar", OMIT, ("ar", CONSENT)),
    "German letter with its day": ("de", EARLIER, ("de", EARLIER)),
    "letter handed out on the consent's day": ("uk", CONSENT, ("uk", CONSENT)),
    "letter handed out after the consent": ("uk", TODAY, None),
    "language with blanks around": (" ti ", OMIT, ("ti", CONSENT)),
    "unknown language": ("xx", OMIT, None),
    "language code in capitals": ("AR", OMIT, None),
    "day in the future": ("fa", TODAY + dt.timedelta(days=1), None),
    "day without a language": (OMIT, EARLIER, None),
    "impossible day": ("ar", "31.02.2026", None),
}


def _reference(language: str | None, on: Any) -> str:
    """The German message of the rule itself (the reference for every door)."""
    try:
        day = parse_date(on)
    except DateError as exc:
        return exc.message
    try:
        checked_letter(language, day, consent_on=CONSENT, today=TODAY)
    except IntakeError as exc:
        return exc.message
    raise AssertionError("the rule stores a letter the table refuses")


def _page_day(on: Any) -> str:
    return on.strftime("%d.%m.%Y") if isinstance(on, dt.date) else (on or "")


def _rest_fields(language: str | None, on: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if language is not OMIT:
        fields["consent_letter_language"] = language
    if on is not OMIT:
        fields["consent_letter_on"] = on.isoformat() if isinstance(on, dt.date) else on
    return fields


def _stored(app: Flask, w: dict[str, Any], door: str) -> list[tuple[Any, ...]]:
    with app.app_context():
        if door.startswith("handover"):
            return [
                (h.consent_letter_language, h.consent_letter_on, h.consent_on)
                for h in db.session.scalars(select(Handover).where(Handover.person_id == w["p"]))
            ]
        return [
            (s.consent_letter_language, s.consent_letter_on, s.consent_on)
            for s in db.session.scalars(
                select(PersonShare).where(
                    PersonShare.person_id == w["p"], PersonShare.organisation_id == w["fbd"]
                )
            )
        ]


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("rule", list(RULES))
def test_consent_letter_rule_through_every_door(
    app: Flask, login_as: Any, api_token: Any, rule: str, door: str
) -> None:
    """The same letter input: the same refusal (German message, nothing stored) or the same
    stored language and day, for a handover and for a share."""
    from app.security import matrix

    language, on, expected = RULES[rule]
    w = _world(app, api_token)
    until = TODAY + dt.timedelta(days=90)
    client = app.test_client()
    if door.endswith(":page"):
        browser = login_as(matrix.ROLE_CASEWORKER, w["a"])
        letter = {"consent_letter_language": language or "", "consent_letter_on": _page_day(on)}
        if door == "handover:page":
            form = {
                "to_organisation_id": str(w["b"]),
                "scope": "full",
                "consent_given": "1",
                "consent_on": CONSENT.strftime("%d.%m.%Y"),
                "consent_form": "written",
                "reason": "Umzug",
                **letter,
            }
            resp = browser.post(f"/uebergaben/anbieten/{w['p']}", data=form)
        else:
            form = {
                "organisation_id": str(w["fbd"]),
                "until": until.strftime("%d.%m.%Y"),
                "consent_on": CONSENT.strftime("%d.%m.%Y"),
                **letter,
            }
            resp = browser.post(f"/uebergaben/freigabe/{w['p']}", data=form)
        assert resp.status_code == 302, (door, rule)
        shown = html.unescape(browser.get(resp.headers["Location"]).get_data(as_text=True))
        status = None
    else:
        fields = _rest_fields(language, on)
        if door == "handover:rest":
            body = {
                "person_id": w["p"],
                "to_organisation_id": w["b"],
                "scope": "full",
                "consent_given": True,
                "consent_on": CONSENT.isoformat(),
                "consent_form": "written",
                "reason": "Umzug",
                **fields,
            }
            resp = client.post("/api/v1/handover/", json=body, headers=w["ha"])
        else:
            body = {
                "organisation_id": w["fbd"],
                "until": until.isoformat(),
                "consent_on": CONSENT.isoformat(),
                **fields,
            }
            resp = client.post(f"/api/v1/person/{w['p']}/shares", json=body, headers=w["ha"])
        shown = str((resp.get_json() or {}).get("message", ""))
        status = resp.status_code
    stored = _stored(app, w, door)
    if expected is None:
        reference = _reference(language, on)
        assert reference in shown, (door, rule, shown[:300])
        assert stored == [], (door, rule)
        if status is not None:
            assert status == 400, (door, rule)
        else:  # the page form shows what was entered again
            form_id = "handover-form" if door == "handover:page" else "share-form"
            start = shown.index(f'id="{form_id}"')
            entered = shown[start : shown.index("</form>", start)]
            day = re.search(r'<input[^>]*name="consent_letter_on"[^>]*>', entered)
            assert day is not None and f'value="{_page_day(on)}"' in day.group(0), (door, rule)
            if language:
                assert f'<option value="{language}" selected>' in entered or (
                    f'<option value="{language}"' not in entered  # no such language to choose
                ), (door, rule)
        return
    assert stored == [(*expected, CONSENT)], (door, rule, shown[:300])
    if status is not None:
        assert status == 201, (door, rule)
        if door == "share:rest":  # the answer names the stored letter
            answer = resp.get_json()
            assert (answer["consent_letter_language"], answer["consent_letter_on"]) == (
                expected[0],
                expected[1].isoformat() if expected[1] else None,
            )


@pytest.mark.parametrize("door", ["handover:rest", "share:rest"])
def test_rest_letter_fields_sent_as_null_are_the_default(
    app: Flask, api_token: Any, door: str
) -> None:
    """``null`` for both fields is the same as leaving them out: no letter recorded."""
    w = _world(app, api_token)
    client = app.test_client()
    fields = {"consent_letter_language": None, "consent_letter_on": None}
    if door == "handover:rest":
        body = {
            "person_id": w["p"],
            "to_organisation_id": w["b"],
            "scope": "full",
            "consent_given": True,
            "consent_on": CONSENT.isoformat(),
            **fields,
        }
        resp = client.post("/api/v1/handover/", json=body, headers=w["ha"])
    else:
        body = {
            "organisation_id": w["fbd"],
            "until": (TODAY + dt.timedelta(days=30)).isoformat(),
            "consent_on": CONSENT.isoformat(),
            **fields,
        }
        resp = client.post(f"/api/v1/person/{w['p']}/shares", json=body, headers=w["ha"])
    assert resp.status_code == 201, resp.get_json()
    assert _stored(app, w, door) == [(None, None, CONSENT)]


@pytest.mark.parametrize("door", ["handover:page", "handover:rest"])
def test_a_letter_without_a_consent_is_refused_alike(
    app: Flask, login_as: Any, api_token: Any, door: str
) -> None:
    """A handover without consent (master data) names no letter — refused alike on both doors."""
    from app.security import matrix

    w = _world(app, api_token)
    message = "Ein Einwilligungsschreiben gehört zu einer Einwilligung."
    if door == "handover:page":
        browser = login_as(matrix.ROLE_CASEWORKER, w["a"])
        resp = browser.post(
            f"/uebergaben/anbieten/{w['p']}",
            data={
                "to_organisation_id": str(w["b"]),
                "scope": "master_data",
                "consent_letter_language": "ar",
            },
        )
        shown = html.unescape(browser.get(resp.headers["Location"]).get_data(as_text=True))
    else:
        resp = app.test_client().post(
            "/api/v1/handover/",
            json={
                "person_id": w["p"],
                "to_organisation_id": w["b"],
                "scope": "master_data",
                "consent_letter_language": "ar",
            },
            headers=w["ha"],
        )
        assert resp.status_code == 400
        shown = resp.get_json()["message"]
    assert message in shown
    assert _stored(app, w, door) == []

"""One door per record: the same input through every door gives the same outcome.

A contact note can be written through the case-file page form, the note's edit form, the REST
create and the REST update; a group session, a referral and a follow-up through their page
forms, their edit forms and REST. Each rule of the table is sent through every door of its
record; every door must refuse the same inputs with the same message (the REST API also with
the same stable key, the pages show the same German text at the field), store the same row and
write the same derived rows (a note with a partner is a referral). There is no CLI or import
door for these records.

``DOORS`` lists every route that writes one of these records; a new write route that is not
in the table fails :func:`test_every_write_route_is_a_door_of_the_table`.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import ContactNote, FollowUp, GroupSession, QuarterlyReport, Referral
from app.security import matrix
from tests.conftest import sign_in

TODAY = dt.date.today()


def _previous_quarter_day() -> dt.date:
    """A day in the quarter before the running one (a quarter that can be submitted)."""
    first = dt.date(TODAY.year, 3 * ((TODAY.month - 1) // 3) + 1, 1)
    return first - dt.timedelta(days=40)


CLOSED_DAY = _previous_quarter_day()

#: every route that writes a contact note, group session, referral or follow-up:
#: endpoint -> the door of the parity table it is (or why it writes nothing)
DOORS: dict[str, str] = {
    "ContactNoteView.document": "note:page",
    "ContactNoteView.edit": "note:edit",
    "ContactNoteApi.post": "note:rest_create",
    "ContactNoteApi.put": "note:rest_update",
    "GroupSessionView.add": "group:page",
    "GroupSessionView.edit": "group:edit",
    "GroupSessionApi.post": "group:rest_create",
    "GroupSessionApi.put": "group:rest_update",
    "ReferralView.edit": "referral:edit",
    "ReferralApi.post": "referral:rest_create",
    "ReferralApi.put": "referral:rest_update",
    "MyFollowUpView.new": "follow_up:page",
    "MyFollowUpView.edit": "follow_up:edit",
    "MyFollowUpView.done": "follow_up:done (complete_follow_up, no input but the row)",
    "FollowUpApi.post": "follow_up:rest_create",
    "FollowUpApi.put": "follow_up:rest_update",
    # not doors: they write nothing
    "ReferralView.add": "none: points to the person's page",
    "ContactNoteView.add": "none: GET only, points to the person's page",
    "MyFollowUpView.add": "none: GET only, points to the follow-up list",
    "ContactNoteView.action": "none: no actions are defined (404)",
    "ContactNoteView.action_post": "none: no actions are defined (404)",
    "GroupSessionView.action": "none: no actions are defined (404)",
    "GroupSessionView.action_post": "none: no actions are defined (404)",
    "ReferralView.action": "none: no actions are defined (404)",
    "ReferralView.action_post": "none: no actions are defined (404)",
    "MyFollowUpView.action": "none: no actions are defined (404)",
    "MyFollowUpView.action_post": "none: no actions are defined (404)",
}

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_write_route_is_a_door_of_the_table(app: Flask) -> None:
    """A route that writes one of these records and is not in ``DOORS`` fails the test."""
    models = (ContactNote, FollowUp, Referral, GroupSession)
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}  # type: ignore[attr-defined]
    found = set()
    for rule in app.url_map.iter_rules():
        view = views.get(rule.endpoint.split(".")[0])
        datamodel = getattr(view, "datamodel", None)
        if datamodel is None or datamodel.obj not in models:
            continue
        name = rule.endpoint.rsplit(".", 1)[1]
        if set(rule.methods or ()) & WRITE_METHODS or name in {"delete", "add", "edit"}:
            found.add(rule.endpoint)
    missing = found - set(DOORS)
    assert not missing, f"Schreibende Route ohne Eintrag in der Paritätstabelle: {sorted(missing)}"
    assert set(DOORS) - found == set(), "DOORS nennt Routen, die es nicht gibt"


# -- the world ------------------------------------------------------------------------------
@pytest.fixture
def world(app: Flask, factory: Any, api_token: Any) -> dict[str, Any]:
    org = factory.make_org()
    worker = factory.make_user(matrix.ROLE_CASEWORKER, org)
    person = factory.make_person(org)
    other = factory.make_person(org)
    partner = factory.make_partner()
    db.session.add(
        QuarterlyReport(
            organisation_id=org.id,
            year=CLOSED_DAY.year,
            quarter=(CLOSED_DAY.month - 1) // 3 + 1,
            status="submitted",
        )
    )
    db.session.commit()
    return {
        "org": org.id,
        "worker": worker.id,
        "person": person.id,
        "other": other.id,
        "partner": partner.id,
        "page": sign_in(app.test_client(), worker.id),
        "api": _token_for(app, worker.username),
    }


def _token_for(app: Flask, username: str) -> dict[str, str]:
    from tests import factories

    resp = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": factories.PASSWORD, "provider": "db"},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


@dataclass
class Outcome:
    """What a door answered: saved or refused (field, German message, key when the door has
    one), and the stored row."""

    saved: bool
    field: str | None = None
    message: str | None = None
    key: str | None = None


def _page_refusal(resp: Any, message: str) -> bool:
    return html.unescape(resp.get_data(as_text=True)).count(message) > 0


# -- contact notes --------------------------------------------------------------------------
GOOD_NOTE: dict[str, Any] = {
    "date": TODAY - dt.timedelta(days=2),
    "kind": "accompaniment",
    "topics": ["housing"],
    "summary": "Wohnungssuche besprochen",
    "result": "Unterlagen vollständig",
    "duration_minutes": 45,
    "interpreter_used": True,
    "education_system": False,
    "return_counselling": True,
    "partner": True,
}

#: rule -> (change of the good note, expected field, expected key; None: saved)
NOTE_RULES: dict[str, tuple[dict[str, Any], str | None, str | None]] = {
    "good": ({}, None, None),
    "summary of 10,000 characters is fine everywhere": ({"summary": "a" * 10000}, None, None),
    "summary over 10,000 characters": ({"summary": "a" * 10001}, "summary", "summary.too_long"),
    "summary empty": ({"summary": "  "}, "summary", "summary.required"),
    "result over 10,000 characters": ({"result": "b" * 10001}, "result", "result.too_long"),
    "date in the future": (
        {"date": TODAY + dt.timedelta(days=1)},
        "date",
        "date.future",
    ),
    "date more than three years back": (
        {"date": TODAY - dt.timedelta(days=3 * 366 + 5)},
        "date",
        "date.too_old",
    ),
    "date in a submitted quarter": ({"date": CLOSED_DAY}, "date", "quarter.closed"),
    "duration zero": ({"duration_minutes": 0}, "duration_minutes", "duration.range"),
    "duration over a day": ({"duration_minutes": 1441}, "duration_minutes", "duration.range"),
    "unknown kind": ({"kind": "telepathie"}, "kind", "kind.unknown"),
    "topic not in the catalogue": ({"topics": ["astrologie"]}, "topics", "topics.unknown"),
    "unknown partner": ({"partner": 987654}, "partner_id", "partner.unknown"),
}

NOTE_DOORS = ["note:page", "note:edit", "note:rest_create", "note:rest_update"]


def _partner_id(value: Any, world: dict[str, Any]) -> int | None:
    if value is True:
        return int(world["partner"])
    return int(value) if value else None


def _note_form(values: dict[str, Any], world: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "date": values["date"].strftime("%d.%m.%Y"),
        "kind": values["kind"],
        "topics": values["topics"],
        "summary": values["summary"],
        "result": values["result"],
        "duration_minutes": str(values["duration_minutes"]),
        "partner_id": str(_partner_id(values["partner"], world) or ""),
    }
    for flag in ("interpreter_used", "education_system", "return_counselling"):
        if values[flag]:
            data[flag] = "y"
    return data


def _note_json(values: dict[str, Any], world: dict[str, Any]) -> dict[str, Any]:
    return {
        "date": values["date"].isoformat(),
        "kind": values["kind"],
        "topics": values["topics"],
        "summary": values["summary"],
        "result": values["result"],
        "duration_minutes": values["duration_minutes"],
        "partner_id": _partner_id(values["partner"], world),
        "interpreter_used": values["interpreter_used"],
        "education_system": values["education_system"],
        "return_counselling": values["return_counselling"],
    }


def _existing_note(world: dict[str, Any]) -> ContactNote:
    from tests import factories

    person = db.session.get(factories.Person, world["person"])
    return factories.make_note(person, world["worker"], date=TODAY, summary="Erstfassung")


def _note_rows(world: dict[str, Any]) -> list[tuple[Any, ...]]:
    db.session.expire_all()
    notes = db.session.scalars(
        select(ContactNote).where(ContactNote.person_id == world["person"])
    ).all()
    return [
        (
            n.date,
            n.kind,
            sorted(n.topic_codes),
            n.summary,
            n.result,
            n.duration_minutes,
            n.interpreter_used,
            n.education_system,
            n.return_counselling,
            n.partner_id,
            n.caseworker_id,
            n.organisation_id,
        )
        for n in notes
    ]


def _referral_rows(world: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = db.session.scalars(select(Referral).where(Referral.person_id == world["person"])).all()
    return [(r.partner_id, r.date, r.topic_code, r.contact_note_id is not None) for r in rows]


def _send_note(door: str, values: dict[str, Any], world: dict[str, Any], client: Any) -> Outcome:
    page: FlaskClient = world["page"]
    if door == "note:page":
        resp = page.post(
            f"/contactnoteview/document/{world['person']}", data=_note_form(values, world)
        )
        return Outcome(saved=resp.status_code == 302, message=resp.get_data(as_text=True))
    if door == "note:edit":
        note = _existing_note(world)
        data = {**_note_form(values, world), "version": str(note.version)}
        resp = page.post(f"/contactnoteview/edit/{note.id}", data=data)
        return Outcome(saved=resp.status_code == 302, message=resp.get_data(as_text=True))
    headers = world["api"]
    if door == "note:rest_create":
        body = {"person_id": world["person"], **_note_json(values, world)}
        resp = client.post("/api/v1/contactnote/", json=body, headers=headers)
    else:
        note = _existing_note(world)
        body = {**_note_json(values, world), "version": note.version}
        resp = client.put(f"/api/v1/contactnote/{note.id}", json=body, headers=headers)
    answer = resp.get_json()
    if resp.status_code in (200, 201):
        return Outcome(saved=True)
    return Outcome(
        saved=False, field=answer.get("field"), message=answer["message"], key=answer.get("key")
    )


def _service_refusal(values: dict[str, Any], world: dict[str, Any]) -> tuple[str, str, str]:
    """(field, key, message) the verb itself gives — the reference for every door."""
    from app.models import MsaUser, Person
    from app.services.casefile.notes import create_note
    from app.services.errors import DomainError

    person = db.session.get(Person, world["person"])
    actor = db.session.get(MsaUser, world["worker"])
    v = dict(values)
    partner = _partner_id(v.pop("partner"), world)
    try:
        create_note(person, actor=actor, partner_id=partner, **v)
    except DomainError as exc:
        db.session.rollback()
        return exc.field or "", exc.key, exc.message
    raise AssertionError("the verb saved a note the table refuses")


@pytest.mark.parametrize("door", NOTE_DOORS)
@pytest.mark.parametrize("rule", list(NOTE_RULES))
def test_note_rule_through_every_door(
    app: Flask, client: FlaskClient, world: dict[str, Any], rule: str, door: str
) -> None:
    """The same note input: the same refusal (field, key, German message) or the same row."""
    change, field, key = NOTE_RULES[rule]
    values = {**GOOD_NOTE, **change}
    if key is not None:
        ref_field, ref_key, ref_message = _service_refusal(values, world)
        assert (ref_field, ref_key) == (field, key)
    before_notes, before_referrals = _note_rows(world), _referral_rows(world)
    outcome = _send_note(door, values, world, client)
    if key is None:
        assert outcome.saved, (door, outcome)
        rows = _note_rows(world)
        expected = (
            values["date"],
            values["kind"],
            sorted(values["topics"]),
            values["summary"],
            values["result"],
            values["duration_minutes"],
            True,
            False,
            True,
            world["partner"],
            world["worker"],
            world["org"],
        )
        assert expected in rows
        assert len(rows) == 1  # created, or the one edited note changed
        # the derived referral: one, to the note's partner, on the note's day and first topic
        assert _referral_rows(world) == [(world["partner"], values["date"], "housing", True)]
        return
    assert not outcome.saved, (door, rule)
    assert outcome.message is not None and ref_message in html.unescape(outcome.message)
    if door.startswith("note:rest"):
        assert (outcome.field, outcome.key) == (field, key)
    rows = _note_rows(world)
    if door in ("note:edit", "note:rest_update"):
        assert len(rows) == 1 and rows[0][3] == "Erstfassung"  # the edited note unchanged
    else:
        assert rows == before_notes
    assert _referral_rows(world) == before_referrals


def test_edit_moves_and_drops_the_derived_referral(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    """The referral follows the note: another day moves it, no partner removes it."""
    body = {"person_id": world["person"], **_note_json(GOOD_NOTE, world)}
    created = client.post("/api/v1/contactnote/", json=body, headers=world["api"]).get_json()
    day = TODAY - dt.timedelta(days=5)
    resp = client.put(
        f"/api/v1/contactnote/{created['id']}",
        json={"date": day.isoformat(), "version": created["result"]["version"]},
        headers=world["api"],
    )
    assert resp.status_code == 200, resp.get_json()
    assert _referral_rows(world) == [(world["partner"], day, "housing", True)]
    resp = client.put(
        f"/api/v1/contactnote/{created['id']}",
        json={"partner_id": None, "version": resp.get_json()["result"]["version"]},
        headers=world["api"],
    )
    assert resp.status_code == 200, resp.get_json()
    assert _referral_rows(world) == []


# -- group sessions, referrals, follow-ups --------------------------------------------------
GROUP_RULES: dict[str, tuple[dict[str, Any], str | None, str | None]] = {
    "good": ({}, None, None),
    "date in the future": ({"date": TODAY + dt.timedelta(days=1)}, "date", "date.future"),
    "date in a submitted quarter": ({"date": CLOSED_DAY}, "date", "quarter.closed"),
    "topic empty": ({"topic": " "}, "topic", "topic.required"),
    "duration zero": ({"duration_minutes": 0}, "duration_minutes", "duration.range"),
}


def _send_group(door: str, values: dict[str, Any], world: dict[str, Any], client: Any) -> Outcome:
    from app.models import MsaUser
    from app.services.casefile.contacts import create_group_session

    page: FlaskClient = world["page"]
    form = {
        "date": values["date"].strftime("%d.%m.%Y"),
        "topic": values["topic"],
        "duration_minutes": str(values["duration_minutes"]),
        "participant_ids": [str(world["person"])],
    }
    body = {
        "date": values["date"].isoformat(),
        "topic": values["topic"],
        "duration_minutes": values["duration_minutes"],
        "participant_ids": [world["person"]],
    }
    existing = None
    if door in ("group:edit", "group:rest_update"):
        existing = create_group_session(
            actor=db.session.get(MsaUser, world["worker"]),
            date=TODAY,
            topic="Erstfassung",
            participant_ids=[world["person"]],
        ).id
    if door == "group:page":
        resp = page.post("/groupsessionview/add", data=form)
        return Outcome(saved=resp.status_code == 302, message=resp.get_data(as_text=True))
    if door == "group:edit":
        form = {**form, "date": values["date"].isoformat()}  # FAB's date field
        form.pop("participant_ids")
        resp = page.post(f"/groupsessionview/edit/{existing}", data=form)
        return Outcome(saved=resp.status_code == 302, message=resp.get_data(as_text=True))
    if door == "group:rest_create":
        resp = client.post("/api/v1/groupsession/", json=body, headers=world["api"])
    else:
        resp = client.put(f"/api/v1/groupsession/{existing}", json=body, headers=world["api"])
    answer = resp.get_json()
    if resp.status_code in (200, 201):
        return Outcome(saved=True)
    return Outcome(False, answer.get("field"), answer["message"], answer.get("key"))


@pytest.mark.parametrize(
    "door", ["group:page", "group:edit", "group:rest_create", "group:rest_update"]
)
@pytest.mark.parametrize("rule", list(GROUP_RULES))
def test_group_session_rule_through_every_door(
    client: FlaskClient, world: dict[str, Any], rule: str, door: str
) -> None:
    """A group session: the same refusal or the same stored session through every door."""
    change, field, key = GROUP_RULES[rule]
    values = {"date": TODAY - dt.timedelta(days=1), "topic": "Mülltrennung", "duration_minutes": 60}
    values.update(change)
    outcome = _send_group(door, values, world, client)
    db.session.expire_all()
    sessions = db.session.scalars(select(GroupSession)).all()
    if key is None:
        assert outcome.saved, (door, outcome)
        assert (values["date"], "Mülltrennung", 60) in [
            (s.date, s.topic, s.duration_minutes) for s in sessions
        ]
        assert len(sessions) == 1
        return
    assert not outcome.saved, (door, rule)
    if door.startswith("group:rest"):
        assert (outcome.field, outcome.key) == (field, key)
    assert all(s.topic == "Erstfassung" for s in sessions)


FOLLOW_UP_RULES: dict[str, tuple[dict[str, Any], str | None, str | None]] = {
    "good": ({}, None, None),
    "subject empty": ({"title": " "}, "title", "title.required"),
    "subject over 300 characters": ({"title": "x" * 301}, "title", "title.too_long"),
}


@pytest.mark.parametrize(
    "door", ["follow_up:page", "follow_up:edit", "follow_up:rest_create", "follow_up:rest_update"]
)
@pytest.mark.parametrize("rule", list(FOLLOW_UP_RULES))
def test_follow_up_rule_through_every_door(
    client: FlaskClient, world: dict[str, Any], rule: str, door: str
) -> None:
    """A follow-up: the same refusal or the same stored follow-up through every door."""
    from tests import factories

    change, field, key = FOLLOW_UP_RULES[rule]
    values = {"due_on": TODAY + dt.timedelta(days=7), "title": "Bescheid prüfen", **change}
    page: FlaskClient = world["page"]
    existing = None
    if door.endswith("edit") or door.endswith("update"):
        person = db.session.get(factories.Person, world["person"])
        existing = factories.make_follow_up(person, world["worker"], title="Erstfassung").id
    form = {"due_on": values["due_on"].isoformat(), "title": values["title"]}
    body = {"due_on": values["due_on"].isoformat(), "title": values["title"]}
    api: dict[str, Any] = {}
    if door == "follow_up:page":
        resp = page.post(f"/myfollowupview/new/{world['person']}", data=form)
        # the page answers both with a redirect to the case file; the flash tells
        shown = html.unescape(page.get(f"/personview/show/{world['person']}").get_data(True))
        saved = "Wiedervorlage zum" in shown and "nicht angelegt" not in shown
    elif door == "follow_up:edit":
        resp = page.post(f"/myfollowupview/edit/{existing}", data=form)
        saved = resp.status_code == 302
    elif door == "follow_up:rest_create":
        resp = client.post(
            "/api/v1/followup/", json={"person_id": world["person"], **body}, headers=world["api"]
        )
        saved, api = resp.status_code == 201, resp.get_json()
    else:
        resp = client.put(f"/api/v1/followup/{existing}", json=body, headers=world["api"])
        saved, api = resp.status_code == 200, resp.get_json()
    db.session.expire_all()
    rows = [(f.due_on, f.title) for f in db.session.scalars(select(FollowUp)).all()]
    if key is None:
        assert saved, (door, resp.status_code)
        assert (values["due_on"], "Bescheid prüfen") in rows and len(rows) == 1
        return
    assert not saved
    assert (values["due_on"], values["title"].strip()) not in rows
    if api:
        assert (api["field"], api["key"]) == (field, key)


REFERRAL_RULES: dict[str, tuple[dict[str, Any], str | None, str | None]] = {
    "good": ({}, None, None),
    "date in the future": ({"date": TODAY + dt.timedelta(days=1)}, "date", "date.future"),
    "topic not in the catalogue": ({"topic_code": "astrologie"}, "topic_code", "topic.unknown"),
}


@pytest.mark.parametrize("door", ["referral:edit", "referral:rest_create", "referral:rest_update"])
@pytest.mark.parametrize("rule", list(REFERRAL_RULES))
def test_referral_rule_through_every_door(
    client: FlaskClient, world: dict[str, Any], rule: str, door: str
) -> None:
    """A referral: the same refusal or the same stored referral through every door (the page
    door of a referral is the note, see the note table)."""
    from app.models import MsaUser, Person
    from app.services.casefile.follow_ups import create_referral

    change, field, key = REFERRAL_RULES[rule]
    values = {"date": TODAY - dt.timedelta(days=3), "topic_code": "work", **change}
    existing = None
    if door != "referral:rest_create":
        existing = create_referral(
            db.session.get(Person, world["person"]),
            actor=db.session.get(MsaUser, world["worker"]),
            partner_id=world["partner"],
            date=TODAY,
            note="Erstfassung",
        ).id
    api: dict[str, Any] = {}
    if door == "referral:edit":
        resp = world["page"].post(
            f"/referralview/edit/{existing}",
            data={"date": values["date"].isoformat(), "topic_code": values["topic_code"]},
        )
        saved = resp.status_code == 302
    else:
        body = {"date": values["date"].isoformat(), "topic_code": values["topic_code"]}
        if existing is None:
            body |= {"person_id": world["person"], "partner_id": world["partner"]}
            resp = client.post("/api/v1/referral/", json=body, headers=world["api"])
        else:
            resp = client.put(f"/api/v1/referral/{existing}", json=body, headers=world["api"])
        saved, api = resp.status_code in (200, 201), resp.get_json()
    db.session.expire_all()
    rows = [(r.date, r.topic_code) for r in db.session.scalars(select(Referral)).all()]
    if key is None:
        assert saved, (door, resp.status_code, resp.get_data(as_text=True)[:300])
        assert rows == [(values["date"], "work")]
        return
    assert not saved, door
    assert (values["date"], values["topic_code"]) not in rows
    if api:
        assert (api["field"], api["key"]) == (field, key)


# -- the cost approval of a referral (§3.1.8): the same refusal through every referral door --
_REQ, _BEFORE = TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=6)
_START, _AFTER = TODAY - dt.timedelta(days=4), TODAY - dt.timedelta(days=2)

#: rule -> (the referral's approval and start, expected field, expected key; None: saved)
COST_APPROVAL_RULES: dict[str, tuple[dict[str, Any], str | None, str | None]] = {
    "approval requested": (
        {"cost_approval_state": "requested", "cost_approval_requested_on": _REQ},
        None,
        None,
    ),
    "approved before the start, care started": (
        {
            "cost_approval_state": "approved",
            "cost_approval_requested_on": _REQ,
            "cost_approval_decided_on": _BEFORE,
            "outcome": "taken_up",
            "started_on": _START,
        },
        None,
        None,
    ),
    "care started without an approval": (
        {"outcome": "taken_up", "started_on": _START},
        "started_on",
        "cost_approval.missing",
    ),
    "care started while the approval is requested": (
        {
            "cost_approval_state": "requested",
            "cost_approval_requested_on": _REQ,
            "outcome": "taken_up",
            "started_on": _START,
        },
        "started_on",
        "cost_approval.missing",
    ),
    "care started after a refusal": (
        {
            "cost_approval_state": "refused",
            "cost_approval_decided_on": _BEFORE,
            "outcome": "taken_up",
            "started_on": _START,
        },
        "started_on",
        "cost_approval.refused",
    ),
    "care started before the approval": (
        {
            "cost_approval_state": "approved",
            "cost_approval_decided_on": _AFTER,
            "outcome": "taken_up",
            "started_on": _START,
        },
        "started_on",
        "cost_approval.after_start",
    ),
    "approval without a decision day": (
        {"cost_approval_state": "approved", "cost_approval_requested_on": _REQ},
        "cost_approval_decided_on",
        "cost_approval_decided_on.required",
    ),
    "unknown approval state": (
        {"cost_approval_state": "vielleicht"},
        "cost_approval_state",
        "cost_approval_state.unknown",
    ),
}
_APPROVAL_KEYS = (
    "outcome",
    "started_on",
    "cost_approval_state",
    "cost_approval_requested_on",
    "cost_approval_decided_on",
)


@pytest.mark.parametrize("door", ["referral:edit", "referral:rest_create", "referral:rest_update"])
@pytest.mark.parametrize("rule", list(COST_APPROVAL_RULES))
def test_cost_approval_rule_through_every_door(
    client: FlaskClient, world: dict[str, Any], rule: str, door: str
) -> None:
    """A referral to specific care for a person under the AsylbLG: the same refusal, with the
    same German message, or the same stored approval through every door (the note, the page
    door of a referral, records no start and no approval)."""
    from app.models import MsaUser, NetworkPartner, Person
    from app.services.casefile.follow_ups import create_referral

    person = db.session.get(Person, world["person"])
    partner = db.session.get(NetworkPartner, world["partner"])
    assert person is not None and partner is not None
    person.benefit_basis, partner.partner_type = "asylblg_basic", "psz"
    db.session.commit()
    change, field, key = COST_APPROVAL_RULES[rule]
    values = {name: change.get(name) for name in _APPROVAL_KEYS}
    day = TODAY - dt.timedelta(days=10)
    existing = None
    if door != "referral:rest_create":
        existing = create_referral(
            person,
            actor=db.session.get(MsaUser, world["worker"]),
            partner_id=world["partner"],
            date=day,
        ).id
    api: dict[str, Any] = {}
    if door == "referral:edit":
        form = {
            name: (v.strftime("%d.%m.%Y") if isinstance(v, dt.date) else v or "")
            for name, v in values.items()
        }
        resp = world["page"].post(
            f"/referralview/edit/{existing}",
            data={"date": day.strftime("%d.%m.%Y"), "topic_code": "health", **form},
        )
        saved = resp.status_code == 302
    else:
        body = {
            name: (v.isoformat() if isinstance(v, dt.date) else v)
            for name, v in values.items()
            if v is not None
        }
        if existing is None:
            body |= {
                "person_id": world["person"],
                "partner_id": world["partner"],
                "date": day.isoformat(),
            }
            resp = client.post("/api/v1/referral/", json=body, headers=world["api"])
        else:
            resp = client.put(f"/api/v1/referral/{existing}", json=body, headers=world["api"])
        saved, api = resp.status_code in (200, 201), resp.get_json()
    db.session.expire_all()
    rows = [
        tuple(getattr(r, name) for name in _APPROVAL_KEYS)
        for r in db.session.scalars(select(Referral)).all()
    ]
    if key is None:
        assert saved, (door, resp.status_code, resp.get_data(as_text=True)[:300])
        assert rows == [tuple(values[name] for name in _APPROVAL_KEYS)]
        return
    assert not saved, door
    assert rows in ([], [(None,) * len(_APPROVAL_KEYS)]), rows
    from app.services.casefile.follow_ups import ReferralError

    # the message the verb gives, at the same field, through every door
    try:
        if existing is None:
            create_referral(
                person,
                actor=db.session.get(MsaUser, world["worker"]),
                partner_id=world["partner"],
                date=day,
                **values,
            )
        else:
            from app.services.casefile.follow_ups import update_referral

            update_referral(
                db.session.get(Referral, existing),
                actor=db.session.get(MsaUser, world["worker"]),
                changes=values,
            )
    except ReferralError as exc:
        expected = exc
    db.session.rollback()
    message = next(p.message for p in expected.problems if p.key == key)
    if api:
        assert (api["field"], api["key"]) == (field, key)
        assert api["message"] == message
    else:
        assert resp.status_code == 422 and _page_refusal(resp, message), door

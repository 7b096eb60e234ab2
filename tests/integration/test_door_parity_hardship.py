"""One door per record, for the Härtefallverfahren: the same input through every door gives the
same outcome.

A procedure is begun through the page form (``/haertefall/neu/<person>``) and REST
(``POST /api/v1/hardship/``); its steps are recorded or corrected through the one page form
(``POST /haertefall/<pk>``), the REST correction (``PUT``) and the REST steps (``submit``,
``decide``). Each rule of a table is sent through every door it applies to; every door must
refuse the same inputs with the same German message (REST also with the same field, stable key
and status), store nothing on a refusal and the same row on success. There is no CLI or import
door for this record.

``DOORS`` lists every route that writes a procedure; a new write route that is not in the
table fails :func:`test_every_write_route_is_a_door_of_the_table`.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.dates import de_date
from app.extensions import db
from app.models import HardshipProcedure, MsaUser, Person
from app.security import matrix
from app.services.errors import DomainError
from app.services.housing import hardship
from tests.conftest import sign_in

TODAY = dt.date.today()
PREPARED = TODAY - dt.timedelta(days=30)
SUBMITTED = TODAY - dt.timedelta(days=20)
DECIDED = TODAY - dt.timedelta(days=10)
IMPOSSIBLE = "31.02.2026"


def _de(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


#: every route that writes a Härtefallverfahren: endpoint -> the door of the table it is
DOORS: dict[str, str] = {
    "HardshipView.add": "open:page",
    "HardshipView.edit": "step:page (the one form for every step and correction)",
    "HardshipApi.post": "open:rest",
    "HardshipApi.put": "step:rest_put",
    "HardshipApi.submit": "step:rest_step (submission rules)",
    "HardshipApi.decide": "step:rest_step (decision rules)",
}

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_write_route_is_a_door_of_the_table(app: Flask) -> None:
    """A route that writes a procedure and is not in ``DOORS`` fails the test."""
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}  # type: ignore[attr-defined]
    found = set()
    for rule in app.url_map.iter_rules():
        view = views.get(rule.endpoint.split(".")[0])
        if view is None:
            continue
        datamodel = getattr(view, "datamodel", None)
        ours = (datamodel is not None and datamodel.obj is HardshipProcedure) or (
            getattr(view, "class_permission_name", None) == matrix.HARDSHIP_PROCEDURE
        )
        if not ours:
            continue
        name = rule.endpoint.rsplit(".", 1)[1]
        if set(rule.methods or ()) & WRITE_METHODS or name in {"delete", "add", "edit"}:
            found.add(rule.endpoint)
    missing = found - set(DOORS)
    assert not missing, f"Schreibende Route ohne Eintrag in der Paritätstabelle: {sorted(missing)}"
    assert set(DOORS) - found == set(), "DOORS nennt Routen, die es nicht gibt"


# -- the world ------------------------------------------------------------------------------
@pytest.fixture
def world(app: Flask, factory: Any) -> dict[str, Any]:
    org = factory.make_org()
    other_org = factory.make_org()
    worker = factory.make_user(matrix.ROLE_CASEWORKER, org)
    person = factory.make_person(org)
    foreign = factory.make_person(other_org)
    db.session.commit()
    return {
        "org": org.id,
        "worker": worker.id,
        "person": person.id,
        "foreign": foreign.id,
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


def _actor(world: dict[str, Any]) -> MsaUser:
    actor = db.session.get(MsaUser, world["worker"])
    assert actor is not None
    return actor


def _person(world: dict[str, Any]) -> Person:
    person = db.session.get(Person, world["person"])
    assert person is not None
    return person


def _shown(resp: Any) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _logged() -> list[tuple[Any, ...]]:
    """The access log's writes of procedures (every door logs them in the verb's transaction)."""
    from app.models import AccessLog

    db.session.expire_all()
    entries = (
        db.session.query(AccessLog)
        .filter(AccessLog.category == "hardship")
        .order_by(AccessLog.id)
        .all()
    )
    # the detail names the procedure and the changed steps in German, never a field name
    for e in entries:
        assert (e.detail or "").startswith("Härtefallverfahren"), e.detail
        assert "_" not in (e.detail or ""), e.detail
    return [(e.person_id, e.action) for e in entries]


def _rows() -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        (
            p.person_id,
            p.organisation_id,
            p.prepared_on,
            p.submitted_on,
            p.decided_on,
            p.outcome,
            p.member,
            p.note,
            p.created_by_id,
            p.recorded_by_name,
        )
        for p in db.session.scalars(select(HardshipProcedure).order_by(HardshipProcedure.id))
    ]


def _recorder(world: dict[str, Any]) -> str:
    actor = _actor(world)
    return f"{actor.first_name} {actor.last_name}".strip()


# -- begin a procedure ----------------------------------------------------------------------
GOOD_OPEN: dict[str, str] = {
    "prepared_on": _de(PREPARED),
    "member": "Diakonie",
    "note": "mit Kindern",
}

#: rule -> (change of the good input, field, key, status; key None: begun). ``person``:
#: the person sent is unknown / another provider's (404 on both doors, nothing stored).
OPEN_RULES: dict[str, tuple[dict[str, str], str | None, str | None, int]] = {
    "good": ({}, None, None, 201),
    "member and note empty": ({"member": " ", "note": ""}, None, None, 201),
    "member of 300 characters": ({"member": "m" * 300}, None, None, 201),
    "preparation day missing": (
        {"prepared_on": ""},
        "prepared_on",
        "prepared_on.required",
        400,
    ),
    "preparation day in the future": (
        {"prepared_on": _de(TODAY + dt.timedelta(days=1))},
        "prepared_on",
        "prepared_on.future",
        400,
    ),
    "impossible date": ({"prepared_on": IMPOSSIBLE}, "prepared_on", "prepared_on.invalid", 400),
    "member over 300 characters": ({"member": "m" * 301}, "member", "member.too_long", 400),
    "note over 10000 characters": ({"note": "n" * 10001}, "note", "note.too_long", 400),
    "an open procedure exists": ({}, None, "procedure.open_exists", 409),
    "unknown person": ({}, None, "person:unknown", 404),
    "another provider's person": ({}, None, "person:foreign", 404),
}


def _open_person(key: str | None, world: dict[str, Any]) -> int:
    if key == "person:unknown":
        return world["foreign"] + 1000
    if key == "person:foreign":
        return world["foreign"]
    return world["person"]


@pytest.mark.parametrize("door", ["open:page", "open:rest"])
@pytest.mark.parametrize("rule", list(OPEN_RULES))
def test_open_rule_through_every_door(
    client: FlaskClient, world: dict[str, Any], rule: str, door: str
) -> None:
    """Beginning a procedure: the same refusal (German message, REST field/key/status) and
    nothing stored, or the same stored row."""
    change, field, key, status = OPEN_RULES[rule]
    values = {**GOOD_OPEN, **change}
    if key == "procedure.open_exists":
        hardship.open_procedure(_person(world), actor=_actor(world), values=GOOD_OPEN)
    reference = None
    if key is not None and not key.startswith("person:"):
        with pytest.raises(DomainError) as refused:
            hardship.open_procedure(_person(world), actor=_actor(world), values=dict(values))
        db.session.rollback()
        assert (refused.value.field, refused.value.key, refused.value.status) == (
            field,
            key,
            status,
        )
        reference = refused.value.message
    person_id = _open_person(key, world)
    before, logged = _rows(), _logged()
    if door == "open:page":
        resp = world["page"].post(f"/haertefall/neu/{person_id}", data=values)
        shown, answer = _shown(resp), {}
    else:
        resp = client.post(
            "/api/v1/hardship/", json={"person_id": person_id, **values}, headers=world["api"]
        )
        answer = resp.get_json() or {}
        shown = str(answer.get("message", ""))
    rows = _rows()
    if key is None:
        assert resp.status_code in (201, 302), (door, rule, shown[:300])
        member = values["member"].strip() or None
        assert rows == [
            (
                world["person"],
                world["org"],
                PREPARED,
                None,
                None,
                None,
                member,
                values["note"] or None,
                world["worker"],
                _recorder(world),
            )
        ], door
        assert _logged() == [*logged, (world["person"], "create")], door
        return
    assert rows == before, (door, rule)
    assert _logged() == logged, (door, rule)
    if key.startswith("person:"):
        assert resp.status_code == 404, (door, rule)
        return
    assert reference is not None and reference in shown, (door, rule, shown[:300])
    if door == "open:page":
        assert resp.status_code == 422
        if values["member"].strip():
            assert f'value="{values["member"]}"' in shown  # the input is kept
    else:
        assert resp.status_code == status
        assert (answer["field"], answer["key"]) == (field, key)


# -- steps and corrections ------------------------------------------------------------------
#: rule -> (the procedure before: "prepared" / "submitted" / "decided+open", change sent,
#: field, key, status; key None: stored with the expected (submitted, decided, outcome, member))
STEP_RULES: dict[str, tuple[str, dict[str, str], str | None, str | None, int, Any]] = {
    "submission": (
        "prepared",
        {"submitted_on": _de(SUBMITTED)},
        None,
        None,
        200,
        (SUBMITTED, None, None, "Diakonie"),
    ),
    "submission through another member": (
        "prepared",
        {"submitted_on": _de(SUBMITTED), "member": "Caritas"},
        None,
        None,
        200,
        (SUBMITTED, None, None, "Caritas"),
    ),
    "submission before the preparation": (
        "prepared",
        {"submitted_on": _de(PREPARED - dt.timedelta(days=1))},
        "submitted_on",
        "submitted_on.before_prepared",
        400,
        None,
    ),
    "submission in the future": (
        "prepared",
        {"submitted_on": _de(TODAY + dt.timedelta(days=1))},
        "submitted_on",
        "submitted_on.future",
        400,
        None,
    ),
    "submission on an impossible date": (
        "prepared",
        {"submitted_on": IMPOSSIBLE},
        "submitted_on",
        "submitted_on.invalid",
        400,
        None,
    ),
    "member over 300 characters": (
        "prepared",
        {"submitted_on": _de(SUBMITTED), "member": "m" * 301},
        "member",
        "member.too_long",
        400,
        None,
    ),
    "decision": (
        "submitted",
        {"decided_on": _de(DECIDED), "outcome": "request_made"},
        None,
        None,
        200,
        (SUBMITTED, DECIDED, "request_made", "Diakonie"),
    ),
    "decision on the day of the submission": (
        "submitted",
        {"decided_on": _de(SUBMITTED), "outcome": "rejected"},
        None,
        None,
        200,
        (SUBMITTED, SUBMITTED, "rejected", "Diakonie"),
    ),
    "withdrawal without submission": (
        "prepared",
        {"decided_on": _de(DECIDED), "outcome": "withdrawn"},
        None,
        None,
        200,
        (None, DECIDED, "withdrawn", "Diakonie"),
    ),
    "decision without submission": (
        "prepared",
        {"decided_on": _de(DECIDED), "outcome": "rejected"},
        "decided_on",
        "decided_on.not_submitted",
        400,
        None,
    ),
    "decision before the submission": (
        "submitted",
        {"decided_on": _de(SUBMITTED - dt.timedelta(days=1)), "outcome": "rejected"},
        "decided_on",
        "decided_on.before_submitted",
        400,
        None,
    ),
    "withdrawal before the preparation": (
        "prepared",
        {"decided_on": _de(PREPARED - dt.timedelta(days=1)), "outcome": "withdrawn"},
        "decided_on",
        "decided_on.before_prepared",
        400,
        None,
    ),
    "decision in the future": (
        "submitted",
        {"decided_on": _de(TODAY + dt.timedelta(days=1)), "outcome": "rejected"},
        "decided_on",
        "decided_on.future",
        400,
        None,
    ),
    "decision without outcome": (
        "submitted",
        {"decided_on": _de(DECIDED), "outcome": ""},
        "outcome",
        "outcome.required",
        400,
        None,
    ),
    "unknown outcome": (
        "submitted",
        {"decided_on": _de(DECIDED), "outcome": "genehmigt"},
        "outcome",
        "outcome.unknown",
        400,
        None,
    ),
    "outcome without a day": (
        "submitted",
        {"decided_on": "", "outcome": "rejected"},
        "decided_on",
        "decided_on.required",
        400,
        None,
    ),
    "reopening while another procedure is open": (
        "decided+open",
        {"decided_on": "", "outcome": ""},
        None,
        "procedure.open_exists",
        409,
        None,
    ),
}

STEP_DOORS = ["step:page", "step:rest_put", "step:rest_step"]
#: a decided procedure is reopened by a correction only (page form, PUT): the REST steps record
#: a submission or a decision and never clear one
STEP_CASES = [
    (rule, door)
    for rule in STEP_RULES
    for door in STEP_DOORS
    if not (door == "step:rest_step" and STEP_RULES[rule][0] == "decided+open")
]


def _procedure_in(state: str, world: dict[str, Any]) -> int:
    actor, person = _actor(world), _person(world)
    values = {"prepared_on": _de(PREPARED), "member": "Diakonie", "note": "Erstgespräch"}
    if state == "prepared":
        return hardship.open_procedure(person, actor=actor, values=values).id
    if state == "submitted":
        values["submitted_on"] = _de(SUBMITTED)
        return hardship.open_procedure(person, actor=actor, values=values).id
    values.update(submitted_on=_de(SUBMITTED), decided_on=_de(DECIDED), outcome="rejected")
    pk = hardship.open_procedure(person, actor=actor, values=values).id
    hardship.open_procedure(person, actor=actor, values={"prepared_on": _de(DECIDED)})
    return pk


def _page_form(procedure: HardshipProcedure, change: dict[str, str]) -> dict[str, str]:
    """What the page form sends: the recorded values (German dates) with the change typed in."""
    form = {name: de_date(getattr(procedure, name), "") for name in hardship.DATE_FIELDS}
    form.update(
        outcome=procedure.outcome or "",
        member=procedure.member or "",
        note=procedure.note or "",
        version=str(procedure.version),
    )
    return {**form, **change}


@pytest.mark.parametrize(("rule", "door"), STEP_CASES)
def test_step_rule_through_every_door(
    client: FlaskClient, world: dict[str, Any], rule: str, door: str
) -> None:
    """A step or a correction: the same refusal (German message, REST field/key/status) and
    nothing stored, or the same stored row."""
    start, change, field, key, status, expected = STEP_RULES[rule]
    step = "submit" if "submitted_on" in change else "decide"
    pk = _procedure_in(start, world)
    procedure = db.session.get(HardshipProcedure, pk)
    assert procedure is not None
    reference = None
    if key is not None:
        with pytest.raises(DomainError) as refused:
            hardship.update_procedure(procedure, actor=_actor(world), values=dict(change))
        db.session.rollback()
        assert (refused.value.field, refused.value.key, refused.value.status) == (
            field,
            key,
            status,
        )
        reference = refused.value.message
        procedure = db.session.get(HardshipProcedure, pk)
        assert procedure is not None
    before, logged = _rows(), _logged()
    if door == "step:page":
        resp = world["page"].post(f"/haertefall/{pk}", data=_page_form(procedure, change))
        shown, answer = _shown(resp), {}
    else:
        if door == "step:rest_put":
            resp = client.put(
                f"/api/v1/hardship/{pk}",
                json={**change, "version": procedure.version},
                headers=world["api"],
            )
        else:
            resp = client.post(f"/api/v1/hardship/{pk}/{step}", json=change, headers=world["api"])
        answer = resp.get_json() or {}
        shown = str(answer.get("message", ""))
    rows = _rows()
    if key is None:
        assert resp.status_code in (200, 302), (door, rule, shown[:300])
        submitted, decided, outcome, member = expected
        changed = [r for r in rows if r not in before]
        assert changed == [
            (
                world["person"],
                world["org"],
                PREPARED,
                submitted,
                decided,
                outcome,
                member,
                "Erstgespräch",
                world["worker"],
                _recorder(world),
            )
        ], door
        assert _logged() == [*logged, (world["person"], "update")], door
        return
    assert reference is not None and reference in shown, (door, rule, shown[:300])
    assert rows == before, (door, rule)
    assert _logged() == logged, (door, rule)
    if door == "step:page":
        assert resp.status_code == status
        for name, value in change.items():  # the typed values stay in the form
            if value and name != "outcome":
                assert f'value="{value}"' in shown, (rule, name)
    else:
        assert resp.status_code == status
        assert (answer["field"], answer["key"]) == (field, key)


@pytest.mark.parametrize("door", STEP_DOORS)
def test_another_providers_procedure_is_not_found(
    app: Flask, client: FlaskClient, factory: Any, world: dict[str, Any], door: str
) -> None:
    """Another provider's procedure is found through no door (404); nothing changes."""
    other_org = factory.make_org()
    other = factory.make_user(matrix.ROLE_CASEWORKER, other_org)
    db.session.commit()
    pk = _procedure_in("prepared", world)
    before = _rows()
    change = {"submitted_on": _de(SUBMITTED)}
    if door == "step:page":
        page = sign_in(app.test_client(), other.id)
        resp = page.post(f"/haertefall/{pk}", data={**change, "version": "1"})
    elif door == "step:rest_put":
        resp = client.put(
            f"/api/v1/hardship/{pk}",
            json={**change, "version": 1},
            headers=_token_for(app, other.username),
        )
    else:
        resp = client.post(
            f"/api/v1/hardship/{pk}/submit", json=change, headers=_token_for(app, other.username)
        )
    assert resp.status_code == 404
    assert _rows() == before

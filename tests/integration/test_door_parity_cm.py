"""One door per record, for appointments and case management: the same input through every
door gives the same outcome.

An appointment is written through the appointment form (on its own or from a client's case
file) and its edit form; a case-management case is opened, moved and filled through the case
pages and the REST API. Each rule of a table is sent through every door of its record; every
door must refuse the same inputs with the same German message (the REST API also with the
same field and stable key), store the same row and write the same access-log row. There is no
CLI or import door for these records.

``DOORS`` lists every route that writes one of these records; a new write route that is not
in the table fails :func:`test_every_write_route_is_a_door_of_the_table`.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import (
    AccessLog,
    Appointment,
    CaseEvent,
    CaseGoal,
    CaseManagementCase,
    FirstInterview,
    MsaUser,
    Person,
    QuarterlyReport,
)
from app.security import matrix
from app.services.errors import DomainError
from tests.conftest import sign_in

TODAY = dt.date.today()


def _previous_quarter_day() -> dt.date:
    """A day in the quarter before the running one (a quarter that can be submitted)."""
    first = dt.date(TODAY.year, 3 * ((TODAY.month - 1) // 3) + 1, 1)
    return first - dt.timedelta(days=40)


CLOSED_DAY = _previous_quarter_day()
IMPOSSIBLE = "31.02.2026"

#: every route that writes an appointment or a case-management case (its steps and contents):
#: endpoint -> the door of the parity table it is (or why it writes nothing)
DOORS: dict[str, str] = {
    "AppointmentView.add": "appointment:page / appointment:page_client (?person_id=)",
    "AppointmentView.edit": "appointment:edit",
    "CaseManagementView.add": "open:page",
    "CaseManagementApi.post": "open:rest",
    "CaseManagementView.transition": "transition:page (also the form of the hub section)",
    "CaseManagementApi.transition": "transition:rest",
    "CaseManagementView.content": "content:page",
    "CaseManagementApi.content": "content:rest",
    # not doors: they write nothing
    "AppointmentView.action": "none: no actions are defined (404)",
    "AppointmentView.action_post": "none: no actions are defined (404)",
}

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_write_route_is_a_door_of_the_table(app: Flask) -> None:
    """A route that writes one of these records and is not in ``DOORS`` fails the test."""
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}  # type: ignore[attr-defined]
    found = set()
    for rule in app.url_map.iter_rules():
        view = views.get(rule.endpoint.split(".")[0])
        if view is None:
            continue
        datamodel = getattr(view, "datamodel", None)
        ours = (datamodel is not None and datamodel.obj is Appointment) or (
            getattr(view, "class_permission_name", None) == matrix.CASE_MANAGEMENT
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
    worker = factory.make_user(matrix.ROLE_CASEWORKER, org)
    person = factory.make_person(org)
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


def _log_rows(world: dict[str, Any], category: str) -> list[tuple[str, str | None]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(AccessLog.action, AccessLog.username)
        .where(
            AccessLog.person_id == world["person"],
            AccessLog.category == category,
            AccessLog.action.in_(("create", "update")),  # writes, not the page's reads
        )
        .order_by(AccessLog.id)
    ).all()
    return [(action, username) for action, username in rows]


def _date_message(text: str) -> str:
    try:
        parse_date(text)
    except DateError as exc:
        return exc.message
    raise AssertionError(f"{text} is a valid date")


# -- appointments ---------------------------------------------------------------------------
GOOD_APPOINTMENT: dict[str, Any] = {
    "date": (TODAY + dt.timedelta(days=3)).strftime("%d.%m.%Y"),
    "start_time": "09:30",
    "end_time": "10:30",
    "title": "Termin Jobcenter",
    "place": "Agentur-Allee 1",
    "interpreter_needed": True,
}

#: rule -> (change of the good appointment, field, key; None: saved). Keys of the form's own
#: field checks (a date or time the form cannot read) carry the prefix "form:" — those inputs
#: never reach the verb; the message is still the same through every door.
APPOINTMENT_RULES: dict[str, tuple[dict[str, Any], str | None, str | None]] = {
    "good": ({}, None, None),
    "subject of 200 characters is fine": ({"title": "t" * 200}, None, None),
    "subject empty": ({"title": " "}, "title", "title.required"),
    "subject over 200 characters": ({"title": "t" * 201}, "title", "title.too_long"),
    "end before the start": ({"end_time": "09:00"}, "end_time", "end_time.before_start"),
    "end at the start": ({"end_time": "09:30"}, "end_time", "end_time.before_start"),
    "place over 300 characters": ({"place": "p" * 301}, "place", "place.too_long"),
    "impossible date (German)": ({"date": IMPOSSIBLE}, "date", "form:date.invalid"),
}

APPOINTMENT_DOORS = ["appointment:page", "appointment:page_client", "appointment:edit"]


def _appointment_form(values: dict[str, Any]) -> dict[str, str]:
    data = {k: str(v) for k, v in values.items() if k != "interpreter_needed"}
    if values["interpreter_needed"]:
        data["interpreter_needed"] = "y"
    return data


def _appointment_reference(values: dict[str, Any], world: dict[str, Any]) -> str:
    """The German message the verb itself gives (the reference for every door)."""
    from app.services.calendar.appointments import create_appointment

    try:
        create_appointment(
            actor=_actor(world),
            person=_person(world),
            date=parse_date(values["date"]),
            start_time=dt.time.fromisoformat(values["start_time"]),
            end_time=dt.time.fromisoformat(values["end_time"]),
            title=values["title"],
            place=values["place"],
            interpreter_needed=values["interpreter_needed"],
        )
    except DomainError as exc:
        return exc.message
    raise AssertionError("the verb saved an appointment the table refuses")


def _appointment_rows() -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        (a.date, a.start_time, a.end_time, a.title, a.place, a.interpreter_needed, a.owner_id)
        for a in db.session.scalars(select(Appointment).order_by(Appointment.id)).all()
    ]


@pytest.mark.parametrize("door", APPOINTMENT_DOORS)
@pytest.mark.parametrize("rule", list(APPOINTMENT_RULES))
def test_appointment_rule_through_every_door(world: dict[str, Any], rule: str, door: str) -> None:
    """The same appointment input: the same refusal (German message at the field, input kept)
    or the same stored row, and an access-log row for a client's appointment."""
    from app.services.calendar.appointments import create_appointment

    change, field, key = APPOINTMENT_RULES[rule]
    values = {**GOOD_APPOINTMENT, **change}
    if key is None:
        reference = None
    elif key.startswith("form:"):
        reference = _date_message(values["date"])
    else:
        reference = _appointment_reference(values, world)
    existing = None
    if door == "appointment:edit":
        existing = create_appointment(
            actor=_actor(world),
            person=_person(world),
            date=TODAY,
            start_time=dt.time(8, 0),
            title="Erstfassung",
        ).id
    before_rows, before_log = _appointment_rows(), _log_rows(world, "appointment")
    page: FlaskClient = world["page"]
    form = _appointment_form(values)
    if door == "appointment:page":
        resp = page.post("/appointmentview/add", data=form)
    elif door == "appointment:page_client":
        resp = page.post(f"/appointmentview/add?person_id={world['person']}", data=form)
    else:
        resp = page.post(f"/appointmentview/edit/{existing}", data=form)
    rows = _appointment_rows()
    if key is None:
        assert resp.status_code == 302, (door, _shown(resp)[:500])
        expected = (
            parse_date(values["date"]),
            dt.time(9, 30),
            dt.time(10, 30),
            values["title"],
            values["place"],
            True,
            world["worker"],
        )
        assert expected in rows
        assert len(rows) == len(before_rows) + (0 if existing else 1)
        log = _log_rows(world, "appointment")
        if door == "appointment:page":
            assert log == before_log  # no client: nothing about a person to log
        else:
            action = "update" if existing else "create"
            assert log[len(before_log) :] == [(action, _actor(world).username)]
        return
    assert resp.status_code == 422, (door, rule, resp.status_code)
    shown = _shown(resp)
    assert reference is not None and reference in shown, (door, rule)
    assert html.escape(values["title"][:50]) in resp.get_data(as_text=True)  # input kept
    assert rows == before_rows
    assert _log_rows(world, "appointment") == before_log


def test_appointment_update_verb_refuses_unknown_fields(world: dict[str, Any]) -> None:
    """Owner, client and organisation are fixed at creation: a change of them is refused."""
    from app.services.calendar.appointments import (
        AppointmentError,
        create_appointment,
        update_appointment,
    )

    appointment = create_appointment(
        actor=_actor(world), date=TODAY, start_time=dt.time(8, 0), title="Erstfassung"
    )
    with pytest.raises(AppointmentError) as refused:
        update_appointment(appointment, actor=_actor(world), changes={"owner_id": 1})
    assert refused.value.key == "field.unknown"
    assert _appointment_rows()[0][3] == "Erstfassung"


# -- case management: open a case -----------------------------------------------------------
#: rule -> (the day sent, field, key, REST status; key None: opened)
OPEN_RULES: dict[str, tuple[str, str | None, str | None, int]] = {
    "good (today)": ("", None, None, 201),
    "a day of the running quarter": (TODAY.strftime("%d.%m.%Y"), None, None, 201),
    "date in the future": (
        (TODAY + dt.timedelta(days=1)).strftime("%d.%m.%Y"),
        "on",
        "on.future",
        422,
    ),
    "date in a submitted quarter": (CLOSED_DAY.strftime("%d.%m.%Y"), "on", "quarter.closed", 409),
    "impossible date": (IMPOSSIBLE, "on", "on.invalid", 422),
    "a case is already open": ("", None, "case.already_open", 409),
}


def _cases(world: dict[str, Any]) -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        (c.step, c.opened_on, c.caseworker_id)
        for c in db.session.scalars(
            select(CaseManagementCase).where(CaseManagementCase.person_id == world["person"])
        ).all()
    ]


def _open_reference(on: str, world: dict[str, Any]) -> tuple[str | None, str, str]:
    from app.services.case_management import workflow as wf

    try:
        wf.open_case(_person(world), actor=_actor(world), on=wf.parse_on(on))
    except DomainError as exc:
        return exc.field, exc.key, exc.message
    raise AssertionError("the verb opened a case the table refuses")


@pytest.mark.parametrize("door", ["open:page", "open:rest"])
@pytest.mark.parametrize("rule", list(OPEN_RULES))
def test_open_case_rule_through_every_door(
    client: FlaskClient, world: dict[str, Any], rule: str, door: str
) -> None:
    """Opening a case: the same refusal or the same case, event and access-log row."""
    from app.services.case_management import workflow as wf

    on, field, key, status = OPEN_RULES[rule]
    if key == "case.already_open":
        wf.open_case(_person(world), actor=_actor(world))
    reference = _open_reference(on, world) if key is not None else None
    if reference is not None:
        db.session.rollback()
        assert reference[:2] == (field, key)
    before_cases, before_log = _cases(world), _log_rows(world, "case_management")
    if door == "open:page":
        resp = world["page"].post(
            f"/casemanagement/person/{world['person']}/open",
            data={"on": on},
            follow_redirects=True,
        )
        answer: dict[str, Any] = {}
        shown = _shown(resp)
    else:
        resp = client.post(
            "/api/v1/casemanagement/",
            json={"person_id": world["person"], "on": on or None},
            headers=world["api"],
        )
        answer = resp.get_json()
        shown = answer.get("message", "")
    cases = _cases(world)
    if key is None:
        assert cases == [("first_interview", parse_date(on) or TODAY, world["worker"])], door
        assert _log_rows(world, "case_management")[len(before_log) :] == [
            ("create", _actor(world).username)
        ]
        if door == "open:rest":
            assert resp.status_code == status
        return
    assert reference is not None and reference[2] in shown, (door, rule, shown[:300])
    assert cases == before_cases
    assert _log_rows(world, "case_management") == before_log
    if door == "open:rest":
        assert resp.status_code == status
        assert (answer["field"], answer["key"]) == (field, key)


# -- case management: transitions -----------------------------------------------------------
def _case_in_first_interview(world: dict[str, Any]) -> int:
    """A case opened today whose first interview decided for case management."""
    from app.services.case_management import contents
    from app.services.case_management import workflow as wf

    case_ = wf.open_case(_person(world), actor=_actor(world))
    contents.record_first_interview(
        case_,
        {
            "problem_situation": "Wohnung, Arbeit",
            "motivation": "hoch",
            "decision": "case_management",
            "transparency_given": True,
        },
        actor=_actor(world),
    )
    return case_.id


#: rule -> (target step, day sent, field, key; key None: moved)
TRANSITION_RULES: dict[str, tuple[str, str, str | None, str | None]] = {
    "good": ("assessment", "", None, None),
    "not in the table": ("closed", "", "to", "transition.not_allowed"),
    "unknown step": ("zauberei", "", "to", "to.unknown"),
    "date in the future": (
        "assessment",
        (TODAY + dt.timedelta(days=1)).strftime("%d.%m.%Y"),
        "on",
        "on.future",
    ),
    "date before the previous step": (
        "assessment",
        (TODAY - dt.timedelta(days=1)).strftime("%d.%m.%Y"),
        "on",
        "on.before_previous",
    ),
    "impossible date": ("assessment", IMPOSSIBLE, "on", "on.invalid"),
}


def _events(case_id: int) -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        (e.from_step, e.to_step, e.occurred_on, e.actor_id)
        for e in db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()
    ]


@pytest.mark.parametrize("door", ["transition:page", "transition:rest"])
@pytest.mark.parametrize("rule", list(TRANSITION_RULES))
def test_transition_rule_through_every_door(
    client: FlaskClient, world: dict[str, Any], rule: str, door: str
) -> None:
    """A move of a case: the same refusal or the same step, event and access-log row."""
    from app.services.case_management import workflow as wf

    to, on, field, key = TRANSITION_RULES[rule]
    case_id = _case_in_first_interview(world)
    if key is not None:
        case_ = db.session.get(CaseManagementCase, case_id)
        assert case_ is not None
        with pytest.raises(DomainError) as refused:
            wf.transition(case_, to, actor=_actor(world), on=wf.parse_on(on))
        assert (refused.value.field, refused.value.key) == (field, key)
        reference = refused.value.message
    before_events, before_log = _events(case_id), _log_rows(world, "case_management")
    if door == "transition:page":
        resp = world["page"].post(
            f"/casemanagement/case/{case_id}/transition",
            data={"to": to, "on": on},
            follow_redirects=True,
        )
        shown, answer = _shown(resp), {}
    else:
        resp = client.post(
            f"/api/v1/casemanagement/{case_id}/transition",
            json={"to": to, "on": on or None},
            headers=world["api"],
        )
        answer = resp.get_json()
        shown = answer.get("message", "")
    events = _events(case_id)
    if key is None:
        assert events[len(before_events) :] == [
            ("first_interview", "assessment", TODAY, world["worker"])
        ], door
        assert _log_rows(world, "case_management")[len(before_log) :] == [
            ("update", _actor(world).username)
        ]
        return
    assert reference in shown, (door, rule, shown[:300])
    assert events == before_events
    assert _log_rows(world, "case_management") == before_log
    if door == "transition:rest":
        assert resp.status_code == 422
        assert (answer["field"], answer["key"]) == (field, key)


# -- case management: step contents ---------------------------------------------------------
GOOD_INTERVIEW: dict[str, Any] = {
    "held_on": (TODAY - dt.timedelta(days=1)).strftime("%d.%m.%Y"),
    "problem_situation": "Wohnung, Arbeit",
    "motivation": "hoch",
    "decision": "case_management",
    "transparency_given": True,
}

#: rule -> (kind, change of the good interview, field, key; key None: stored)
CONTENT_RULES: dict[str, tuple[str, dict[str, Any], str | None, str | None]] = {
    "good first interview": ("first_interview", {}, None, None),
    "problem situation empty": (
        "first_interview",
        {"problem_situation": " "},
        "problem_situation",
        "problem_situation.required",
    ),
    "impossible date": ("first_interview", {"held_on": IMPOSSIBLE}, "held_on", "held_on.invalid"),
    "case management without transparency": (
        "first_interview",
        {"transparency_given": False},
        "transparency_given",
        "transparency_given.required",
    ),
    "a goal in the first interview step": (
        "goal",
        {"title": "Wohnung", "target_date": TODAY.strftime("%d.%m.%Y")},
        None,
        "step.wrong",
    ),
}


def _content_rows(case_id: int) -> list[tuple[Any, ...]]:
    db.session.expire_all()
    interviews = db.session.scalars(
        select(FirstInterview).where(FirstInterview.case_id == case_id)
    ).all()
    goals = db.session.scalar(
        select(func.count()).select_from(CaseGoal).where(CaseGoal.case_id == case_id)
    )
    return [
        *(
            (i.held_on, i.problem_situation, i.motivation, i.decision, i.transparency_given)
            for i in interviews
        ),
        ("goals", goals),
    ]


@pytest.mark.parametrize("door", ["content:page", "content:rest"])
@pytest.mark.parametrize("rule", list(CONTENT_RULES))
def test_content_rule_through_every_door(
    client: FlaskClient, world: dict[str, Any], rule: str, door: str
) -> None:
    """A step content: the same refusal or the same stored row and access-log row."""
    from app.services.case_management import contents
    from app.services.case_management import workflow as wf

    kind, change, field, key = CONTENT_RULES[rule]
    values = {**GOOD_INTERVIEW, **change} if kind == "first_interview" else dict(change)
    case_id = wf.open_case(_person(world), actor=_actor(world)).id
    if key is not None:
        case_ = db.session.get(CaseManagementCase, case_id)
        assert case_ is not None
        with pytest.raises(DomainError) as refused:
            contents.record_content(case_, kind, dict(values), actor=_actor(world))
        assert (refused.value.field, refused.value.key) == (field, key)
        reference = refused.value.message
    before_rows, before_log = _content_rows(case_id), _log_rows(world, "case_management")
    if door == "content:page":
        form = {k: str(v) for k, v in values.items() if not isinstance(v, bool)}
        if values.get("transparency_given"):
            form["transparency_given"] = "y"
        resp = world["page"].post(f"/casemanagement/case/{case_id}/{kind}", data=form)
        shown, answer = _shown(resp), {}
    else:
        resp = client.post(
            f"/api/v1/casemanagement/{case_id}/{kind}", json=values, headers=world["api"]
        )
        answer = resp.get_json()
        shown = answer.get("message", "")
    rows = _content_rows(case_id)
    if key is None:
        assert resp.status_code in (201, 302), (door, shown[:300])
        assert rows == [
            (TODAY - dt.timedelta(days=1), "Wohnung, Arbeit", "hoch", "case_management", True),
            ("goals", 0),
        ]
        assert _log_rows(world, "case_management")[len(before_log) :] == [
            ("update", _actor(world).username)
        ]
        return
    assert resp.status_code == 422, (door, rule)
    assert reference in shown, (door, rule, shown[:300])
    assert rows == before_rows
    assert _log_rows(world, "case_management") == before_log
    if door == "content:rest":
        assert (answer["field"], answer["key"]) == (field, key)

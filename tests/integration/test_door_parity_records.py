"""One door per record, for persons and the case file's sub-records.

A person is written through the "Person anlegen" form, the case file's edit form, REST create
and REST update; a language, degree, employment, integration course or vulnerability through
the add and edit forms of the case file (they have no REST resource). Each rule of a table is
sent through every door of its record: every door refuses the same inputs with the verb's
German message (REST also with the same field and stable key, the pages at the field, the
input kept), or stores the same row. Dates are typed as German text on the pages (and pasted
as ISO), sent as given to REST; an impossible date is refused at the field.

``DOORS`` lists every route that writes a person or a sub-record; a new write route that is
not in the table fails :func:`test_every_write_route_is_a_door_of_the_table`.

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
from app.models import (
    Accommodation,
    Employment,
    IntegrationCourse,
    Person,
    PersonDegree,
    PersonLanguage,
    PersonVulnerability,
)
from app.security import matrix
from tests.conftest import sign_in

TODAY = dt.date.today()

#: every route that writes a person or a sub-record: endpoint -> its door (or why it writes
#: nothing)
DOORS: dict[str, str] = {
    "PersonView.add": "person:page",
    "PersonView.edit": "person:edit",
    "PersonApi.post": "person:rest_create",
    "PersonApi.put": "person:rest_update",
    "PersonView.household": "household: link_household / leave_household "
    "(test_household_through_its_verbs)",
    "PersonApi.sensitive_put": "none for these tables: special categories "
    "(app.services.casefile.sensitive.save_sensitive)",
    "PersonLanguageView.add": "language:page",
    "PersonLanguageView.edit": "language:edit",
    "PersonDegreeView.add": "degree:page",
    "PersonDegreeView.edit": "degree:edit",
    "EmploymentView.add": "employment:page",
    "EmploymentView.edit": "employment:edit",
    "IntegrationCourseView.add": "course:page",
    "IntegrationCourseView.edit": "course:edit",
    "PersonVulnerabilityView.add": "vulnerability:page",
    "PersonVulnerabilityView.edit": "vulnerability:edit",
}
#: write routes that exist but write nothing: FAB's action routes (no actions are defined,
#: every call is a 404 — test_action_routes_write_nothing)
REFUSING: dict[str, str] = {
    f"{view}.{route}": "none: no actions are defined (404)"
    for view in (
        "PersonView",
        "PersonLanguageView",
        "PersonDegreeView",
        "EmploymentView",
        "IntegrationCourseView",
        "PersonVulnerabilityView",
    )
    for route in ("action", "action_post")
}

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MODELS = (Person, PersonLanguage, PersonDegree, Employment, IntegrationCourse, PersonVulnerability)


def _write_routes(app: Flask) -> dict[str, set[str]]:
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}  # type: ignore[attr-defined]
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        view = views.get(rule.endpoint.split(".")[0])
        datamodel = getattr(view, "datamodel", None)
        if datamodel is None or datamodel.obj not in MODELS:
            continue
        name = rule.endpoint.rsplit(".", 1)[1]
        methods = set(rule.methods or ()) & WRITE_METHODS
        if methods or name in {"delete", "add", "edit"}:
            found.setdefault(rule.endpoint, set()).add(rule.rule)
    return found


def test_every_write_route_is_a_door_of_the_table(app: Flask) -> None:
    """A route that writes a person or a sub-record and is not in ``DOORS`` fails the test."""
    found = _write_routes(app)
    missing = set(found) - set(DOORS) - set(REFUSING)
    assert not missing, f"Schreibende Route ohne Eintrag in der Paritätstabelle: {sorted(missing)}"
    assert set(DOORS) | set(REFUSING) <= set(found), "DOORS nennt Routen, die es nicht gibt"


def test_action_routes_write_nothing(app: Flask, world: dict[str, Any]) -> None:
    """The routes of ``REFUSING`` answer 404 and change no row."""
    page: FlaskClient = world["page"]
    found = _write_routes(app)
    db.session.expire_all()
    before = db.session.get(Person, world["person"]).version  # type: ignore[union-attr]
    for endpoint in REFUSING:
        view = endpoint.split(".")[0].lower()
        if endpoint.endswith("action_post"):
            resp = page.post(f"/{view}/action_post", data={"action": "muliple_delete"})
        else:
            resp = page.get(f"/{view}/action/muliple_delete/{world['person']}")
        assert resp.status_code == 404, (endpoint, sorted(found[endpoint]))
    db.session.expire_all()
    assert db.session.get(Person, world["person"]).version == before  # type: ignore[union-attr]


# -- the world ------------------------------------------------------------------------------
@pytest.fixture
def world(app: Flask, factory: Any) -> dict[str, Any]:
    org = factory.make_org()
    worker = factory.make_user(matrix.ROLE_CASEWORKER, org)
    colleague = factory.make_user(matrix.ROLE_CASEWORKER, org)
    stranger = factory.make_user(matrix.ROLE_CASEWORKER, factory.make_org())
    person = factory.make_person(org, first_name="Erst", last_name="Fassung")
    home = Accommodation(name="Haus Parität", capacity=10, kind="flat")
    db.session.add(home)
    db.session.commit()
    return {
        "org": org.id,
        "worker": worker.id,
        "colleague": colleague.id,
        "stranger": stranger.id,
        "person": person.id,
        "home": home.id,
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
    """What a door answered: saved or refused (the page's text or the REST body)."""

    saved: bool
    text: str = ""
    field: str | None = None
    key: str | None = None


def _page_outcome(resp: Any) -> Outcome:
    return Outcome(saved=resp.status_code == 302, text=html.unescape(resp.get_data(as_text=True)))


def _rest_outcome(resp: Any) -> Outcome:
    answer = resp.get_json()
    if resp.status_code in (200, 201):
        return Outcome(saved=True)
    assert isinstance(answer["message"], str), answer  # the one shape: a German sentence
    assert isinstance(answer["errors"], dict)
    return Outcome(False, answer["message"], answer.get("field"), answer.get("key"))


def _text(value: Any) -> str:
    """A value as typed into a page form (dates German)."""
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return "" if value is None else str(value)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


# -- persons --------------------------------------------------------------------------------
GOOD_PERSON: dict[str, Any] = {
    "first_name": "Leyla",
    "last_name": "Parität",
    "birth_date": dt.date(1987, 6, 5),
    "nationality": "sy",
    "sex": "female",
    "email": "leyla@example.org",
    "phone": "0151 000",
    "assigned_on": dt.date(2024, 3, 1),
    "moved_in_own_housing_on": None,
    "private_interests": "Nähen",
    "caseworker": "colleague",
    "accommodation": "home",
    # the client's languages (a list: several options of one select on the page)
    "languages": ["ar", "fr"],
    "interpreter_language": "ar",
    "reading_ability": "some",
}

#: rule -> (change of the good person, expected field, expected key; None: saved)
PERSON_RULES: dict[str, tuple[dict[str, Any], str | None, str | None]] = {
    "good": ({}, None, None),
    "first name empty": ({"first_name": " "}, "first_name", "first_name.required"),
    "last name over 100 characters": (
        {"last_name": "x" * 101},
        "last_name",
        "last_name.too_long",
    ),
    "birth date in the future": (
        {"birth_date": TODAY + dt.timedelta(days=1)},
        "birth_date",
        "birth_date.future",
    ),
    "impossible birth date": ({"birth_date": "31.02.1990"}, "birth_date", "birth_date.invalid"),
    "birth date before 1900": ({"birth_date": "31.12.1899"}, "birth_date", "birth_date.invalid"),
    "unknown nationality": ({"nationality": "atlantis"}, "nationality", "nationality.unknown"),
    "invalid e-mail": ({"email": "leyla-at-example"}, "email", "email.invalid"),
    "move-in before the assignment": (
        {"moved_in_own_housing_on": dt.date(2024, 2, 1)},
        "moved_in_own_housing_on",
        "moved_in_own_housing_on.before_assigned",
    ),
    "caseworker of another provider": (
        {"caseworker": "stranger"},
        "caseworker_id",
        "caseworker.unknown",
    ),
    "unknown language": ({"languages": ["ar", "xx"]}, "languages", "languages.unknown"),
    "unknown interpreter language": (
        {"interpreter_language": "xx"},
        "interpreter_language",
        "interpreter_language.unknown",
    ),
    "unknown reading ability": (
        {"reading_ability": "fluent"},
        "reading_ability",
        "reading_ability.unknown",
    ),
    "unknown accommodation": (
        {"accommodation": 987654},
        "accommodation_id",
        "accommodation.unknown",
    ),
}

PERSON_DOORS = ["person:page", "person:edit", "person:rest_create", "person:rest_update"]


def _ref(value: Any, world: dict[str, Any]) -> int | None:
    return int(world[value]) if isinstance(value, str) else value


def _person_values(values: dict[str, Any], world: dict[str, Any]) -> dict[str, Any]:
    """The values as the verb takes them."""
    out = {k: v for k, v in values.items() if k not in ("caseworker", "accommodation")}
    out["caseworker_id"] = _ref(values["caseworker"], world)
    out["accommodation_id"] = _ref(values["accommodation"], world)
    return out


def _person_form(values: dict[str, Any], world: dict[str, Any]) -> dict[str, Any]:
    return {
        k: [_text(i) for i in v] if isinstance(v, list) else _text(v)
        for k, v in _person_values(values, world).items()
    }


def _person_json(values: dict[str, Any], world: dict[str, Any]) -> dict[str, Any]:
    return {k: _json(v) for k, v in _person_values(values, world).items()}


def _person_row(person: Person) -> tuple[Any, ...]:
    return (
        person.first_name,
        person.last_name,
        person.birth_date,
        person.nationality,
        person.sex,
        person.email,
        person.phone,
        person.assigned_on,
        person.moved_in_own_housing_on,
        person.private_interests,
        person.caseworker_id,
        person.accommodation_id,
        person.organisation_id,
        tuple(person.languages or ()),
        person.interpreter_language,
        person.reading_ability,
    )


def _send_person(door: str, values: dict[str, Any], world: dict[str, Any], client: Any) -> Outcome:
    page: FlaskClient = world["page"]
    if door == "person:page":
        return _page_outcome(page.post("/personview/add", data=_person_form(values, world)))
    person = db.session.get(Person, world["person"])
    assert person is not None
    if door == "person:edit":
        data = {**_person_form(values, world), "version": str(person.version)}
        return _page_outcome(page.post(f"/personview/edit/{person.id}", data=data))
    body = _person_json(values, world)
    if door == "person:rest_create":
        resp = client.post("/api/v1/person/", json=body, headers=world["api"])
    else:
        body["version"] = person.version
        resp = client.put(f"/api/v1/person/{person.id}", json=body, headers=world["api"])
    return _rest_outcome(resp)


def _person_refusal(values: dict[str, Any], world: dict[str, Any]) -> tuple[str, str, str]:
    """(field, key, message) the verb itself gives — the reference for every door."""
    from app.services.casefile.persons import check_person
    from app.services.errors import DomainError

    try:
        check_person(_person_values(values, world), organisation_id=world["org"])
    except DomainError as exc:
        return exc.field or "", exc.key, exc.message
    raise AssertionError("the verb accepted a person the table refuses")


@pytest.mark.parametrize("door", PERSON_DOORS)
@pytest.mark.parametrize("rule", list(PERSON_RULES))
def test_person_rule_through_every_door(
    client: FlaskClient, world: dict[str, Any], rule: str, door: str
) -> None:
    """The same person input: the same refusal (field, key, German message) or the same row."""
    change, field, key = PERSON_RULES[rule]
    values = {**GOOD_PERSON, **change}
    if key is not None:
        assert _person_refusal(values, world)[:2] == (field, key)
    db.session.expire_all()
    before = sorted(_person_row(p) for p in db.session.scalars(select(Person)))
    outcome = _send_person(door, values, world, client)
    db.session.expire_all()
    persons = db.session.scalars(select(Person)).all()
    rows = sorted(_person_row(p) for p in persons)
    if key is None:
        assert outcome.saved, (door, outcome.text[:2000])
        expected = (
            "Leyla",
            "Parität",
            dt.date(1987, 6, 5),
            "sy",
            "female",
            "leyla@example.org",
            "0151 000",
            dt.date(2024, 3, 1),
            None,
            "Nähen",
            world["colleague"],
            world["home"],
            world["org"],
            ("ar", "fr"),
            "ar",
            "some",
        )
        assert expected in rows
        saved = next(p for p in persons if p.last_name == "Parität")
        # the file number rule: MSA-<id> when none is given; a new person is version 1
        assert saved.file_number == f"MSA-{saved.id:06d}" or door.endswith(("edit", "update"))
        if door in ("person:page", "person:rest_create"):
            assert len(rows) == 2 and saved.version == 1
        else:
            assert len(rows) == 1 and saved.version == 2
        return
    _field, _key, message = _person_refusal(values, world)
    assert not outcome.saved, (door, rule)
    assert message in outcome.text, (door, rule, outcome.text[:3000])
    if door.startswith("person:rest"):
        assert (outcome.field, outcome.key) == (field, key)
    else:
        typed = _person_form(values, world)[field] if field in typed_fields() else None
        if typed:
            assert f'value="{typed}"' in outcome.text or typed in outcome.text  # input kept
    assert rows == before


def typed_fields() -> set[str]:
    return {"first_name", "last_name", "birth_date", "email", "moved_in_own_housing_on"}


def test_rest_create_defaults_the_caseworker_and_access_logs(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    """The verb's defaults hold through every door: the actor is the responsible caseworker,
    the create and update are access-logged in their transaction."""
    from app.models import AccessLog

    values = {**GOOD_PERSON, "caseworker": None}
    resp = client.post("/api/v1/person/", json=_person_json(values, world), headers=world["api"])
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    assert resp.get_json()["result"]["file_number"] == f"MSA-{pk:06d}"
    page_resp = world["page"].post(
        "/personview/add", data=_person_form({**values, "last_name": "Seite"}, world)
    )
    assert page_resp.status_code == 302
    db.session.expire_all()
    page_person = db.session.scalars(select(Person).where(Person.last_name == "Seite")).one()
    api_person = db.session.get(Person, pk)
    assert api_person is not None
    assert api_person.caseworker_id == page_person.caseworker_id == world["worker"]
    logged = db.session.scalars(
        select(AccessLog.action).where(AccessLog.person_id.in_([pk, page_person.id]))
    ).all()
    assert sorted(logged) == ["create", "create"]


def test_stale_version_is_refused_alike(client: FlaskClient, world: dict[str, Any]) -> None:
    """An outdated version: 409 with the key ``version.conflict`` on REST, the same German
    sentence on the page, the input kept."""
    person = db.session.get(Person, world["person"])
    assert person is not None
    old = person.version
    resp = client.put(
        f"/api/v1/person/{person.id}",
        json={"phone": "111", "version": old},
        headers=world["api"],
    )
    assert resp.status_code == 200
    resp = client.put(
        f"/api/v1/person/{person.id}", json={"phone": "222", "version": old}, headers=world["api"]
    )
    assert resp.status_code == 409 and resp.get_json()["key"] == "version.conflict"
    data = {**_person_form(GOOD_PERSON, world), "phone": "333-meins", "version": str(old)}
    page = world["page"].post(f"/personview/edit/{person.id}", data=data)
    text = html.unescape(page.get_data(as_text=True))
    assert "wurde zwischenzeitlich von" in text and "333-meins" in text
    assert "wurde zwischenzeitlich von" in resp.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(Person, person.id).phone == "111"  # type: ignore[union-attr]


def test_household_through_its_verbs(world: dict[str, Any], factory: Any) -> None:
    """The household door: a person joins another's household and leaves it; joining oneself
    is refused with the verb's message."""
    other = factory.make_person(world["org"]).id
    page: FlaskClient = world["page"]
    resp = page.post(f"/personview/household/{world['person']}", data={"member_id": other})
    assert resp.status_code == 302
    db.session.expire_all()
    a, b = db.session.get(Person, world["person"]), db.session.get(Person, other)
    assert a is not None and b is not None
    assert a.household_id is not None and a.household_id == b.household_id
    page.post(f"/personview/household/{other}", data={"leave": "1"})
    page.post(f"/personview/household/{other}", data={"member_id": other})
    shown = html.unescape(page.get(f"/personview/show/{other}").get_data(as_text=True))
    assert "Eine Person kann nicht mit sich selbst verbunden werden." in shown
    db.session.expire_all()
    assert db.session.get(Person, other).household_id is None  # type: ignore[union-attr]


# -- sub-records ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SubRecord:
    """A kind of sub-record: its page route, model, a good input and the stored columns."""

    route: str
    model: type[Any]
    good: dict[str, Any]
    columns: tuple[str, ...]


SUB_RECORDS: dict[str, SubRecord] = {
    "language": SubRecord(
        "personlanguageview",
        PersonLanguage,
        {"language": "ar", "level": "b1", "certificate": "telc B1"},
        ("language", "level", "certificate"),
    ),
    "degree": SubRecord(
        "persondegreeview",
        PersonDegree,
        {
            "kind": "vocational",
            "title": "Elektroinstallateur",
            "institution": "Berufsschule",
            "country": "sy",
            "year": 2012,
            "recognition_status": "in_progress",
        },
        ("kind", "title", "institution", "country", "year", "recognition_status"),
    ),
    "employment": SubRecord(
        "employmentview",
        Employment,
        {
            "employer": "Bäckerei Nour",
            "position": "Bäcker",
            "start_on": dt.date(2012, 9, 1),
            "end_on": dt.date(2015, 6, 30),
            "country": "sy",
            "duties": "Backen",
        },
        ("employer", "position", "start_on", "end_on", "country", "duties"),
    ),
    "course": SubRecord(
        "integrationcourseview",
        IntegrationCourse,
        {
            "course": "general",
            "start_on": dt.date(2024, 1, 8),
            "end_on": dt.date(2024, 9, 27),
            "outcome": "certificate",
            "completed": True,
        },
        ("course", "start_on", "end_on", "outcome", "completed"),
    ),
    "vulnerability": SubRecord(
        "personvulnerabilityview",
        PersonVulnerability,
        {"code": "disability", "note": "Rollstuhl"},
        ("code", "note"),
    ),
}

#: (kind, rule) -> (change of the good input, expected field, expected key; None: saved)
SUB_RULES: dict[tuple[str, str], tuple[dict[str, Any], str | None, str | None]] = {
    ("language", "good"): ({}, None, None),
    ("language", "language empty"): ({"language": ""}, "language", "language.required"),
    ("language", "unknown level"): ({"level": "z9"}, "level", "level.unknown"),
    ("language", "certificate over 200 characters"): (
        {"certificate": "c" * 201},
        "certificate",
        "certificate.too_long",
    ),
    ("degree", "good"): ({}, None, None),
    ("degree", "title empty"): ({"title": " "}, "title", "title.required"),
    ("degree", "year before 1900"): ({"year": 1850}, "year", "year.range"),
    ("degree", "year in the future"): ({"year": TODAY.year + 1}, "year", "year.range"),
    ("employment", "good"): ({}, None, None),
    ("employment", "pasted ISO date is kept"): ({"start_on": "2012-09-01"}, None, None),
    ("employment", "short German date"): ({"end_on": "30.6.15"}, None, None),
    ("employment", "employer empty"): ({"employer": ""}, "employer", "employer.required"),
    ("employment", "impossible end date"): ({"end_on": "31.02.2015"}, "end_on", "end_on.invalid"),
    ("employment", "end before start"): (
        {"end_on": dt.date(2011, 1, 1)},
        "end_on",
        "end_on.before_start",
    ),
    ("employment", "start in the future"): (
        {"start_on": TODAY + dt.timedelta(days=3), "end_on": None},
        "start_on",
        "start_on.future",
    ),
    ("course", "good"): ({}, None, None),
    ("course", "impossible start date"): (
        {"start_on": "30.02.2024"},
        "start_on",
        "start_on.invalid",
    ),
    ("course", "date out of range"): ({"end_on": "01.01.2100"}, "end_on", "end_on.invalid"),
    ("course", "end before start"): (
        {"end_on": dt.date(2023, 12, 1)},
        "end_on",
        "end_on.before_start",
    ),
    ("course", "unknown course"): ({"course": "astrologie"}, "course", "course.unknown"),
    ("vulnerability", "good"): ({}, None, None),
    ("vulnerability", "code empty"): ({"code": ""}, "code", "code.required"),
    ("vulnerability", "note over 500 characters"): ({"note": "n" * 501}, "note", "note.too_long"),
}


#: fields that are catalogue selects on the forms
SELECTS = {
    "language",
    "level",
    "kind",
    "country",
    "recognition_status",
    "course",
    "outcome",
    "code",
}


def _stored(value: Any) -> Any:
    """What a good input is stored as (a date typed as text is that date)."""
    if isinstance(value, str) and value[:1].isdigit() and ("." in value or "-" in value):
        from app.dates import parse_date

        return parse_date(value)
    return value


def _sub_form(values: dict[str, Any]) -> dict[str, str]:
    data: dict[str, str] = {}
    for name, value in values.items():
        if isinstance(value, bool):
            if value:
                data[name] = "y"
        else:
            data[name] = _text(value)
    return data


def _sub_refusal(kind: str, values: dict[str, Any]) -> tuple[str, str, str]:
    from app.services.casefile.records import check_record
    from app.services.errors import DomainError

    try:
        check_record(kind, values)
    except DomainError as exc:
        return exc.field or "", exc.key, exc.message
    raise AssertionError("the verb accepted a record the table refuses")


def _existing(kind: str, world: dict[str, Any]) -> Any:
    from app.models import MsaUser
    from app.services.casefile.records import create_record

    spec = SUB_RECORDS[kind]
    first = dict(spec.good)
    text_field = next(
        (c for c in spec.columns if c in ("certificate", "title", "employer", "note")), None
    )
    if text_field:
        first[text_field] = "Erstfassung"
    return create_record(
        kind,
        db.session.get(Person, world["person"]),  # type: ignore[arg-type]
        actor=db.session.get(MsaUser, world["worker"]),
        values=first,
    )


@pytest.mark.parametrize("door", ["page", "edit"])
@pytest.mark.parametrize(("kind", "rule"), list(SUB_RULES))
def test_sub_record_rule_through_every_door(
    world: dict[str, Any], kind: str, rule: str, door: str
) -> None:
    """A sub-record: the same refusal (the verb's German message at the field, the input kept,
    422) or the same stored row through its add and its edit form."""
    spec = SUB_RECORDS[kind]
    change, field, key = SUB_RULES[(kind, rule)]
    values = {**spec.good, **change}
    if key is not None:
        assert _sub_refusal(kind, values)[:2] == (field, key)
    page: FlaskClient = world["page"]
    if door == "page":
        url = f"/{spec.route}/add?person_id={world['person']}"
    else:
        existing = _existing(kind, world)
        url = f"/{spec.route}/edit/{existing.id}"
    db.session.expire_all()
    before = [
        tuple(getattr(r, c) for c in spec.columns) for r in db.session.scalars(select(spec.model))
    ]
    resp = page.post(url, data=_sub_form(values))
    db.session.expire_all()
    rows = [
        tuple(getattr(r, c) for c in spec.columns)
        for r in db.session.scalars(
            select(spec.model).where(spec.model.person_id == world["person"])
        )
    ]
    if key is None:
        assert resp.status_code == 302, (kind, rule, door, resp.get_data(as_text=True)[:3000])
        expected = tuple(_stored(values[c]) for c in spec.columns)
        assert rows == [expected]
        return
    _field, _key, message = _sub_refusal(kind, values)
    text = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 422, (kind, rule, door)
    assert message in text, (kind, rule, door, text[:3000])
    # the input kept (a select offers only catalogue entries: a code not in it is not shown)
    typed = _sub_form(values).get(field or "")
    if typed and len(typed) < 100 and field not in SELECTS:
        assert f'value="{typed}"' in text or f">{typed}<" in text  # the input kept
    assert rows == before


def test_sub_record_form_shows_german_date_field(world: dict[str, Any]) -> None:
    """The course and employment forms have the one German date field (no ISO, no picker)."""
    page: FlaskClient = world["page"]
    for route in ("employmentview", "integrationcourseview"):
        text = page.get(f"/{route}/add?person_id={world['person']}").get_data(as_text=True)
        assert 'data-msa-date="1"' in text and 'placeholder="TT.MM.JJJJ"' in text
    course = _existing("course", world)
    text = page.get(f"/integrationcourseview/edit/{course.id}").get_data(as_text=True)
    assert 'value="08.01.2024"' in text and "2024-01-08" not in text

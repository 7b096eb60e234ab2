"""The verbs of persons and sub-records themselves (app.services.casefile.persons, records):
good input is stored as given, bad input refused with every problem at once (German message,
field, stable key), nothing written; dates read by app/dates.py. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AccessLog,
    Employment,
    IntegrationCourse,
    MsaUser,
    Person,
    PersonDegree,
    PersonLanguage,
    PersonVulnerability,
)
from app.security import matrix
from app.services.casefile import persons, records
from app.services.errors import DomainError


@pytest.fixture
def actors(factory: Any) -> dict[str, Any]:
    org = factory.make_org()
    worker = factory.make_user(matrix.ROLE_CASEWORKER, org)
    retired = factory.make_user(matrix.ROLE_CASEWORKER, org)
    retired.active = False
    db.session.commit()
    stranger = factory.make_user(matrix.ROLE_CASEWORKER, factory.make_org())
    return {"org": org.id, "worker": worker, "retired": retired, "stranger": stranger}


def _count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_create_person_stores_the_row_with_its_file_number_and_log(actors: dict[str, Any]) -> None:
    worker: MsaUser = actors["worker"]
    person = persons.create_person(
        {
            "first_name": " Amal ",
            "last_name": "Haddad",
            "birth_date": "05.06.1987",  # a text is read by app/dates.py
            "assigned_on": "2024-03-01",
            "nationality": "sy",
            "employable": True,
            "phone": "",
        },
        actor=worker,
        channel="CLI",
    )
    db.session.expire_all()
    stored = db.session.get(Person, person.id)
    assert stored is not None
    assert (stored.first_name, stored.birth_date, stored.assigned_on) == (
        "Amal",
        dt.date(1987, 6, 5),
        dt.date(2024, 3, 1),
    )
    assert stored.phone is None and stored.employable is True
    assert stored.file_number == f"MSA-{stored.id:06d}" and stored.version == 1
    assert stored.organisation_id == actors["org"] and stored.caseworker_id == worker.id
    assert stored.name_key  # the mapper events keep the search keys
    logged = db.session.execute(
        select(AccessLog.action, AccessLog.detail).where(AccessLog.person_id == stored.id)
    ).all()
    assert [tuple(r) for r in logged] == [("create", "CLI")]


def test_create_person_keeps_a_given_file_number(actors: dict[str, Any]) -> None:
    person = persons.create_person(
        {
            "first_name": "A",
            "last_name": "B",
            "birth_date": dt.date(1990, 1, 1),
            "file_number": "AZ-7",
            "caseworker_id": None,
        },
        actor=actors["worker"],
    )
    assert person.file_number == "AZ-7"


def test_create_person_refuses_with_every_problem_and_writes_nothing(
    actors: dict[str, Any],
) -> None:
    before = (_count(Person), _count(AccessLog))
    with pytest.raises(DomainError) as caught:
        persons.create_person(
            {
                "first_name": "",
                "last_name": "x" * 101,
                "birth_date": "31.02.1990",
                "email": "kein-at",
                "nationality": "atlantis",
                "caseworker_id": actors["stranger"].id,
                "accommodation_id": 987654,
            },
            actor=actors["worker"],
        )
    keys = caught.value.keys
    assert keys == {
        "first_name": "first_name.required",
        "last_name": "last_name.too_long",
        "birth_date": "birth_date.invalid",
        "email": "email.invalid",
        "nationality": "nationality.unknown",
        "caseworker_id": "caseworker.unknown",
        "accommodation_id": "accommodation.unknown",
    }
    assert caught.value.status == 400
    assert "Den 31.02.1990 gibt es nicht" in caught.value.errors["birth_date"][0]
    assert (_count(Person), _count(AccessLog)) == before


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"birth_date": dt.date.today() + dt.timedelta(days=1)}, "birth_date.future"),
        ({"birth_date": dt.date(1899, 12, 31)}, "birth_date.invalid"),
        ({"birth_date": None}, "birth_date.required"),
        (
            {"assigned_on": dt.date(2024, 5, 1), "moved_away_on": dt.date(2024, 1, 1)},
            "moved_away_on.before_assigned",
        ),
        ({"residence_valid_until": dt.date(1980, 1, 1)}, "residence_valid_until.before_birth"),
        ({"household_role": "kaiser"}, "household_role.unknown"),
        ({"organisation_id": 3}, "field.unknown"),
    ],
)
def test_create_person_rules(actors: dict[str, Any], values: dict[str, Any], key: str) -> None:
    base = {"first_name": "A", "last_name": "B", "birth_date": dt.date(1990, 1, 1)}
    with pytest.raises(DomainError) as caught:
        persons.create_person({**base, **values}, actor=actors["worker"])
    assert caught.value.key == key


def test_update_person_checks_version_and_the_stored_dates(
    actors: dict[str, Any], factory: Any
) -> None:
    person = factory.make_person(actors["org"], assigned_on=dt.date(2024, 3, 1))
    person.caseworker_id = actors["retired"].id
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        persons.update_person(
            person, actor=actors["worker"], changes={"phone": "1"}, version=person.version + 1
        )
    assert (caught.value.key, caught.value.status) == ("version.conflict", 409)
    # the move-away is checked against the stored assignment
    with pytest.raises(DomainError) as caught:
        persons.update_person(
            person, actor=actors["worker"], changes={"moved_away_on": "01.01.2024"}
        )
    assert caught.value.key == "moved_away_on.before_assigned"
    # an unchanged caseworker who left the service does not block the edit
    old = person.version
    changed = persons.update_person(
        person,
        actor=actors["worker"],
        changes={"phone": "0151", "caseworker_id": actors["retired"].id},
        version=person.version,
        channel="API",
    )
    assert changed.phone == "0151" and changed.version == old + 1
    with pytest.raises(DomainError) as caught:
        persons.update_person(person, actor=actors["worker"], changes={"caseworker_id": 987654})
    assert caught.value.key == "caseworker.unknown"
    actions = db.session.scalars(
        select(AccessLog.action).where(AccessLog.person_id == person.id)
    ).all()
    assert list(actions) == ["update"]


def test_household_verbs(actors: dict[str, Any], factory: Any) -> None:
    a, b = factory.make_person(actors["org"]), factory.make_person(actors["org"])
    household = persons.link_household(a, b, actor=actors["worker"])
    assert a.household_id == b.household_id == household.id
    with pytest.raises(DomainError) as caught:
        persons.link_household(a, a, actor=actors["worker"])
    assert caught.value.key == "household.self"
    persons.leave_household(a, actor=actors["worker"])
    db.session.expire_all()
    assert db.session.get(Person, a.id).household_id is None  # type: ignore[union-attr]


# -- sub-records ----------------------------------------------------------------------------
def test_sub_record_verbs_store_and_change(actors: dict[str, Any], factory: Any) -> None:
    worker = actors["worker"]
    person = factory.make_person(actors["org"])
    language = records.create_language(person, actor=worker, language="ar", level="c1")
    degree = records.create_degree(person, actor=worker, kind="vocational", title="T", year="2012")
    job = records.create_employment(
        person, actor=worker, employer=" Bäckerei ", start_on="1.9.12", end_on=None
    )
    course = records.create_course(person, actor=worker, course="general", start_on="2024-01-08")
    need = records.create_vulnerability(person, actor=worker, code="disability")
    db.session.expire_all()
    assert db.session.get(PersonLanguage, language.id).level == "c1"  # type: ignore[union-attr]
    assert db.session.get(PersonDegree, degree.id).year == 2012  # type: ignore[union-attr]
    stored_job = db.session.get(Employment, job.id)
    assert stored_job is not None
    assert (stored_job.employer, stored_job.start_on) == ("Bäckerei", dt.date(2012, 9, 1))
    assert stored_job.organisation_id == person.organisation_id
    stored_course = db.session.get(IntegrationCourse, course.id)
    assert stored_course is not None and stored_course.completed is False
    records.end_employment(stored_job, actor=worker, on="30.06.2015")
    records.end_course(stored_course, actor=worker, on=dt.date(2024, 9, 27))
    records.update_vulnerability(
        db.session.get(PersonVulnerability, need.id),  # type: ignore[arg-type]
        actor=worker,
        note="Rollstuhl",
    )
    db.session.expire_all()
    assert db.session.get(Employment, job.id).end_on == dt.date(2015, 6, 30)  # type: ignore[union-attr]
    assert db.session.get(IntegrationCourse, course.id).end_on == dt.date(2024, 9, 27)  # type: ignore[union-attr]
    assert db.session.get(PersonVulnerability, need.id).note == "Rollstuhl"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kind", "values", "keys"),
    [
        ("language", {"language": "", "level": "z9"}, {"language.required", "level.unknown"}),
        ("degree", {"kind": "vocational", "title": "T", "year": 1850}, {"year.range"}),
        ("degree", {"kind": "vocational", "title": "T", "year": "zwölf"}, {"year.range"}),
        (
            "employment",
            {"employer": "E", "start_on": "2015-01-01", "end_on": "2014-01-01"},
            {"end_on.before_start"},
        ),
        ("employment", {"employer": "E", "start_on": "31.02.2015"}, {"start_on.invalid"}),
        (
            "course",
            {"course": "astrologie", "end_on": "01.01.2100"},
            {"course.unknown", "end_on.invalid"},
        ),
        ("vulnerability", {"code": "minor", "note": "n" * 501}, {"note.too_long"}),
        ("vulnerability", {"code": "minor", "person_id": 3}, {"field.unknown"}),
    ],
)
def test_sub_record_verbs_refuse(
    actors: dict[str, Any], factory: Any, kind: str, values: dict[str, Any], keys: set[str]
) -> None:
    person = factory.make_person(actors["org"])
    model = records.KINDS[kind].model
    before = _count(model)
    with pytest.raises(records.RecordError) as caught:
        records.create_record(kind, person, actor=actors["worker"], values=values)
    assert {p.key for p in caught.value.problems} == keys
    assert all(p.message and p.message[0].isupper() for p in caught.value.problems)
    assert _count(model) == before


def test_end_of_a_record_without_period_is_refused(actors: dict[str, Any], factory: Any) -> None:
    person = factory.make_person(actors["org"])
    language = records.create_language(person, actor=actors["worker"], language="ar")
    with pytest.raises(records.RecordError) as caught:
        records.end_record(language, actor=actors["worker"], on=dt.date.today())
    assert caught.value.key == "period.none"
    job = records.create_employment(
        person, actor=actors["worker"], employer="E", start_on=dt.date(2020, 1, 1)
    )
    with pytest.raises(records.RecordError) as caught:
        records.end_employment(job, actor=actors["worker"], on="01.01.2019")
    assert caught.value.key == "end_on.before_start"
    db.session.expire_all()
    assert db.session.get(Employment, job.id).end_on is None  # type: ignore[union-attr]


def test_add_person_writes_several_as_one_unit(actors: dict[str, Any]) -> None:
    """``add_person`` inside the caller's unit of work: a refused row rolls back the others
    (a file of assignments is written whole or not at all)."""
    from app.services.errors import unit_of_work

    before = _count(Person)
    good = {"first_name": "Eins", "last_name": "Datei", "birth_date": "01.02.1990"}
    with pytest.raises(DomainError) as caught, unit_of_work():
        persons.add_person(good, actor=actors["worker"], channel="Zuweisungsimport")
        persons.add_person({**good, "birth_date": "30.02.1990"}, actor=actors["worker"])
    assert caught.value.key == "birth_date.invalid"
    assert _count(Person) == before
    with unit_of_work():
        first = persons.add_person(good, actor=actors["worker"], channel="Zuweisungsimport")
        second = persons.add_person({**good, "first_name": "Zwei"}, actor=actors["worker"])
    assert _count(Person) == before + 2
    assert first.file_number == f"MSA-{first.id:06d}" and second.version == 1

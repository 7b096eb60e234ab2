"""Retention and destruction of case files (R-8.1): boundary, tombstone, no trace, aggregates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from click.testing import Result
from flask import Flask
from sqlalchemy import String, func, inspect, select, text

from app.extensions import db
from app.models import (
    AccessLog,
    ContactNote,
    ContactNoteTopic,
    FileAudit,
    FileAuditItem,
    FollowUp,
    GroupSession,
    Household,
    Person,
    PersonLanguage,
    PersonSensitive,
    PersonShare,
    PurgeRecord,
    Referral,
    group_participant,
)
from app.security import matrix
from app.services.data_protection import retention
from tests import factories as f

MOVED_AWAY = dt.date(2024, 3, 10)
SECRET_NAME = "Zyxqvorth"


def _at(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC), tick=False)


def _full_case_file(org: Any, other_org: Any, user: Any, **kw: Any) -> Person:
    """A person with records in every kind of table that hangs off a person."""
    household = Household(name=f"Familie {SECRET_NAME}", organisation_id=org.id)
    db.session.add(household)
    db.session.commit()
    person = f.make_person(
        org,
        first_name="Leyla",
        last_name=SECRET_NAME,
        household_id=household.id,
        email=f"{SECRET_NAME.lower()}@example.invalid",
        moved_away_on=kw.pop("moved_away_on", MOVED_AWAY),
        **kw,
    )
    note = f.make_note(person, user, summary=f"Gespräch mit Frau {SECRET_NAME}")
    db.session.add(ContactNoteTopic(contact_note_id=note.id, code="housing"))
    db.session.add(
        PersonSensitive(
            person_id=person.id,
            organisation_id=org.id,
            health=f"Diagnose {SECRET_NAME}",
            religion="x",
        )
    )
    db.session.add(PersonLanguage(person_id=person.id, organisation_id=org.id, language="ar"))
    partner = f.make_partner()
    db.session.add(
        Referral(
            person_id=person.id,
            organisation_id=org.id,
            partner_id=partner.id,
            date=dt.date(2023, 5, 1),
            contact_note_id=note.id,
            note=f"{SECRET_NAME} an Jobcenter",
        )
    )
    db.session.add(
        PersonShare(
            person_id=person.id, organisation_id=other_org.id, consent_on=dt.date(2023, 1, 1)
        )
    )
    db.session.commit()
    f.make_follow_up(person, user, title=f"Unterlagen {SECRET_NAME}", contact_note_id=note.id)
    audit = FileAudit(organisation_id=org.id, year=2023, quarter=2, sample_size=1)
    audit.items = [
        FileAuditItem(person_id=person.id, organisation_id=org.id, finding=f"{SECRET_NAME} ok")
    ]
    db.session.add(audit)
    db.session.add(
        AccessLog(username="u", person_id=person.id, action="read", detail=f"Akte {SECRET_NAME}")
    )
    db.session.commit()
    return person


@pytest.fixture
def world(app: Flask) -> Any:
    with app.app_context():
        org = f.make_org("Caritas Test")
        other = f.make_org("Diakonie Test")
        user = f.make_user(matrix.ROLE_CASEWORKER, org)
        target = _full_case_file(org, other, user)
        stays = f.make_person(org, last_name="Bleibt", moved_away_on=None)
        other_person = f.make_person(
            other, last_name="Anders", moved_away_on=MOVED_AWAY.replace(year=2025)
        )
        for p in (stays, other_person):
            f.make_note(p, user, date=dt.date(2024, 2, 1))
        session = GroupSession(
            organisation_id=org.id,
            date=dt.date(2024, 2, 2),
            caseworker_id=user.id,
            topic="Mietrecht",
        )
        session.participants = [db.session.get(Person, target.id), db.session.get(Person, stays.id)]
        db.session.add(session)
        db.session.commit()
        yield {
            "org": org.id,
            "other": other.id,
            "target": target.id,
            "stays": stays.id,
            "user": user.id,
        }


def test_boundary_is_the_day_after_the_anniversary(app: Flask) -> None:
    """§ 188 (2) BGB: the period ends with the anniversary; destruction is due the day after."""
    with app.app_context():
        assert retention.retention_ends_on(MOVED_AWAY) == dt.date(2026, 3, 10)
        assert retention.due_on(MOVED_AWAY) == dt.date(2026, 3, 11)
        assert retention.due_on(dt.date(2024, 2, 29)) == dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("day", "destroyed"),
    [
        (dt.date(2026, 3, 9), False),  # a day before the anniversary
        (dt.date(2026, 3, 10), False),  # the anniversary: last day of the period, stays
        (dt.date(2026, 3, 11), True),  # two years and a day: destroyed
    ],
)
def test_purge_across_the_two_year_boundary(
    app: Flask, world: Any, day: dt.date, destroyed: bool
) -> None:
    with app.app_context(), _at(day):
        report = retention.purge_expired(actor="test")
        assert [d.person_id for d in report.due] == ([world["target"]] if destroyed else [])
        db.session.expire_all()
        assert (db.session.get(Person, world["target"]) is None) is destroyed
        assert db.session.get(Person, world["stays"]) is not None


def test_leap_day_move_away(app: Flask) -> None:
    """Moved away on 29 February: kept through 28 February, due on 1 March."""
    with app.app_context():
        org = f.make_org()
        person = f.make_person(org, moved_away_on=dt.date(2024, 2, 29))
        with _at(dt.date(2026, 2, 28)):
            assert retention.due_case_files() == []
        with _at(dt.date(2026, 3, 1)):
            assert [d.person_id for d in retention.due_case_files()] == [person.id]


def test_person_who_moved_back_is_not_destroyed(app: Flask, world: Any) -> None:
    with app.app_context():
        person = db.session.get(Person, world["target"])
        person.moved_away_on = None  # moved back in before the deadline
        db.session.commit()
        with _at(dt.date(2027, 1, 1)):
            report = retention.purge_expired(actor="test")
        assert report.due == []
        assert db.session.get(Person, world["target"]) is not None


def test_dry_run_deletes_nothing_and_reports_rows(app: Flask, world: Any) -> None:
    with app.app_context(), _at(dt.date(2026, 6, 1)):
        report = retention.purge_expired(dry_run=True)
        assert [d.person_id for d in report.due] == [world["target"]]
        assert report.rows_by_table["person"] == 1
        assert report.rows_by_table["contact_note"] == 1
        assert report.rows_by_table["group_participant"] == 1
        db.session.expire_all()
        assert db.session.get(Person, world["target"]) is not None
        assert db.session.scalar(select(func.count()).select_from(PurgeRecord)) == 0


def _counts_of_others(target: int) -> dict[str, Any]:
    """Aggregates of the other persons: notes per provider and quarter, group sessions."""
    notes = db.session.execute(
        select(ContactNote.organisation_id, ContactNote.date, func.count())
        .where(ContactNote.person_id != target)
        .group_by(ContactNote.organisation_id, ContactNote.date)
        .order_by(ContactNote.organisation_id, ContactNote.date)
    ).all()
    return {
        "notes": [tuple(r) for r in notes],
        "group_sessions": db.session.scalar(select(func.count()).select_from(GroupSession)),
        "persons": db.session.scalar(select(func.count()).where(Person.id != target)),
        "participants_other": db.session.scalar(
            select(func.count())
            .select_from(group_participant)
            .where(group_participant.c.person_id != target)
        ),
    }


def test_destruction_is_complete_leaves_tombstone_and_keeps_aggregates(
    app: Flask, world: Any
) -> None:
    target = world["target"]
    with app.app_context():
        before = _counts_of_others(target)
        with _at(dt.date(2026, 3, 11)):
            report = retention.purge_expired(actor="dsb")
        db.session.expire_all()
        assert _counts_of_others(target) == before
        # nothing of the person remains in any table that hangs off a person
        for model in (
            ContactNote,
            PersonSensitive,
            PersonLanguage,
            FollowUp,
            Referral,
            FileAuditItem,
        ):
            assert db.session.scalar(select(func.count()).where(model.person_id == target)) == 0
        assert db.session.scalar(select(func.count()).select_from(ContactNoteTopic)) == 1 - 1
        assert db.session.scalar(select(func.count()).where(PersonShare.person_id == target)) == 0
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(group_participant)
                .where(group_participant.c.person_id == target)
            )
            == 0
        )
        assert db.session.scalar(select(func.count()).select_from(Household)) == 0  # was empty
        # the group session and the file audit survive (aggregates)
        assert db.session.scalar(select(func.count()).select_from(GroupSession)) == 1
        assert db.session.scalar(select(func.count()).select_from(FileAudit)) == 1
        # the access log keeps who read what, without content
        logs = db.session.scalars(select(AccessLog).where(AccessLog.person_id == target)).all()
        assert [(e.action, e.detail) for e in logs] == [("read", None)]
        purge_log = db.session.scalars(select(AccessLog).where(AccessLog.action == "purge")).one()
        assert str(target) in (purge_log.detail or "")
        # tombstone: former id, provider, dates, who ran it
        record = db.session.scalars(select(PurgeRecord)).one()
        assert record.former_person_id == target
        assert record.organisation_id == world["org"]
        assert record.moved_away_on == MOVED_AWAY
        assert record.due_on == dt.date(2026, 3, 11)
        assert record.purged_by == "dsb"
        assert record.purged_at.date() == dt.date(2026, 3, 11)
        assert record.rows_deleted == sum(report.rows_by_table.values())
        assert report.log_content_cleared == 1


def test_purged_name_appears_nowhere_in_the_database(app: Flask, world: Any) -> None:
    """Scan every text column of every table for the purged person's name."""
    with app.app_context():
        assert _occurrences(SECRET_NAME) > 5  # the scan finds the name before
        with _at(dt.date(2026, 3, 12)):
            retention.purge_expired(actor="test")
        assert _occurrences(SECRET_NAME) == 0


def _occurrences(needle: str) -> int:
    engine = db.engine
    found = 0
    insp = inspect(engine)
    with engine.connect() as conn:
        for table in insp.get_table_names():
            for col in insp.get_columns(table):
                if not isinstance(col["type"], String):
                    continue
                found += conn.execute(
                    text(f'SELECT COUNT(*) FROM "{table}" WHERE LOWER("{col["name"]}") LIKE :n'),
                    {"n": f"%{needle.lower()}%"},
                ).scalar_one()
    return found


def test_every_person_owned_model_is_covered(app: Flask) -> None:
    """Destruction is generic: every PersonOwned table is part of it (tables added later too)."""
    with app.app_context():
        names = {t.name for t in retention.person_owned_tables()}
    assert {"contact_note", "person_sensitive", "follow_up", "referral", "file_audit_item"} <= names


def test_access_log_retention(app: Flask) -> None:
    """Rows older than ACCESS_LOG_RETENTION_DAYS are deleted by the same run, newer stay; the
    deletion leaves a log row."""
    with app.app_context():
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        days = app.config["ACCESS_LOG_RETENTION_DAYS"]
        db.session.add_all(
            [
                AccessLog(
                    username="alt", person_id=1, action="read", at=now - dt.timedelta(days=days + 2)
                ),
                AccessLog(
                    username="neu", person_id=1, action="read", at=now - dt.timedelta(days=days - 2)
                ),
            ]
        )
        db.session.commit()
        report = retention.purge_expired(dry_run=True)
        assert report.log_rows_expired == 1
        assert db.session.scalar(select(func.count()).select_from(AccessLog)) == 2
        report = retention.purge_expired()
        assert report.log_rows_expired == 1
        rows = db.session.execute(
            select(AccessLog.username, AccessLog.action, AccessLog.category).order_by(AccessLog.id)
        ).all()
        # the deletion of log rows is itself logged (the database refuses it otherwise)
        assert [tuple(r) for r in rows] == [
            ("neu", "read", None),
            ("system", "purge", "log_retention"),
        ]


def test_cli_purge_expired_prints_ids_and_dates_never_content(app: Flask, world: Any) -> None:
    runner = app.test_cli_runner()
    with _at(dt.date(2026, 4, 1)):
        dry: Result = runner.invoke(args=["msa", "purge-expired", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert f"Person {world['target']}" in dry.output
        assert "2024-03-10" in dry.output and "2026-03-11" in dry.output
        assert SECRET_NAME not in dry.output
        with app.app_context():
            assert db.session.get(Person, world["target"]) is not None
        real = runner.invoke(args=["msa", "purge-expired"])
        assert real.exit_code == 0, real.output
        assert "Vernichtung" in real.output and SECRET_NAME not in real.output
    with app.app_context():
        assert db.session.get(Person, world["target"]) is None
        assert db.session.scalars(select(PurgeRecord.purged_by)).all() == ["cli:purge-expired"]

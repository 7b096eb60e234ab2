"""Services of the case file: duplicate check (R-2.6), name key, create_note (R-3.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.services.casefile.duplicates import name_key, similar_keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Mohammed", "Haddad"), ("Muhammad", "Haddad")),
        (("Mohammed", "Haddad"), ("Mohamad", "Haddad")),
        (("Muhammad", "Haddad"), ("Mohamad", "Haddad")),
        (("Ahmad", "Nasser"), ("Ahmed", "Nasser")),
        (("Mohammed", "Al-Hassan"), ("Muhammad", "Al Hassan")),
        (("Haddad", "Ahmed"), ("Ahmad", "Haddad")),
    ],
)
def test_transliteration_variants_are_similar(a: tuple[str, str], b: tuple[str, str]) -> None:
    """Mohammed / Muhammad / Mohamad and Ahmad / Ahmed count as the same name."""
    assert similar_keys(name_key(*a), name_key(*b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Ahmad", "Haddad"), ("Omar", "Haddad")),
        (("Olena", "Shevchenko"), ("Olga", "Shevchenko")),
        (("Layla", "Haddad"), ("Rania", "Haddad")),
    ],
)
def test_different_names_are_not_similar(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert not similar_keys(name_key(*a), name_key(*b))


def test_name_key_is_normalised_and_order_free() -> None:
    assert name_key("Mohammed", "Al-Hassan") == name_key("Alhassan", "Mohamad")
    assert name_key("Jürgen", "Müller") == name_key("Juergen", "Mueller")


def test_find_duplicates_same_birth_date_only(db_session: Any, factory: Any) -> None:
    from app.services.casefile.duplicates import find_duplicates

    org = factory.make_org()
    born = dt.date(1980, 5, 17)
    hit = factory.make_person(org, first_name="Mohammed", last_name="Darwish", birth_date=born)
    factory.make_person(
        org, first_name="Mohamad", last_name="Darwish", birth_date=dt.date(1980, 5, 18)
    )
    factory.make_person(org, first_name="Omar", last_name="Darwish", birth_date=born)
    found = find_duplicates("Muhammad", "Darwish", born)
    assert [c.id for c in found] == [hit.id]
    assert find_duplicates("Muhammad", "Darwish", dt.date(1981, 1, 1)) == []


def test_name_key_maintained_on_save(db_session: Any, factory: Any) -> None:
    org = factory.make_org()
    person = factory.make_person(org, first_name="Ahmed", last_name="Nasser")
    assert person.name_key == "ahmad naser"
    person.first_name = "Yusuf"
    db_session.commit()
    assert person.name_key == name_key("Jussuf", "Nasser")


def test_create_note_writes_note_topics_referral_follow_up(db_session: Any, factory: Any) -> None:
    from app.models import FollowUp, Referral
    from app.services.casefile.notes import create_note

    org = factory.make_org()
    worker = factory.make_user("Fachkraft", org)
    person = factory.make_person(org)
    partner = factory.make_partner()
    due = dt.date.today() + dt.timedelta(days=3)
    note = create_note(
        person,
        actor=worker,
        date=dt.date.today(),
        summary="Antrag besprochen",
        topics=["housing", "health", "housing"],
        partner_id=partner.id,
        follow_up_on=due,
        follow_up_title="Nachfragen",
    )
    assert note.date == dt.date.today() and note.kind == "individual"
    assert note.caseworker_id == worker.id and note.organisation_id == org.id
    assert sorted(note.topic_codes) == ["health", "housing"]
    referral = db_session.query(Referral).one()
    assert (referral.partner_id, referral.contact_note_id) == (partner.id, note.id)
    follow_up = db_session.query(FollowUp).one()
    assert (follow_up.assignee_id, follow_up.due_on, follow_up.title) == (
        worker.id,
        due,
        "Nachfragen",
    )


def test_create_note_refuses_bad_input_and_writes_nothing(db_session: Any, factory: Any) -> None:
    from app.models import ContactNote
    from app.services.casefile.notes import NoteError, create_note

    org = factory.make_org()
    worker = factory.make_user("Fachkraft", org)
    person = factory.make_person(org)
    with pytest.raises(NoteError) as exc:
        create_note(
            person,
            actor=worker,
            summary=" ",
            kind="telepathy",
            topics=["housing", "astrology"],
            date=dt.date.today() + dt.timedelta(days=1),
            partner_id=999999,
        )
    assert set(exc.value.errors) == {"summary", "kind", "topics", "date", "partner_id"}
    assert db_session.query(ContactNote).count() == 0


def test_validate_person_rules(db_session: Any) -> None:
    from app.services.casefile.persons import validate_person

    today = dt.date(2026, 1, 1)
    ok = {"first_name": "A", "last_name": "B", "birth_date": dt.date(1990, 1, 1)}
    assert validate_person(ok, today) == {}
    assert "birth_date" in validate_person({**ok, "birth_date": dt.date(2026, 1, 2)}, today)
    assert "birth_date" in validate_person({**ok, "birth_date": dt.date(1899, 1, 1)}, today)
    assert "nationality" in validate_person({**ok, "nationality": "xx-unknown"}, today)
    assert "first_name" in validate_person({**ok, "first_name": "  "}, today)
    assert "moved_away_on" in validate_person(
        {**ok, "assigned_on": dt.date(2025, 5, 1), "moved_away_on": dt.date(2025, 4, 1)}, today
    )


def test_follow_up_buckets(db_session: Any, factory: Any) -> None:
    from app.services.casefile.contacts import my_open_follow_ups
    from app.services.casefile.follow_ups import complete_follow_up

    org = factory.make_org()
    worker = factory.make_user("Fachkraft", org)
    person = factory.make_person(org)
    today = dt.date(2026, 3, 10)
    a = factory.make_follow_up(person, worker, due_on=dt.date(2026, 3, 9))
    b = factory.make_follow_up(person, worker, due_on=today)
    c = factory.make_follow_up(person, worker, due_on=dt.date(2026, 3, 20))
    buckets = my_open_follow_ups(worker.id, today=today)
    assert ([f.id for f in buckets.overdue], [f.id for f in buckets.today]) == ([a.id], [b.id])
    assert [f.id for f in buckets.upcoming] == [c.id]
    assert complete_follow_up(a, actor=worker, today=today)
    assert not complete_follow_up(a, actor=worker, today=today)
    assert my_open_follow_ups(worker.id, today=today).overdue == []

"""The shared row-scoping mechanism (app/security/scoping.py) without HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import select

from app.security import matrix
from app.security.scoping import NO_SCOPE, ScopeViolationError, scope_for_user
from tests import factories


class _Role:
    def __init__(self, name: str) -> None:
        self.name = name


class _User:
    is_authenticated = True

    def __init__(self, user_id: int, org_id: int | None, role: str) -> None:
        self.id = user_id
        self.organisation_id = org_id
        self.roles = [_Role(role)]
        self.username = f"u{user_id}"


def test_scope_for_user_per_role() -> None:
    assert scope_for_user(None) == NO_SCOPE
    assert scope_for_user(_User(1, 5, matrix.ROLE_CASEWORKER)).mode == "org"
    assert scope_for_user(_User(1, 5, matrix.ROLE_CASEWORKER)).organisation_id == 5
    assert scope_for_user(_User(1, None, matrix.ROLE_CASEWORKER)).mode == "none"
    assert scope_for_user(_User(1, None, matrix.ROLE_REVIEWER)).mode == "all"
    assert scope_for_user(_User(1, 9, matrix.ROLE_COUNTY_ADMIN)).mode == "org"


@pytest.fixture
def two(app: Flask) -> Iterator[dict[str, Any]]:
    with app.app_context():
        a = factories.make_org("A")
        b = factories.make_org("B")
        worker_a = factories.make_user(matrix.ROLE_CASEWORKER, a)
        person_a = factories.make_person(a)
        person_b = factories.make_person(b)
        yield {
            "a": a.id,
            "b": b.id,
            "worker_a": worker_a.id,
            "person_a": person_a.id,
            "person_b": person_b.id,
        }


@contextmanager
def as_user(app: Flask, user: _User) -> Iterator[None]:
    with app.test_request_context("/"):
        g.user = user
        yield


def test_reads_are_filtered_in_a_request(app: Flask, two: dict[str, Any]) -> None:
    from app.extensions import db
    from app.models import Person

    user = _User(two["worker_a"], two["a"], matrix.ROLE_CASEWORKER)
    with as_user(app, user):
        ids = db.session.execute(select(Person.id)).scalars().all()
        assert ids == [two["person_a"]]
        # FAB's actions and mass actions load rows with datamodel.get(pk): filtered too
        assert app.appbuilder.baseviews  # views registered
        from flask_appbuilder.models.sqla.interface import SQLAInterface

        assert SQLAInterface(Person, db.session).get(two["person_b"]) is None
        db.session.rollback()


def test_write_with_cached_foreign_person_is_refused(app: Flask, two: dict[str, Any]) -> None:
    """A foreign person already in the session's identity map is still refused.

    Regression: the write check used ``session.get`` which answers from the identity map
    without the row scope, so a person of provider B loaded earlier in the same session
    (e.g. by a service) let a note of provider A attach to it.
    """
    from app.extensions import db
    from app.models import ContactNote, Person

    cached = db.session.get(Person, two["person_b"])  # loaded without scope
    assert cached is not None
    user = _User(two["worker_a"], two["a"], matrix.ROLE_CASEWORKER)
    with as_user(app, user):
        db.session.add(
            ContactNote(
                person_id=two["person_b"],
                caseworker_id=two["worker_a"],
                date=dt.date.today(),
                kind="individual",
                summary="Versuch",
            )
        )
        with pytest.raises(ScopeViolationError):
            db.session.flush()
        db.session.rollback()


def test_foreign_fk_in_cached_row_is_refused(app: Flask, two: dict[str, Any]) -> None:
    """A foreign household cached in the identity map cannot be attached either."""
    from app.extensions import db
    from app.models import Household, Person

    household = Household(name="Fremd", organisation_id=two["b"])
    db.session.add(household)
    db.session.commit()
    assert db.session.get(Household, household.id) is not None
    user = _User(two["worker_a"], two["a"], matrix.ROLE_CASEWORKER)
    with as_user(app, user):
        person = db.session.execute(select(Person).where(Person.id == two["person_a"])).scalar_one()
        person.household_id = household.id
        with pytest.raises(ScopeViolationError):
            db.session.flush()
        db.session.rollback()


def test_organisation_taken_from_person_not_request(app: Flask, two: dict[str, Any]) -> None:
    from app.extensions import db
    from app.models import ContactNote

    user = _User(two["worker_a"], two["a"], matrix.ROLE_CASEWORKER)
    with as_user(app, user):
        note = ContactNote(
            person_id=two["person_a"],
            organisation_id=two["b"],
            caseworker_id=two["worker_a"],
            date=dt.date.today(),
            kind="individual",
            summary="Test",
        )
        db.session.add(note)
        db.session.commit()
        assert note.organisation_id == two["a"]

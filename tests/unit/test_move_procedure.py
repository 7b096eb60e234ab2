"""Umzugsverfahren (R-5.3): both tracks as ordered steps; moving in ends counselling (R-2.3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from app.extensions import db
from app.models import MoveProcedure, Person
from app.services.housing import move_procedure as moves
from app.services.housing import social_report as reports

ASYLBLG_STEPS = [
    "application",
    "social_report",
    "authority_involvement",
    "decision",
    "flat_search",
    "cost_applications",
    "lease",
    "registrations",
]
SGB2_STEPS = ["flat_search", "offer_to_jobcenter", "cost_assurance", "lease", "registrations"]


@pytest.fixture
def setup(factory: Any) -> dict[str, Any]:
    org = factory.make_org()
    user = factory.make_user("Fachkraft", org)
    person = factory.make_person(org, benefit_basis="asylblg_basic")
    return {"org": org, "user": user, "person": person}


def _final_report(person: Person, user: Any) -> None:
    texts = {code: "erfüllt" for code, _ in reports.criteria()}
    report = reports.create_draft(person, author=user, assessments=texts, recommendation="Ja")
    reports.finalise(report, author=user)


def test_tracks_have_the_steps_of_the_concept_paper() -> None:
    """The steps and their order are those of §3.1.1 / R-5.3 for both tracks."""
    assert [s.code for s in moves.TRACKS["asylblg"]] == ASYLBLG_STEPS
    assert [s.code for s in moves.TRACKS["sgb2"]] == SGB2_STEPS
    labels = " ".join(s.label + s.responsible for s in moves.TRACKS["asylblg"])
    assert "Ausländerbehörde" in labels and "Fachdienst Gesundheit" in labels
    assert "KdU" in labels and "Wohnungserstausstattung" in labels
    sgb2 = " ".join(s.label for s in moves.TRACKS["sgb2"])
    for authority in ("Einwohnermeldeamt", "Ausländerbehörde", "Jobcenter", "Energieversorger"):
        assert authority in sgb2


def test_asylblg_track_in_order_sets_move_in_and_end_of_counselling(
    setup: dict[str, Any],
) -> None:
    """Completing the lease records the move-in; under the AsylbLG counselling goes on (the end
    three months after moving in is meant for recognised refugees)."""
    person, user = setup["person"], setup["user"]
    start = dt.date.today() - dt.timedelta(days=60)
    procedure = moves.start(person, "asylblg", by=user, started_on=start)
    assert [s.code for s in procedure.steps] == ASYLBLG_STEPS
    assert all(s.responsible for s in procedure.steps)
    _final_report(person, user)
    for i, code in enumerate(ASYLBLG_STEPS):
        day = start + dt.timedelta(days=5 * i)
        moves.complete_step(
            procedure,
            code,
            done_on=day,
            by=user,
            moved_in_on=day + dt.timedelta(days=2) if code == "lease" else None,
        )
    lease_day = start + dt.timedelta(days=30)
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    procedure = db.session.get(MoveProcedure, procedure.id)
    assert procedure.status == "done"
    assert person.moved_in_own_housing_on == lease_day + dt.timedelta(days=2)
    assert person.counselling_ends_on is None
    person.benefit_basis = "sgb2"  # recognised: counselling ends three months after moving in
    assert person.counselling_ends_on == person.moved_in_own_housing_on + relativedelta(months=3)
    social_step = next(s for s in procedure.steps if s.code == "social_report")
    assert social_step.social_report_id is not None
    assert moves.progress(procedure) == (8, 8)


def test_sgb2_track_in_order(setup: dict[str, Any], factory: Any) -> None:
    """Recognised refugees (SGB II) follow the Jobcenter track; moving in is recorded."""
    person = factory.make_person(setup["org"], benefit_basis="sgb2")
    assert moves.default_track(person) == "sgb2"
    procedure = moves.start(person, "sgb2", by=setup["user"], started_on=dt.date(2026, 1, 5))
    for code in SGB2_STEPS:
        moves.complete_step(
            procedure,
            code,
            done_on=dt.date(2026, 2, 1),
            by=setup["user"],
            responsible="Jobcenter Musterstadt" if code == "cost_assurance" else None,
        )
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.moved_in_own_housing_on == dt.date(2026, 2, 1)
    assert person.counselling_ends_on == dt.date(2026, 5, 1)
    procedure = db.session.get(MoveProcedure, procedure.id)
    assert next(s for s in procedure.steps if s.code == "cost_assurance").responsible == (
        "Jobcenter Musterstadt"
    )


def test_wrong_order_is_refused(setup: dict[str, Any]) -> None:
    """A step out of order is refused and nothing is recorded."""
    person, user = setup["person"], setup["user"]
    procedure = moves.start(person, "asylblg", by=user, started_on=dt.date(2026, 1, 1))
    with pytest.raises(moves.MoveError, match="der Reihe nach"):
        moves.complete_step(procedure, "lease", done_on=dt.date(2026, 1, 2), by=user)
    db.session.rollback()
    moves.complete_step(procedure, "application", done_on=dt.date(2026, 1, 2), by=user)
    with pytest.raises(moves.MoveError, match="Sozialbericht"):
        moves.complete_step(procedure, "social_report", done_on=dt.date(2026, 1, 3), by=user)
    db.session.rollback()
    with pytest.raises(moves.MoveError, match="nicht vor dem vorigen"):
        moves.complete_step(procedure, "social_report", done_on=dt.date(2025, 12, 1), by=user)
    db.session.rollback()
    with pytest.raises(moves.MoveError, match="gibt es"):
        moves.complete_step(procedure, "offer_to_jobcenter", done_on=dt.date(2026, 1, 3), by=user)
    db.session.rollback()
    with pytest.raises(moves.MoveError, match="Zukunft"):
        _final_report(person, user)
        moves.complete_step(
            procedure, "social_report", done_on=dt.date.today() + dt.timedelta(days=3), by=user
        )
    db.session.rollback()
    db.session.expire_all()
    procedure = db.session.get(MoveProcedure, procedure.id)
    assert [s.code for s in procedure.steps if s.done_on] == ["application"]
    assert db.session.get(Person, person.id).moved_in_own_housing_on is None


def test_rejected_decision_ends_the_procedure(setup: dict[str, Any]) -> None:
    """A rejected application ends the AsylbLG procedure; no further steps."""
    person, user = setup["person"], setup["user"]
    procedure = moves.start(person, "asylblg", by=user, started_on=dt.date(2026, 1, 1))
    _final_report(person, user)
    for code in ASYLBLG_STEPS[:3]:
        moves.complete_step(procedure, code, done_on=dt.date(2026, 1, 10), by=user)
    moves.complete_step(
        procedure, "decision", done_on=dt.date(2026, 1, 20), by=user, approved=False
    )
    assert procedure.status == "rejected"
    with pytest.raises(moves.MoveError, match="beendet"):
        moves.complete_step(procedure, "flat_search", done_on=dt.date(2026, 1, 21), by=user)
    db.session.rollback()
    # a new application may be started afterwards
    assert moves.start(person, "asylblg", by=user).status == "open"


def test_one_open_procedure_and_known_tracks_only(setup: dict[str, Any]) -> None:
    person, user = setup["person"], setup["user"]
    with pytest.raises(moves.MoveError, match="Unbekanntes"):
        moves.start(person, "sgb12", by=user)
    moves.start(person, "asylblg", by=user)
    with pytest.raises(moves.MoveError, match="bereits"):
        moves.start(person, "sgb2", by=user)


def test_first_step_may_be_dated_back_to_the_day_it_happened(setup: dict[str, Any]) -> None:
    """A procedure entered today whose application was made two weeks ago."""
    person, user = setup["person"], setup["user"]
    procedure = moves.start(person, "asylblg", by=user)
    earlier = dt.date.today() - dt.timedelta(days=14)
    moves.complete_step(procedure, "application", done_on=earlier, by=user)
    db.session.expire_all()
    procedure = db.session.get(MoveProcedure, procedure.id)
    assert procedure.started_on == earlier
    assert next(s for s in procedure.steps if s.code == "application").done_on == earlier

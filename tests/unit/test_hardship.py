"""Härtefallverfahren (§ 23a AufenthG): the steps' days in order, a decision only after the
submission (a withdrawal also before), one open procedure per person, corrections by edit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.models import HardshipProcedure
from app.services.housing import hardship
from app.services.housing.hardship import HardshipError

D = dt.date
TODAY = D(2026, 6, 30)


@pytest.fixture
def setup(factory: Any) -> dict[str, Any]:
    org = factory.make_org()
    user = factory.make_user("Fachkraft", org, first_name="Fatma", last_name="Kaya")
    person = factory.make_person(org)
    return {"org": org, "user": user, "person": person}


def _open(setup: dict[str, Any], **values: Any) -> HardshipProcedure:
    values.setdefault("prepared_on", D(2026, 3, 1))
    return hardship.open_procedure(setup["person"], actor=setup["user"], values=values, today=TODAY)


def _keys(exc: pytest.ExceptionInfo[HardshipError]) -> set[str]:
    return {p.key for p in exc.value.problems}


def test_the_steps_run_to_a_decision(setup: dict[str, Any]) -> None:
    """Prepared → submitted (through a member) → decided with its outcome; who recorded it."""
    procedure = _open(setup, member="Flüchtlingsrat", note="Familie mit Kindern")
    assert procedure.is_open and procedure.status_label == "Antrag in Vorbereitung"
    assert hardship.next_step_label(procedure) == "Bei der Härtefallkommission eingereicht"
    hardship.record_submission(
        procedure, actor=setup["user"], submitted_on="15.03.2026", today=TODAY
    )
    assert procedure.submitted_on == D(2026, 3, 15) and procedure.member == "Flüchtlingsrat"
    hardship.record_decision(
        procedure,
        actor=setup["user"],
        decided_on="2026-05-20",
        outcome="request_made",
        today=TODAY,
    )
    assert not procedure.is_open and procedure.outcome_label == "Härtefallersuchen gestellt"
    assert procedure.recorded_by_name == "Fatma Kaya" and procedure.note == "Familie mit Kindern"
    assert [s["on"] for s in hardship.steps_of(procedure)] == [
        D(2026, 3, 1),
        D(2026, 3, 15),
        D(2026, 5, 20),
    ]
    with pytest.raises(HardshipError) as exc:
        hardship.record_decision(
            procedure, actor=None, decided_on="2026-05-21", outcome="rejected", today=TODAY
        )
    assert exc.value.key == "procedure.closed" and exc.value.status == 409


def test_days_in_order_and_not_in_the_future(setup: dict[str, Any]) -> None:
    """Submitted not before prepared, decided not before submitted, nothing after today."""
    with pytest.raises(HardshipError) as exc:
        _open(setup, prepared_on=D(2026, 7, 1))
    assert _keys(exc) == {"prepared_on.future"}
    with pytest.raises(HardshipError) as exc:
        _open(setup, prepared_on=None)
    assert _keys(exc) == {"prepared_on.required"}
    procedure = _open(setup)
    with pytest.raises(HardshipError) as exc:
        hardship.record_submission(procedure, actor=None, submitted_on=D(2026, 2, 28), today=TODAY)
    assert _keys(exc) == {"submitted_on.before_prepared"}
    assert "01.03.2026" in exc.value.message
    hardship.record_submission(procedure, actor=None, submitted_on=D(2026, 3, 10), today=TODAY)
    with pytest.raises(HardshipError) as exc:
        hardship.record_decision(
            procedure, actor=None, decided_on=D(2026, 3, 9), outcome="rejected", today=TODAY
        )
    assert _keys(exc) == {"decided_on.before_submitted"}
    with pytest.raises(HardshipError) as exc:
        hardship.record_decision(
            procedure, actor=None, decided_on=D(2026, 7, 1), outcome="rejected", today=TODAY
        )
    assert _keys(exc) == {"decided_on.future"}
    with pytest.raises(HardshipError) as exc:
        hardship.record_decision(
            procedure, actor=None, decided_on="31.02.2026", outcome="rejected", today=TODAY
        )
    assert _keys(exc) == {"decided_on.invalid"} and "31.02.2026" in exc.value.message
    assert procedure.is_open  # nothing was written


def test_no_decision_before_submission_except_withdrawal(setup: dict[str, Any]) -> None:
    """The commission decides only on a submitted request; a request may be withdrawn before."""
    procedure = _open(setup)
    for outcome in ("request_made", "rejected", "not_accepted"):
        with pytest.raises(HardshipError) as exc:
            hardship.record_decision(
                procedure, actor=None, decided_on=D(2026, 4, 1), outcome=outcome, today=TODAY
            )
        assert _keys(exc) == {"decided_on.not_submitted"}
    with pytest.raises(HardshipError) as exc:
        hardship.record_decision(
            procedure, actor=None, decided_on=D(2026, 2, 1), outcome="withdrawn", today=TODAY
        )
    assert _keys(exc) == {"decided_on.before_prepared"}
    hardship.record_decision(
        procedure, actor=None, decided_on=D(2026, 4, 1), outcome="withdrawn", today=TODAY
    )
    assert procedure.outcome_label == "Eingabe zurückgezogen" and procedure.submitted_on is None


def test_outcome_and_decision_day_go_together(setup: dict[str, Any]) -> None:
    """An outcome needs its day and a day its outcome; unknown outcomes are refused."""
    procedure = _open(setup, submitted_on=D(2026, 3, 2))
    with pytest.raises(HardshipError) as exc:
        hardship.update_procedure(
            procedure, actor=None, values={"outcome": "rejected"}, today=TODAY
        )
    assert _keys(exc) == {"decided_on.required"}
    with pytest.raises(HardshipError) as exc:
        hardship.update_procedure(
            procedure, actor=None, values={"decided_on": "01.04.2026"}, today=TODAY
        )
    assert _keys(exc) == {"outcome.required"}
    with pytest.raises(HardshipError) as exc:
        hardship.update_procedure(
            procedure,
            actor=None,
            values={"decided_on": "01.04.2026", "outcome": "genehmigt"},
            today=TODAY,
        )
    assert "outcome.unknown" in _keys(exc)
    with pytest.raises(HardshipError) as exc:
        hardship.update_procedure(procedure, actor=None, values={"status": "x"}, today=TODAY)
    assert _keys(exc) == {"status.unknown_field"}


def test_one_open_procedure_per_person(setup: dict[str, Any], factory: Any) -> None:
    """A second open procedure is refused (409); after the decision a new one may begin; a
    decided procedure cannot be reopened while another is open."""
    first = _open(setup, submitted_on=D(2026, 3, 2))
    with pytest.raises(HardshipError) as exc:
        _open(setup, prepared_on=D(2026, 4, 1))
    assert exc.value.key == "procedure.open_exists" and exc.value.status == 409
    other_person = factory.make_person(setup["org"])
    hardship.open_procedure(
        other_person, actor=None, values={"prepared_on": D(2026, 4, 1)}, today=TODAY
    )
    hardship.record_decision(
        first, actor=None, decided_on=D(2026, 5, 1), outcome="not_accepted", today=TODAY
    )
    second = _open(setup, prepared_on=D(2026, 6, 1))
    with pytest.raises(HardshipError) as exc:
        hardship.update_procedure(
            first, actor=None, values={"decided_on": "", "outcome": ""}, today=TODAY
        )
    assert exc.value.key == "procedure.open_exists"
    assert [p.id for p in hardship.procedures_of(setup["person"].id)] == [second.id, first.id]


def test_corrections_and_stale_versions(setup: dict[str, Any]) -> None:
    """A wrong day is corrected by editing; an edit of an older version is refused (409)."""
    procedure = _open(setup, submitted_on=D(2026, 3, 20))
    version = procedure.version
    hardship.update_procedure(
        procedure,
        actor=setup["user"],
        values={"submitted_on": "18.03.2026", "note": "  Tag berichtigt "},
        version=version,
        today=TODAY,
    )
    assert procedure.submitted_on == D(2026, 3, 18) and procedure.note == "Tag berichtigt"
    with pytest.raises(HardshipError) as exc:
        hardship.update_procedure(
            procedure, actor=None, values={"note": "alt"}, version=version, today=TODAY
        )
    assert exc.value.key == "version.conflict" and exc.value.status == 409
    with pytest.raises(HardshipError) as exc:
        hardship.update_procedure(procedure, actor=None, values={"member": "x" * 301}, today=TODAY)
    assert _keys(exc) == {"member.too_long"}

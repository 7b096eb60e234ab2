"""Härtefallverfahren (Fachkonzept 3.1.10, § 23a AufenthG, HFKV Brandenburg): the verbs.

A case before the Härtefallkommission runs through three steps, each with its day: the request
is prepared with the client (Antrag vorbereitet), it is brought in to the commission through
one of its members (eingereicht), and the commission decides — it makes a hardship request to
the Ministry of the Interior (Härtefallersuchen gestellt), decides not to (abgelehnt), does not
take the case up (nicht zur Beratung angenommen), or the request is withdrawn (zurückgezogen).

Rules, the same for every door (page form, REST): the days follow in order (submitted not
before prepared, decided not before submitted), none lies in the future; a decision of the
commission needs the submission first — only a withdrawal may end a request that was never
submitted; a decision has an outcome and an outcome a day; at most one open (undecided)
procedure per person. There is no delete: a wrong entry is corrected by editing it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from app.dates import DateError, de_date, parse_date
from app.extensions import db
from app.models import MsaUser, Person
from app.models.base import utcnow
from app.models.housing import (
    HARDSHIP_OUTCOME_LABELS,
    HARDSHIP_WITHDRAWN,
    HardshipProcedure,
)
from app.services.data_protection.access_log import log_access
from app.services.errors import DomainError, Problems, unit_of_work

FIELDS = ("prepared_on", "submitted_on", "decided_on", "outcome", "member", "note")
DATE_FIELDS = ("prepared_on", "submitted_on", "decided_on")
MEMBER_MAX = 300
NOTE_MAX = 10000

#: the steps as the case file and the procedure page show them: (date field, German label)
STEPS = (
    ("prepared_on", "Antrag vorbereitet"),
    ("submitted_on", "Bei der Härtefallkommission eingereicht"),
    ("decided_on", "Entscheidung der Härtefallkommission"),
)
DATE_LABELS = dict(STEPS)
#: the fields by German name, for the access log's detail of a change
LOG_LABELS = {
    **DATE_LABELS,
    "outcome": "Ergebnis",
    "member": "Eingebracht über",
    "note": "Vermerk",
}


class HardshipError(DomainError):
    """A Härtefallverfahren entry was refused; nothing was written."""


def outcome_choices() -> list[tuple[str, str]]:
    """The outcomes of the commission's decision: (code, German label)."""
    return list(HARDSHIP_OUTCOME_LABELS.items())


def open_procedure_of(person_id: int, *, other_than: int | None = None) -> int | None:
    """The id of the person's open (undecided) procedure, if any."""
    stmt = select(HardshipProcedure.id).where(
        HardshipProcedure.person_id == person_id, HardshipProcedure.decided_on.is_(None)
    )
    if other_than is not None:
        stmt = stmt.where(HardshipProcedure.id != other_than)
    return db.session.scalars(stmt.limit(1)).first()


def _text(values: Mapping[str, Any], name: str, limit: int, problems: Problems) -> str | None:
    raw = values.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        problems.add(name, f"{name}.format", "Bitte Text angeben.")
        return None
    text = raw.strip()
    if len(text) > limit:
        problems.add(
            name,
            f"{name}.too_long",
            f"Höchstens {limit} Zeichen erlaubt (eingegeben: {len(text)}).",
        )
    return text or None


def _state(
    current: Mapping[str, Any], values: Mapping[str, Any], problems: Problems
) -> dict[str, Any]:
    """The procedure as it would be after the change: ``values`` over ``current``."""
    state = dict(current)
    for name in DATE_FIELDS:
        if name not in values:
            continue
        try:
            state[name] = parse_date(values[name])
        except DateError as exc:
            problems.add(name, f"{name}.invalid", str(exc))
            state[name] = current.get(name)
    if "outcome" in values:
        raw = values["outcome"]
        code = raw.strip() if isinstance(raw, str) else raw
        if code is None or code == "":
            state["outcome"] = None
        elif not isinstance(code, str) or code not in HARDSHIP_OUTCOME_LABELS:
            problems.add(
                "outcome",
                "outcome.unknown",
                "Unbekannte Entscheidung; erlaubt sind: "
                + ", ".join(HARDSHIP_OUTCOME_LABELS.values())
                + ".",
            )
        else:
            state["outcome"] = code
    if "member" in values:
        state["member"] = _text(values, "member", MEMBER_MAX, problems)
    if "note" in values:
        state["note"] = _text(values, "note", NOTE_MAX, problems)
    return state


def _check(state: Mapping[str, Any], problems: Problems, today: dt.date) -> None:
    """The rules of the steps: order of the days, decision after submission, no future."""
    prepared, submitted, decided = (state.get(n) for n in DATE_FIELDS)
    outcome = state.get("outcome")
    if prepared is None and not problems.has("prepared_on"):
        problems.add(
            "prepared_on",
            "prepared_on.required",
            "Bitte angeben, wann der Antrag vorbereitet wurde.",
        )
    for name in DATE_FIELDS:
        day = state.get(name)
        if day is not None and day > today and not problems.has(name):
            problems.add(name, f"{name}.future", "Das Datum darf nicht in der Zukunft liegen.")
    if submitted is not None and prepared is not None and submitted < prepared:
        problems.add(
            "submitted_on",
            "submitted_on.before_prepared",
            "Die Einreichung kann nicht vor der Vorbereitung des Antrags liegen "
            f"({de_date(prepared)}).",
        )
    if decided is not None and outcome is None and not problems.has("outcome"):
        problems.add("outcome", "outcome.required", "Bitte die Entscheidung auswählen.")
    if outcome is not None and decided is None and not problems.has("decided_on"):
        problems.add(
            "decided_on", "decided_on.required", "Bitte das Datum der Entscheidung angeben."
        )
    if decided is None:
        return
    if submitted is None and outcome not in (None, HARDSHIP_WITHDRAWN):
        problems.add(
            "decided_on",
            "decided_on.not_submitted",
            "Die Härtefallkommission kann erst nach der Einreichung entscheiden – bitte zuerst "
            "das Datum der Einreichung angeben (ohne Einreichung ist nur „zurückgezogen“ möglich).",
        )
    elif submitted is not None and decided < submitted:
        problems.add(
            "decided_on",
            "decided_on.before_submitted",
            f"Die Entscheidung kann nicht vor der Einreichung liegen ({de_date(submitted)}).",
        )
    elif prepared is not None and decided < prepared:
        problems.add(
            "decided_on",
            "decided_on.before_prepared",
            f"Die Entscheidung kann nicht vor der Vorbereitung liegen ({de_date(prepared)}).",
        )


def _unknown_fields(values: Mapping[str, Any], problems: Problems) -> None:
    for name in values:
        if name not in FIELDS:
            problems.add(name, f"{name}.unknown_field", "Dieses Feld gibt es hier nicht.")


def _stamp(procedure: HardshipProcedure, actor: MsaUser | None) -> None:
    procedure.recorded_by_name = (
        f"{actor.first_name} {actor.last_name}".strip() if actor is not None else None
    )
    procedure.recorded_at = utcnow()


def _open_exists() -> HardshipError:
    return HardshipError(
        "Für diese Person läuft bereits ein Härtefallverfahren – bitte dort weiterführen.",
        field=None,
        key="procedure.open_exists",
        status=409,
    )


def _closed() -> HardshipError:
    return HardshipError(
        "Über das Härtefallverfahren ist bereits entschieden.", key="procedure.closed", status=409
    )


def open_procedure(
    person: Person,
    *,
    actor: MsaUser | None,
    values: Mapping[str, Any],
    today: dt.date | None = None,
) -> HardshipProcedure:
    """Begin a Härtefallverfahren (the request is prepared); one open procedure per person."""
    today = today or dt.date.today()
    problems = Problems(HardshipError)
    _unknown_fields(values, problems)
    state = _state(dict.fromkeys(FIELDS), values, problems)
    _check(state, problems, today)
    problems.raise_if_any()
    with unit_of_work():
        if state["decided_on"] is None and open_procedure_of(person.id) is not None:
            raise _open_exists()
        procedure = HardshipProcedure(
            person_id=person.id,
            organisation_id=person.organisation_id,
            created_by_id=actor.id if actor is not None else None,
            **state,
        )
        _stamp(procedure, actor)
        db.session.add(procedure)
        log_access(
            person.id, "create", category="hardship", detail="Härtefallverfahren", commit=False
        )
    return procedure


def update_procedure(
    procedure: HardshipProcedure,
    *,
    actor: MsaUser | None,
    values: Mapping[str, Any],
    version: int | None = None,
    today: dt.date | None = None,
) -> HardshipProcedure:
    """Record the next step or correct one: only the fields given change, the rules hold."""
    today = today or dt.date.today()
    if version is not None and version != procedure.version:
        raise HardshipError(
            "Das Härtefallverfahren wurde inzwischen geändert – bitte neu laden.",
            key="version.conflict",
            status=409,
        )
    problems = Problems(HardshipError)
    _unknown_fields(values, problems)
    current = {name: getattr(procedure, name) for name in FIELDS}
    state = _state(current, values, problems)
    _check(state, problems, today)
    problems.raise_if_any()
    if state == current:
        return procedure
    with unit_of_work():
        if state["decided_on"] is None and (
            open_procedure_of(procedure.person_id, other_than=procedure.id) is not None
        ):
            raise _open_exists()
        for name in FIELDS:
            setattr(procedure, name, state[name])
        _stamp(procedure, actor)
        changed = "Härtefallverfahren: " + ", ".join(
            LOG_LABELS[name] for name in FIELDS if state[name] != current[name]
        )
        log_access(procedure.person_id, "update", category="hardship", detail=changed, commit=False)
    return procedure


def record_submission(
    procedure: HardshipProcedure,
    *,
    actor: MsaUser | None,
    submitted_on: Any,
    member: str | None = None,
    note: str | None = None,
    today: dt.date | None = None,
) -> HardshipProcedure:
    """Record that the request was brought in to the commission (on that day)."""
    if procedure.decided_on is not None:
        raise _closed()
    values: dict[str, Any] = {"submitted_on": submitted_on or None}
    if values["submitted_on"] is None:
        raise HardshipError(
            "Bitte das Datum der Einreichung angeben.",
            field="submitted_on",
            key="submitted_on.required",
        )
    if member is not None:
        values["member"] = member
    if note is not None:
        values["note"] = note
    return update_procedure(procedure, actor=actor, values=values, today=today)


def record_decision(
    procedure: HardshipProcedure,
    *,
    actor: MsaUser | None,
    decided_on: Any,
    outcome: Any,
    note: str | None = None,
    today: dt.date | None = None,
) -> HardshipProcedure:
    """Record the commission's decision (or the withdrawal) with its day."""
    if procedure.decided_on is not None:
        raise _closed()
    values: dict[str, Any] = {"decided_on": decided_on or None, "outcome": outcome or None}
    if values["decided_on"] is None:
        raise HardshipError(
            "Bitte das Datum der Entscheidung angeben.",
            field="decided_on",
            key="decided_on.required",
        )
    if note is not None:
        values["note"] = note
    return update_procedure(procedure, actor=actor, values=values, today=today)


def procedures_of(person_id: int) -> list[HardshipProcedure]:
    """The person's procedures, newest first (scoped by the ORM)."""
    return list(
        db.session.scalars(
            select(HardshipProcedure)
            .where(HardshipProcedure.person_id == person_id)
            .order_by(HardshipProcedure.prepared_on.desc(), HardshipProcedure.id.desc())
        )
    )


def steps_of(procedure: HardshipProcedure) -> list[dict[str, Any]]:
    """The three steps with their day (None: not yet) for pages and documents."""
    return [
        {"field": name, "label": label, "on": getattr(procedure, name)} for name, label in STEPS
    ]


def next_step_label(procedure: HardshipProcedure) -> str:
    """The German label of the next open step ("" when decided)."""
    for name, label in STEPS:
        if getattr(procedure, name) is None:
            return label
    return ""


def as_json(procedure: HardshipProcedure) -> dict[str, Any]:
    """The REST representation of a procedure."""

    def iso(day: dt.date | None) -> str | None:
        return day.isoformat() if day is not None else None

    return {
        "id": procedure.id,
        "person_id": procedure.person_id,
        "prepared_on": iso(procedure.prepared_on),
        "submitted_on": iso(procedure.submitted_on),
        "decided_on": iso(procedure.decided_on),
        "outcome": procedure.outcome,
        "outcome_label": procedure.outcome_label or None,
        "member": procedure.member,
        "note": procedure.note,
        "open": procedure.is_open,
        "status_label": procedure.status_label,
        "recorded_by": procedure.recorded_by_name,
        "version": procedure.version,
    }

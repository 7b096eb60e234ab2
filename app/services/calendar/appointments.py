"""Termine — the one door of an appointment (§3.1.2).

Every write of an appointment, whichever door it comes through (the appointment form with or
without a client from the case file, the appointment's edit form), goes through a verb of this
module. The verb owns every rule (German :class:`AppointmentError` with field and stable key;
the date arrives as a ``datetime.date`` read by :mod:`app.dates` at the form), writes the
access-log row of a client's appointment and runs as one transaction. Appointments are not
counted in the statistics, so no closed quarter applies to them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.dates import EARLIEST, LATEST
from app.extensions import db
from app.models.calendar import Appointment
from app.models.partner import NetworkPartner
from app.models.person import Person
from app.services.data_protection.access_log import log_access
from app.services.errors import DomainError, Problems, unit_of_work

TITLE_MAX = 200
PLACE_MAX = 300
NOTES_MAX = 10000
#: the fields a change may touch (owner, client and organisation are fixed at creation)
APPOINTMENT_FIELDS = (
    "date",
    "start_time",
    "end_time",
    "title",
    "partner_id",
    "place",
    "interpreter_needed",
    "notes",
)


class AppointmentError(DomainError):
    """An appointment was refused; nothing was written."""

    status = 422


def _clean(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _check(problems: Problems, values: dict[str, Any]) -> None:
    day = values.get("date")
    if not isinstance(day, dt.date):
        problems.add("date", "date.required", "Bitte ein Datum angeben (TT.MM.JJJJ).")
    elif not EARLIEST <= day <= LATEST:
        problems.add("date", "date.range", "Das Datum liegt außerhalb des möglichen Bereichs.")
    start = values.get("start_time")
    if not isinstance(start, dt.time):
        problems.add("start_time", "start_time.required", "Bitte eine Uhrzeit angeben.")
    end = values.get("end_time")
    if end is not None and not isinstance(end, dt.time):
        problems.add("end_time", "end_time.invalid", "Bitte eine gültige Uhrzeit angeben.")
    elif isinstance(start, dt.time) and isinstance(end, dt.time) and end <= start:
        problems.add("end_time", "end_time.before_start", "Das Ende liegt vor dem Beginn.")
    title = _clean(values.get("title"))
    if title is None:
        problems.add("title", "title.required", "Bitte einen Betreff angeben.")
    elif len(title) > TITLE_MAX:
        problems.add(
            "title", "title.too_long", f"Der Betreff darf höchstens {TITLE_MAX} Zeichen lang sein."
        )
    place = _clean(values.get("place"))
    if place is not None and len(place) > PLACE_MAX:
        problems.add(
            "place", "place.too_long", f"Der Ort darf höchstens {PLACE_MAX} Zeichen lang sein."
        )
    notes = _clean(values.get("notes"))
    if notes is not None and len(notes) > NOTES_MAX:
        problems.add("notes", "notes.too_long", f"Höchstens {NOTES_MAX} Zeichen erlaubt.")
    partner_id = values.get("partner_id")
    if partner_id is not None and db.session.get(NetworkPartner, partner_id) is None:
        problems.add("partner", "partner.unknown", "Unbekannter Netzwerkpartner.")


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for name in ("title", "place", "notes"):
        if name in out:
            out[name] = _clean(out[name])
    if "interpreter_needed" in out:
        out["interpreter_needed"] = bool(out["interpreter_needed"])
    return out


def create_appointment(
    *,
    actor: Any,
    person: Person | None = None,
    date: Any,
    start_time: Any,
    end_time: Any = None,
    title: str | None,
    partner_id: int | None = None,
    place: str | None = None,
    interpreter_needed: bool = False,
    notes: str | None = None,
) -> Appointment:
    """Enter an appointment for ``actor`` (with the client ``person`` from the case file)."""
    values = {
        "date": date,
        "start_time": start_time,
        "end_time": end_time,
        "title": title,
        "partner_id": partner_id,
        "place": place,
        "interpreter_needed": interpreter_needed,
        "notes": notes,
    }
    problems = Problems(AppointmentError)
    _check(problems, values)
    problems.raise_if_any()
    with unit_of_work():
        appointment = Appointment(
            owner_id=actor.id,
            person_id=person.id if person is not None else None,
            **_normalised(values),
        )
        if getattr(actor, "organisation_id", None) is not None:
            appointment.organisation_id = actor.organisation_id  # the writer's (as scoping)
        db.session.add(appointment)
        if person is not None:
            log_access(person.id, "create", category="appointment", commit=False)
    return appointment


def update_appointment(
    appointment: Appointment, *, actor: Any, changes: dict[str, Any]
) -> Appointment:
    """Change an appointment (date, times, subject, partner, place, interpreter, notes): the
    rules of its creation."""
    unknown = set(changes) - set(APPOINTMENT_FIELDS)
    if unknown:
        raise AppointmentError(
            "Unbekannte Felder: " + ", ".join(sorted(unknown)), key="field.unknown"
        )
    values = {name: getattr(appointment, name) for name in APPOINTMENT_FIELDS}
    values.update(changes)
    problems = Problems(AppointmentError)
    _check(problems, values)
    problems.raise_if_any()
    with unit_of_work():
        for name, value in _normalised(changes).items():
            setattr(appointment, name, value)
        if appointment.person_id is not None:
            log_access(appointment.person_id, "update", category="appointment", commit=False)
    return appointment

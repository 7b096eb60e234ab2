"""Umzugsverfahren (R-5.3): the move into own housing as tracked steps on two tracks.

AsylbLG: application → Sozialbericht → involvement of the foreigners' authority and the health
department → decision → flat search within the KdU limits → rent / deposit / first-furnishing
applications → lease → registrations.
SGB II: flat search within the Jobcenter's KdU limits → offer to the Jobcenter → assurance of
cost coverage (and deposit) → lease → registrations.

Steps are completed in order (``complete_step`` refuses anything else). Completing the lease
records the move-in date on the person (transition into own housing, indicator §7), which sets
the end of counselling three months later (R-2.3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import MsaUser, Person
from app.models.base import utcnow
from app.models.housing import (
    PROCEDURE_DONE,
    PROCEDURE_OPEN,
    PROCEDURE_REJECTED,
    REPORT_FINAL,
    TRACK_ASYLBLG,
    TRACK_LABELS,
    TRACK_SGB2,
    MoveProcedure,
    MoveStep,
    SocialReport,
)

LEASE = "lease"
DECISION = "decision"
SOCIAL_REPORT = "social_report"


@dataclass(frozen=True)
class StepDef:
    """One step of a track: code, German label, default responsible party."""

    code: str
    label: str
    responsible: str


TRACKS: dict[str, tuple[StepDef, ...]] = {
    TRACK_ASYLBLG: (
        StepDef(
            "application",
            "Antrag auf Umzug in eigenen Wohnraum",
            "Fachdienst Soziales und Wohnen",
        ),
        StepDef(SOCIAL_REPORT, "Sozialbericht", "Fachkraft der Migrationssozialarbeit"),
        StepDef(
            "authority_involvement",
            "Beteiligung der Ausländerbehörde und des Fachdienstes Gesundheit",
            "Ausländerbehörde; Fachdienst Gesundheit",
        ),
        StepDef(DECISION, "Entscheidung über den Antrag", "Fachdienst Soziales und Wohnen"),
        StepDef(
            "flat_search",
            "Wohnungssuche innerhalb der Angemessenheitsgrenzen (KdU)",
            "Klient:in mit Fachkraft der Migrationssozialarbeit",
        ),
        StepDef(
            "cost_applications",
            "Anträge auf Mietkostenübernahme, Mietkaution und Wohnungserstausstattung",
            "Fachdienst Soziales und Wohnen",
        ),
        StepDef(LEASE, "Mietvertrag unterschrieben (Einzug)", "Klient:in, Vermieter:in"),
        StepDef(
            "registrations",
            "An- und Ummeldungen (Einwohnermeldeamt, Ausländerbehörde, Energieversorger)",
            "Einwohnermeldeamt; Ausländerbehörde; Energieversorger",
        ),
    ),
    TRACK_SGB2: (
        StepDef(
            "flat_search",
            "Wohnungssuche innerhalb der KdU-Grenzen des Jobcenters",
            "Klient:in mit Fachkraft der Migrationssozialarbeit",
        ),
        StepDef("offer_to_jobcenter", "Wohnungsangebot beim Jobcenter eingereicht", "Jobcenter"),
        StepDef(
            "cost_assurance",
            "Zusicherung der Kostenübernahme (und der Mietkaution)",
            "Jobcenter",
        ),
        StepDef(LEASE, "Mietvertrag unterschrieben (Einzug)", "Klient:in, Vermieter:in"),
        StepDef(
            "registrations",
            "Ummeldungen (Einwohnermeldeamt, Ausländerbehörde, Fachdienst Soziales und "
            "Wohnen, Jobcenter, Energieversorger)",
            "Einwohnermeldeamt; Ausländerbehörde; Fachdienst Soziales und Wohnen; Jobcenter; "
            "Energieversorger",
        ),
    ),
}


class MoveError(ValueError):
    """A step that is not allowed now (German message)."""


def step_label(track: str, code: str) -> str:
    """Return the German label of a step."""
    for step in TRACKS.get(track, ()):
        if step.code == code:
            return step.label
    return code


def default_track(person: Person) -> str:
    """Return the track that fits the person's benefit basis (SGB II or else AsylbLG)."""
    return TRACK_SGB2 if (person.benefit_basis or "").startswith("sgb2") else TRACK_ASYLBLG


def start(
    person: Person, track: str, *, by: MsaUser | None, started_on: dt.date | None = None
) -> MoveProcedure:
    """Open a move procedure with all steps of ``track`` (one open procedure per person)."""
    if track not in TRACKS:
        raise MoveError("Unbekanntes Verfahren; erlaubt sind: " + ", ".join(TRACK_LABELS.values()))
    if person.moved_in_own_housing_on is not None:
        raise MoveError("Die Person ist bereits in eigenen Wohnraum gezogen")
    open_one = db.session.scalars(
        select(MoveProcedure.id).where(
            MoveProcedure.person_id == person.id, MoveProcedure.status == PROCEDURE_OPEN
        )
    ).first()
    if open_one is not None:
        raise MoveError("Für diese Person läuft bereits ein Umzugsverfahren")
    procedure = MoveProcedure(
        person_id=person.id,
        organisation_id=person.organisation_id,
        track=track,
        status=PROCEDURE_OPEN,
        started_on=started_on or dt.date.today(),
        created_by_id=by.id if by else None,
    )
    procedure.steps = [
        MoveStep(
            person_id=person.id,
            organisation_id=person.organisation_id,
            code=s.code,
            position=i,
            responsible=s.responsible,
        )
        for i, s in enumerate(TRACKS[track], start=1)
    ]
    db.session.add(procedure)
    db.session.commit()
    return procedure


def next_step(procedure: MoveProcedure) -> MoveStep | None:
    """Return the first open step, or None when all are done or the procedure ended."""
    if procedure.status != PROCEDURE_OPEN:
        return None
    return next((s for s in procedure.steps if s.done_on is None), None)


def progress(procedure: MoveProcedure) -> tuple[int, int]:
    """Return (done steps, all steps)."""
    return sum(1 for s in procedure.steps if s.done_on is not None), len(procedure.steps)


def complete_step(
    procedure: MoveProcedure,
    code: str,
    *,
    done_on: dt.date,
    by: MsaUser | None,
    responsible: str | None = None,
    note: str | None = None,
    approved: bool = True,
    moved_in_on: dt.date | None = None,
) -> MoveStep:
    """Record a step as done — only the next open step, never before the previous one."""
    if procedure.status != PROCEDURE_OPEN:
        raise MoveError("Das Umzugsverfahren ist beendet")
    step = next((s for s in procedure.steps if s.code == code), None)
    if step is None:
        raise MoveError("Diesen Schritt gibt es in diesem Verfahren nicht")
    expected = next_step(procedure)
    if expected is None or expected.code != code:
        label = step_label(procedure.track, expected.code) if expected else ""
        raise MoveError(
            "Die Schritte sind der Reihe nach zu erledigen; als Nächstes ist dran: " + label
        )
    previous = [s for s in procedure.steps if s.position < step.position]
    done_before = [s.done_on for s in previous if s.done_on]
    if not done_before and done_on < procedure.started_on:
        # the first step is recorded later than it happened: the procedure began
        # that day — a step may be dated back to the day it happened
        procedure.started_on = done_on
    last_date = max(done_before, default=procedure.started_on)
    if done_on < last_date:
        raise MoveError(
            f"Das Datum darf nicht vor dem vorigen Schritt liegen ({last_date:%d.%m.%Y})"
        )
    if done_on > dt.date.today():
        raise MoveError("Das Datum darf nicht in der Zukunft liegen")
    if code == SOCIAL_REPORT:
        report_id = db.session.scalars(
            select(SocialReport.id)
            .where(
                SocialReport.person_id == procedure.person_id,
                SocialReport.status == REPORT_FINAL,
            )
            .order_by(SocialReport.finalised_at.desc())
            .limit(1)
        ).first()
        if report_id is None:
            raise MoveError("Zuerst ist ein Sozialbericht abzuschließen (Endfassung)")
        step.social_report_id = report_id
    if code == LEASE:
        moved_in_on = moved_in_on or done_on
        if moved_in_on < done_on:
            raise MoveError("Der Einzug kann nicht vor der Unterschrift des Mietvertrags liegen")
    step.done_on = done_on
    step.note = (note or "").strip() or None
    if responsible is not None and responsible.strip():
        step.responsible = responsible.strip()[:300]
    step.recorded_by_id = by.id if by else None
    step.recorded_by_name = f"{by.first_name} {by.last_name}".strip() if by else None
    step.recorded_at = utcnow()
    if code == DECISION:
        step.outcome = "approved" if approved else "rejected"
        if not approved:
            procedure.status = PROCEDURE_REJECTED
            procedure.finished_on = done_on
    if code == LEASE and moved_in_on is not None:
        procedure.moved_in_on = moved_in_on
        person = db.session.get(Person, procedure.person_id)
        if person is None:
            raise MoveError("Person ist nicht sichtbar")
        person.moved_in_own_housing_on = moved_in_on
    if procedure.status == PROCEDURE_OPEN and all(s.done_on for s in procedure.steps):
        procedure.status = PROCEDURE_DONE
        procedure.finished_on = done_on
    db.session.commit()
    return step


def procedures_of(person_id: int) -> list[MoveProcedure]:
    """Return the move procedures of a person, newest first (steps loaded with them)."""
    return list(
        db.session.scalars(
            select(MoveProcedure)
            .where(MoveProcedure.person_id == person_id)
            .order_by(MoveProcedure.started_on.desc(), MoveProcedure.id.desc())
        )
    )


# ------------------------------------------------------------------ the flat offer (KdU)
def household_size_of(person: Person) -> int:
    """The number of persons in the person's household (the person alone: 1)."""
    from sqlalchemy import func

    if person.household_id is None:
        return 1
    count = db.session.scalar(
        select(func.count(Person.id)).where(Person.household_id == person.household_id)
    )
    return max(int(count or 0), 1)


def record_offer(
    procedure: MoveProcedure,
    *,
    actor: MsaUser | None,
    values: dict[str, Any],
    today: dt.date | None = None,
) -> MoveProcedure:
    """Record the flat offer and check it against the KdU limits valid on the offer date.

    The result (within the limits or not, and the rule applied) is kept with the offer: a
    later change of the limits does not rewrite an offer already checked. Without a limit
    valid that day the offer is kept and says so.
    """
    from app.dates import DateError, de_date, parse_date
    from app.services.errors import Problems, unit_of_work
    from app.services.housing import kdu

    today = today or dt.date.today()
    problems = Problems(kdu.KduError)
    size: int | None = None
    offer_on: dt.date | None = None
    if procedure.status != PROCEDURE_OPEN:
        problems.add(None, "procedure.closed", "Das Umzugsverfahren ist beendet.")
        problems.raise_if_any()
    area = " ".join(str(values.get("area") or "").split())
    if not area:
        problems.add("area", "required", "Bitte das Gebiet angeben.")
    elif len(area) > 200:
        problems.add("area", "area.too_long", "Das Gebiet ist zu lang (höchstens 200 Zeichen).")
    try:
        size = kdu._household_size(values.get("household_size"))
        if size is None:
            problems.add("household_size", "required", "Bitte die Haushaltsgröße angeben.")
    except ValueError as exc:
        problems.add("household_size", "household_size.invalid", str(exc))
    amounts: dict[str, Any] = {}
    for name, label in (
        ("living_space", "Wohnfläche"),
        ("rent", "Bruttokaltmiete"),
        ("heating", "Heizkosten"),
    ):
        try:
            amounts[name] = kdu.parse_amount(values.get(name))
        except ValueError as exc:
            problems.add(name, "amount.invalid", str(exc).replace("Euro", "Euro bzw. m²"))
            continue
        if amounts[name] is None and name != "living_space":
            problems.add(name, "required", f"Bitte „{label}“ angeben.")
    try:
        offer_on = parse_date(values.get("offer_on"))
        if offer_on is None:
            problems.add("offer_on", "required", "Bitte das Datum des Angebots angeben.")
        elif offer_on > today:
            problems.add("offer_on", "date.future", "Das Datum darf nicht in der Zukunft liegen.")
    except DateError as exc:
        problems.add("offer_on", "date.invalid", str(exc))
    problems.raise_if_any()
    if size is None or offer_on is None:  # refused above; for the type checker
        raise kdu.KduError("Angebot unvollständig.", key="required")
    with unit_of_work():
        result = kdu.check(area, size, offer_on, amounts["rent"], amounts["heating"])
        procedure.offer_area = area
        procedure.offer_household_size = size
        procedure.offer_living_space = amounts["living_space"]
        procedure.offer_rent = amounts["rent"]
        procedure.offer_heating = amounts["heating"]
        procedure.offer_on = offer_on
        if result is None:
            procedure.offer_within = None
            procedure.offer_rule = (
                f"Für {area} und {size} Person(en) ist am {de_date(offer_on)} keine "
                "KdU-Grenze hinterlegt."
            )
        else:
            procedure.offer_within = result.within
            procedure.offer_rule = result.rule[:500]
    return procedure


def offer_verdict(procedure: MoveProcedure) -> str:
    """The result of the offer's check in German ("" when no offer is recorded)."""
    if procedure.offer_on is None:
        return ""
    if procedure.offer_within is None:
        return "nicht geprüft (keine KdU-Grenze hinterlegt)"
    return "innerhalb der KdU-Grenzen" if procedure.offer_within else "über den KdU-Grenzen"

"""Kita-, Schul- und Hortplätze der Kinder (Fachkonzept §3.1.2): the rules, the list
"Kinder ohne Platz" and the annual figures.

A place is a sub-record of the child's case file, written through the verbs of
:mod:`app.services.casefile.records` (``create_child_place``, ``update_child_place``); this
module holds the rules that tie its fields together (:func:`check_place`), which every door —
the case file's form, REST — meets through those verbs.

The rules:

- a place is recorded for a child: a person under 18 on the day it is recorded;
- the kind is Kita, Schule or Hort; its type comes from ``childcare_type`` (Kita: crèche,
  kindergarten, childminder; Hort: Hort) or ``school_type`` (Schule);
- each state has its day: beantragt → ``requested_on``, angeboten → ``offered_on``,
  besucht → ``attending_from``, beendet → ``ended_on``; the days keep their order;
- the states move forward: beantragt → angeboten / besucht / beendet, angeboten → beantragt
  (offer declined) / besucht / beendet, besucht → beendet; a place that ended stays ended;
- the institution is a partner of the directory of a fitting type that the actor can see,
  or free text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import ChildPlace, Household, NetworkPartner, Person
from app.models.person import CHILD_PLACE_KINDS, CHILD_PLACE_STATES
from app.services.catalogues import valid_codes
from app.services.errors import Problems
from app.services.record_payloads import visible_row

#: a child: under this age on the day
ADULT_AGE = 18
#: "Kita or school age": from the first birthday (the legal claim to a Kita place)
PLACE_AGE_FROM = 1
#: the states a place may move to from each state (itself always allowed)
TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"offered", "attending", "ended"}),
    "offered": frozenset({"requested", "attending", "ended"}),
    "attending": frozenset({"ended"}),
    "ended": frozenset(),
}
#: the day each state needs
STATE_DATE = {
    "requested": "requested_on",
    "offered": "offered_on",
    "attending": "attending_from",
    "ended": "ended_on",
}
#: the days in the order they must keep
DATE_ORDER = ("requested_on", "offered_on", "attending_from", "ended_on")
DATE_LABELS = {
    "requested_on": "beantragt am",
    "offered_on": "angeboten am",
    "attending_from": "besucht ab",
    "ended_on": "beendet am",
}
#: open states: a requested or offered place still waits
OPEN_STATES = ("requested", "offered")
#: partner types of the directory that fit a kind of place
PARTNER_TYPES = {
    "kita": frozenset({"kita"}),
    "hort": frozenset({"kita", "schule"}),
    "schule": frozenset({"schule", "osz"}),
}


def type_catalogue(kind: str) -> str:
    """The catalogue of a kind's types."""
    return "school_type" if kind == "schule" else "childcare_type"


def type_codes(kind: str) -> set[str]:
    """The active type codes that fit a kind (Hort is ``childcare_type`` "hort" only)."""
    codes = set(valid_codes(type_catalogue(kind)))
    if kind == "hort":
        return codes & {"hort"}
    if kind == "kita":
        return codes - {"hort"}
    return codes


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Full years of a person born on ``birth_date`` on ``day``."""
    return relativedelta(day, birth_date).years


def check_place(
    problems: Problems,
    clean: dict[str, Any],
    *,
    person: Any,
    before: dict[str, Any] | None,
    today: dt.date,
) -> None:
    """The rules across the fields of a place (``before``: the stored values on a change)."""
    kind, state = clean.get("kind"), clean.get("state")
    if kind is not None and kind not in CHILD_PLACE_KINDS:
        problems.add("kind", "kind.unknown", "Bitte Kita, Schule oder Hort wählen.")
        kind = None
    if state is not None and state not in CHILD_PLACE_STATES:
        problems.add("state", "state.unknown", "Bitte einen Stand aus der Liste wählen.")
        state = None
    adult = person is not None and age_on(person.birth_date, today) >= ADULT_AGE
    if before is None and adult:
        problems.add(
            "person_id",
            "person.adult",
            "Einen Kita-, Schul- oder Hortplatz gibt es nur für Kinder unter 18 Jahren.",
        )
    if kind is not None and clean.get("type_code") and clean["type_code"] not in type_codes(kind):
        problems.add(
            "type_code",
            "type_code.kind",
            f"Diese Art passt nicht zu „{CHILD_PLACE_KINDS[kind]}“ – bitte aus der Liste wählen.",
        )
    if state is not None:
        needed = STATE_DATE[state]
        if clean.get(needed) is None and not problems.has(needed):
            problems.add(
                needed,
                f"{needed}.required",
                f"Für den Stand „{CHILD_PLACE_STATES[state]}“ bitte das Datum "
                f"„{DATE_LABELS[needed]}“ angeben.",
            )
    old_state = str((before or {}).get("state") or "")
    moved = state is not None and old_state in TRANSITIONS and state != old_state
    if moved and state is not None and state not in TRANSITIONS[old_state]:
        problems.add(
            "state",
            "state.transition",
            f"Ein Platz im Stand „{CHILD_PLACE_STATES[old_state]}“ kann nicht auf "
            f"„{CHILD_PLACE_STATES[state]}“ gesetzt werden"
            + (
                " – bitte einen neuen Platz erfassen."
                if old_state == "ended"
                else " – nur noch „beendet“ ist möglich."
            ),
        )
    _check_order(problems, clean)
    _check_partner(problems, clean, kind)


def _check_order(problems: Problems, clean: dict[str, Any]) -> None:
    earlier: tuple[str, dt.date] | None = None
    for name in DATE_ORDER:
        day = clean.get(name)
        if not isinstance(day, dt.date):
            continue
        if earlier is not None and day < earlier[1] and not problems.has(name):
            problems.add(
                name,
                f"{name}.order",
                f"„{DATE_LABELS[name]}“ kann nicht vor „{DATE_LABELS[earlier[0]]}“ liegen.",
            )
        earlier = (name, day)


def _check_partner(problems: Problems, clean: dict[str, Any], kind: str | None) -> None:
    pid = clean.get("partner_id")
    if pid is None:
        return
    partner = visible_row(NetworkPartner, pid)
    if partner is None:
        problems.add(
            "partner_id",
            "partner_id.unknown",
            "Unbekannte Einrichtung – bitte aus dem Partnerverzeichnis wählen.",
        )
        return
    if kind is not None and partner.partner_type not in PARTNER_TYPES[kind]:
        problems.add(
            "partner_id",
            "partner_id.type",
            f"„{partner.name}“ ist im Partnerverzeichnis keine Einrichtung für "
            f"„{CHILD_PLACE_KINDS[kind]}“.",
        )


def partner_choices() -> list[tuple[int, str]]:
    """Kitas, schools and OSZ of the partner directory (id, name) for the form."""
    types = sorted(set().union(*PARTNER_TYPES.values()))
    rows = db.session.execute(
        select(NetworkPartner.id, NetworkPartner.name, NetworkPartner.city)
        .where(NetworkPartner.partner_type.in_(types))
        .order_by(NetworkPartner.name, NetworkPartner.id)
    )
    return [(pid, f"{name} ({city})" if city else name) for pid, name, city in rows]


# -- who is a child, who has no place ---------------------------------------------------------
def child_conditions(today: dt.date) -> list[Any]:
    """Conditions on ``Person``: a child of Kita or school age (1 to 17) still with the provider."""
    return [
        Person.birth_date > today - relativedelta(years=ADULT_AGE),
        Person.birth_date <= today - relativedelta(years=PLACE_AGE_FROM),
        Person.moved_away_on.is_(None),
    ]


def without_place_conditions(today: dt.date, *, caseworker_id: int | None = None) -> list[Any]:
    """Conditions on ``Person``: "Kinder ohne Platz" — a child of Kita or school age without
    an attending place, or with a requested or offered place still open.

    ``caseworker_id``: only the children of the caseworker's own persons (the child itself, or
    a child in the household of one of them). The landing tile counts these rows, the list
    shows them.
    """
    attending = exists().where(ChildPlace.person_id == Person.id, ChildPlace.state == "attending")
    still_open = exists().where(
        ChildPlace.person_id == Person.id, ChildPlace.state.in_(OPEN_STATES)
    )
    conditions = [*child_conditions(today), or_(~attending, still_open)]
    if caseworker_id is not None:
        parent = aliased(Person)
        households = select(parent.household_id).where(
            parent.caseworker_id == caseworker_id, parent.household_id.is_not(None)
        )
        conditions.append(
            or_(Person.caseworker_id == caseworker_id, Person.household_id.in_(households))
        )
    return conditions


def without_place_count(today: dt.date, *, caseworker_id: int | None = None) -> Any:
    """The count of :func:`without_place_conditions` (one select; the desk bundles it)."""
    return select(func.count(Person.id)).where(
        *without_place_conditions(today, caseworker_id=caseworker_id)
    )


@dataclass(frozen=True)
class ChildRow:
    """One child of the list "Kinder ohne Platz"."""

    person_id: int
    last_name: str
    first_name: str
    birth_date: dt.date
    household: str | None
    open_places: tuple[str, ...]


def without_place_page(
    page: int,
    per_page: int,
    *,
    today: dt.date | None = None,
    caseworker_id: int | None = None,
    organisation_id: int | None = None,
) -> tuple[list[ChildRow], int]:
    """One page (0-based) of "Kinder ohne Platz" by name, and the count (scoped as every read
    of persons; ``organisation_id``: the reviewer's choice of a provider)."""
    today = today or dt.date.today()
    conditions = without_place_conditions(today, caseworker_id=caseworker_id)
    if organisation_id is not None:
        conditions.append(Person.organisation_id == organisation_id)
    total = int(db.session.execute(select(func.count(Person.id)).where(*conditions)).scalar_one())
    rows = db.session.execute(
        select(Person.id, Person.last_name, Person.first_name, Person.birth_date, Household.name)
        .outerjoin(Household, Household.id == Person.household_id)
        .where(*conditions)
        .order_by(Person.last_name, Person.first_name, Person.id)
        .limit(per_page)
        .offset(page * per_page)
    ).all()
    places = open_places([r[0] for r in rows])
    return [
        ChildRow(pid, last, first, born, household, tuple(places.get(pid, ())))
        for pid, last, first, born, household in rows
    ], total


def open_places(person_ids: Iterable[int]) -> dict[int, list[str]]:
    """The open places of the given children as "Kita beantragt" (one query)."""
    ids = list(person_ids)
    if not ids:
        return {}
    out: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(ChildPlace.person_id, ChildPlace.kind, ChildPlace.state)
        .where(ChildPlace.person_id.in_(ids), ChildPlace.state.in_(OPEN_STATES))
        .order_by(ChildPlace.person_id, ChildPlace.id)
    )
    for pid, kind, state in rows:
        out.setdefault(pid, []).append(
            f"{CHILD_PLACE_KINDS.get(kind, kind)} {CHILD_PLACE_STATES.get(state, state)}"
        )
    return out


# -- the annual figures -----------------------------------------------------------------------
def annual_statement(organisation_id: int, start: dt.date, end: dt.date) -> Any:
    """Children with a place requested in the year and children attending in the year, per
    kind, counted for the WRITER of the place (the organisation that held the child's file
    when it recorded the place; a later handover does not move the figure):

    - requested: a place whose ``requested_on`` lies in the year;
    - attending: a place attending during the year — ``attending_from`` on or before its last
      day, and not ended before its first day (``ended_on`` empty or on/after it).

    A child counts once per kind and figure. One select (the annual bundle runs it unscoped).
    """
    requested = and_(ChildPlace.requested_on >= start, ChildPlace.requested_on <= end)
    attending = and_(
        ChildPlace.attending_from.is_not(None),
        ChildPlace.attending_from <= end,
        or_(ChildPlace.ended_on.is_(None), ChildPlace.ended_on >= start),
    )
    return (
        select(
            ChildPlace.kind,
            func.count(func.distinct(ChildPlace.person_id)).filter(requested),
            func.count(func.distinct(ChildPlace.person_id)).filter(attending),
        )
        .where(ChildPlace.organisation_id == organisation_id, or_(requested, attending))
        .group_by(ChildPlace.kind)
    )


def decode_annual(rows: Iterable[Any]) -> dict[str, dict[str, int]]:
    """``{kind: {"requested": n, "attending": n}}`` for every kind (zeros included)."""
    out = {k: {"requested": 0, "attending": 0} for k in CHILD_PLACE_KINDS}
    for kind, requested, attending in rows:
        if kind in out:
            out[kind] = {"requested": int(requested or 0), "attending": int(attending or 0)}
    return out

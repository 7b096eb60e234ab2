"""Case file (Fallakte) rules: validation of person data, catalogue labels, name key, locking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from sqlalchemy import event, select
from sqlalchemy.orm import Mapper

from app.extensions import db
from app.models import AccessLog, Household, Person
from app.services.casefile.duplicates import name_key
from app.services.catalogues import labels

#: person column -> catalogue that holds its codes
CATALOGUE_FIELDS: dict[str, str] = {
    "sex": "sex",
    "nationality": "nationality",
    "residence_status": "residence_status",
    "benefit_basis": "benefit_basis",
    "family_status": "marital_status",
    "household_role": "household_relation",
}

#: maximum lengths of the text columns (from the model)
MAX_LENGTHS: dict[str, int] = {
    "first_name": 100,
    "last_name": 100,
    "first_name_original": 200,
    "last_name_original": 200,
    "languages_spoken": 300,
    "phone": 50,
    "email": 200,
    "residence_legal_basis": 100,
    "private_interests": 5000,
}

EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


class ConflictError(Exception):
    """The record changed since the form was loaded (optimistic locking)."""


def catalogue_labels(catalogue: str) -> dict[str, str]:
    """Return code -> German label; one query per catalogue, cached for the request."""
    if not has_request_context():
        return labels(catalogue)
    cache: dict[str, dict[str, str]] = g.setdefault("_msa_catalogue_labels", {})
    if catalogue not in cache:
        cache[catalogue] = labels(catalogue)
    return cache[catalogue]


def label(catalogue: str, code: str | None) -> str:
    """Return the German label of a code ('' for none, the code itself when unknown)."""
    if not code:
        return ""
    return catalogue_labels(catalogue).get(code, code)


def age_on(birth_date: dt.date | None, today: dt.date | None = None) -> int | None:
    """Return the age in full years on ``today``."""
    if birth_date is None:
        return None
    today = today or dt.date.today()
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def validate_person(data: Mapping[str, Any], today: dt.date | None = None) -> dict[str, list[str]]:
    """Return German error messages per field for person data (empty dict: valid)."""
    today = today or dt.date.today()
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field in ("first_name", "last_name"):
        if not str(data.get(field) or "").strip():
            err(field, "Bitte ausfüllen – dieses Feld ist Pflicht.")
    for field, limit in MAX_LENGTHS.items():
        value = data.get(field)
        if isinstance(value, str) and len(value) > limit:
            err(field, f"Höchstens {limit} Zeichen erlaubt (eingegeben: {len(value)}).")
    birth = data.get("birth_date")
    if birth is None:
        err("birth_date", "Bitte ein gültiges Geburtsdatum angeben (TT.MM.JJJJ).")
    elif isinstance(birth, dt.date):
        if birth > today:
            err("birth_date", "Das Geburtsdatum darf nicht in der Zukunft liegen.")
        elif birth < EARLIEST_BIRTH_DATE:
            err("birth_date", "Das Geburtsdatum darf nicht vor dem 01.01.1900 liegen.")
    for field, catalogue in CATALOGUE_FIELDS.items():
        code = data.get(field)
        if code and code not in {c for c, _ in catalogue_choices(catalogue)}:
            err(field, "Unbekannter Katalogwert – bitte einen Eintrag aus der Liste wählen.")
    assigned, moved_away = data.get("assigned_on"), data.get("moved_away_on")
    if isinstance(assigned, dt.date) and isinstance(moved_away, dt.date) and moved_away < assigned:
        err("moved_away_on", "Der Wegzug kann nicht vor der Zuweisung liegen.")
    own, valid_until = data.get("moved_in_own_housing_on"), data.get("residence_valid_until")
    if isinstance(assigned, dt.date) and isinstance(own, dt.date) and own < assigned:
        err("moved_in_own_housing_on", "Der Einzug kann nicht vor der Zuweisung liegen.")
    if isinstance(valid_until, dt.date) and isinstance(birth, dt.date) and valid_until < birth:
        err("residence_valid_until", "Die Gültigkeit kann nicht vor der Geburt enden.")
    return errors


def last_change(person_id: int, detail: str | None = None) -> tuple[str, dt.datetime | None]:
    """Return who last changed a case file (or one of its records) and when (access log)."""
    stmt = select(AccessLog.username, AccessLog.at).where(
        AccessLog.person_id == person_id, AccessLog.action == "update"
    )
    if detail is not None:
        stmt = stmt.where(AccessLog.detail == detail)
    row = db.session.execute(
        stmt.order_by(AccessLog.at.desc(), AccessLog.id.desc()).limit(1)
    ).first()
    if row is None:
        return "einer anderen Person", None
    return str(row[0]), row[1]


def conflict_message(person_id: int, what: str = "Die Fallakte", detail: str | None = None) -> str:
    """Return the German message for an edit based on an outdated version."""
    who, when = last_change(person_id, detail)
    at = f" am {when:%d.%m.%Y um %H:%M} Uhr (UTC)" if when else ""
    return (
        f"{what} wurde zwischenzeitlich von {who}{at} geändert. Ihre Eingaben wurden "
        "nicht gespeichert und stehen unten noch im Formular. Bitte vergleichen Sie mit der "
        "aktuellen Fassung (neu laden) und speichern Sie erneut."
    )


def check_version(record: Any, submitted: Any) -> None:
    """Raise ConflictError when the submitted version is not the record's current version."""
    try:
        expected = int(submitted)
    except (TypeError, ValueError) as exc:
        raise ConflictError("Version fehlt") from exc
    if expected != record.version:
        raise ConflictError(f"Version {expected} ist veraltet (aktuell {record.version})")


@dataclass(frozen=True)
class HouseholdMember:
    """A member of the person's household for the case file page."""

    id: int
    name: str
    birth_date: dt.date
    role: str


def household_query(person: Person) -> Any:
    """Select the other members of the person's household (none without a household)."""
    return (
        select(
            Person.id, Person.first_name, Person.last_name, Person.birth_date, Person.household_role
        )
        .where(
            Person.household_id == person.household_id,
            Person.household_id.is_not(None),
            Person.id != person.id,
        )
        .order_by(Person.birth_date)
    )


def household_from_rows(rows: Any) -> list[HouseholdMember]:
    """Return household members from rows of :func:`household_query`."""
    return [
        HouseholdMember(pid, f"{first} {last}", born, label("household_relation", role) or "")
        for pid, first, last, born, role in rows
    ]


def household_members(person: Person) -> list[HouseholdMember]:
    """Return the other members of the person's household (one query)."""
    if person.household_id is None:
        return []
    return household_from_rows(db.session.execute(household_query(person)).all())


def link_household(person: Person, other: Person) -> Household:
    """Put ``person`` into the household of ``other`` (creating one if ``other`` has none)."""
    if other.household_id is None:
        household = Household(
            name=f"Familie {other.last_name}", organisation_id=other.organisation_id
        )
        db.session.add(household)
        db.session.flush()
        other.household_id = household.id
    else:
        found = db.session.get(Household, other.household_id)
        assert found is not None  # visible because ``other`` is
        household = found
    person.household_id = household.id
    db.session.commit()
    return household


def leave_household(person: Person) -> None:
    """Remove the person from her household."""
    person.household_id = None
    db.session.commit()


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _maintain_name_key(mapper: Mapper[Any], connection: Any, target: Person) -> None:
    """Keep ``Person.name_key`` (the duplicate-check key) in step with the names."""
    target.name_key = name_key(target.first_name, target.last_name) or None
    from app.services.casefile.search import search_key

    target.search_key = search_key(target.first_name, target.last_name)


def catalogue_choices(catalogue: str) -> list[tuple[str, str]]:
    """Return (code, German label) of the active entries; cached for the request."""
    from app.services.catalogues import choices

    if not has_request_context():
        return choices(catalogue)
    cache: dict[str, list[tuple[str, str]]] = g.setdefault("_msa_catalogue_choices", {})
    if catalogue not in cache:
        cache[catalogue] = choices(catalogue)
    return cache[catalogue]

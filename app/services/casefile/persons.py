"""Case file (Fallakte): the one door of a person — :func:`create_person`, :func:`update_person`,
:func:`link_household`, :func:`leave_household` — with the person's rules (validation with stable
keys, the file number, dates through app/dates.py, the access log, one transaction), and the
helpers of the case file page: catalogue labels, name key, locking, household."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import AccessLog, Accommodation, Household, MsaUser, Person
from app.models.base import utcnow
from app.models.person import READING_ABILITY_LABELS
from app.services.casefile.duplicates import name_key
from app.services.catalogues import labels
from app.services.data_protection.access_log import log_access
from app.services.errors import DomainError, Problems, unit_of_work
from app.services.record_payloads import visible_row

#: person column -> catalogue that holds its codes
CATALOGUE_FIELDS: dict[str, str] = {
    "sex": "sex",
    "nationality": "nationality",
    "residence_status": "residence_status",
    "procedure_stage": "procedure_stage",
    "benefit_basis": "benefit_basis",
    "family_status": "marital_status",
    "household_role": "household_relation",
    "interpreter_language": "language",
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


class PersonError(DomainError):
    """A person (case file) was refused; nothing was written."""


#: the fields of a person the verbs take (the doors send any of them)
PERSON_FIELDS = (
    "file_number",
    "first_name",
    "last_name",
    "first_name_original",
    "last_name_original",
    "birth_date",
    "sex",
    "nationality",
    "languages_spoken",
    "languages",
    "interpreter_language",
    "reading_ability",
    "phone",
    "email",
    "residence_status",
    "residence_legal_basis",
    "residence_valid_until",
    "procedure_stage",
    "benefit_basis",
    "family_status",
    "household_id",
    "household_role",
    "accommodation_id",
    "private_interests",
    "employable",
    "assigned_on",
    "moved_in_own_housing_on",
    "moved_away_on",
    "caseworker_id",
)
DATE_FIELDS = (
    "birth_date",
    "residence_valid_until",
    "assigned_on",
    "moved_in_own_housing_on",
    "moved_away_on",
)
MSG_UNKNOWN_ENTRY = "Unbekannter Eintrag – bitte aus der Liste wählen."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _person_problems(data: Mapping[str, Any], today: dt.date, problems: Problems) -> dict[str, Any]:
    """Check the field rules of a person (no look-ups but the catalogues); return the values
    normalised (texts stripped, empty as None, dates read by app/dates.py)."""
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if name in DATE_FIELDS:
            try:
                value = parse_date(value)
            except DateError as exc:
                problems.add(name, f"{name}.invalid", exc.message)
                value = _INVALID
        elif name == "employable":
            value = bool(value)
        elif name == "languages":
            value = _languages(value, problems)
        elif isinstance(value, str):
            value = value.strip() or None
        elif value is not None and name not in _ID_FIELDS:
            problems.add(name, f"{name}.format", "Bitte einen Text angeben.")
        clean[name] = value
    for name in ("first_name", "last_name"):
        if name in clean and not clean[name]:
            problems.add(name, f"{name}.required", "Bitte ausfüllen – dieses Feld ist Pflicht.")
    for name, limit in MAX_LENGTHS.items():
        value = clean.get(name)
        if isinstance(value, str) and len(value) > limit:
            problems.add(
                name,
                f"{name}.too_long",
                f"Höchstens {limit} Zeichen erlaubt (eingegeben: {len(value)}).",
            )
    birth = clean.get("birth_date")
    if "birth_date" in clean and birth is None:
        problems.add(
            "birth_date",
            "birth_date.required",
            "Bitte ein gültiges Geburtsdatum angeben (TT.MM.JJJJ).",
        )
    elif isinstance(birth, dt.date):
        if birth > today:
            problems.add(
                "birth_date",
                "birth_date.future",
                "Das Geburtsdatum darf nicht in der Zukunft liegen.",
            )
        elif birth < EARLIEST_BIRTH_DATE:
            problems.add(
                "birth_date",
                "birth_date.too_old",
                "Das Geburtsdatum darf nicht vor dem 01.01.1900 liegen.",
            )
    reading = clean.get("reading_ability")
    if reading and reading not in READING_ABILITY_LABELS:
        problems.add(
            "reading_ability",
            "reading_ability.unknown",
            "Unbekannter Wert – möglich: " + ", ".join(READING_ABILITY_LABELS.values()) + ".",
        )
    email = clean.get("email")
    if isinstance(email, str) and not _EMAIL.match(email) and not problems.has("email"):
        problems.add("email", "email.invalid", "Keine gültige E-Mail-Adresse.")
    for name, catalogue in CATALOGUE_FIELDS.items():
        code = clean.get(name)
        if code and code not in {c for c, _ in catalogue_choices(catalogue)}:
            problems.add(
                name,
                f"{name}.unknown",
                "Unbekannter Katalogwert – bitte einen Eintrag aus der Liste wählen.",
            )

    def day(name: str) -> dt.date | None:
        value = clean.get(name)
        return value if isinstance(value, dt.date) else None

    assigned, moved_away = day("assigned_on"), day("moved_away_on")
    own, valid_until = day("moved_in_own_housing_on"), day("residence_valid_until")
    if assigned and moved_away and moved_away < assigned:
        problems.add(
            "moved_away_on",
            "moved_away_on.before_assigned",
            "Der Wegzug kann nicht vor der Zuweisung liegen.",
        )
    if assigned and own and own < assigned:
        problems.add(
            "moved_in_own_housing_on",
            "moved_in_own_housing_on.before_assigned",
            "Der Einzug kann nicht vor der Zuweisung liegen.",
        )
    if valid_until and isinstance(birth, dt.date) and valid_until < birth:
        problems.add(
            "residence_valid_until",
            "residence_valid_until.before_birth",
            "Die Gültigkeit kann nicht vor der Geburt enden.",
        )
    return clean


_INVALID = object()


def _languages(value: Any, problems: Problems) -> list[str] | None:
    """The client's languages as a list of catalogue codes, preferred first (a list, or codes
    separated by commas); unknown codes are refused, repeated ones kept once."""
    if value is None or value == "":
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        problems.add("languages", "languages.format", "Bitte eine Liste von Sprachcodes angeben.")
        return None
    codes = list(dict.fromkeys(i.strip() for i in items if i.strip()))
    known = {c for c, _ in catalogue_choices("language")}
    unknown = [c for c in codes if c not in known]
    if unknown:
        problems.add(
            "languages",
            "languages.unknown",
            "Unbekannte Sprache: " + ", ".join(unknown) + " – bitte aus der Liste wählen.",
        )
    return codes or None


_ID_FIELDS = ("household_id", "accommodation_id", "caseworker_id")


def validate_person(data: Mapping[str, Any], today: dt.date | None = None) -> dict[str, list[str]]:
    """Return German error messages per field for person data (empty dict: valid)."""
    problems = Problems(PersonError)
    given = {k: v for k, v in data.items() if k in PERSON_FIELDS and k not in _ID_FIELDS}
    _person_problems(
        {"first_name": None, "last_name": None, "birth_date": None, **given},
        today or dt.date.today(),
        problems,
    )
    out: dict[str, list[str]] = {}
    for p in problems.items:
        out.setdefault(p.field or "", []).append(p.message)
    return out


def _check_refs(
    problems: Problems, clean: Mapping[str, Any], organisation_id: int, current: Any = None
) -> None:
    """The linked rows: a responsible caseworker of the person's organisation, an
    accommodation and a household the actor may see (unchanged links are not looked up)."""
    for name, model in (("accommodation_id", Accommodation), ("household_id", Household)):
        value = clean.get(name)
        if value is None or (current is not None and getattr(current, name) == value):
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or visible_row(model, value) is None
        ):
            problems.add(name, f"{name[:-3]}.unknown", MSG_UNKNOWN_ENTRY)
    worker = clean.get("caseworker_id")
    if worker is not None and not (current is not None and current.caseworker_id == worker):
        found = None
        if isinstance(worker, int) and not isinstance(worker, bool):
            found = db.session.execute(
                select(MsaUser.id).where(
                    MsaUser.id == worker,
                    MsaUser.organisation_id == organisation_id,
                    MsaUser.active.is_(True),
                )
            ).scalar_one_or_none()
        if found is None:
            problems.add("caseworker_id", "caseworker.unknown", MSG_UNKNOWN_ENTRY)


def check_person(
    values: Mapping[str, Any],
    *,
    organisation_id: int,
    today: dt.date | None = None,
    current: Person | None = None,
) -> dict[str, Any]:
    """Return the checked, normalised person values; raise :class:`PersonError` with every
    problem. A new person (``current`` None) needs first name, last name and birth date."""
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise PersonError("Unbekannte Felder: " + ", ".join(sorted(unknown)), key="field.unknown")
    problems = Problems(PersonError)
    data = dict(values)
    if current is None:
        for name in ("first_name", "last_name", "birth_date"):
            data.setdefault(name, None)
    clean = _person_problems(data, today or dt.date.today(), problems)
    if current is not None:
        merged = {n: getattr(current, n) for n in DATE_FIELDS}
        merged.update({k: v for k, v in clean.items() if k in DATE_FIELDS})
        order = Problems(PersonError)
        _person_problems(merged, today or dt.date.today(), order)
        for p in order.items:  # order of dates across stored and changed values
            if p.key.endswith((".before_assigned", ".before_birth")) and not problems.has(
                p.field or ""
            ):
                problems.items.append(p)
    _check_refs(problems, clean, organisation_id, current)
    problems.raise_if_any()
    return clean


def create_person(
    values: Mapping[str, Any],
    *,
    actor: Any,
    organisation_id: int | None = None,
    channel: str | None = None,
    today: dt.date | None = None,
    within: Callable[[Person], None] | None = None,
) -> Person:
    """Anlegen einer Person (Fallakte) — every door's create (page form, REST, CLI, import).

    ``values``: any of :data:`PERSON_FIELDS` (dates as dates or texts app/dates.py reads, ids
    as ints). The organisation is ``organisation_id`` or the actor's; the responsible
    caseworker is the actor unless another one is named; without a file number the person
    gets ``MSA-<id>``. Access-logged ("create", ``channel`` as detail) in the same
    transaction. The duplicate check (R-2.6) is the door's, before it calls this verb.
    """
    with unit_of_work():
        person = add_person(
            values, actor=actor, organisation_id=organisation_id, channel=channel, today=today
        )
        if within is not None:
            db.session.flush()
            within(person)  # a door's bookkeeping in the same transaction
    return person


def add_person(
    values: Mapping[str, Any],
    *,
    actor: Any,
    organisation_id: int | None = None,
    channel: str | None = None,
    today: dt.date | None = None,
) -> Person:
    """:func:`create_person` inside the caller's transaction (no commit): for a door that
    writes several persons as one unit, such as a file of assignments, within its own
    ``unit_of_work``. The same rules; a refusal raises :class:`PersonError`."""
    org = organisation_id if organisation_id is not None else actor.organisation_id
    clean = check_person(values, organisation_id=org, today=today)
    person = Person(organisation_id=org)
    for key, value in clean.items():
        setattr(person, key, value)
    person.employable = bool(clean.get("employable"))
    if person.caseworker_id is None and getattr(actor, "organisation_id", None) == org:
        person.caseworker_id = actor.id
    db.session.add(person)
    db.session.flush()
    if not person.file_number:
        # the number needs the id: written beside the row's version (a new person is
        # version 1, whichever door created it)
        number = file_number_for(person.id)
        db.session.execute(
            update(Person.__table__)
            .where(Person.__table__.c.id == person.id)
            .values(file_number=number)
        )
        set_committed_value(person, "file_number", number)
    log_access(person.id, "create", detail=channel, commit=False)
    return person


def file_number_for(person_id: int) -> str:
    """The file number a person gets when none is given (Aktenzeichen ``MSA-000123``)."""
    return f"MSA-{person_id:06d}"


def update_person(
    person: Person,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: Any = None,
    channel: str | None = None,
    today: dt.date | None = None,
) -> Person:
    """Change a case file: the rules of its creation on the changed person, optimistic
    locking on ``version`` (409 with who changed it when), access-logged ("update")."""
    try:
        if version is not None:  # a door that showed the record sends the version it showed
            check_version(person, version)
    except ConflictError as exc:
        raise PersonError(conflict_message(person.id), key="version.conflict", status=409) from exc
    clean = check_person(
        changes, organisation_id=person.organisation_id, today=today, current=person
    )
    if "file_number" in clean and not clean["file_number"]:
        clean["file_number"] = person.file_number or file_number_for(person.id)
    try:
        with unit_of_work():
            for key, value in clean.items():
                setattr(person, key, value)
            if clean:
                person.updated_at = utcnow()
            log_access(person.id, "update", detail=channel, commit=False)
    except StaleDataError as exc:
        raise PersonError(conflict_message(person.id), key="version.conflict", status=409) from exc
    return person


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


def link_household(person: Person, other: Person, *, actor: Any = None) -> Household:
    """Put ``person`` into the household of ``other`` (creating one if ``other`` has none)."""
    if person.id == other.id:
        raise PersonError(
            "Eine Person kann nicht mit sich selbst verbunden werden.",
            field="member_id",
            key="household.self",
        )
    with unit_of_work():
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
    return household


def leave_household(person: Person, *, actor: Any = None) -> None:
    """Remove the person from her household (the end of her membership)."""
    with unit_of_work():
        person.household_id = None


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _maintain_name_key(mapper: Mapper[Any], connection: Any, target: Person) -> None:
    """Keep ``Person.name_key`` (the duplicate-check key) in step with the names."""
    target.name_key = name_key(target.first_name, target.last_name) or None
    from app.services.casefile.search import search_key

    target.search_key = search_key(target.first_name, target.last_name)


@event.listens_for(Person, "after_insert")
@event.listens_for(Person, "after_update")
def _maintain_similar_spelling_keys(mapper: Mapper[Any], connection: Any, target: Person) -> None:
    """Keep the similar-spelling search's key rows (``person_name_key``) in step with the names:
    every door that writes a person through the ORM passes here, inside its flush."""
    from sqlalchemy.orm.attributes import get_history

    if get_history(target, "search_key").has_changes():
        from app.services.casefile.name_keys import refresh_one

        refresh_one(connection, target.id, target.first_name, target.last_name)


def catalogue_choices(catalogue: str) -> list[tuple[str, str]]:
    """Return (code, German label) of the active entries; cached for the request."""
    from app.services.catalogues import choices

    if not has_request_context():
        return choices(catalogue)
    cache: dict[str, list[tuple[str, str]]] = g.setdefault("_msa_catalogue_choices", {})
    if catalogue not in cache:
        cache[catalogue] = choices(catalogue)
    return cache[catalogue]

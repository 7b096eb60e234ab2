"""The case file's sub-records — the one door of each: languages, degrees, employment,
integration courses, vulnerabilities, the children's Kita, school and Hort places.

Every write of a sub-record, whichever door it comes through (the add and edit forms of the
case file, the demo data), goes through a verb of this module: ``create_<record>``,
``update_<record>`` and, for the records with a period (employment, courses), ``end_<record>``.
There is no delete: a wrong entry is corrected by editing it, and a case file leaves only
through the retention procedure. The rules of each record live once in :data:`KINDS`;
dates are read by :mod:`app.dates`; refusals are :class:`RecordError` (a
:class:`~app.services.errors.DomainError`) with stable keys (``language.required``,
``end_on.before_start``, ``year.range`` …). The organisation of a sub-record is its person's;
the custody period follows through the mapper events of the models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import (
    ChildPlace,
    Employment,
    IntegrationCourse,
    Person,
    PersonDegree,
    PersonLanguage,
    PersonVulnerability,
)
from app.services.casefile.child_places import check_place
from app.services.catalogues import valid_codes
from app.services.errors import DomainError, Problems, unit_of_work

EARLIEST_YEAR = 1900
MSG_REQUIRED = "Bitte ausfüllen – dieses Feld ist Pflicht."
MSG_UNKNOWN_CODE = "Unbekannter Katalogwert – bitte einen Eintrag aus der Liste wählen."
MSG_TOO_LONG = "Höchstens {limit} Zeichen erlaubt (eingegeben: {length})."


class RecordError(DomainError):
    """A sub-record was refused; nothing was written."""


@dataclass(frozen=True)
class Rule:
    """One field of a sub-record: its shape (text, code, date, year, flag) and its limits."""

    shape: str
    required: bool = False
    max_len: int | None = None
    catalogue: str | None = None
    #: a date that may not lie in the future (a past job's start)
    past_only: bool = False


@dataclass(frozen=True)
class RecordKind:
    """A kind of sub-record: its model, German name and the rules of its fields."""

    model: type[Any]
    name: str
    rules: dict[str, Rule]
    #: (start, end) fields of a record with a period
    period: tuple[str, str] | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    #: the rules across fields: ``cross(problems, clean, person=, before=, today=)``
    #: (``before``: the stored values when a record is changed, None when it is created)
    cross: Callable[..., None] | None = None


KINDS: dict[str, RecordKind] = {
    "language": RecordKind(
        PersonLanguage,
        "Sprachkenntnis",
        {
            "language": Rule("code", required=True, catalogue="language"),
            "level": Rule("code", catalogue="cefr_level"),
            "certificate": Rule("text", max_len=200),
        },
    ),
    "degree": RecordKind(
        PersonDegree,
        "Abschluss",
        {
            "kind": Rule("code", required=True, catalogue="vocational_qualification"),
            "title": Rule("text", required=True, max_len=200),
            "institution": Rule("text", max_len=200),
            "country": Rule("code", catalogue="nationality"),
            "year": Rule("year"),
            "recognition_status": Rule("code", catalogue="recognition"),
        },
    ),
    "employment": RecordKind(
        Employment,
        "Tätigkeit",
        {
            "employer": Rule("text", required=True, max_len=200),
            "position": Rule("text", max_len=200),
            "start_on": Rule("date", past_only=True),
            "end_on": Rule("date"),
            "country": Rule("code", catalogue="nationality"),
            "duties": Rule("text", max_len=5000),
        },
        period=("start_on", "end_on"),
    ),
    "course": RecordKind(
        IntegrationCourse,
        "Integrationskurs",
        {
            "course": Rule("code", required=True, catalogue="integration_course_type"),
            "start_on": Rule("date"),
            "end_on": Rule("date"),
            "outcome": Rule("code", catalogue="ik_result"),
            "completed": Rule("flag"),
        },
        period=("start_on", "end_on"),
        defaults={"completed": False},
    ),
    "vulnerability": RecordKind(
        PersonVulnerability,
        "Vulnerabilität",
        {
            "code": Rule("code", required=True, catalogue="vulnerability"),
            "note": Rule("text", max_len=500),
        },
    ),
    "child_place": RecordKind(
        ChildPlace,
        "Kita-, Schul- oder Hortplatz",
        {
            "kind": Rule("code", required=True),
            "type_code": Rule("code"),
            "state": Rule("code", required=True),
            "requested_on": Rule("date", past_only=True),
            "offered_on": Rule("date", past_only=True),
            "attending_from": Rule("date"),
            "ended_on": Rule("date"),
            "partner_id": Rule("ref"),
            "institution": Rule("text", max_len=200),
            "notes": Rule("text", max_len=2000),
        },
        defaults={"state": "requested"},
        cross=check_place,
    ),
}

#: model class -> its kind (the doors find the rules from the row)
KIND_OF_MODEL: dict[type[Any], str] = {kind.model: name for name, kind in KINDS.items()}


def _value(problems: Problems, name: str, rule: Rule, value: Any, *, today: dt.date) -> Any:
    """Check and normalise one value; problems go to ``problems``."""
    if rule.shape == "flag":
        return bool(value)
    if rule.shape == "ref":
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        problems.add(name, f"{name}.format", "Bitte einen Eintrag aus der Liste wählen.")
        return None
    if rule.shape == "date":
        try:
            day = parse_date(value)
        except DateError as exc:
            problems.add(name, f"{name}.invalid", exc.message)
            return None
        if day is not None and rule.past_only and day > today:
            problems.add(name, f"{name}.future", "Das Datum darf nicht in der Zukunft liegen.")
        return day
    if rule.shape == "year":
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            year = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            year = None
        if year is None or not EARLIEST_YEAR <= year <= today.year:
            problems.add(
                name,
                f"{name}.range",
                f"Bitte ein Jahr zwischen {EARLIEST_YEAR} und {today.year} angeben.",
            )
            return None
        return year
    if value is not None and not isinstance(value, str):
        problems.add(name, f"{name}.format", "Bitte einen Text angeben.")
        return None
    text = (value or "").strip()
    if not text:
        if rule.required:
            problems.add(name, f"{name}.required", MSG_REQUIRED)
        return None
    if rule.shape == "code":
        if rule.catalogue and text not in valid_codes(rule.catalogue):
            problems.add(name, f"{name}.unknown", MSG_UNKNOWN_CODE)
        return text
    if rule.max_len is not None and len(text) > rule.max_len:
        problems.add(
            name, f"{name}.too_long", MSG_TOO_LONG.format(limit=rule.max_len, length=len(text))
        )
    return text


def check_record(
    kind: str,
    values: Mapping[str, Any],
    *,
    today: dt.date | None = None,
    person: Person | None = None,
    before: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the checked, normalised values of a sub-record; raise :class:`RecordError`.

    ``person``: whose record it is; ``before``: the stored values when it is changed."""
    today = today or dt.date.today()
    spec = KINDS[kind]
    unknown = set(values) - set(spec.rules)
    if unknown:
        raise RecordError(
            "Unbekannte Felder: " + ", ".join(sorted(unknown)), key="field.unknown", field=None
        )
    problems = Problems(RecordError)
    clean = {
        name: _value(problems, name, rule, values.get(name), today=today)
        for name, rule in spec.rules.items()
    }
    if spec.period is not None:
        start, end = (clean.get(n) for n in spec.period)
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            problems.add(
                spec.period[1],
                f"{spec.period[1]}.before_start",
                "Das Ende kann nicht vor dem Beginn liegen.",
            )
    if spec.cross is not None:
        spec.cross(problems, clean, person=person, before=before, today=today)
    problems.raise_if_any()
    return clean


def create_record(
    kind: str,
    person: Person,
    *,
    actor: Any,
    values: Mapping[str, Any],
    today: dt.date | None = None,
    within: Callable[[Any], None] | None = None,
) -> Any:
    """Add a sub-record of ``kind`` to the person's case file (one transaction)."""
    spec = KINDS[kind]
    clean = check_record(kind, {**spec.defaults, **values}, today=today, person=person)
    with unit_of_work():
        item = spec.model(person_id=person.id, organisation_id=person.organisation_id, **clean)
        db.session.add(item)
        if within is not None:
            db.session.flush()
            within(item)  # a door's bookkeeping in the same transaction
    return item


def update_record(
    item: Any, *, actor: Any, changes: Mapping[str, Any], today: dt.date | None = None
) -> Any:
    """Change a sub-record: the rules of its creation on the changed record."""
    kind = KIND_OF_MODEL[type(item)]
    spec = KINDS[kind]
    current = {name: getattr(item, name) for name in spec.rules}
    person = db.session.get(Person, item.person_id)
    clean = check_record(kind, {**current, **changes}, today=today, person=person, before=current)
    with unit_of_work():
        for name in changes:
            setattr(item, name, clean[name])
    return item


def end_record(item: Any, *, actor: Any, on: Any, today: dt.date | None = None) -> Any:
    """End a record with a period (employment, course) on ``on``."""
    spec = KINDS[KIND_OF_MODEL[type(item)]]
    if spec.period is None:
        raise RecordError(f"{spec.name}: kein Zeitraum, der enden kann.", key="period.none")
    return update_record(item, actor=actor, changes={spec.period[1]: on}, today=today)


# -- the named verbs (what a caller reads) ---------------------------------------------------
def create_language(person: Person, *, actor: Any, **values: Any) -> PersonLanguage:
    """Sprachkenntnis anlegen."""
    item: PersonLanguage = create_record("language", person, actor=actor, values=values)
    return item


def update_language(item: PersonLanguage, *, actor: Any, **changes: Any) -> PersonLanguage:
    """Sprachkenntnis ändern."""
    changed: PersonLanguage = update_record(item, actor=actor, changes=changes)
    return changed


def create_degree(person: Person, *, actor: Any, **values: Any) -> PersonDegree:
    """Abschluss anlegen."""
    item: PersonDegree = create_record("degree", person, actor=actor, values=values)
    return item


def update_degree(item: PersonDegree, *, actor: Any, **changes: Any) -> PersonDegree:
    """Abschluss ändern."""
    changed: PersonDegree = update_record(item, actor=actor, changes=changes)
    return changed


def create_employment(person: Person, *, actor: Any, **values: Any) -> Employment:
    """Tätigkeit anlegen."""
    item: Employment = create_record("employment", person, actor=actor, values=values)
    return item


def update_employment(item: Employment, *, actor: Any, **changes: Any) -> Employment:
    """Tätigkeit ändern."""
    changed: Employment = update_record(item, actor=actor, changes=changes)
    return changed


def end_employment(item: Employment, *, actor: Any, on: Any) -> Employment:
    """Tätigkeit beenden (``end_on``)."""
    ended: Employment = end_record(item, actor=actor, on=on)
    return ended


def create_course(person: Person, *, actor: Any, **values: Any) -> IntegrationCourse:
    """Integrationskurs anlegen."""
    item: IntegrationCourse = create_record("course", person, actor=actor, values=values)
    return item


def update_course(item: IntegrationCourse, *, actor: Any, **changes: Any) -> IntegrationCourse:
    """Integrationskurs ändern."""
    changed: IntegrationCourse = update_record(item, actor=actor, changes=changes)
    return changed


def end_course(item: IntegrationCourse, *, actor: Any, on: Any) -> IntegrationCourse:
    """Integrationskurs beenden (``end_on``)."""
    ended: IntegrationCourse = end_record(item, actor=actor, on=on)
    return ended


def create_vulnerability(person: Person, *, actor: Any, **values: Any) -> PersonVulnerability:
    """Vulnerabilität anlegen."""
    item: PersonVulnerability = create_record("vulnerability", person, actor=actor, values=values)
    return item


def update_vulnerability(
    item: PersonVulnerability, *, actor: Any, **changes: Any
) -> PersonVulnerability:
    """Vulnerabilität ändern."""
    changed: PersonVulnerability = update_record(item, actor=actor, changes=changes)
    return changed


def create_child_place(person: Person, *, actor: Any, **values: Any) -> ChildPlace:
    """Kita-, Schul- oder Hortplatz eines Kindes anlegen (app.services.casefile.child_places)."""
    item: ChildPlace = create_record("child_place", person, actor=actor, values=values)
    return item


def update_child_place(item: ChildPlace, *, actor: Any, **changes: Any) -> ChildPlace:
    """Kita-, Schul- oder Hortplatz ändern: Stand, Tage, Einrichtung."""
    changed: ChildPlace = update_record(item, actor=actor, changes=changes)
    return changed

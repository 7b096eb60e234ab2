"""Persons without a caseworker ("ohne zuständige Fachkraft") and their bulk assignment.

Imported persons arrive without a caseworker; the lead of the provider sees them on the desk
and assigns a caseworker to several at once. :func:`assign_caseworker` is the one verb: scoped
to the lead's own organisation (persons and caseworker alike), one UPDATE, one access-log row
per person (``update``, category ``caseworker_assignment``), in one transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import MsaUser, Person
from app.models.base import utcnow
from app.services.data_protection.access_log import log_accesses
from app.services.errors import DomainError, Problems, unit_of_work

#: persons per page of the list
PAGE_SIZE = 50
#: at most this many persons per assignment
MAX_BATCH = 500


def unassigned_condition(organisation_id: int) -> list[Any]:
    """The persons of an organisation without a caseworker who have not moved away."""
    return [
        Person.organisation_id == organisation_id,
        Person.caseworker_id.is_(None),
        Person.moved_away_on.is_(None),
    ]


def count_query(organisation_id: int) -> Any:
    """SELECT of the number of persons without a caseworker (the desk's figure)."""
    return select(func.count(Person.id)).where(*unassigned_condition(organisation_id))


def unassigned_page(organisation_id: int, page: int) -> tuple[list[Any], int]:
    """One page of the persons without a caseworker (name order) and the total (two reads)."""
    total = int(db.session.scalar(count_query(organisation_id)) or 0)
    rows = db.session.execute(
        select(
            Person.id,
            Person.first_name,
            Person.last_name,
            Person.birth_date,
            Person.file_number,
            Person.assigned_on,
        )
        .where(*unassigned_condition(organisation_id))
        .order_by(Person.last_name, Person.first_name, Person.id)
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return list(rows), total


def caseworkers(organisation_id: int) -> list[tuple[int, str]]:
    """The active accounts of the organisation a person can be assigned to."""
    rows = db.session.execute(
        select(MsaUser.id, MsaUser.first_name, MsaUser.last_name)
        .where(MsaUser.organisation_id == organisation_id, MsaUser.active.is_(True))
        .order_by(MsaUser.last_name, MsaUser.first_name, MsaUser.id)
    ).all()
    return [(int(i), f"{f} {lname}".strip()) for i, f, lname in rows]


def assign_caseworker(person_ids: list[int], caseworker_id: int | None, *, actor: Any) -> int:
    """Assign ``caseworker_id`` to the persons of ``person_ids`` that belong to the actor's
    organisation and have no caseworker yet; return how many were assigned.

    Refused (DomainError, nothing written): no organisation, no person chosen, too many, a
    caseworker who is not an active account of the same organisation, a person that is not
    the organisation's or already has a caseworker (someone else was quicker).
    """
    organisation_id = getattr(actor, "organisation_id", None)
    if organisation_id is None:
        raise DomainError("Nur die Leitung eines Trägers kann zuweisen.", status=403, key="scope")
    problems = Problems()
    ids = sorted({int(i) for i in person_ids})
    if not ids:
        problems.add("person_ids", "required", "Bitte mindestens eine Person auswählen.")
    elif len(ids) > MAX_BATCH:
        problems.add("person_ids", "too_many", f"Höchstens {MAX_BATCH} Personen auf einmal.")
    if caseworker_id is None:
        problems.add("caseworker_id", "required", "Bitte eine Fachkraft auswählen.")
    elif caseworker_id not in {i for i, _name in caseworkers(organisation_id)}:
        problems.add("caseworker_id", "unknown", "Die Fachkraft gehört nicht zu Ihrem Träger.")
    problems.raise_if_any()
    own = set(
        db.session.scalars(
            select(Person.id).where(Person.id.in_(ids), *unassigned_condition(organisation_id))
        )
    )
    if own != set(ids):
        raise DomainError(
            "Einige der gewählten Personen gehören nicht zu Ihrem Träger oder haben schon eine "
            "zuständige Fachkraft. Bitte die Liste neu laden.",
            field="person_ids",
            key="not_unassigned",
            status=409,
        )
    name = dict(caseworkers(organisation_id))[int(caseworker_id or 0)]
    with unit_of_work():
        db.session.execute(
            update(Person)
            .where(Person.id.in_(ids), *unassigned_condition(organisation_id))
            .values(caseworker_id=caseworker_id, version=Person.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        detail = f"Zuständige Fachkraft zugewiesen (Sammelzuweisung): {name}"[:300]
        log_accesses(
            [(pid, "update", "caseworker_assignment", detail) for pid in ids], commit=False
        )
    return len(ids)

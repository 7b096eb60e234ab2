"""Organisations and accommodations (R-1.1); staff accounts: app.services.staff.accounts."""

from __future__ import annotations

from app.extensions import db
from app.models import Accommodation, Organisation, OrganisationKind
from app.services import errors
from app.services.errors import unit_of_work


class DomainError(errors.DomainError):
    """A domain rule was violated; the message is German and shown to the user."""


KIND_ALIASES = {
    "county": OrganisationKind.county,
    "provider": OrganisationKind.provider,
    "specialist-service": OrganisationKind.specialist_service,
    "specialist_service": OrganisationKind.specialist_service,
}


def create_organisation(name: str, kind: str, **fields: str | None) -> Organisation:
    """Create an organisation (idempotent by name: returns the existing one if same kind)."""
    try:
        kind_enum = KIND_ALIASES[kind]
    except KeyError as exc:
        raise DomainError(f"Unbekannte Art '{kind}' (county|provider|specialist-service)") from exc
    existing = db.session.query(Organisation).filter_by(name=name).one_or_none()
    if existing is not None:
        if existing.kind != kind_enum:
            raise DomainError(f"Organisation '{name}' existiert bereits mit anderer Art")
        return existing
    with unit_of_work():
        org = Organisation(name=name, kind=kind_enum, **fields)
        db.session.add(org)
    return org


ACCOMMODATION_KIND_ALIASES = {
    "transitional-home": "transitional_home",
    "transitional_home": "transitional_home",
    "uewh": "transitional_home",
    "shared-accommodation": "shared_accommodation",
    "shared_accommodation": "shared_accommodation",
    "flat": "flat",
}


def create_accommodation(
    name: str, organisation: str, *, capacity: int | None = None, kind: str = "transitional-home"
) -> Accommodation:
    """Create an accommodation run by a provider (idempotent by name and provider)."""
    from app.models import AccommodationKind

    org = db.session.query(Organisation).filter_by(name=organisation).one_or_none()
    if org is None:
        raise DomainError(f"Organisation '{organisation}' gibt es nicht")
    if org.kind == OrganisationKind.county:
        raise DomainError("Unterkünfte werden von einem Träger betrieben, nicht vom Landkreis")
    code = ACCOMMODATION_KIND_ALIASES.get(kind)
    if code is None:
        raise DomainError(f"Unbekannte Art '{kind}' (transitional-home|shared-accommodation|flat)")
    if capacity is not None and capacity < 0:
        raise DomainError("Die Kapazität kann nicht negativ sein")
    existing = (
        db.session.query(Accommodation).filter_by(name=name, operator_id=org.id).one_or_none()
    )
    if existing is not None:
        if capacity is not None:
            with unit_of_work():
                existing.capacity = capacity
        return existing
    with unit_of_work():
        acc = Accommodation(
            name=name, kind=AccommodationKind(code), capacity=capacity, operator_id=org.id
        )
        db.session.add(acc)
    return acc

"""Organisations and staff accounts (R-1.1, R-1.3)."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app

from app.extensions import db
from app.models import Accommodation, MsaUser, Organisation, OrganisationKind
from app.security import matrix


class DomainError(Exception):
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
    org = Organisation(name=name, kind=kind_enum, **fields)
    db.session.add(org)
    db.session.commit()
    return org


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    organisation: str | None = None,
    fte: float | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
) -> MsaUser:
    """Create a staff account with one role, bound to one organisation."""
    if role not in matrix.ALL_ROLES:
        raise DomainError(f"Unbekannte Rolle '{role}' ({', '.join(matrix.ALL_ROLES)})")
    sm = current_app.appbuilder.sm  # type: ignore[attr-defined]
    role_obj = sm.find_role(role)
    if role_obj is None:
        raise DomainError("Rollen fehlen: bitte zuerst 'flask msa init' ausführen")
    org = None
    if organisation:
        org = db.session.query(Organisation).filter_by(name=organisation).one_or_none()
        if org is None:
            raise DomainError(f"Organisation '{organisation}' gibt es nicht")
    elif role not in (matrix.ROLE_ADMIN,):
        raise DomainError("Die Rolle verlangt eine Organisation (--organisation)")
    if sm.find_user(username=username) is not None:
        raise DomainError(f"Benutzer '{username}' existiert bereits")
    from app.security.passwords import password_problem

    problem = password_problem(password, user_inputs=[username])
    if problem:
        raise DomainError(problem)
    user = sm.add_user(
        username=username,
        first_name=first_name or username,
        last_name=last_name or (org.name if org else "Admin"),
        email=email or f"{username}@msa.invalid",
        role=role_obj,
        password=password,
    )
    if not user:
        raise DomainError(f"Benutzer '{username}' konnte nicht angelegt werden")
    user = db.session.get(MsaUser, user.id)
    assert user is not None
    user.organisation_id = org.id if org else None
    user.fte = Decimal(str(fte if fte is not None else 1.0))
    db.session.commit()
    return user


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
            existing.capacity = capacity
            db.session.commit()
        return existing
    acc = Accommodation(
        name=name, kind=AccommodationKind(code), capacity=capacity, operator_id=org.id
    )
    db.session.add(acc)
    db.session.commit()
    return acc

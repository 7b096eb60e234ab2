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
    actor: MsaUser | None = None,
) -> MsaUser:
    """Create a staff account with one role, bound to one organisation.

    ``actor``: the account on whose behalf (its role-granting rules apply,
    app.security.granting); None is the operator at the server's shell (rules of an Admin).
    """
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
    from werkzeug.security import generate_password_hash

    from app.security.admin_log import acting_as
    from app.security.granting import Account, GrantRefusedError, check_change, fit_problem

    kind = org.kind.value if org else None
    problem = fit_problem([role], kind)
    if problem:
        raise DomainError(problem)
    if actor is not None:
        try:
            check_change(
                Account.of(actor), None, Account(None, frozenset({role}), org and org.id, kind)
            )
        except GrantRefusedError as exc:
            raise DomainError(str(exc)) from exc
    user = MsaUser(
        username=username,
        first_name=first_name or username,
        last_name=last_name or (org.name if org else "Admin"),
        email=email or f"{username}@msa.invalid",
        active=True,
        password=generate_password_hash(password),
        organisation_id=org.id if org else None,
        fte=Decimal(str(fte if fte is not None else 1.0)),
    )
    user.roles = [role_obj]
    db.session.add(user)
    with acting_as(actor, None if actor is not None else "cli"):
        try:
            db.session.commit()
        except GrantRefusedError as exc:
            db.session.rollback()
            raise DomainError(str(exc)) from exc
    return user


def set_user_active(user_id: int, active: bool, *, actor: MsaUser | None) -> MsaUser:
    """Deactivate or reactivate an account (team page of the lead, app.security.granting).

    A deactivated account cannot sign in, and its sessions and tokens end at once
    (app.security.manager.load_user).
    """
    from app.security.granting import Account, GrantRefusedError, check_change

    user = db.session.get(MsaUser, user_id)
    if user is None:
        raise DomainError("Dieses Konto gibt es nicht.")
    if actor is not None:
        state = Account.of(user)
        try:
            check_change(Account.of(actor), state, state)
        except GrantRefusedError as exc:
            raise DomainError(str(exc)) from exc
    if bool(user.active) == active:
        return user
    user.active = active
    try:
        db.session.commit()
    except GrantRefusedError as exc:
        db.session.rollback()
        raise DomainError(str(exc)) from exc
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

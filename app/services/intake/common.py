"""Shared pieces of the intake services: errors, actors, unscoped reads."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import select

from app.extensions import db
from app.models import Organisation, OrganisationKind

#: organisations that hold case files (receive handovers and shares)
CASE_HOLDING_KINDS = (OrganisationKind.provider, OrganisationKind.specialist_service)


class Actor(Protocol):
    """The signed-in user acting (an ``MsaUser``)."""

    id: int
    username: str
    organisation_id: int | None


class IntakeError(Exception):
    """A refused intake operation: HTTP-like ``status`` and a German message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def actor_name(actor: Any) -> str:
    """Return the display name of a user (first and last name, else the username)."""
    name = f"{getattr(actor, 'first_name', '') or ''} {getattr(actor, 'last_name', '') or ''}"
    return name.strip() or str(getattr(actor, "username", ""))


def case_holding_organisations(exclude_id: int | None = None) -> list[tuple[int, str]]:
    """Return ``(id, name)`` of the providers and the specialist service, by name."""
    stmt = (
        select(Organisation.id, Organisation.name)
        .where(Organisation.kind.in_(CASE_HOLDING_KINDS))
        .order_by(Organisation.name)
    )
    if exclude_id is not None:
        stmt = stmt.where(Organisation.id != exclude_id)
    return [(int(i), str(n)) for i, n in db.session.execute(stmt)]


def organisation(org_id: int) -> Organisation | None:
    """Return an organisation by id (organisations are not row-scoped)."""
    return db.session.scalars(select(Organisation).where(Organisation.id == org_id)).first()

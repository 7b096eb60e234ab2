"""Special categories of a person (R-2.2): read with an access-log entry, save with a version.

Callers check the ``PersonSensitive`` permission and that the person is visible (row scope);
this module writes the access log — one row per category read, never the values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select

from app.extensions import db
from app.models import Person, PersonSensitive
from app.security.scoping import current_scope
from app.services.data_protection.access_log import log_access, log_accesses
from app.services.record_payloads import FieldSpec, clean

#: category key → German label (the fields of PersonSensitive)
CATEGORIES: dict[str, str] = {
    "health": "Gesundheitliche Situation",
    "addiction_in_family": "Suchterkrankung in der Familie",
    "religion": "Religion",
    "biographical_events": "Wichtige biografische Ereignisse",
    "criminal_proceedings": "Strafverfahren",
}

SPECS: dict[str, FieldSpec] = {
    "health": FieldSpec("text", max_len=5000),
    "addiction_in_family": FieldSpec("text", max_len=5000),
    "religion": FieldSpec("str", max_len=200),
    "biographical_events": FieldSpec("text", max_len=5000),
    "criminal_proceedings": FieldSpec("text", max_len=5000),
}


class SensitiveConflictError(Exception):
    """The special categories changed since the caller read them."""


def _writer(person_id: int) -> int | None:
    """The organisation that writes special categories now: the signed-in user's, else
    (outside a request) the person's holder."""
    scope = current_scope()
    if scope is not None and scope.organisation_id is not None and scope.mode == "org":
        return scope.organisation_id
    return db.session.scalar(
        select(Person.organisation_id)
        .where(Person.id == person_id)
        .execution_options(msa_unscoped=True)
    )


def _own_row(person_id: int) -> PersonSensitive | None:
    return db.session.execute(
        select(PersonSensitive).where(
            PersonSensitive.person_id == person_id,
            PersonSensitive.organisation_id == _writer(person_id),
        )
    ).scalar_one_or_none()


def _row(person_id: int) -> PersonSensitive | None:
    """The special categories the reader sees: its own entry, else the latest visible one
    (written by another organisation and released to the reader — read only: a save makes
    the reader's own entry). One statement."""
    own = PersonSensitive.organisation_id == _writer(person_id)
    return db.session.execute(
        select(PersonSensitive)
        .where(PersonSensitive.person_id == person_id)
        .order_by(
            case((own, 0), else_=1),
            PersonSensitive.updated_at.desc(),
            PersonSensitive.id.desc(),
        )
        .limit(1)
    ).scalar_one_or_none()


def read_sensitive(person_id: int) -> PersonSensitive | None:
    """Return the special categories of a person WITHOUT logging: the caller must call
    ``log_sensitive_read`` before its response leaves (after rendering, so that the commit
    does not expire the rows the page still shows)."""
    return _row(person_id)


def log_sensitive_read(person_id: int, *, channel: str) -> None:
    """Log the read of every category (one statement) and commit."""
    log_accesses([(person_id, "read_sensitive", category, channel) for category in CATEGORIES])


def load_sensitive(person_id: int, *, channel: str) -> PersonSensitive | None:
    """Return the special categories of a person and log the read of every category."""
    row = _row(person_id)
    log_sensitive_read(person_id, channel=channel)
    if row is not None:
        db.session.refresh(row)
    return row


def save_sensitive(person_id: int, payload: Any, *, channel: str) -> PersonSensitive:
    """Validate ``payload`` and store it; ``version`` must match once a row exists.

    Raises PayloadError (400) or SensitiveConflictError (409); nothing is stored then.
    """
    row = _own_row(person_id)
    if row is None and isinstance(payload, dict) and "version" in payload:
        payload = {k: v for k, v in payload.items() if k != "version"}
    data = clean(payload, SPECS, partial=True, versioned=row is not None)
    if row is None:
        data.pop("version", None)
        row = PersonSensitive(person_id=person_id)
        db.session.add(row)
    elif data.pop("version") != row.version:
        raise SensitiveConflictError
    changed = [key for key, value in data.items() if getattr(row, key) != value]
    for key, value in data.items():
        setattr(row, key, value)
    db.session.flush()
    if changed:
        log_access(
            person_id, "update", category="sensitive", detail=f"{channel}: {', '.join(changed)}"
        )
    else:
        db.session.commit()
    return row

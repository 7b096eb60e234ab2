"""Access log writes (R-2.2, R-8.2): who read, exported, changed or deleted which case file."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context

from app.extensions import db
from app.models import AccessLog

#: allowed actions
ACTIONS = frozenset(
    {"read", "read_sensitive", "create", "update", "delete", "export", "document", "purge"}
)


def log_access(
    person_id: int | None,
    action: str,
    *,
    category: str | None = None,
    detail: str | None = None,
    commit: bool = True,
) -> AccessLog:
    """Append one access-log row for the current user; never pass special-category values."""
    if action not in ACTIONS:
        raise ValueError(f"unknown access-log action {action!r}")
    user: Any = g.get("user") if has_request_context() else None
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    entry = AccessLog(
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else "system",
        organisation_id=getattr(user, "organisation_id", None) if user is not None else None,
        person_id=person_id,
        action=action,
        category=category,
        detail=(detail or "")[:300] or None,
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry

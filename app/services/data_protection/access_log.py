"""Access log writes (R-2.2, R-8.2): who read, exported, changed or deleted which case file."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy import insert

from app.extensions import db
from app.models import AccessLog
from app.services.errors import unit_of_work

#: allowed actions
ACTIONS = frozenset(
    {"read", "read_sensitive", "create", "update", "delete", "export", "document", "purge"}
) | frozenset(
    # intake and movement across providers
    {
        "handover_offer",
        "handover_accept",
        "handover_decline",
        "handover_withdraw",
        "share",
        "share_end",
        "duplicate_hint",
        "duplicate_check",
        "import",
    }
)

#: German names of the actions (log search, Art. 15 export)
ACTION_LABELS = {
    "read": "Gelesen",
    "read_sensitive": "Besondere Kategorien gelesen",
    "create": "Angelegt",
    "update": "Geändert",
    "delete": "Gelöscht",
    "export": "Exportiert",
    "document": "Dokument erzeugt",
    "purge": "Vernichtet (Löschfrist)",
    "handover_offer": "Übergabe angeboten",
    "handover_accept": "Übergabe angenommen",
    "handover_decline": "Übergabe abgelehnt",
    "handover_withdraw": "Übergabe zurückgezogen",
    "share": "Freigabe erteilt",
    "share_end": "Freigabe beendet",
    "duplicate_hint": "Dublettenhinweis (anderer Träger)",
    "duplicate_check": "Dublettenprüfung",
    "import": "Zuweisungsimport",
}


def category_label(code: str | None) -> str:
    """The German name of a log category: the portal's own categories and the special
    categories (``ACCESS_LOG_CATEGORIES``), else a special-category aspect of the
    case-management assessment by its catalogue label, else "–" for none."""
    from app.formatting import ACCESS_LOG_CATEGORIES

    if not code:
        return "–"
    if code in ACCESS_LOG_CATEGORIES:
        return str(ACCESS_LOG_CATEGORIES[code])
    from app.services.catalogues import labels

    aspect = labels("assessment_aspect").get(code)
    return f"Besondere Kategorie: {aspect}" if aspect else code


def log_access(
    person_id: int | None,
    action: str,
    *,
    category: str | None = None,
    detail: str | None = None,
    commit: bool = True,
) -> AccessLog:
    """Append one access-log row for the current user; never pass special-category values."""
    entry = AccessLog(**entry_values(person_id, action, category, detail))
    if not commit:  # part of the caller's transaction
        db.session.add(entry)
        return entry
    with unit_of_work():
        db.session.add(entry)
    return entry


def log_accesses(
    entries: list[tuple[int | None, str, str | None, str | None]], *, commit: bool = True
) -> None:
    """Append several access-log rows ``(person_id, action, category, detail)`` in ONE
    statement (a multi-row INSERT; the ORM would insert row by row to fetch each id)."""
    rows = [entry_values(*entry) for entry in entries]
    if not commit:  # part of the caller's transaction
        if rows:
            db.session.execute(insert(AccessLog), rows)
        return
    with unit_of_work():
        if rows:
            db.session.execute(insert(AccessLog), rows)


def entry_values(
    person_id: int | None, action: str, category: str | None, detail: str | None
) -> dict[str, Any]:
    if action not in ACTIONS:
        raise ValueError(f"unknown access-log action {action!r}")
    user: Any = g.get("user") if has_request_context() else None
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return {
        "user_id": user.id if user is not None else None,
        "username": user.username if user is not None else "system",
        "organisation_id": getattr(user, "organisation_id", None) if user is not None else None,
        "person_id": person_id,
        "action": action,
        "category": category,
        "detail": (detail or "")[:300] or None,
    }

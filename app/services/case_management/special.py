"""Special categories typed into the case-management assessment (R-2.2, Art. 9 DSGVO).

The assessment (Fachkonzept §3.2.2) asks for the health situation, the religion and important
biographical events — the aspects the catalogue marks ``special_category``. Their text is of
the same kind as what the special-category page holds, so it is handled alike wherever it
appears:

* **read** only with the read permission of the special-category page (``PersonSensitive``);
  without it the case page and the API show that an entry exists, not its text;
* every read **logged** as the special-category page logs it: action ``read_sensitive``, one
  row per category read, category as on that page (``health``, ``religion``,
  ``biographical_events``), never the text;
* **written** only with the write permission of that page;
* **exported** to the data subject (Art. 15) under the special categories.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from flask import current_app, has_request_context

from app.security import matrix
from app.services.catalogues import catalogue_file
from app.services.data_protection.access_log import log_accesses

#: assessment aspect -> category of the special-category page (app.services.casefile.sensitive)
ASPECT_CATEGORY = {
    "health_situation": "health",
    "religion": "religion",
    "biographical_events": "biographical_events",
}

#: what a reader without the permission sees instead of the text
WITHHELD = "Besondere Kategorie – nur mit der Berechtigung für besondere Kategorien sichtbar."


@functools.cache
def special_aspects() -> frozenset[str]:
    """The assessment aspects of the special categories (catalogue flag ``special_category``)."""
    flagged = {
        str(entry["code"])
        for entry in catalogue_file().get("assessment_aspect", [])
        if (entry.get("extra") or {}).get("special_category")
    }
    return frozenset(flagged | set(ASPECT_CATEGORY))


def category_of(aspect_code: str) -> str | None:
    """The special category of an aspect, None for an ordinary one."""
    if aspect_code not in special_aspects():
        return None
    return ASPECT_CATEGORY.get(aspect_code, aspect_code)


def may(permission: str) -> bool:
    """Whether the signed-in user has ``can_read``/``can_write`` on the special categories;
    outside a request (CLI, demo data) the caller is the system."""
    if not has_request_context():
        return True
    sm: Any = current_app.appbuilder.sm  # type: ignore[attr-defined]
    return bool(sm.has_access(permission, matrix.SENSITIVE))


def log_read(
    person_id: int, aspect_codes: Iterable[str], *, channel: str, commit: bool = True
) -> None:
    """Log the read of the special categories among ``aspect_codes`` (one row per category)."""
    categories = sorted({c for c in (category_of(code) for code in aspect_codes) if c})
    if categories:
        log_accesses(
            [
                (person_id, "read_sensitive", category, f"Case Management: Assessment ({channel})")
                for category in categories
            ],
            commit=commit,
        )


#: key and heading of the special-category assessment entries in the Art. 15 export
EXPORT_KEY = "cm_assessment_entry_special"
EXPORT_TITLE = "Besondere Kategorien personenbezogener Daten: Case Management, Assessment"


def split_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(ordinary, special-category) assessment rows, each in its order."""
    ordinary = [r for r in rows if category_of(str(r.get("aspect_code"))) is None]
    return ordinary, [r for r in rows if category_of(str(r.get("aspect_code"))) is not None]

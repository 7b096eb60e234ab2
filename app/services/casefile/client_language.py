"""The client's languages where staff meet the client: the appointment and note forms.

A NEW appointment or note of a person whose case file names an interpreter language starts
with its interpreter checkbox ticked (``interpreter_prefill``); next to the checkbox the forms
show the client's languages in German (``language_hint``: "Sprachmittlung: Arabisch; Sprachen:
Arabisch, Englisch"). This is a form default only: an edit shows what is stored, what the user
sent is kept, and the REST API stores exactly what it is sent (docs/api.md).
"""

from __future__ import annotations

from typing import Any

from app.services.casefile.persons import label


def interpreter_prefill(person: Any) -> bool:
    """Tick "interpreter" on a new form: the case file names an interpreter language."""
    return bool(getattr(person, "interpreter_language", None))


def language_hint(person: Any) -> str:
    """The client's interpreter language and languages in German ('' when none is recorded)."""
    if person is None:
        return ""
    interpreter = getattr(person, "interpreter_language", None)
    spoken = [label("language", code) for code in getattr(person, "languages", None) or []]
    if not interpreter and not spoken:
        return ""
    parts = [f"Sprachmittlung: {label('language', interpreter) if interpreter else 'nicht nötig'}"]
    if spoken:
        parts.append("Sprachen: " + ", ".join(spoken))
    return "; ".join(parts)

"""The consent letter in the recorded consent of a handover or a share.

Before a client consents to a handover or a share, the caseworker prints the bilingual consent
letter (``consent_handover`` / ``consent_sharing``, docs/letters.md) and hands it out. The
recorded consent names that letter: its language (``de`` or a letter language) and the day it
was handed out (default: the day of the consent). Both are optional — a consent recorded
without them names no letter, as before.
"""

from __future__ import annotations

import datetime as dt

from app.dates import de_date
from app.services.documents import letters
from app.services.intake.common import IntakeError

#: the letter kind each consent refers to
LETTER_KINDS = {"handover": "consent_handover", "share": "consent_sharing"}


def language_name(code: str) -> str:
    """German name of a letter language (``de``: Deutsch)."""
    language = letters.LANGUAGES.get(code)
    return "Deutsch" if code == "de" else language.german if language else code


def checked_letter(
    language: str | None, on: dt.date | None, *, consent_on: dt.date | None, today: dt.date
) -> tuple[str | None, dt.date | None]:
    """The letter reference to store: (language, day) or (None, None); raises IntakeError."""
    code = (language or "").strip()
    if not code:
        if on is not None:
            raise IntakeError(
                "Bitte angeben, in welcher Sprache das Einwilligungsschreiben ausgehändigt wurde."
            )
        return None, None
    if code != "de" and code not in letters.LANGUAGES:
        raise IntakeError(
            f"Unbekannte Sprache des Einwilligungsschreibens: {code}. "
            f"Möglich: de, {', '.join(letters.LANGUAGES)}."
        )
    day = on or consent_on or today
    if day > today:
        raise IntakeError("Das Einwilligungsschreiben kann nicht in der Zukunft ausgehändigt sein.")
    if consent_on is not None and day > consent_on:
        raise IntakeError(
            "Das Einwilligungsschreiben wird vor der Einwilligung ausgehändigt: "
            f"bitte einen Tag bis zum {de_date(consent_on)} angeben."
        )
    return code, day


def letter_label(language: str | None, on: dt.date | None) -> str:
    """'Einwilligungserklärung (Arabisch) vom 06.12.2026 ausgehändigt' ('' when none)."""
    if not language or on is None:
        return ""
    return f"Einwilligungserklärung ({language_name(language)}) vom {de_date(on)} ausgehändigt"

"""The request's language and display-time translation of German texts made in code.

German is the source language (``lazy_gettext("Personen")``); English is chosen with
``/lang/en``. :func:`english` says whether the current request is shown in English (never
outside a request: CLI, imports and services stay German). :func:`translate` translates a German
text that was built at run time — a flash message, a domain refusal (``DomainError.message``),
a label from a dictionary — through the catalogue when it is a known message: the whole text,
else sentence by sentence. Texts without a translation stay as they are (personal data, free
text). The keys of domain errors never change; only what is shown does.
"""

from __future__ import annotations

import re
from typing import Any

from flask import has_request_context
from markupsafe import Markup

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ„])")
_SEGMENT = re.compile(r"(\s[–·]\s)")
_QUARTER = re.compile(r"\b([1-4])\. Quartal (\d{4})\b")
#: a German msgid before a value: "Beratungsvermerk vom 05.12.2026", "Sozialbericht Version 2"
_LEAD = re.compile(r"^(\D+?)\s+(\d.*)$")


def english() -> bool:
    """True when the current request is shown in English."""
    if not has_request_context():
        return False
    from flask_babel import get_locale

    return str(get_locale() or "de").startswith("en")


def _segment(part: str) -> str:
    """One segment of a title: a known message, or a known message followed by a value."""
    from flask_babel import gettext

    whole = gettext(part)
    if whole != part:
        return whole
    m = _LEAD.match(part)
    if m:
        lead = gettext(m.group(1))
        if lead != m.group(1):
            return f"{lead} {m.group(2)}"
    return part


def title(text: str) -> str:
    """A title made in code ("Beratungsvermerk vom 05.12.2026 – Mehmet Yıldız – MSA-Portal"):
    each part between dashes translated when known (alone or before a date or number), the
    quarter as "Q4 2026"; names and other parts unchanged."""
    if not english():
        return text
    text = _QUARTER.sub(r"Q\1 \2", text)
    return "".join(p if _SEGMENT.fullmatch(p) else _segment(p) for p in _SEGMENT.split(text))


def translate(text: Any, *, sentences: bool = True) -> Any:
    """The English text of a German message in an English request; anything else unchanged.

    ``sentences=False`` translates only a whole known message (values of records: free text is
    never translated in parts)."""
    if not english() or text is None or isinstance(text, Markup) or not isinstance(text, str):
        return text
    from flask_babel import gettext

    plain = str(text)
    if not plain.strip():
        return text
    whole = gettext(plain)
    if whole != plain:
        return whole
    parts = _SENTENCE.split(plain) if sentences else [plain]
    if len(parts) == 1:
        return plain
    return " ".join(gettext(part) for part in parts)


def N_(text: str) -> str:  # noqa: N802 - the usual name of the marker
    """Mark a German text for extraction (``make translations``) without translating it here:
    it is kept German in data and exports and translated on screen by :func:`translate`."""
    return text

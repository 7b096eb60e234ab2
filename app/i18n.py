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
from functools import lru_cache
from typing import Any

from flask import has_request_context
from flask.globals import _cv_app
from markupsafe import Markup

from app.i18n_code_texts import N_

__all__ = ["N_", "english", "named", "phrase", "title", "translate"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ„])")
_SEGMENT = re.compile(r"(\s[–·]\s)")
_QUARTER = re.compile(r"\b([1-4])\. Quartal (\d{4})\b")


def _babel_state() -> Any:
    """Flask-Babel's per-request namespace (``g._flask_babel``: the locale it chose), or None.

    Read from the application context directly: every ``{{ … }}`` of a page asks
    :func:`english` (a thousand times on the case file), and the way through ``g`` and
    Flask-Babel's proxies cost more than the rest of the output."""
    app_ctx = _cv_app.get(None)
    return None if app_ctx is None else app_ctx.g.__dict__.get("_flask_babel")


def _locale() -> Any:
    locale = getattr(_babel_state(), "babel_locale", None)
    if locale is None:  # not chosen yet in this request: Flask-Babel chooses (and keeps) it
        from flask_babel import get_locale

        locale = get_locale()
    return locale


def english() -> bool:
    """True when the current request is shown in English."""
    if not has_request_context():
        return False
    locale = _locale()
    return locale is not None and locale.language == "en"


def translations() -> Any:
    """The catalogue of the request's locale, kept for the request (the templates' ``_()``).

    Flask-Babel looks the catalogue up anew for every text (domain, locale, cache key); a page
    has hundreds. Kept beside Flask-Babel's own choice of the locale: when that changes
    (``flask_babel.refresh``) the catalogue is looked up again."""
    from flask_babel import get_translations

    state = _babel_state()
    if state is None:
        return get_translations()
    locale = _locale()
    kept = getattr(state, "msa_translations", None)
    if kept is not None and kept[0] is locale:
        return kept[1]
    catalogue = get_translations()
    state.msa_translations = (locale, catalogue)
    return catalogue


def install_template_gettext(env: Any) -> None:
    """The templates' ``_()``/``gettext`` as Flask-Babel installs them, with the kept catalogue."""
    env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


_WEEKDAY = re.compile(r"^(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag), (.+)$")
_COUNT = re.compile(r"^(\d[\d.,]*) (\w[\w ]*)$")
_MINUTES = re.compile(r"^(.+) \((\d+) Min\.\)$")
_PLACES = re.compile(r"^(\d+) von (\d+) Plätzen$")


def phrase(text: str) -> str:
    """A short text made of a known message and a value: "Montag, 07.12.2026", "30 Minuten",
    "Einzelberatung (30 Min.)" — the message translated, the value kept."""
    from flask_babel import gettext

    m = _PLACES.match(text)
    if m:
        return f"{m.group(1)} of {m.group(2)} places"
    m = _WEEKDAY.match(text)
    if m:
        return f"{gettext(m.group(1))}, {m.group(2)}"
    m = _COUNT.match(text)
    if m and gettext(m.group(2)) != m.group(2):
        return f"{m.group(1)} {gettext(m.group(2))}"
    m = _MINUTES.match(text)
    if m and gettext(m.group(1)) != m.group(1):
        return f"{gettext(m.group(1))} ({m.group(2)} min)"
    return named(text)


def named(text: str) -> str:
    """A short heading made in code of a known message and a name or value ("Fallakte Mehmet
    Yıldız", "Geprüfte Fallakte Yıldız, Mehmet"); not a sentence, not free text."""
    if len(text) > 80 or text.endswith((".", "!", "?")):
        return text
    words = text.split(" ")
    from flask_babel import gettext

    if len(words[0]) < 4 or not words[0][:1].isupper():
        return text  # a heading starts with a noun ("Fallakte …"), not "nach Vereinbarung"
    for cut in range(len(words) - 1, 0, -1):
        rest = words[cut]
        if not (rest[:1].isupper() or rest[:1].isdigit()):
            continue
        lead = " ".join(words[:cut])
        shown = gettext(lead)
        if shown != lead:
            return f"{shown} {' '.join(words[cut:])}"
    return text


def _segment(part: str) -> str:
    """One part of a title: a known message, or a known message (the longest known start)
    followed by a value or a name ("Beratungsvermerk vom 05.12.2026", "Fall Yıldız, Mehmet")."""
    from flask_babel import gettext

    whole = gettext(part)
    if whole != part:
        return whole
    words = part.split(" ")
    for cut in range(len(words) - 1, 0, -1):
        lead = " ".join(words[:cut])
        shown = gettext(lead)
        if shown != lead:
            return f"{shown} {' '.join(words[cut:])}"
    return phrase(part)


def title(text: str) -> str:
    """A title made in code ("Beratungsvermerk vom 05.12.2026 – Mehmet Yıldız – MSA-Portal"):
    each part between dashes translated when known (alone or before a value or a name), the
    quarter as "Q4 2026"; names and other parts unchanged."""
    if not english():
        return text
    text = _QUARTER.sub(r"Q\1 \2", text)
    return "".join(p if _SEGMENT.fullmatch(p) else _segment(p) for p in _SEGMENT.split(text))


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The messages with placeholders of ``app/i18n_code_texts.py`` (``PATTERNS``) as regular
    expressions: "Beratungsvermerk vom %(date)s gespeichert." matches the message made in code."""
    from app.i18n_code_texts import PATTERNS

    out = []
    for msgid in PATTERNS:
        parts = _PLACEHOLDER.split(msgid)
        regex = "".join(
            f"(?P<{part}>.+?)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
        )
        out.append((re.compile(f"^{regex}$"), msgid))
    return tuple(out)


def _by_pattern(text: str) -> str:
    """A sentence made in code from a message with values; each value shown translated when
    the catalogue knows it (a record's name), else as it is (a date, a name)."""
    from flask_babel import gettext

    for regex, msgid in _patterns():
        m = regex.match(text)
        if m:
            values = {k: gettext(v) for k, v in m.groupdict().items()}
            return str(gettext(msgid, **values))
    return text


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
    if not sentences:
        return plain
    shown = [gettext(part) for part in _SENTENCE.split(plain)]
    shown = [
        _by_pattern(part) if part == original else part
        for part, original in zip(shown, _SENTENCE.split(plain), strict=True)
    ]
    return " ".join(shown)

"""Bilingual letters to clients: German and the client's language in one PDF.

The texts are phrase catalogues in gettext format, one per language, in ``app/data/letters/``
(``<code>.po``): every ``msgid`` is the German source, every ``msgstr`` its translation. A
translation is **reviewed** when its entry is not marked ``fuzzy``; translations are written and
reviewed by people and never made at run time. A letter prints the client's language only when
every phrase it uses is translated and reviewed in that language; otherwise it prints German
only and says so (``coverage`` tells which kinds are ready in which language, ``msa
letters-coverage`` prints it).

This module knows the letters' texts and builds their contexts from plain values; the caller
(``app/services/documents/letter_data.py``) reads the records within the caller's scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from markupsafe import Markup, escape

from app.dates import de_date

CATALOGUE_DIR: Final[Path] = Path(__file__).resolve().parents[2] / "data" / "letters"


@dataclass(frozen=True)
class Language:
    code: str
    german: str
    own: str
    rtl: bool = False


#: the client languages of the letters (ISO 639-1; Dari is written as Farsi: ``fa``)
LANGUAGES: Final[dict[str, Language]] = {
    lang.code: lang
    for lang in (
        Language("ar", "Arabisch", "العربية", rtl=True),
        Language("fa", "Farsi/Dari", "فارسی / دری", rtl=True),
        Language("uk", "Ukrainisch", "Українська"),
        Language("ru", "Russisch", "Русский"),
        Language("tr", "Türkisch", "Türkçe"),
        Language("ti", "Tigrinya", "ትግርኛ"),
        Language("en", "Englisch", "English"),
        Language("fr", "Französisch", "Français"),
    )
}

KINDS: Final[dict[str, str]] = {
    "appointment": "Terminzettel",
    "consent_handover": "Einwilligung in die Übergabe",
    "consent_sharing": "Einwilligung in die Freigabe",
    "move_papers": "Unterlagen für Wohnungssuche und Umzug",
    "counselling_end": "Ende der Beratung",
}

# -- the phrases (German sources) -----------------------------------------------------------------

LETTER_HEAD = "Schreiben der Migrationssozialarbeit"
FOR_PERSON = "für %(person)s"
CONTACT = "Bei Fragen wenden Sie sich an: %(caseworker)s, %(organisation)s."
GERMAN_PREVAILS = "Maßgeblich ist der deutsche Text."
SIGNATURE = "Ort, Datum, Unterschrift"
VOLUNTARY = (
    "Die Einwilligung ist freiwillig. Wenn Sie nicht einwilligen, haben Sie keine Nachteile."
)
BRING_ID = "Ihren Ausweis oder Ihr Aufenthaltsdokument"

APPOINTMENT = (
    "Terminzettel",
    "Sie haben einen Termin.",
    "Datum: %(date)s",
    "Uhrzeit: %(time)s",
    "Ort: %(place)s",
    "Worum es geht: %(title)s",
    "Bitte bringen Sie mit:",
    BRING_ID,
    "alle Briefe von Behörden, die Sie seit dem letzten Termin bekommen haben",
    "Eine Sprachmittlerin oder ein Sprachmittler ist bei dem Termin dabei.",
    "Wenn Sie den Termin nicht wahrnehmen können, sagen Sie bitte vorher Bescheid.",
)
HANDOVER = (
    "Einwilligung in die Übergabe Ihrer Fallakte",
    "Ihre Beratung soll künftig %(receiver)s übernehmen. Dafür wird Ihre Fallakte übergeben.",
    "Übergeben wird Ihre ganze Fallakte: Ihre Stammdaten, die Beratungsvermerke und die "
    "Unterlagen des Fallmanagements.",
    "Übergeben werden nur Ihre Stammdaten: Name, Geburtsdatum, Haushalt und Aufenthaltsstatus.",
    "Die Angaben zu Ihren Familienangehörigen im selben Haushalt werden mit übergeben.",
    "Bisher berät Sie %(sender)s. Nach der Übergabe sieht %(sender)s Ihre Fallakte nicht mehr.",
    VOLUNTARY,
    "Sie können die Einwilligung jederzeit für die Zukunft widerrufen. Sagen Sie dazu Ihrer "
    "Beraterin oder Ihrem Berater Bescheid. Eine Übergabe, die schon erfolgt ist, wird dadurch "
    "nicht rückgängig gemacht.",
    "Ich bin mit der Übergabe einverstanden.",
)
SHARING = (
    "Einwilligung in die Freigabe Ihrer Fallakte",
    "Ihre Fallakte soll für %(receiver)s freigegeben werden, damit Sie dort fachlich beraten "
    "werden können.",
    "%(receiver)s kann dann Ihre Fallakte lesen und eigene Vermerke schreiben. Ihre Beratung "
    "bleibt bei %(sender)s.",
    "Die Freigabe gilt bis zum %(until)s.",
    "Die Freigabe gilt, bis sie beendet oder widerrufen wird.",
    VOLUNTARY,
    "Sie können die Einwilligung jederzeit widerrufen. Dann endet die Freigabe sofort. Sagen "
    "Sie dazu Ihrer Beraterin oder Ihrem Berater Bescheid.",
    "Ich bin mit der Freigabe einverstanden.",
)
MOVE_PAPERS = (
    "Unterlagen für die Wohnungssuche und den Umzug",
    "Für die Wohnungssuche und den Umzug brauchen Sie diese Unterlagen:",
    BRING_ID,
    "den aktuellen Bescheid über Ihre Leistungen (Sozialamt oder Jobcenter)",
    "das Wohnungsangebot mit der Größe der Wohnung, der Kaltmiete und den Heizkosten",
    "Nachweise über Ihr Einkommen, wenn Sie Einkommen haben",
    "den Antrag auf Umzug in eigenen Wohnraum (wir helfen beim Ausfüllen)",
    "die Zusicherung des Jobcenters – unterschreiben Sie den Mietvertrag bitte erst danach",
    "nach dem Einzug: die Wohnungsgeberbestätigung des Vermieters",
    "Bringen Sie bitte immer die Originale und Kopien mit.",
    "Melden Sie sich nach dem Einzug innerhalb von zwei Wochen beim Einwohnermeldeamt an.",
)
COUNSELLING_END = (
    "Ende der Beratung",
    "Ihre Beratung durch die Migrationssozialarbeit endet am %(end_date)s.",
    "Wenn Sie später wieder Hilfe brauchen, können Sie sich jederzeit an die "
    "Migrationssozialarbeit wenden.",
    "Ihre Fallakte wird nach Ablauf der gesetzlichen Aufbewahrungsfrist vernichtet.",
    "Sie haben das Recht, Auskunft über Ihre gespeicherten Daten zu verlangen.",
    "Wir wünschen Ihnen für die Zukunft alles Gute.",
)
COMMON = (LETTER_HEAD, FOR_PERSON, CONTACT, GERMAN_PREVAILS)

#: every phrase a kind may print (coverage: a kind is ready when all of them are reviewed)
PHRASES: Final[dict[str, tuple[str, ...]]] = {
    "appointment": COMMON + APPOINTMENT,
    "consent_handover": COMMON + HANDOVER + (SIGNATURE,),
    "consent_sharing": COMMON + SHARING + (SIGNATURE,),
    "move_papers": COMMON + MOVE_PAPERS,
    "counselling_end": COMMON + COUNSELLING_END,
}

REVIEWED = "reviewed"
UNREVIEWED = "unreviewed"
MISSING = "missing"


class LetterError(ValueError):
    """An unknown kind or language (German message)."""


@cache
def catalogue(code: str) -> Catalog | None:
    """The phrase catalogue of a language as stored (read once per process), or None."""
    path = CATALOGUE_DIR / f"{code}.po"
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=None)


def phrase_status(code: str, msgid: str) -> str:
    """``reviewed``, ``unreviewed`` (translated, marked fuzzy) or ``missing``."""
    cat = catalogue(code)
    message = cat.get(msgid) if cat is not None else None
    if message is None or not message.string:
        return MISSING
    return UNREVIEWED if message.fuzzy else REVIEWED


def kind_status(kind: str, code: str) -> str:
    """A kind is reviewed in a language when all its phrases are; missing when any is missing."""
    states = {phrase_status(code, msgid) for msgid in PHRASES[kind]}
    if MISSING in states:
        return MISSING
    return UNREVIEWED if UNREVIEWED in states else REVIEWED


def coverage() -> dict[str, dict[str, str]]:
    """kind × language → reviewed | unreviewed | missing."""
    return {kind: {code: kind_status(kind, code) for code in LANGUAGES} for kind in KINDS}


def check(kind: str, code: str) -> None:
    if kind not in KINDS:
        raise LetterError(f"Unbekannte Art von Schreiben: {kind}. Möglich: {', '.join(KINDS)}.")
    if code not in LANGUAGES and code != "de":
        raise LetterError(f"Unbekannte Sprache: {code}. Möglich: de, {', '.join(LANGUAGES)}.")


# -- building the letter ------------------------------------------------------------------------


def _fill(text: str, values: Mapping[str, Any]) -> Markup:
    """The phrase with its values isolated (``<bdi>``): a Latin name or a date keeps its own
    direction inside an Arabic sentence."""
    safe = {k: Markup('<bdi dir="ltr">%s</bdi>') % escape(str(v)) for k, v in values.items()}
    return Markup(escape(text) % safe) if "%(" in text else Markup(escape(text))  # noqa: S704  # nosec B704


@dataclass
class Block:
    """One paragraph (``p``), heading (``h``), list item (``li``) or signature line (``sign``)."""

    kind: str
    msgid: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Letter:
    kind: str
    language: str
    title: str
    blocks: list[Block]
    values: dict[str, Any]


def letter_blocks(kind: str, data: Mapping[str, Any]) -> list[Block]:
    """The blocks of a letter from plain data (dates as ``date``, names as strings)."""
    b: list[Block] = []
    texts: tuple[str, ...]
    if kind == "appointment":
        texts = APPOINTMENT
        b.append(Block("p", texts[1]))
        b.append(Block("li", texts[2], {"date": de_date(data["date"])}))
        b.append(Block("li", texts[3], {"time": data["time"]}))
        if data.get("place"):
            b.append(Block("li", texts[4], {"place": data["place"]}))
        b.append(Block("li", texts[5], {"title": data["title"]}))
        b.append(Block("p", texts[6]))
        b.append(Block("li", texts[7]))
        b.append(Block("li", texts[8]))
        if data.get("interpreter"):
            b.append(Block("p", texts[9]))
        b.append(Block("p", texts[10]))
    elif kind == "consent_handover":
        texts = HANDOVER
        names = {"receiver": data["receiver"], "sender": data["sender"]}
        b.append(Block("p", texts[1], names))
        b.append(Block("p", texts[2] if data["scope"] == "full" else texts[3]))
        if data.get("household"):
            b.append(Block("p", texts[4]))
        b.append(Block("p", texts[5], names))
        b.append(Block("p", texts[6]))
        b.append(Block("p", texts[7]))
        b.append(Block("p", texts[8]))
        b.append(Block("sign", SIGNATURE))
    elif kind == "consent_sharing":
        texts = SHARING
        names = {"receiver": data["receiver"], "sender": data["sender"]}
        b.append(Block("p", texts[1], names))
        b.append(Block("p", texts[2], names))
        if data.get("until"):
            b.append(Block("p", texts[3], {"until": de_date(data["until"])}))
        else:
            b.append(Block("p", texts[4]))
        b.append(Block("p", texts[5]))
        b.append(Block("p", texts[6]))
        b.append(Block("p", texts[7]))
        b.append(Block("sign", SIGNATURE))
    elif kind == "move_papers":
        texts = MOVE_PAPERS
        b.append(Block("p", texts[1]))
        for text in texts[2:6]:
            b.append(Block("li", text))
        b.append(Block("li", texts[6] if data.get("track") == "asylblg" else texts[7]))
        b.append(Block("li", texts[8]))
        b.append(Block("p", texts[9]))
        b.append(Block("p", texts[10]))
    elif kind == "counselling_end":
        texts = COUNSELLING_END
        b.append(Block("p", texts[1], {"end_date": de_date(data["end_date"])}))
        for text in texts[2:]:
            b.append(Block("p", text))
    else:
        raise LetterError(f"Unbekannte Art von Schreiben: {kind}.")
    return b


TITLES: Final[dict[str, str]] = {
    "appointment": APPOINTMENT[0],
    "consent_handover": HANDOVER[0],
    "consent_sharing": SHARING[0],
    "move_papers": MOVE_PAPERS[0],
    "counselling_end": COUNSELLING_END[0],
}


def _translate(code: str | None, msgid: str) -> str | None:
    if code is None:
        return None
    cat = catalogue(code)
    message = cat.get(msgid) if cat is not None else None
    return str(message.string) if message is not None and message.string else None


def build_context(
    kind: str, code: str, data: Mapping[str, Any], *, today: dt.date | None = None
) -> dict[str, Any]:
    """The template context of a letter: every block in German and, when the kind is reviewed
    in ``code``, in the client's language."""
    check(kind, code)
    language = LANGUAGES.get(code)
    status = kind_status(kind, code) if language is not None else REVIEWED
    bilingual = language is not None and status == REVIEWED
    second = code if bilingual else None
    common = {
        "person": data["person"],
        "caseworker": data.get("caseworker") or "Ihre Beraterin oder Ihr Berater",
        "organisation": data["organisation"],
    }

    def pair(kind_: str, msgid: str, values: Mapping[str, Any]) -> dict[str, Any]:
        target = _translate(second, msgid)
        return {
            "kind": kind_,
            "de": _fill(msgid, values),
            "xx": _fill(target, values) if target is not None else None,
        }

    blocks = [pair(block.kind, block.msgid, block.values) for block in letter_blocks(kind, data)]
    return {
        "kind": kind,
        "language": language,
        "bilingual": bilingual,
        "status": status,
        "head": pair("h", LETTER_HEAD, {}),
        "title": pair("h", TITLES[kind], {}),
        "for_person": pair("p", FOR_PERSON, {"person": common["person"]}),
        "blocks": blocks,
        "contact": pair("p", CONTACT, common),
        "prevails": pair("p", GERMAN_PREVAILS, {}) if bilingual else None,
        "date": de_date(today or dt.date.today()),
        "organisation": data["organisation"],
    }


def render_letter(
    kind: str, code: str, data: Mapping[str, Any], *, today: dt.date | None = None
) -> bytes:
    """The letter as a tagged PDF (German, and the client's language where reviewed)."""
    from app.services.documents.render import render_pdf

    context = build_context(kind, code, data, today=today)
    return render_pdf("letter", context, tagged=True)


#: catalogue codes written with another language's letters (Dari: the Farsi texts)
ALIASES: Final[dict[str, str]] = {"prs": "fa"}


def preferred_language(codes: Sequence[str | None]) -> str:
    """The letter language of a client: the first of ``codes`` (interpreter language, then
    the client's languages) that has letters, else German."""
    for code in codes:
        code = ALIASES.get(code or "", code or "")
        if code in LANGUAGES:
            return code
    return "de"


def language_choices() -> Sequence[tuple[str, str]]:
    """(code, label) of the letter languages; the label in the reader's language (English
    names from the ``language`` catalogue in an English request) and in the language itself."""
    from app.i18n import english, translate
    from app.services.catalogues import labels

    names = labels("language") if english() else {}
    return [("de", translate("nur Deutsch"))] + [
        (lang.code, f"{names.get(lang.code) or lang.german} ({lang.own})")
        for lang in LANGUAGES.values()
    ]

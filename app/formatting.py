"""German display of values: nothing raw on screen.

Jinja filters registered by :func:`init_formatting` and used by the list and show widgets of
every model view (``msa/widgets/list.html``, ``appbuilder/general/widgets/show.html``), so a
page added later shows German values without a formatter of its own:

- ``None`` / "" → "–", booleans → "ja" / "nein";
- dates ``TT.MM.JJJJ``, date-times in Europe/Berlin ``TT.MM.JJJJ HH:MM`` (stored as naive UTC),
  both from ``app/dates.py`` — the one place of German dates; ``de_date`` is bound here only;
- numbers with decimal comma and thousands point;
- enum members and catalogue codes → their German label (``DISPLAY_LABELS`` per enum, else the
  column's catalogue, else the catalogue in which the code is unique).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from decimal import Decimal
from typing import Any

from flask import Flask
from markupsafe import Markup

from app.dates import (
    BERLIN,
    EMPTY,
    berlin,
    de_date,
    de_datetime,
    shown_date,
    shown_datetime,
    shown_datetime_long,
)
from app.i18n import N_, english, install_template_gettext, phrase, title, translate

__all__ = [
    "BERLIN",
    "EMPTY",
    "berlin",
    "de_date",
    "de_datetime",
    "display",
    "init_formatting",
    "plural",
]

MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
)  # fmt: skip
EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

#: column name → catalogue of its codes (where the name alone says it)
COLUMN_CATALOGUES = {
    "category": "partner_category",
    "recognition_status": "recognition",
    "nationality": "nationality",
    "sex": "sex",
    "residence_status": "residence_status",
    "procedure_stage": "procedure_stage",
    "benefit_basis": "benefit_basis",
    "family_status": "marital_status",
    "household_role": "household_relation",
    "level": "cefr_level",
    "topic_code": "contact_topic",
}


#: access-log categories (app/services/data_protection/access_log.py callers)
ACCESS_LOG_CATEGORIES = {
    "case_file": N_("Fallakte"),
    "contact_note": N_("Beratungsvermerk"),
    "follow_up": N_("Wiedervorlage"),
    "group_session": N_("Gruppenberatung"),
    "referral": N_("Vermittlung"),
    "case_management": N_("Case Management"),
    "sensitive": N_("Besondere Kategorien"),
    "retention": N_("Löschfristen"),
    "log_retention": N_("Aufbewahrung des Zugriffsprotokolls"),
    "duplicate_check": N_("Dublettenprüfung"),
    "aktenpruefung": N_("Aktenprüfung"),
    "auskunft_art15": N_("Auskunft (Art. 15)"),
    "appointment": N_("Termin"),
    "caseworker_assignment": N_("Zuständige Fachkraft"),
    "hardship": N_("Härtefallverfahren"),
    # the special categories (app.services.casefile.sensitive.CATEGORIES), one row per read
    "health": N_("Besondere Kategorie: Gesundheitliche Situation"),
    "addiction_in_family": N_("Besondere Kategorie: Suchterkrankung in der Familie"),
    "religion": N_("Besondere Kategorie: Religion"),
    "biographical_events": N_("Besondere Kategorie: Wichtige biografische Ereignisse"),
    "criminal_proceedings": N_("Besondere Kategorie: Strafverfahren"),
}

#: the catalogues by their German names (catalogue list of the county admin)
CATALOGUE_NAMES = {
    "residence_status_group": N_("Aufenthaltsstatus (Gruppe)"),
    "residence_status": N_("Aufenthaltsstatus"),
    "procedure_stage": N_("Stand des Asylverfahrens"),
    "residence_document_type": N_("Aufenthaltsdokument"),
    "residence_condition": N_("Auflage zum Aufenthalt"),
    "work_permission": N_("Erlaubnis zur Beschäftigung"),
    "benefit_basis": N_("Leistungsgrundlage"),
    "supplementary_benefit": N_("Ergänzende Leistung"),
    "health_cover": N_("Krankenversicherung"),
    "vulnerability": N_("Schutzbedarf"),
    "case_flag": N_("Kennzeichen der Fallakte"),
    "ik_basis": N_("Grundlage Integrationskurs"),
    "integration_course_type": N_("Art des Integrationskurses"),
    "integration_course_module": N_("Kursabschnitt"),
    "course_enrolment_status": N_("Stand der Kursteilnahme"),
    "dtz_result": N_("Ergebnis DTZ"),
    "lid_result": N_("Ergebnis „Leben in Deutschland“"),
    "ik_result": N_("Ergebnis Integrationskurs"),
    "professional_language_course": N_("Berufssprachkurs"),
    "cefr_level": N_("Sprachniveau (GER)"),
    "cefr_group": N_("Sprachniveau-Gruppe"),
    "language_skill": N_("Sprachfertigkeit"),
    "language_certificate": N_("Sprachzertifikat"),
    "childcare_type": N_("Kinderbetreuung"),
    "school_type": N_("Schulform"),
    "school_cert": N_("Schulabschluss"),
    "foreign_school_level": N_("Schulbildung im Herkunftsland"),
    "isced_level": N_("Bildungsstufe (ISCED)"),
    "vocational_qualification": N_("Berufliche Qualifikation"),
    "qualification_status": N_("Stand der Qualifikation"),
    "recognition": N_("Anerkennung"),
    "recognition_body": N_("Anerkennungsstelle"),
    "marital_status": N_("Familienstand"),
    "household_relation": N_("Stellung im Haushalt"),
    "partner_category": N_("Partnerkategorie"),
    "partner_type": N_("Partnerart"),
    "specialty": N_("Fachgebiet"),
    "conference_role": N_("Rolle in der Fallkonferenz"),
    "service_type": N_("Art der Leistung"),
    "interpreting_mode": N_("Art der Sprachmittlung"),
    "nationality": N_("Staatsangehörigkeit"),
    "contact_topic": N_("Beratungsthema"),
    "assessment_aspect": N_("Assessment-Bereich"),
    "social_report_criterion": N_("Kriterium Sozialbericht"),
    "closure_reason": N_("Abschlussgrund"),
    "contact_kind": N_("Kontaktart"),
    "sex": N_("Geschlecht"),
    "language": N_("Sprache"),
    "religion": N_("Religion"),
}


def _display_labels() -> dict[Any, dict[Any, str]]:
    from app.models.organisation import (
        ACCOMMODATION_KIND_LABELS,
        ORGANISATION_KIND_LABELS,
        AccommodationKind,
        OrganisationKind,
    )

    return {
        AccommodationKind: dict(ACCOMMODATION_KIND_LABELS),
        OrganisationKind: dict(ORGANISATION_KIND_LABELS),
        "access_log": ACCESS_LOG_CATEGORIES,
        "catalogue": CATALOGUE_NAMES,
    }


#: German words made in code and shown as they are ("ja" from a view's formatter): translated
#: on screen by ``_finalize`` — listed here so that ``make translations`` extracts them
SHOWN_WORDS = (N_("ja"), N_("nein"), N_("offen"), N_("erledigt"), N_("keine"), N_("Quartal"))


def _translate_widgets() -> None:
    """The labels of form fields and the options of selects made in code (German) are shown in
    English in an English request when the catalogue knows them."""
    from wtforms.fields.core import Label
    from wtforms.widgets import Select

    if getattr(Label, "_msa_translated", False):
        return
    label_call = Label.__call__

    def _label(self: Any, text: Any = None, **kwargs: Any) -> Any:
        return label_call(self, translate(text if text is not None else self.text), **kwargs)

    setattr(Label, "__call__", _label)  # noqa: B010 - wtforms is untyped
    setattr(Label, "_msa_translated", True)  # noqa: B010
    render_option = getattr(Select.render_option, "__func__")  # noqa: B009

    def _option(cls: Any, /, choice: Any, **kwargs: Any) -> Any:
        if isinstance(getattr(choice, "label", None), str) and hasattr(choice, "_replace"):
            choice = choice._replace(label=translate(choice.label, sentences=False))
        return render_option(cls, choice, **kwargs)

    setattr(Select, "render_option", classmethod(_option))  # noqa: B010


def _relabel_enum_fields() -> None:
    """FAB's select of an Enum column offers the members' German labels, not their codes."""
    from flask_appbuilder.fields import EnumField

    if getattr(EnumField, "_msa_german", False):
        return
    original = EnumField.__init__

    def _german_init(self: Any, enum_class: Any, enums: Any, *args: Any, **kwargs: Any) -> None:
        original(self, enum_class, enums, *args, **kwargs)
        labels = _display_labels().get(enum_class, {}) if enum_class is not None else {}
        self.choices = [
            (name, labels.get(enum_class.__members__[name], label) if labels else label)
            for name, label in self.choices
        ]

    EnumField.__init__ = _german_init  # type: ignore[method-assign,unused-ignore]
    EnumField._msa_german = True  # type: ignore[attr-defined,unused-ignore]


def yes_no(value: bool) -> str:
    """ "ja" / "nein" — "yes" / "no" in English."""
    if english():
        return "yes" if value else "no"
    return "ja" if value else "nein"


def de_number(value: Any, digits: int | None = None) -> str:
    """German number: ``1.234,5`` ("–" for none); English ``1,234.5`` in an English request."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int) and digits is None:
        return f"{value:,}" if english() else f"{value:,}".replace(",", ".")
    number = float(value)
    if digits is None:
        digits = 0 if number == int(number) else 2
    text = f"{number:,.{digits}f}"
    if english():
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def de_month(value: Any) -> str:
    """``2026-07`` (or a date) → "Juli 2026" ("July 2026" in English)."""
    names = EN_MONTHS if english() else MONTHS
    if isinstance(value, dt.date):
        return f"{names[value.month - 1]} {value.year}"
    m = _ISO_MONTH.match(str(value or ""))
    if m:
        return f"{names[int(m.group(2)) - 1]} {m.group(1)}"
    return str(value) if value else EMPTY


def code_label(code: str, column: str | None = None) -> str:
    """German label of a code: the column's catalogue, else a catalogue where it is unique."""
    from flask import has_request_context

    from app.services import catalogues

    for labels in _display_labels().values():
        for member, label in labels.items():
            if getattr(member, "value", member) == code:
                return str(translate(label))
    if not has_request_context():
        return code
    catalogue = COLUMN_CATALOGUES.get(column or "")
    if catalogue:
        from_catalogue = catalogues.labels(catalogue).get(code)
        if from_catalogue:
            return from_catalogue
    snap = catalogues._snapshot() or {}
    found = {label for entries in snap.values() for c, label, _a, _o in entries if c == code}
    return found.pop() if len(found) == 1 else code


def display(value: Any, column: str | None = None) -> Any:
    """Any value of a list or show page, German (see module docstring)."""
    if isinstance(value, Markup):
        return value
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(display(v, column)) for v in value) or EMPTY
    if isinstance(value, enum.Enum):
        labels = _display_labels().get(type(value), {})
        found = labels.get(value)
        return translate(found) if found else code_label(str(value.value), column)
    if isinstance(value, dt.datetime):
        return shown_datetime(value)
    if isinstance(value, dt.date):
        return shown_date(value)
    if isinstance(value, (float, Decimal)):
        return de_number(value)
    if isinstance(value, str) and _CODE.match(value) and "_" in value:
        return code_label(value, column)
    if isinstance(value, str) and _CODE.match(value):
        # a one-word enum code read as text ("flat", "county"): the enum's label
        for labels in _display_labels().values():
            for member, label in labels.items():
                if isinstance(member, enum.Enum) and member.value == value:
                    return translate(label)
    if isinstance(value, str) and column in COLUMN_CATALOGUES:
        return code_label(value, column)
    if isinstance(value, str):
        return translate(value, sentences=False)
    return value


def plural(count: Any, singular: str, plural_form: str) -> str:
    """ "1 Eintrag", "0 Einträge", "2 Einträge": the count and the noun in the right number."""
    number = 0 if count is None or count == "" else count
    return f"{de_number(number)} {translate(singular if number == 1 else plural_form)}"


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}`` output: a German text made in code (a label, a title, a message) shown
    in English in an English request when the catalogue knows it as a whole."""
    if isinstance(value, str) and not isinstance(value, Markup) and english():
        shown = translate(value, sentences=False)
        if shown != value:
            return shown
        if " – " in value or " · " in value or "Quartal" in value:
            return title(value)
        return phrase(value)
    return value


def init_formatting(app: Flask) -> None:
    """Register the display filters for all templates, the wrapping of the templates' German
    texts (``app/i18n_templates.py``) and the translation of texts made in code."""
    from app.i18n_templates import TemplateTexts

    _relabel_enum_fields()
    _translate_widgets()
    app.jinja_env.add_extension(TemplateTexts)
    install_template_gettext(app.jinja_env)
    app.jinja_env.finalize = _finalize
    app.jinja_env.filters.update(
        {
            "msa_value": display,
            "msa_tr": translate,
            "de_date": shown_date,
            "de_datetime": shown_datetime,
            "berlin_datetime": shown_datetime_long,
            "de_number": de_number,
            "de_month": de_month,
            "plural": plural,
        }
    )

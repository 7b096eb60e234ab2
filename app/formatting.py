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

from app.dates import BERLIN, EMPTY, berlin, de_date, de_datetime, de_datetime_long

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
    "case_file": "Fallakte",
    "contact_note": "Beratungsvermerk",
    "follow_up": "Wiedervorlage",
    "group_session": "Gruppenberatung",
    "referral": "Vermittlung",
    "case_management": "Case Management",
    "sensitive": "Besondere Kategorien",
    "retention": "Löschfristen",
    "log_retention": "Aufbewahrung des Zugriffsprotokolls",
    "duplicate_check": "Dublettenprüfung",
    "aktenpruefung": "Aktenprüfung",
    "auskunft_art15": "Auskunft (Art. 15)",
}

#: the catalogues by their German names (catalogue list of the county admin)
CATALOGUE_NAMES = {
    "residence_status_group": "Aufenthaltsstatus (Gruppe)",
    "residence_status": "Aufenthaltsstatus",
    "procedure_stage": "Stand des Asylverfahrens",
    "residence_document_type": "Aufenthaltsdokument",
    "residence_condition": "Auflage zum Aufenthalt",
    "work_permission": "Erlaubnis zur Beschäftigung",
    "benefit_basis": "Leistungsgrundlage",
    "supplementary_benefit": "Ergänzende Leistung",
    "health_cover": "Krankenversicherung",
    "vulnerability": "Schutzbedarf",
    "case_flag": "Kennzeichen der Fallakte",
    "ik_basis": "Grundlage Integrationskurs",
    "integration_course_type": "Art des Integrationskurses",
    "integration_course_module": "Kursabschnitt",
    "course_enrolment_status": "Stand der Kursteilnahme",
    "dtz_result": "Ergebnis DTZ",
    "lid_result": "Ergebnis „Leben in Deutschland“",
    "ik_result": "Ergebnis Integrationskurs",
    "professional_language_course": "Berufssprachkurs",
    "cefr_level": "Sprachniveau (GER)",
    "cefr_group": "Sprachniveau-Gruppe",
    "language_skill": "Sprachfertigkeit",
    "language_certificate": "Sprachzertifikat",
    "childcare_type": "Kinderbetreuung",
    "school_type": "Schulform",
    "school_cert": "Schulabschluss",
    "foreign_school_level": "Schulbildung im Herkunftsland",
    "isced_level": "Bildungsstufe (ISCED)",
    "vocational_qualification": "Berufliche Qualifikation",
    "qualification_status": "Stand der Qualifikation",
    "recognition": "Anerkennung",
    "recognition_body": "Anerkennungsstelle",
    "marital_status": "Familienstand",
    "household_relation": "Stellung im Haushalt",
    "partner_category": "Partnerkategorie",
    "partner_type": "Partnerart",
    "specialty": "Fachgebiet",
    "conference_role": "Rolle in der Fallkonferenz",
    "service_type": "Art der Leistung",
    "interpreting_mode": "Art der Sprachmittlung",
    "nationality": "Staatsangehörigkeit",
    "contact_topic": "Beratungsthema",
    "assessment_aspect": "Assessment-Bereich",
    "social_report_criterion": "Kriterium Sozialbericht",
    "closure_reason": "Abschlussgrund",
    "contact_kind": "Kontaktart",
    "sex": "Geschlecht",
    "language": "Sprache",
    "religion": "Religion",
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


def de_number(value: Any, digits: int | None = None) -> str:
    """German number: ``1.234,5`` ("–" for none)."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, int) and digits is None:
        return f"{value:,}".replace(",", ".")
    number = float(value)
    if digits is None:
        digits = 0 if number == int(number) else 2
    text = f"{number:,.{digits}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def de_month(value: Any) -> str:
    """``2026-07`` (or a date) → "Juli 2026"."""
    if isinstance(value, dt.date):
        return f"{MONTHS[value.month - 1]} {value.year}"
    m = _ISO_MONTH.match(str(value or ""))
    if m:
        return f"{MONTHS[int(m.group(2)) - 1]} {m.group(1)}"
    return str(value) if value else EMPTY


def code_label(code: str, column: str | None = None) -> str:
    """German label of a code: the column's catalogue, else a catalogue where it is unique."""
    from flask import has_request_context

    from app.services import catalogues

    for labels in _display_labels().values():
        for member, label in labels.items():
            if getattr(member, "value", member) == code:
                return label
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
        return "ja" if value else "nein"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(display(v, column)) for v in value) or EMPTY
    if isinstance(value, enum.Enum):
        labels = _display_labels().get(type(value), {})
        return labels.get(value) or code_label(str(value.value), column)
    if isinstance(value, dt.datetime):
        return de_datetime(value)
    if isinstance(value, dt.date):
        return de_date(value)
    if isinstance(value, (float, Decimal)):
        return de_number(value)
    if isinstance(value, str) and _CODE.match(value) and "_" in value:
        return code_label(value, column)
    if isinstance(value, str) and _CODE.match(value):
        # a one-word enum code read as text ("flat", "county"): the enum's label
        for labels in _display_labels().values():
            for member, label in labels.items():
                if isinstance(member, enum.Enum) and member.value == value:
                    return label
    if isinstance(value, str) and column in COLUMN_CATALOGUES:
        return code_label(value, column)
    return value


def plural(count: Any, singular: str, plural_form: str) -> str:
    """ "1 Eintrag", "0 Einträge", "2 Einträge": the count and the noun in the right number."""
    number = 0 if count is None or count == "" else count
    return f"{de_number(number)} {singular if number == 1 else plural_form}"


def init_formatting(app: Flask) -> None:
    """Register the German display filters for all templates."""
    _relabel_enum_fields()
    app.jinja_env.filters.update(
        {
            "msa_value": display,
            "de_date": de_date,
            "de_datetime": de_datetime,
            "berlin_datetime": de_datetime_long,
            "de_number": de_number,
            "de_month": de_month,
            "plural": plural,
        }
    )

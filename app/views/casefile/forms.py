"""WTForms of the case file pages (German messages, catalogue selects)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import NumberInput

from app.models.person import READING_ABILITY_LABELS
from app.services.catalogues import valid_codes
from app.views.date_field import GermanDateField

__all__ = ["GermanDateField", "GermanIntegerField", "catalogue_select"]

BLANK = ("", "– bitte wählen –")


class GermanIntegerField(IntegerField):
    """Integer input with a German parse error."""

    widget = NumberInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError as exc:
            self.data = None
            raise ValueError("Bitte eine ganze Zahl angeben.") from exc


class CatalogueCode:
    """Validator: the value is empty or an active code of a catalogue."""

    def __init__(self, catalogue: str) -> None:
        self.catalogue = catalogue

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and field.data not in valid_codes(self.catalogue):
            raise ValidationError(
                "Unbekannter Katalogwert – bitte einen Eintrag aus der Liste wählen."
            )


def catalogue_select(label: str, catalogue: str, *, required: bool = False) -> SelectField:
    """Return a select filled from a catalogue at form creation (German validation)."""
    from app.services.casefile.persons import catalogue_choices

    def _choices() -> list[tuple[str, str]]:
        items = catalogue_choices(catalogue)
        return items if required else [BLANK, *items]

    return SelectField(
        label,
        choices=_choices,
        validate_choice=False,
        validators=[CatalogueCode(catalogue)],
    )


def _language_choices() -> list[tuple[str, str]]:
    from app.services.casefile.persons import catalogue_choices

    return catalogue_choices("language")


class PersonForm(FlaskForm):
    """Person anlegen / Fallakte bearbeiten."""

    first_name = StringField("Vorname *")
    last_name = StringField("Nachname *")
    first_name_original = StringField("Vorname (Originalschrift)")
    last_name_original = StringField("Nachname (Originalschrift)")
    birth_date = GermanDateField("Geburtsdatum *")
    sex = catalogue_select("Geschlecht", "sex")
    nationality = catalogue_select("Staatsangehörigkeit", "nationality")
    languages_spoken = StringField("Sprachen (Freitext)")
    languages = SelectMultipleField(
        "Sprachen der Person (für Schreiben)",
        choices=lambda: _language_choices(),
        validate_choice=False,
    )
    interpreter_language = catalogue_select("Sprachmittlung nötig in", "language")
    reading_ability = SelectField(
        "Lesefähigkeit",
        choices=[BLANK, *READING_ABILITY_LABELS.items()],
        validate_choice=False,
    )
    phone = StringField("Telefon")
    email = StringField("E-Mail")
    residence_status = catalogue_select("Aufenthaltsstatus", "residence_status")
    residence_legal_basis = StringField("Rechtsgrundlage")
    residence_valid_until = GermanDateField("Aufenthaltstitel gültig bis")
    benefit_basis = catalogue_select("Leistungsgrundlage", "benefit_basis")
    family_status = catalogue_select("Familienstand", "marital_status")
    household_role = catalogue_select("Stellung im Haushalt", "household_relation")
    accommodation_id = SelectField("Unterkunft", choices=[BLANK], validate_choice=False)
    caseworker_id = SelectField("Zuständige Fachkraft", choices=[BLANK], validate_choice=False)
    employable = BooleanField("Erwerbsfähig")
    private_interests = TextAreaField("Private Interessen")
    assigned_on = GermanDateField("Zuweisung am")
    moved_in_own_housing_on = GermanDateField("Einzug in eigene Wohnung am")
    moved_away_on = GermanDateField("Wegzug am")
    version = HiddenField()
    confirm_duplicate = BooleanField("Trotzdem anlegen")

    PERSON_FIELDS = (
        "first_name",
        "last_name",
        "first_name_original",
        "last_name_original",
        "birth_date",
        "sex",
        "nationality",
        "languages_spoken",
        "languages",
        "interpreter_language",
        "reading_ability",
        "phone",
        "email",
        "residence_status",
        "residence_legal_basis",
        "residence_valid_until",
        "benefit_basis",
        "family_status",
        "household_role",
        "employable",
        "private_interests",
        "assigned_on",
        "moved_in_own_housing_on",
        "moved_away_on",
    )

    def person_data(self) -> dict[str, Any]:
        """Return the submitted person fields (strings stripped, empty as None)."""
        data: dict[str, Any] = {}
        for name in self.PERSON_FIELDS:
            value = getattr(self, name).data
            if isinstance(value, str):
                value = value.strip() or None
            data[name] = value
        return data


class ContactNoteForm(FlaskForm):
    """Kontakt dokumentieren — the short form on the person's page."""

    date = GermanDateField("Datum")
    kind = SelectField("Art", choices=[], validate_choice=False)
    duration_minutes = GermanIntegerField("Dauer (Minuten)", validators=[Optional()])
    interpreter_used = BooleanField("mit Dolmetscher:in")
    summary = TextAreaField("Inhalt der Beratung *")
    result = TextAreaField("Ergebnis / Vereinbarung")
    education_system = BooleanField("Beratung zum deutschen Bildungssystem")
    return_counselling = BooleanField("Rückkehrberatung")
    #: chosen through the partner search (``NetworkPartnerView.autocomplete``), never a
    #: list of the whole directory
    partner_id = HiddenField("Vermittlung an Netzwerkpartner")
    follow_up_on = GermanDateField("Wiedervorlage am")
    follow_up_title = StringField("Wiedervorlage: Betreff")


class GroupSessionForm(FlaskForm):
    """Gruppenberatung dokumentieren."""

    date = GermanDateField("Datum *")
    topic = StringField("Thema *")
    topic_code = catalogue_select("Themenbereich", "contact_topic")
    duration_minutes = GermanIntegerField("Dauer (Minuten)", validators=[Optional()])
    interpreter_used = BooleanField("mit Dolmetscher:in")
    summary = TextAreaField("Kurzinhalt")
    education_system = BooleanField("Beratung zum deutschen Bildungssystem")
    return_counselling = BooleanField("Rückkehrberatung")

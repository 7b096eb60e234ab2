"""The Art. 15 export as a person reads it: German labels, German values.

The JSON export keeps every column under its technical name (machine-readable, complete); the
PDF shows the same rows with a German label per column, dates ``TT.MM.JJJJ``, times in
Europe/Berlin, "ja"/"nein", catalogue codes by their German label and the names of caseworkers
and network partners instead of their numbers. Technical keys (row numbers, links between rows,
checksums) are left out of the PDF; they are in the JSON. A column without a German label here
fails ``tests/integration/test_subject_access_readable.py``: label a table added later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.formatting import EMPTY, de_date, de_datetime, de_number
from app.models import Accommodation, MsaUser, NetworkPartner, Organisation
from app.models.contact import CONTACT_KIND_LABELS, COST_APPROVAL_STATES
from app.models.housing import (
    HARDSHIP_OUTCOME_LABELS,
    PROCEDURE_STATUS_LABELS,
    REPORT_STATUS_LABELS,
    TRACK_LABELS,
)
from app.models.intake import (
    CONSENT_FORM_DISPLAY,
    HANDOVER_SCOPE_LABELS,
    HANDOVER_STATUS_LABELS,
)
from app.models.person import CHILD_PLACE_KINDS, CHILD_PLACE_STATES, READING_ABILITY_LABELS
from app.models.retention import FINDING_RATINGS
from app.services import catalogues
from app.services.bundle import Bundle
from app.services.case_management.workflow import DECISIONS, STEP_LABELS

#: technical keys: in the JSON, not in the PDF
HIDDEN = frozenset(
    {
        "id",
        "person_id",
        "organisation_id",
        "custody_period_id",
        "version",
        "name_key",
        "search_key",
        "series_id",
        "case_id",
        "procedure_id",
        "plan_id",
        "audit_id",
        "contact_note_id",
        "parent_id",
        "goal_id",
        "social_report_id",
        "snapshot",
        "sha256",
    }
)

#: columns holding a user's id: shown by the user's name
USER_COLUMNS = frozenset(
    {
        "caseworker_id",
        "actor_id",
        "recorded_by_id",
        "created_by_id",
        "author_id",
        "finalised_by_id",
        "finding_by_id",
        "response_by_id",
        "offered_by_id",
        "decided_by_id",
        "assignee_id",
        "owner_id",
        "responsible_user_id",
    }
)
#: columns holding an organisation's id: shown by its name
ORGANISATION_COLUMNS = frozenset({"from_organisation_id", "to_organisation_id"})
#: internal switches of a handover (who sees which rows): in the JSON only
HIDDEN_TABLE_COLUMNS: frozenset[tuple[str, str]] = frozenset()
#: columns holding a network partner's id: shown by the partner's name
PARTNER_COLUMNS = frozenset({"partner_id", "responsible_partner_id"})

#: German label of a column, by name (the same meaning in every table)
COLUMN_LABELS: dict[str, str] = {
    "file_number": "Aktenzeichen",
    "first_name": "Vorname",
    "last_name": "Nachname",
    "first_name_original": "Vorname (Originalschrift)",
    "last_name_original": "Nachname (Originalschrift)",
    "birth_date": "Geburtsdatum",
    "sex": "Geschlecht",
    "nationality": "Staatsangehörigkeit",
    "languages_spoken": "Sprachen",
    "languages": "Sprachen der Person",
    "interpreter_language": "Sprachmittlung nötig in",
    "reading_ability": "Lesefähigkeit",
    "phone": "Telefon",
    "email": "E-Mail",
    "residence_status": "Aufenthaltsstatus",
    "residence_legal_basis": "Rechtsgrundlage des Aufenthalts",
    "residence_valid_until": "Aufenthaltstitel gültig bis",
    "procedure_stage": "Stand des Asylverfahrens",
    "procedure_stage_since": "Stand des Asylverfahrens seit",
    "offer_area": "Wohnungsangebot: Gebiet",
    "offer_living_space": "Wohnungsangebot: Wohnfläche (m²)",
    "offer_household_size": "Wohnungsangebot: Haushaltsgröße",
    "offer_rent": "Wohnungsangebot: Bruttokaltmiete (Euro)",
    "offer_heating": "Wohnungsangebot: Heizkosten (Euro)",
    "offer_on": "Wohnungsangebot vom",
    "offer_within": "Wohnungsangebot innerhalb der KdU-Grenzen",
    "offer_rule": "Wohnungsangebot: angewandte KdU-Regel",
    "benefit_basis": "Leistungsgrundlage",
    "family_status": "Familienstand",
    "household_id": "Haushalt",
    "household_role": "Stellung im Haushalt",
    "accommodation_id": "Unterkunft",
    "private_interests": "Private Interessen",
    "employable": "Erwerbsfähig",
    "assigned_on": "Zuweisung am",
    "moved_in_own_housing_on": "Einzug in eigene Wohnung am",
    "moved_away_on": "Wegzug am",
    "caseworker_id": "Fachkraft",
    "created_at": "Angelegt am",
    "updated_at": "Zuletzt geändert am",
    "date": "Datum",
    "kind": "Art",
    "duration_minutes": "Dauer (Minuten)",
    "interpreter_used": "Mit Sprachmittlung",
    "interpreter_needed": "Sprachmittlung nötig",
    "summary": "Inhalt",
    "result": "Ergebnis",
    "education_system": "Bildungssystem",
    "return_counselling": "Rückkehrberatung",
    "partner_id": "Netzwerkpartner",
    "code": "Kennzeichen",
    "owner_id": "Fachkraft",
    "start_time": "Beginn",
    "end_time": "Ende",
    "title": "Titel",
    "place": "Ort",
    "notes": "Notizen",
    "note": "Bemerkung",
    "aspect_code": "Bereich",
    "text": "Text",
    "recorded_at": "Erfasst am",
    "recorded_by_id": "Erfasst von",
    "recorded_on": "Erfasst für den",
    "recorded_by_name": "Erfasst von",
    "step": "Schritt",
    "opened_on": "Eröffnet am",
    "closed_on": "Abgeschlossen am",
    "next_monitoring_on": "Nächstes Monitoring am",
    "reason_code": "Abschlussgrund",
    "reason_text": "Begründung",
    "goals_results": "Ziele und Ergebnisse",
    "methods_cooperation": "Methoden und Zusammenarbeit",
    "client_satisfaction": "Zufriedenheit (1–5)",
    "client_feedback": "Rückmeldung",
    "held_on": "Am",
    "participants": "Teilnehmende",
    "outcome": "Ergebnis",
    "at": "Zeitpunkt",
    "occurred_on": "Am",
    "actor_id": "Durch",
    "actor_name": "Durch",
    "from_step": "Von Schritt",
    "to_step": "Zu Schritt",
    "reason": "Begründung",
    "problem_situation": "Problemlage",
    "motivation": "Motivation",
    "transparency_given": "Über das Verfahren aufgeklärt",
    "decision": "Entscheidung",
    "description": "Beschreibung",
    "target_date": "Zieldatum",
    "achieved_on": "Erreicht am",
    "version_no": "Fassung",
    "valid_from": "Gültig ab",
    "valid_until": "Gültig bis",
    "created_by_id": "Angelegt von",
    "progress": "Fortschritt",
    "deviation": "Abweichung",
    "service_gap_topic": "Versorgungslücke (Thema)",
    "service_gap": "Versorgungslücke",
    "next_review_on": "Nächste Überprüfung am",
    "service": "Leistung",
    "starts_on": "Beginn",
    "ends_on": "Ende",
    "standards": "Qualitätsstandards",
    "employer": "Arbeitgeber",
    "position": "Tätigkeit",
    "start_on": "Beginn",
    "end_on": "Ende",
    "duties": "Aufgaben",
    "country": "Land",
    "rating": "Bewertung",
    "finding": "Befund",
    "finding_by_id": "Befund von",
    "finding_at": "Befund am",
    "response": "Stellungnahme",
    "response_by_id": "Stellungnahme von",
    "response_at": "Stellungnahme am",
    "assignee_id": "Zuständig",
    "due_on": "Fällig am",
    "done_on": "Erledigt am",
    "source": "Entstanden aus",
    "course": "Kurs",
    "completed": "Abgeschlossen",
    "track": "Verfahren",
    "status": "Stand",
    "started_on": "Begonnen am",
    "finished_on": "Beendet am",
    "moved_in_on": "Eingezogen am",
    "responsible": "Zuständig",
    "institution": "Einrichtung",
    "year": "Jahr",
    "recognition_status": "Anerkennung",
    "language": "Sprache",
    "level": "Niveau (GER)",
    "certificate": "Nachweis",
    "health": "Gesundheit",
    "addiction_in_family": "Sucht in der Familie",
    "religion": "Religion",
    "biographical_events": "Biografische Ereignisse",
    "criminal_proceedings": "Strafverfahren",
    "topic_code": "Thema",
    "number": "Nummer",
    "assessments": "Einschätzungen",
    "recommendation": "Empfehlung",
    "author_id": "Verfasst von",
    "author_name": "Verfasst von",
    "finalised_at": "Endfassung am",
    "finalised_by_id": "Endfassung durch",
    "finalised_by_name": "Endfassung durch",
    "pdf": "Gespeichertes PDF",
    "task": "Aufgabe",
    "role": "Rolle",
    "responsible_user_id": "Zuständig (Fachkraft)",
    "responsible_partner_id": "Zuständig (Netzwerkpartner)",
    "responsible_text": "Zuständig",
    "resources": "Ressourcen",
    "consent_on": "Einwilligung vom",
    "until": "Bis",
    "from_organisation_id": "Von",
    "to_organisation_id": "An",
    "scope": "Umfang",
    "include_household": "Mit dem ganzen Haushalt",
    "consent_given": "Einwilligung liegt vor",
    "consent_form": "Form der Einwilligung",
    "offered_at": "Angeboten am",
    "offered_by_id": "Angeboten von",
    "offered_by_name": "Angeboten von",
    "decided_at": "Entschieden am",
    "decided_by_id": "Entschieden von",
    "decided_by_name": "Entschieden von",
    "decision_reason": "Begründung der Entscheidung",
}

#: labels that differ by table: (table, column) → label
TABLE_COLUMN_LABELS: dict[tuple[str, str], str] = {
    ("person_vulnerability", "code"): "Schutzbedarf",
    ("contact_note_topic", "code"): "Thema",
    ("move_step", "code"): "Schritt",
    ("hardship_procedure", "prepared_on"): "Antrag vorbereitet am",
    ("referral", "cost_approval_state"): "Kostenübernahme",
    ("referral", "cost_approval_requested_on"): "Kostenübernahme beantragt am",
    ("referral", "cost_approval_decided_on"): "Über die Kostenübernahme entschieden am",
    ("referral", "cost_approval_reference"): "Aktenzeichen der Kostenübernahme",
    ("person_share", "consent_letter_language"): "Sprache des Einwilligungsschreibens",
    ("person_share", "consent_letter_on"): "Einwilligungsschreiben ausgehändigt am",
    ("handover", "consent_letter_language"): "Sprache des Einwilligungsschreibens",
    ("handover", "consent_letter_on"): "Einwilligungsschreiben ausgehändigt am",
    ("hardship_procedure", "submitted_on"): "Bei der Härtefallkommission eingereicht am",
    ("hardship_procedure", "decided_on"): "Entscheidung der Härtefallkommission am",
    ("hardship_procedure", "outcome"): "Entscheidung",
    ("hardship_procedure", "member"): "Eingebracht über (Mitglied der Kommission)",
    ("person_degree", "kind"): "Abschluss",
    ("person_degree", "title"): "Bezeichnung",
    ("contact_note", "kind"): "Kontaktart",
    ("cm_goal", "title"): "Ziel",
    ("cm_conference", "outcome"): "Ergebnis der Fallkonferenz",
    ("handover", "reason"): "Anlass",
    ("child_place", "kind"): "Platz",
    ("child_place", "type_code"): "Art",
    ("child_place", "state"): "Stand",
    ("child_place", "requested_on"): "Beantragt am",
    ("child_place", "offered_on"): "Angeboten am",
    ("child_place", "attending_from"): "Besucht ab",
    ("child_place", "ended_on"): "Beendet am",
    ("child_place", "partner_id"): "Einrichtung (Partnerverzeichnis)",
    ("child_place", "notes"): "Bemerkungen",
}

#: catalogue of a column's codes: (table or "*", column) → catalogue
CATALOGUE_COLUMNS: dict[tuple[str, str], str] = {
    ("person", "languages"): "language",
    ("person", "interpreter_language"): "language",
    ("*", "sex"): "sex",
    ("*", "nationality"): "nationality",
    ("*", "residence_status"): "residence_status",
    ("*", "procedure_stage"): "procedure_stage",
    ("*", "benefit_basis"): "benefit_basis",
    ("*", "family_status"): "marital_status",
    ("*", "household_role"): "household_relation",
    ("*", "country"): "nationality",
    ("*", "recognition_status"): "recognition",
    ("*", "topic_code"): "contact_topic",
    ("*", "service_gap_topic"): "contact_topic",
    ("*", "aspect_code"): "assessment_aspect",
    ("*", "reason_code"): "closure_reason",
    ("person_language", "language"): "language",
    ("person_language", "level"): "cefr_level",
    ("person_degree", "kind"): "vocational_qualification",
    ("integration_course", "course"): "integration_course_type",
    ("integration_course", "outcome"): "ik_result",
    ("person_vulnerability", "code"): "vulnerability",
    ("contact_note_topic", "code"): "contact_topic",
    ("referral", "outcome"): "referral_outcome",
}

FOLLOW_UP_SOURCES = {
    "manual": "eigener Eintrag",
    "contact_note": "Beratungsvermerk",
    "case_management": "Case Management",
    "residence_deadline": "Ende des Aufenthaltsdokuments",
}
MOVE_STEP_OUTCOMES = {"approved": "zugestimmt", "rejected": "abgelehnt"}

#: labels of fixed (non-catalogue) codes: (table or "*", column) → code → label
VALUE_LABELS: dict[tuple[str, str], Mapping[str, str]] = {
    ("person", "reading_ability"): READING_ABILITY_LABELS,
    ("contact_note", "kind"): CONTACT_KIND_LABELS,
    ("cm_case", "step"): STEP_LABELS,
    ("cm_event", "from_step"): STEP_LABELS,
    ("cm_event", "to_step"): STEP_LABELS,
    ("cm_first_interview", "decision"): DECISIONS,
    ("file_audit_item", "rating"): FINDING_RATINGS,
    ("follow_up", "source"): FOLLOW_UP_SOURCES,
    ("move_procedure", "track"): TRACK_LABELS,
    ("move_procedure", "status"): PROCEDURE_STATUS_LABELS,
    ("move_step", "outcome"): MOVE_STEP_OUTCOMES,
    ("hardship_procedure", "outcome"): HARDSHIP_OUTCOME_LABELS,
    ("referral", "cost_approval_state"): COST_APPROVAL_STATES,
    ("social_report", "status"): REPORT_STATUS_LABELS,
    ("handover", "scope"): HANDOVER_SCOPE_LABELS,
    ("handover", "status"): HANDOVER_STATUS_LABELS,
    ("handover", "consent_form"): CONSENT_FORM_DISPLAY,
    ("child_place", "kind"): CHILD_PLACE_KINDS,
    ("child_place", "state"): CHILD_PLACE_STATES,
}


def column_label(table: str, column: str) -> str | None:
    """German label of a column, None for a technical key (or one not labelled yet)."""
    if column in HIDDEN or (table, column) in HIDDEN_TABLE_COLUMNS:
        return None
    return TABLE_COLUMN_LABELS.get((table, column)) or COLUMN_LABELS.get(column)


def _lookup(key: tuple[str, str], table: dict[tuple[str, str], Any]) -> Any:
    return table.get(key) or table.get(("*", key[1]))


class Names:
    """Names of the users, partners and accommodations a person's rows refer to (ONE query)."""

    def __init__(
        self,
        tables: Iterable[tuple[str, list[dict[str, Any]]]],
        organisation_ids: Iterable[int] = (),
    ) -> None:
        orgs = set(organisation_ids)
        users: set[int] = set()
        partners: set[int] = set()
        places: set[int] = set()
        for _name, rows in tables:
            for row in rows:
                for key, value in row.items():
                    if not isinstance(value, int) or isinstance(value, bool):
                        continue
                    if key in USER_COLUMNS:
                        users.add(value)
                    elif key in PARTNER_COLUMNS:
                        partners.add(value)
                    elif key == "accommodation_id":
                        places.add(value)
        bundle = Bundle()
        bundle.add(
            "users",
            select(MsaUser.id, MsaUser.first_name, MsaUser.last_name).where(
                MsaUser.id.in_(sorted(users))
            ),
        )
        bundle.add(
            "partners",
            select(NetworkPartner.id, NetworkPartner.name).where(
                NetworkPartner.id.in_(sorted(partners))
            ),
        )
        bundle.add(
            "places",
            select(Accommodation.id, Accommodation.name).where(
                Accommodation.id.in_(sorted(places))
            ),
        )
        bundle.add(
            "orgs",
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(sorted(orgs))),
        )
        data = bundle.run(unscoped=True) if users or partners or places or orgs else {}
        self.users = {u.id: f"{u.first_name} {u.last_name}" for u in data.get("users", [])}
        self.partners = {p.id: p.name for p in data.get("partners", [])}
        self.places = {a.id: a.name for a in data.get("places", [])}
        self.organisations = {o.id: o.name for o in data.get("orgs", [])}


def display_value(table: str, column: str, value: Any, names: Names) -> str:
    """One value, German."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if column in USER_COLUMNS:
        return names.users.get(value, "Benutzerkonto gelöscht")
    if column in PARTNER_COLUMNS:
        return names.partners.get(value, "Netzwerkpartner gelöscht")
    if column == "accommodation_id":
        return names.places.get(value, EMPTY)
    if column in ORGANISATION_COLUMNS:
        return names.organisations.get(value, EMPTY)
    if column == "pdf":
        return f"{de_number(value)} Bytes"
    if isinstance(value, dt.datetime):
        return de_datetime(value)
    if isinstance(value, dt.date):
        return de_date(value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal | float):
        return de_number(value)
    if isinstance(value, int):
        return str(value)
    if column == "assessments" and isinstance(value, dict):
        criteria = catalogues.labels("social_report_criterion")
        return "\n".join(f"{criteria.get(k, k)}: {v}" for k, v in value.items() if v)
    key = (table, column)
    if isinstance(value, list):  # codes of a catalogue (the client's languages)
        listed = _lookup(key, CATALOGUE_COLUMNS)
        names_of = catalogues.labels(listed) if listed is not None else {}
        return ", ".join(names_of.get(str(v), str(v)) for v in value) or EMPTY
    if key == ("child_place", "type_code"):  # the catalogue follows the kind of the place
        both = {**catalogues.labels("childcare_type"), **catalogues.labels("school_type")}
        return both.get(str(value), str(value))
    fixed = _lookup(key, VALUE_LABELS)
    if fixed is not None:
        return str(fixed.get(value, value))
    catalogue = _lookup(key, CATALOGUE_COLUMNS)
    if catalogue is not None:
        return catalogues.labels(catalogue).get(str(value), str(value))
    return str(value)


def readable_rows(
    table: str, rows: list[dict[str, Any]], names: Names
) -> list[list[tuple[str, str]]]:
    """The rows of one table as (German label, German value), empty values left out."""
    out = []
    for row in rows:
        fields = []
        for column, value in row.items():
            label = column_label(table, column)
            if label is None or value is None or value == "" or value == {}:
                continue
            fields.append((label, display_value(table, column, value, names)))
        if fields:
            out.append(fields)
    return out

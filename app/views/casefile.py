"""Case files, contact notes, group sessions, follow-ups, referrals (R-2, R-3, R-6.2)."""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import AccessLog, ContactNote, FollowUp, GroupSession, Person, Referral
from app.security import matrix
from app.views.base import MsaModelView, ScopedModelView

PERSON_LABELS = {
    "file_number": _l("Aktenzeichen"),
    "first_name": _l("Vorname"),
    "last_name": _l("Nachname"),
    "first_name_original": _l("Vorname (Originalschrift)"),
    "last_name_original": _l("Nachname (Originalschrift)"),
    "birth_date": _l("Geburtsdatum"),
    "sex": _l("Geschlecht"),
    "nationality": _l("Staatsangehörigkeit"),
    "languages_spoken": _l("Sprachen"),
    "phone": _l("Telefon"),
    "email": _l("E-Mail"),
    "residence_status": _l("Aufenthaltsstatus"),
    "residence_legal_basis": _l("Rechtsgrundlage"),
    "residence_valid_until": _l("Gültig bis"),
    "benefit_basis": _l("Leistungsgrundlage"),
    "family_status": _l("Familienstand"),
    "household": _l("Haushalt"),
    "household_role": _l("Stellung im Haushalt"),
    "accommodation": _l("Unterkunft"),
    "private_interests": _l("Private Interessen"),
    "employable": _l("Erwerbsfähig"),
    "assigned_on": _l("Zuweisung am"),
    "moved_in_own_housing_on": _l("Einzug in eigene Wohnung am"),
    "moved_away_on": _l("Wegzug am"),
    "counselling_ends_on": _l("Ende der Beratung"),
    "organisation": _l("Träger"),
}


class PersonView(ScopedModelView):
    """Personen — the case files of the own provider (R-2.1)."""

    datamodel = SQLAInterface(Person)
    class_permission_name = matrix.PERSON
    list_title = _l("Personen")
    show_title = _l("Fallakte")
    add_title = _l("Person anlegen")
    edit_title = _l("Fallakte bearbeiten")
    list_columns = ["last_name", "first_name", "birth_date", "nationality", "accommodation"]
    search_columns = ["last_name", "first_name", "birth_date", "file_number"]
    order_columns = ["last_name", "first_name", "birth_date"]
    base_order = ("last_name", "asc")
    add_columns = edit_columns = [
        "first_name",
        "last_name",
        "first_name_original",
        "last_name_original",
        "birth_date",
        "sex",
        "nationality",
        "languages_spoken",
        "phone",
        "email",
        "residence_status",
        "residence_legal_basis",
        "residence_valid_until",
        "benefit_basis",
        "family_status",
        "household_role",
        "accommodation",
        "employable",
        "private_interests",
        "assigned_on",
        "moved_in_own_housing_on",
        "moved_away_on",
    ]
    show_columns = ["file_number", *add_columns, "counselling_ends_on"]
    label_columns = PERSON_LABELS


class ContactNoteView(ScopedModelView):
    """Beratungsvermerke — every counselling contact (R-3.1)."""

    datamodel = SQLAInterface(ContactNote)
    class_permission_name = matrix.CONTACT_NOTE
    list_title = _l("Beratungsvermerke")
    show_title = _l("Beratungsvermerk")
    list_columns = ["date", "person", "kind_label", "summary"]
    show_columns = [
        "date",
        "person",
        "kind_label",
        "duration_minutes",
        "interpreter_used",
        "summary",
        "result",
        "education_system",
        "return_counselling",
        "partner",
    ]
    base_permissions = ["can_read", "can_write"]
    search_columns = ["date", "kind", "summary"]
    order_columns = ["date"]
    base_order = ("date", "desc")
    label_columns = {
        "date": _l("Datum"),
        "person": _l("Person"),
        "kind": _l("Art"),
        "kind_label": _l("Art"),
        "duration_minutes": _l("Dauer (Min.)"),
        "interpreter_used": _l("Dolmetscher:in"),
        "summary": _l("Kurzinhalt"),
        "result": _l("Ergebnis"),
        "education_system": _l("Beratung zum deutschen Bildungssystem"),
        "return_counselling": _l("Rückkehrberatung"),
        "partner": _l("Vermittlung an"),
    }


class GroupSessionView(ScopedModelView):
    """Gruppenberatungen — one session, many participants (R-3.2)."""

    datamodel = SQLAInterface(GroupSession)
    class_permission_name = matrix.GROUP_SESSION
    list_title = _l("Gruppenberatungen")
    list_columns = ["date", "topic"]
    show_columns = ["date", "topic", "duration_minutes", "summary", "participants"]
    add_columns = edit_columns = [
        "date",
        "topic",
        "duration_minutes",
        "interpreter_used",
        "summary",
        "education_system",
        "return_counselling",
        "participants",
    ]
    label_columns = {
        "date": _l("Datum"),
        "topic": _l("Thema"),
        "duration_minutes": _l("Dauer (Min.)"),
        "interpreter_used": _l("Dolmetscher:in"),
        "summary": _l("Kurzinhalt"),
        "education_system": _l("Beratung zum deutschen Bildungssystem"),
        "return_counselling": _l("Rückkehrberatung"),
        "participants": _l("Teilnehmende"),
    }
    base_order = ("date", "desc")


class MyFollowUpView(ScopedModelView):
    """Meine Wiedervorlagen — open follow-ups of the signed-in user (R-3.4)."""

    datamodel = SQLAInterface(FollowUp)
    class_permission_name = matrix.FOLLOW_UP
    list_title = _l("Meine Wiedervorlagen")
    list_columns = ["due_on", "person", "title"]
    show_columns = ["due_on", "person", "title", "done_on", "source"]
    label_columns = {
        "due_on": _l("Fällig am"),
        "person": _l("Person"),
        "title": _l("Betreff"),
        "done_on": _l("Erledigt am"),
        "source": _l("Herkunft"),
    }
    base_order = ("due_on", "asc")


class ReferralView(ScopedModelView):
    """Vermittlungen an Netzwerkpartner (R-6.2)."""

    datamodel = SQLAInterface(Referral)
    class_permission_name = matrix.REFERRAL
    list_title = _l("Vermittlungen")
    list_columns = ["date", "person", "partner", "topic_code"]
    label_columns = {
        "date": _l("Datum"),
        "person": _l("Person"),
        "partner": _l("Netzwerkpartner"),
        "topic_code": _l("Thema"),
    }


class AccessLogView(MsaModelView):
    """Zugriffsprotokoll — for the data protection officer and reviewers (R-8.2)."""

    datamodel = SQLAInterface(AccessLog)
    class_permission_name = matrix.ACCESS_LOG
    base_permissions = ["can_read"]
    list_title = _l("Zugriffsprotokoll")
    list_columns = ["at", "username", "person_id", "action", "category"]
    search_columns = ["username", "person_id", "action", "category", "at"]
    label_columns = {
        "at": _l("Zeitpunkt"),
        "username": _l("Benutzer"),
        "person_id": _l("Person (Nr.)"),
        "action": _l("Aktion"),
        "category": _l("Kategorie"),
        "detail": _l("Details"),
    }
    base_order = ("at", "desc")


def register(appbuilder: AppBuilder) -> None:
    """Register the case-file views and APIs."""
    cat = matrix.MENU_CASE_WORK
    appbuilder.add_view(
        PersonView,
        "Personen",
        label=_l("Personen"),
        icon="fa-user",
        category=cat,
        category_label=_l("Fallarbeit"),
    )
    appbuilder.add_view(
        ContactNoteView,
        "Beratungsvermerke",
        label=_l("Beratungsvermerke"),
        icon="fa-comments",
        category=cat,
    )
    appbuilder.add_view(
        GroupSessionView,
        "Gruppenberatungen",
        label=_l("Gruppenberatungen"),
        icon="fa-users",
        category=cat,
    )
    appbuilder.add_view(
        MyFollowUpView,
        "Meine Wiedervorlagen",
        label=_l("Meine Wiedervorlagen"),
        icon="fa-bell",
        category=cat,
    )
    appbuilder.add_view_no_menu(ReferralView)
    appbuilder.add_view(
        AccessLogView,
        "Zugriffsprotokoll",
        label=_l("Zugriffsprotokoll"),
        icon="fa-history",
        category=matrix.MENU_ADMINISTRATION,
    )

"""Shared pieces of the case-file views: labels, helpers, the note form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, flash, g
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField

from app.dates import shown_date
from app.extensions import db
from app.models import (
    NetworkPartner,
    Person,
)
from app.models.contact import CONTACT_KIND_LABELS
from app.services.casefile import persons as person_service
from app.services.casefile.client_language import interpreter_prefill
from app.views.casefile.forms import (
    ContactNoteForm,
)

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
    "procedure_stage": _l("Stand des Asylverfahrens"),
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

AUTOCOMPLETE_LIMIT = 20


def _optional_checkbox(label: str) -> BooleanField:
    """Checkbox for a NOT NULL boolean (FAB would make it required, i.e. must be ticked)."""
    return BooleanField(label, default=False)


FLAG_FIELDS = {
    "interpreter_used": _optional_checkbox("Dolmetscher:in"),
    "education_system": _optional_checkbox("Beratung zum deutschen Bildungssystem"),
    "return_counselling": _optional_checkbox("Rückkehrberatung"),
}


class EagerSQLAInterface(SQLAInterface):
    """SQLAInterface that loads the given relationships of a list page in one extra query."""

    def __init__(self, obj: Any, *relationships: Any) -> None:
        super().__init__(obj)
        self._eager = relationships

    def apply_all(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        query = super().apply_all(query, *args, **kwargs)
        return query.options(*(selectinload(rel) for rel in self._eager))


def _fmt_date(value: Any) -> str:
    """A day on the case file's pages and messages, in the request's language."""
    return shown_date(value, "")


def _nationality_label(code: Any) -> str:
    return person_service.label("nationality", code)


def _current_user() -> Any:
    return g.user


def _can(permission: str, resource: str) -> bool:
    return bool(current_app.appbuilder.sm.has_access(permission, resource))  # type: ignore[attr-defined]


def _person_or_404(pk: Any) -> Person:
    try:
        pid = int(pk)
    except (TypeError, ValueError):
        abort(404)
    # a SELECT (not session.get): the identity map would bypass the row scope
    person = db.session.scalars(select(Person).where(Person.id == pid)).one_or_none()
    if person is None:
        abort(404)
    return person


def _apply_form_errors(form: Any, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is None:
            flash(" ".join(messages), "danger")
            continue
        field.errors = [*list(field.errors or []), *messages]


def note_form(formdata: Any = None, note: Any = None, person: Any = None) -> ContactNoteForm:
    """The note form of the person's page; with ``note`` prefilled for its edit.

    A new note of ``person`` starts with "interpreter" ticked when the case file names an
    interpreter language (a default only: an edit shows what is stored, a sent form what was
    sent)."""
    form = ContactNoteForm(formdata=formdata)
    form.kind.choices = list(CONTACT_KIND_LABELS.items())[:2]
    if note is not None and formdata is None:
        for name in (
            "date",
            "kind",
            "duration_minutes",
            "interpreter_used",
            "summary",
            "result",
            "education_system",
            "return_counselling",
        ):
            getattr(form, name).data = getattr(note, name)
        form.partner_id.data = str(note.partner_id) if note.partner_id else ""
        if note.kind not in dict(form.kind.choices):
            form.kind.choices = list(CONTACT_KIND_LABELS.items())
    elif formdata is None:
        form.date.data = dt.date.today()
        form.kind.data = "individual"
        form.interpreter_used.data = interpreter_prefill(person)
    return form


def _partner_label(raw: str) -> str:
    """Name of the partner chosen in a form that failed (to show it again)."""
    partner = db.session.get(NetworkPartner, int(raw)) if raw.isdigit() else None
    return partner.name if partner is not None else ""

"""Beratungsvermerke and Gruppenberatungen (R-3): documenting contacts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    ContactNote,
    GroupSession,
    MsaUser,
    Person,
)
from app.security import matrix
from app.services.casefile import persons as person_service
from app.services.casefile.client_language import language_hint
from app.services.casefile.contacts import (
    create_group_session,
    partner_from_label,
    update_group_session,
)
from app.services.casefile.notes import NoteError, create_note, update_note
from app.services.data_protection.access_log import log_access
from app.services.errors import DomainError, Problems
from app.views.base import ScopedModelView
from app.views.casefile.common import (
    FLAG_FIELDS,
    EagerSQLAInterface,
    _apply_form_errors,
    _can,
    _current_user,
    _fmt_date,
    _partner_label,
    _person_or_404,
    note_form,
)
from app.views.casefile.domain_edit import DomainEditMixin
from app.views.casefile.forms import (
    GroupSessionForm,
)
from app.views.casefile.persons import PersonView, _is_reviewer, casefile_context


# ---------------------------------------------------------------- contact notes
def _note_input(form: Any) -> tuple[dict[str, Any], str, str, Problems]:
    """The note's fields as the form sends them (the verb checks them), the chosen partner
    (id text) and the typed partner text; problems the form alone can tell (a date that is no
    date, a partner name that names no partner)."""
    form.validate()
    problems = Problems(NoteError)
    for field in form:
        # what the form alone can tell: no date, no number, an invalid form token
        for message in field.errors:
            problems.add(field.name, f"{field.name}.format", str(message))
        field.errors = []
    partner_raw = form.partner_id.data or ""
    partner_text = (request.form.get("partner_search") or "").strip()
    if not partner_raw and partner_text:
        # typed, but not picked from the suggestions (or no JavaScript): the name decides
        found = partner_from_label(partner_text)
        if found is None:
            problems.add(
                "partner_id",
                "partner.ambiguous",
                f"Netzwerkpartner „{partner_text}“ nicht eindeutig gefunden – bitte aus den "
                "Vorschlägen wählen oder das Feld leeren.",
            )
        else:
            partner_raw = str(found)
    values = {
        "date": form.date.data,
        "kind": form.kind.data or "individual",
        "topics": request.form.getlist("topics"),
        "duration_minutes": form.duration_minutes.data,
        "interpreter_used": bool(form.interpreter_used.data),
        "summary": form.summary.data or "",
        "result": form.result.data,
        "education_system": bool(form.education_system.data),
        "return_counselling": bool(form.return_counselling.data),
        "partner_id": int(partner_raw) if partner_raw.isdigit() else None,
    }
    return values, partner_raw, partner_text, problems


def _form_refusal(form: Any, error: DomainError) -> list[str]:
    """Put a refusal's messages at their fields; return the topics' messages."""
    errors = error.errors
    topic_errors = errors.pop("topics", [])
    _apply_form_errors(form, {k: v for k, v in errors.items() if k})
    return topic_errors


def _closed_notice(note: ContactNote) -> dict[str, Any] | None:
    """The notice of a note dated in a submitted quarter, with the way to reopen it."""
    from app.services.statistics.counting import Quarter
    from app.services.statistics.periods import closed_quarters

    q = Quarter.of(note.date)
    if not closed_quarters(db.session, [(note.organisation_id, note.date)]):
        return None
    return {
        "label": q.label,
        "url": url_for("StatisticsView.quarter", year=q.year, quarter=q.quarter),
    }


class ContactNoteView(ScopedModelView):
    """Beratungsvermerke — every counselling contact (R-3.1).

    Written only through app.services.casefile.notes: the person's page documents a note, the
    edit route shows the same note form prefilled; FAB's generic forms are not offered.
    """

    datamodel = EagerSQLAInterface(ContactNote, ContactNote.person, ContactNote.partner)
    class_permission_name = matrix.CONTACT_NOTE
    list_title = _l("Beratungsvermerke")
    show_title = _l("Beratungsvermerk")
    edit_title = _l("Beratungsvermerk bearbeiten")
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
    formatters_columns = {"date": _fmt_date}
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

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        """Beratungsvermerk: topics, person (link), caseworker, flags as ja/nein, edit link."""
        if not str(pk).isdigit():
            abort(404)
        note = db.session.scalars(
            select(ContactNote)
            .options(
                joinedload(ContactNote.person),
                joinedload(ContactNote.partner),
                selectinload(ContactNote.topics),
            )
            .where(ContactNote.id == int(pk))
        ).one_or_none()
        if note is None:
            abort(404)
        names = person_service.catalogue_labels("contact_topic")
        caseworker = db.session.get(MsaUser, note.caseworker_id) if note.caseworker_id else None
        body = self.render_template(
            "casefile/note.html",
            title=f"Beratungsvermerk vom {_fmt_date(note.date)} – {note.person.full_name}",
            note=note,
            topics=sorted(names.get(t.code, t.code) for t in note.topics),
            caseworker=caseworker,
            fmt_date=_fmt_date,
            can_edit=_can("can_write", matrix.CONTACT_NOTE),
        )
        if _is_reviewer():
            log_access(note.person_id, "read", detail=f"Beratungsvermerk {note.id}")
        return body

    @expose("/add", methods=["GET"])
    @has_access
    def add(self) -> Any:
        """Notes are documented from the person's page (no dropdown of all persons)."""
        flash("Bitte öffnen Sie die Fallakte der Person und dokumentieren Sie dort.", "info")
        return redirect(url_for("PersonView.list"))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: Any) -> Any:
        """Beratungsvermerk bearbeiten — the note form of the person's page, prefilled.

        A note of a submitted quarter says so and links the quarter; a refused save shows the
        form again with the input and the German messages at their fields.
        """
        if not str(pk).isdigit():
            abort(404)
        note = db.session.scalars(
            select(ContactNote)
            .options(joinedload(ContactNote.person), joinedload(ContactNote.partner))
            .where(ContactNote.id == int(pk))
        ).one_or_none()
        if note is None:
            abort(404)
        status = 200
        topic_errors: list[str] = []
        if request.method == "GET":
            form = note_form(formdata=None, note=note)
            topics = note.topic_codes
            partner_label = note.partner.name if note.partner else ""
            version = note.version
        else:
            form = note_form(formdata=request.form)
            values, partner_raw, partner_text, problems = _note_input(form)
            topics = values["topics"]
            partner_label = _partner_label(partner_raw) or partner_text
            version_raw = request.form.get("version") or ""
            version = int(version_raw) if version_raw.isdigit() else None
            try:
                problems.raise_if_any()
                saved_id = int(pk)
                update_note(
                    note,
                    actor=_current_user(),
                    version=version if version is not None else -1,
                    changes=values,
                )
            except DomainError as exc:
                db.session.rollback()
                status = exc.status if exc.status == 409 else 422
                if exc.key == "conflict":
                    flash(
                        person_service.conflict_message(
                            note.person_id, "Der Beratungsvermerk", f"ContactNote {note.id}"
                        ),
                        "danger",
                    )
                else:
                    topic_errors = _form_refusal(form, exc)
                    flash(
                        "Der Vermerk wurde nicht gespeichert. " + exc.message
                        if exc.field is None or exc.key == "quarter.closed"
                        else "Der Vermerk wurde nicht gespeichert. Bitte prüfen Sie die "
                        "markierten Felder.",
                        "danger",
                    )
            else:
                flash(f"Beratungsvermerk vom {_fmt_date(values['date'])} gespeichert.", "success")
                return redirect(url_for("ContactNoteView.show", pk=saved_id))
        note = db.session.get(ContactNote, int(pk)) or note
        return (
            self.render_template(
                "casefile/note_edit.html",
                title=self.edit_title,
                note=note,
                note_form=form,
                version=version,
                selected_topics=topics,
                topic_errors=topic_errors,
                topic_choices=person_service.catalogue_choices("contact_topic"),
                partner_label=partner_label,
                closed=_closed_notice(note),
                fmt_date=_fmt_date,
                language_hint=language_hint(note.person),
            ),
            status,
        )

    @expose("/document/<int:person_id>", methods=["POST"])
    @has_access
    def document(self, person_id: int) -> Any:
        """Kontakt dokumentieren — the short form on the person's page (one POST)."""
        person = _person_or_404(person_id)
        person_id = person.id  # the commit expires ``person``: no reload for the redirect
        form = note_form(formdata=request.form)
        values, partner_raw, partner_text, problems = _note_input(form)
        try:
            problems.raise_if_any()
            create_note(
                person,
                actor=_current_user(),
                follow_up_on=form.follow_up_on.data,
                follow_up_title=form.follow_up_title.data,
                **values,
            )
        except DomainError as exc:
            db.session.rollback()
            topic_errors = _form_refusal(form, exc)
            flash(
                "Der Vermerk wurde nicht gespeichert. "
                + (
                    exc.message
                    if exc.key == "quarter.closed"
                    else "Bitte prüfen Sie die markierten Felder."
                ),
                "danger",
            )
            return (
                self.render_template(
                    PersonView.show_template,
                    title=f"Fallakte {person.full_name}",
                    note_form=form,
                    partner_label=_partner_label(partner_raw) or partner_text,
                    selected_topics=values["topics"],
                    topic_errors=topic_errors,
                    **casefile_context(person),
                ),
                exc.status if exc.status == 409 else 422,
            )
        flash(f"Beratungsvermerk vom {_fmt_date(values['date'])} gespeichert.", "success")
        # to the message (and the form below it): the saved note heads the timeline
        return redirect(url_for("PersonView.show", pk=person_id) + "#meldungen")


# ---------------------------------------------------------------- group sessions
class GroupSessionView(DomainEditMixin, ScopedModelView):
    """Gruppenberatungen — one session, many participants (R-3.2)."""

    datamodel = SQLAInterface(GroupSession)
    class_permission_name = matrix.GROUP_SESSION
    list_title = _l("Gruppenberatungen")
    show_title = _l("Gruppenberatung")
    add_title = _l("Gruppenberatung dokumentieren")
    edit_title = _l("Gruppenberatung bearbeiten")
    list_columns = ["date", "topic"]
    show_columns = ["date", "topic", "duration_minutes", "summary", "participants"]
    edit_columns = [
        "date",
        "topic",
        "duration_minutes",
        "interpreter_used",
        "summary",
        "education_system",
        "return_counselling",
    ]
    search_columns = ["date", "topic"]
    edit_form_extra_fields = FLAG_FIELDS
    formatters_columns = {"date": _fmt_date}
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
    update_verb = staticmethod(update_group_session)
    record_name = "Gruppenberatung"

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """Gruppenberatung dokumentieren: participants via search (never all persons)."""
        form = GroupSessionForm()
        ids = [int(i) for i in request.form.getlist("participant_ids") if i.isdigit()]
        selected = (
            db.session.execute(
                select(Person.id, Person.first_name, Person.last_name, Person.birth_date)
                .where(Person.id.in_(ids))
                .order_by(Person.last_name)
            ).all()
            if ids
            else []
        )
        participant_errors: list[str] = []
        if request.method == "GET":
            form.date.data = dt.date.today()
        elif form.validate():
            try:
                session = create_group_session(
                    actor=_current_user(),
                    date=form.date.data,
                    topic=form.topic.data or "",
                    topic_code=form.topic_code.data or None,
                    participant_ids=ids,
                    duration_minutes=form.duration_minutes.data,
                    interpreter_used=bool(form.interpreter_used.data),
                    summary=form.summary.data,
                    education_system=bool(form.education_system.data),
                    return_counselling=bool(form.return_counselling.data),
                )
            except DomainError as exc:
                db.session.rollback()
                errors = exc.errors
                participant_errors = errors.pop("participant_ids", [])
                _apply_form_errors(form, {k: v for k, v in errors.items() if k})
            else:
                flash(f"Gruppenberatung vom {_fmt_date(form.date.data)} gespeichert.", "success")
                return redirect(url_for("GroupSessionView.show", pk=session.id))
        return self.render_template(
            "casefile/group_session_form.html",
            title=self.add_title,
            form=form,
            selected=[
                {"id": pid, "label": f"{last}, {first} ({_fmt_date(born)})"}
                for pid, first, last, born in selected
            ],
            participant_errors=participant_errors,
        )


# ---------------------------------------------------------------- follow-ups

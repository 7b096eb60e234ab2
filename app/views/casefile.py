"""Case files, contact notes, group sessions, follow-ups, referrals (R-2, R-3, R-6.2).

The person's page (Fallakte) is the caseworker's hub: key facts, profile sections, the
timeline, open follow-ups, the registered hub sections and the short contact form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import AppBuilder, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField

from app.extensions import db
from app.models import (
    AccessLog,
    Accommodation,
    ContactNote,
    ContactNoteTopic,
    Employment,
    FollowUp,
    GroupSession,
    IntegrationCourse,
    MsaUser,
    NetworkPartner,
    Person,
    PersonDegree,
    PersonLanguage,
    PersonVulnerability,
    Referral,
)
from app.models.contact import CONTACT_KIND_LABELS, group_participant
from app.security import matrix
from app.services import persons as person_service
from app.services.access_log import log_access, log_accesses
from app.services.bundle import Bundle
from app.services.casefile.search import search_persons
from app.services.contacts import (
    ContactValidationError,
    complete_follow_up,
    create_group_session,
    document_contact,
    my_open_follow_ups,
    partner_from_label,
)
from app.services.duplicates import find_duplicates
from app.views import hub
from app.views.base import MsaModelView, ScopedModelView
from app.views.casefile_forms import (
    BLANK,
    ContactNoteForm,
    GroupSessionForm,
    PersonForm,
    catalogue_select,
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
    return value.strftime("%d.%m.%Y") if value else ""


def _nationality_label(code: Any) -> str:
    return person_service.label("nationality", code)


def _current_user() -> Any:
    return g.user


def _can(permission: str, resource: str) -> bool:
    return bool(current_app.appbuilder.sm.has_access(permission, resource))  # type: ignore[attr-defined]


def _is_reviewer() -> bool:
    user = g.get("user")
    return bool(user) and any(r.name == matrix.ROLE_REVIEWER for r in getattr(user, "roles", []))


def log_reviewer_reads(person_ids: list[int], detail: str) -> None:
    """Access-log a reviewer's (Prüfer) read of persons in a list or search (one INSERT)."""
    if person_ids and _is_reviewer():
        log_accesses([(pid, "read", "case_file", detail) for pid in person_ids])


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


# ---------------------------------------------------------------- timeline sources
#: contact notes shown on the case file page (the rest: "Alle Vermerke" list of the person)
TIMELINE_NOTES = 100


def _notes_queries(person: Any) -> dict[str, Any]:
    newest = (
        select(ContactNote.id)
        .where(ContactNote.person_id == person.id)
        .order_by(ContactNote.date.desc(), ContactNote.id.desc())
        .limit(TIMELINE_NOTES)
        .scalar_subquery()
    )
    return {
        "notes": select(
            ContactNote.id,
            ContactNote.date,
            ContactNote.kind,
            ContactNote.summary,
            ContactNote.result,
            ContactNote.duration_minutes,
            MsaUser.first_name,
            MsaUser.last_name,
        )
        .outerjoin(MsaUser, MsaUser.id == ContactNote.caseworker_id)
        .where(ContactNote.person_id == person.id)
        .order_by(ContactNote.date.desc(), ContactNote.id.desc())
        .limit(TIMELINE_NOTES),
        "topics": select(ContactNoteTopic.contact_note_id, ContactNoteTopic.code).where(
            ContactNoteTopic.contact_note_id.in_(newest)
        ),
    }


def _notes_timeline(person: Any, data: dict[str, list[Any]]) -> list[hub.TimelineEvent]:
    """Contact notes of the person with caseworker and topics."""
    names = person_service.catalogue_labels("contact_topic")
    topics: dict[int, list[str]] = {}
    for note_id, code in data["topics"]:
        topics.setdefault(note_id, []).append(names.get(code, code))
    return [
        hub.TimelineEvent(
            when=date,
            kind="note",
            title=CONTACT_KIND_LABELS.get(kind, kind) + (f" ({minutes} Min.)" if minutes else ""),
            detail=summary if not result else f"{summary} — Ergebnis: {result}",
            who=f"{first or ''} {last or ''}".strip(),
            url=url_for("ContactNoteView.show", pk=nid),
            extra={"topics": topics.get(nid, [])},
        )
        for nid, date, kind, summary, result, minutes, first, last in data["notes"]
    ]


def _group_queries(person: Any) -> dict[str, Any]:
    return {
        "groups": select(GroupSession.id, GroupSession.date, GroupSession.topic)
        .join(group_participant, group_participant.c.group_session_id == GroupSession.id)
        .where(group_participant.c.person_id == person.id)
        .order_by(GroupSession.date.desc())
        .limit(100)
    }


def _group_timeline(person: Any, data: dict[str, list[Any]]) -> list[hub.TimelineEvent]:
    """Group sessions the person took part in."""
    return [
        hub.TimelineEvent(
            when=date,
            kind="group",
            title="Gruppenberatung",
            detail=topic,
            url=url_for("GroupSessionView.show", pk=gid),
        )
        for gid, date, topic in data["groups"]
    ]


def _follow_up_queries(person: Any) -> dict[str, Any]:
    return {
        "follow_ups": select(FollowUp.id, FollowUp.due_on, FollowUp.title, FollowUp.done_on)
        .where(FollowUp.person_id == person.id)
        .order_by(FollowUp.due_on.desc())
        .limit(100)
    }


def _follow_up_timeline(person: Any, data: dict[str, list[Any]]) -> list[hub.TimelineEvent]:
    """Follow-ups of the person."""
    return [
        hub.TimelineEvent(
            when=due,
            kind="follow_up",
            title="Wiedervorlage" + (f" (erledigt am {_fmt_date(done)})" if done else ""),
            detail=title,
        )
        for _fid, due, title, done in data["follow_ups"]
    ]


hub.register_timeline_source("contact_notes", _notes_timeline, _notes_queries)
hub.register_timeline_source("group_sessions", _group_timeline, _group_queries)
hub.register_timeline_source("follow_ups", _follow_up_timeline, _follow_up_queries)


# ---------------------------------------------------------------- person
def _fill_person_choices(form: PersonForm) -> None:
    accommodations = db.session.execute(
        select(Accommodation.id, Accommodation.name).order_by(Accommodation.name)
    ).all()
    form.accommodation_id.choices = [BLANK, *((str(i), n) for i, n in accommodations)]
    user = _current_user()
    workers = db.session.execute(
        select(MsaUser.id, MsaUser.first_name, MsaUser.last_name)
        .where(MsaUser.organisation_id == user.organisation_id, MsaUser.active.is_(True))
        .order_by(MsaUser.last_name)
    ).all()
    form.caseworker_id.choices = [BLANK, *((str(i), f"{f} {lname}") for i, f, lname in workers)]


def _validate_person_form(form: PersonForm) -> dict[str, Any] | None:
    """Parse and validate; attach German errors to the fields; return data or None."""
    ok = form.validate()
    data = form.person_data()
    errors = person_service.validate_person(data)
    for key, choices in (
        ("accommodation_id", form.accommodation_id.choices),
        ("caseworker_id", form.caseworker_id.choices),
    ):
        value = getattr(form, key).data or ""
        if value and value not in {c for c, _ in choices or []}:
            errors.setdefault(key, []).append("Unbekannter Eintrag – bitte aus der Liste wählen.")
        data[key] = int(value) if value and not errors.get(key) else None
    # parse errors already sit at the field: don't repeat a "required" message
    for name in list(errors):
        field = getattr(form, name, None)
        if field is not None and field.errors:
            errors.pop(name)
    _apply_form_errors(form, errors)
    if not ok or errors or any(getattr(form, n).errors for n in form.PERSON_FIELDS):
        return None
    return data


def note_form(formdata: Any = None) -> ContactNoteForm:
    form = ContactNoteForm(formdata=formdata)
    form.kind.choices = list(CONTACT_KIND_LABELS.items())[:2]
    if formdata is None:
        form.date.data = dt.date.today()
        form.kind.data = "individual"
    return form


def _partner_label(raw: str) -> str:
    """Name of the partner chosen in a form that failed (to show it again)."""
    partner = db.session.get(NetworkPartner, int(raw)) if raw.isdigit() else None
    return partner.name if partner is not None else ""


class PersonView(ScopedModelView):
    """Personen — the case files of the own provider (R-2.1)."""

    datamodel = SQLAInterface(Person)
    class_permission_name = matrix.PERSON
    list_title = _l("Personen")
    show_title = _l("Fallakte")
    add_title = _l("Person anlegen")
    edit_title = _l("Fallakte bearbeiten")
    list_columns = ["file_number", "last_name", "first_name", "birth_date", "nationality"]
    search_columns = ["last_name", "first_name", "birth_date", "file_number"]
    order_columns = ["file_number", "last_name", "first_name", "birth_date"]
    base_order = ("last_name", "asc")
    formatters_columns = {"nationality": _nationality_label, "birth_date": _fmt_date}
    show_columns = ["file_number", *PersonForm.PERSON_FIELDS, "counselling_ends_on"]
    label_columns = PERSON_LABELS
    show_template = "casefile/person.html"
    form_template = "casefile/person_form.html"
    list_template = "casefile/person_list.html"

    # -- the case file page ----------------------------------------------------
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        """Fallakte: key facts, profile, timeline, follow-ups and hub sections."""
        person = _person_or_404(pk)
        body = self.render_template(
            self.show_template,
            title=f"Fallakte {person.full_name}",
            note_form=note_form(),
            **casefile_context(person),
        )
        # logged (and committed) after rendering: a commit expires the loaded rows, which
        # would cost a second SELECT of the person and the user; no log row, no page
        log_access(person.id, "read", detail="Fallakte")
        return body

    # -- add -------------------------------------------------------------------
    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """Person anlegen — with the duplicate warning (R-2.6)."""
        form = PersonForm()
        _fill_person_choices(form)
        duplicates: list[Any] = []
        if request.method == "GET":
            form.caseworker_id.data = str(_current_user().id)
        elif (data := _validate_person_form(form)) is not None:
            duplicates = find_duplicates(data["first_name"], data["last_name"], data["birth_date"])
            if duplicates and not form.confirm_duplicate.data:
                flash(
                    "Möglicherweise gibt es diese Person schon (gleiches Geburtsdatum, ähnlicher "
                    "Name). Bitte prüfen Sie die Treffer; wenn es eine andere Person ist, "
                    "bestätigen Sie mit „Trotzdem anlegen“.",
                    "warning",
                )
            else:
                person = Person(organisation_id=_current_user().organisation_id)
                for key, value in data.items():
                    setattr(person, key, value)
                person.employable = bool(data.get("employable"))
                db.session.add(person)
                db.session.flush()
                person.file_number = person.file_number or f"MSA-{person.id:06d}"
                db.session.commit()
                log_access(person.id, "create")
                flash(f"{person.full_name} wurde angelegt.", "success")
                return redirect(url_for("PersonView.show", pk=person.id))
        return self.render_template(
            self.form_template,
            title=self.add_title,
            form=form,
            duplicates=duplicates,
            person=None,
        )

    # -- edit ------------------------------------------------------------------
    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: Any) -> Any:
        """Fallakte bearbeiten — with optimistic locking (hidden ``version``)."""
        person = _person_or_404(pk)
        if request.method == "GET":
            form = PersonForm(obj=person)
            form.accommodation_id.data = str(person.accommodation_id or "")
            form.caseworker_id.data = str(person.caseworker_id or "")
            form.version.data = str(person.version)
            _fill_person_choices(form)
        else:
            form = PersonForm()
            _fill_person_choices(form)
            data = _validate_person_form(form)
            if data is not None:
                try:
                    person_service.check_version(person, form.version.data)
                    for key, value in data.items():
                        setattr(person, key, value)
                    person.employable = bool(data.get("employable"))
                    db.session.commit()
                except (person_service.ConflictError, StaleDataError):
                    db.session.rollback()
                    person = _person_or_404(pk)
                    flash(person_service.conflict_message(person.id), "danger")
                else:
                    log_access(person.id, "update")
                    flash("Die Fallakte wurde gespeichert.", "success")
                    return redirect(url_for("PersonView.show", pk=person.id))
        return self.render_template(
            self.form_template, title=self.edit_title, form=form, duplicates=[], person=person
        )

    # -- household and autocomplete -------------------------------------------
    @expose("/autocomplete", methods=["GET"])
    @has_access
    def autocomplete(self) -> Response:
        """Return up to 20 visible persons matching ``q`` as JSON ``[{id, label, url}]``.

        The same matching as the search field (``app.services.casefile.search``): any part of
        the name, transliteration-tolerant, file number, birth date. Persons who moved away
        only with ``?all=1`` (the search field; not for group sessions or households).
        """
        q = (request.args.get("q") or "").strip()[:200]
        hits = search_persons(q, limit=AUTOCOMPLETE_LIMIT) if len(q) >= 2 else []
        if not request.args.get("all"):
            hits = [h for h in hits if h.moved_away_on is None]
        log_reviewer_reads([h.id for h in hits], "Personensuche (Vorschläge)")
        return jsonify(
            [
                {
                    "id": h.id,
                    "label": f"{h.last_name}, {h.first_name} ({_fmt_date(h.birth_date)})"
                    + (" – weggezogen" if h.moved_away_on else ""),
                    "url": url_for("PersonView.show", pk=h.id),
                }
                for h in hits
            ]
        )

    @expose("/search", methods=["GET"])
    @has_access
    def search(self) -> Any:
        """Personensuche: the result list of the search field (Enter)."""
        q = (request.args.get("q") or "").strip()[:200]
        hits = search_persons(q) if len(q) >= 2 else []
        body = self.render_template(
            "casefile/search.html",
            title=f"Suche: {q}" if q else "Personensuche",
            q=q,
            hits=hits,
            fmt_date=_fmt_date,
            can_note=_can("can_write", matrix.CONTACT_NOTE),
        )
        log_reviewer_reads([h.id for h in hits], "Personensuche")
        return body

    @expose("/list/")
    @has_access
    def list(self) -> Any:
        """Personen — FAB's list; a reviewer's read of the list is access-logged (issue 16)."""
        self.update_redirect()
        widgets = self._list()
        body = self.render_template(self.list_template, title=self.list_title, widgets=widgets)
        pks = widgets["list"].template_args.get("pks") or []
        log_reviewer_reads([int(pk) for pk in pks], "Personenliste")
        return body

    @expose("/household/<int:pk>", methods=["POST"])
    @has_access
    def household(self, pk: int) -> Response:
        """Add a person to this person's household, or leave the household."""
        person = _person_or_404(pk)
        if request.form.get("leave"):
            person_service.leave_household(person)
            flash("Die Person wurde aus dem Haushalt genommen.", "success")
        else:
            member = _person_or_404(request.form.get("member_id"))
            if member.id == person.id:
                flash("Eine Person kann nicht mit sich selbst verbunden werden.", "danger")
            else:
                person_service.link_household(member, person)
                flash(f"{member.full_name} gehört jetzt zum Haushalt.", "success")
        return redirect(url_for("PersonView.show", pk=person.id) + "#haushalt")


def _casefile_queries(person: Person) -> dict[str, Any]:
    """The reads of the case file page itself (run in one statement with the sections')."""
    pid = person.id
    queries: dict[str, Any] = {
        "languages": select(PersonLanguage).where(PersonLanguage.person_id == pid),
        "degrees": select(PersonDegree).where(PersonDegree.person_id == pid),
        "employment": select(Employment)
        .where(Employment.person_id == pid)
        .order_by(Employment.start_on.desc()),
        "courses": select(IntegrationCourse).where(IntegrationCourse.person_id == pid),
        "vulnerabilities": select(PersonVulnerability).where(PersonVulnerability.person_id == pid),
        "open_follow_ups": select(FollowUp)
        .where(FollowUp.person_id == pid, FollowUp.done_on.is_(None))
        .order_by(FollowUp.due_on),
        "household": person_service.household_query(person),
    }
    if person.accommodation_id:
        queries["accommodation"] = select(Accommodation.name).where(
            Accommodation.id == person.accommodation_id
        )
    if person.caseworker_id:
        queries["caseworker"] = select(MsaUser.id, MsaUser.first_name, MsaUser.last_name).where(
            MsaUser.id == person.caseworker_id
        )
    return queries


def casefile_context(person: Person) -> dict[str, Any]:
    """Return everything the case file page shows: ONE statement for all its lists.

    The page's own lists, every visible hub section's and every timeline source's queries
    run together (``app.services.bundle``); catalogue labels come from the per-request
    catalogue snapshot. Statement count: constant (tests/integration/test_casefile_budget.py).
    """
    visible = [s for s in hub.sections() if not s.permission or _can(*s.permission)]
    bundle = Bundle()
    bundle.update(_casefile_queries(person))
    hub.add_queries(bundle, person, visible)
    data = bundle.run()
    caseworker = data.get("caseworker") or []
    household_members = person_service.household_from_rows(data["household"])
    today = dt.date.today()
    return {
        "person": person,
        "lbl": person_service.label,
        "fmt_date": _fmt_date,
        "age": person_service.age_on(person.birth_date, today),
        "today": today,
        "caseworker": caseworker[0] if caseworker else None,
        "accommodation_name": next(iter(data.get("accommodation") or []), ""),
        "household_size": len(household_members) + 1,
        "household_members": household_members,
        "languages": data["languages"],
        "degrees": data["degrees"],
        "employment": data["employment"],
        "courses": data["courses"],
        "vulnerabilities": data["vulnerabilities"],
        "open_follow_ups": data["open_follow_ups"],
        "timeline": hub.timeline(person, data),
        "hub_sections": hub.section_contexts(person, visible, data),
        "topic_choices": person_service.catalogue_choices("contact_topic"),
        "can_write": _can("can_write", matrix.PERSON),
        "can_note": _can("can_write", matrix.CONTACT_NOTE),
    }


# ---------------------------------------------------------------- sub-records
class SubRecordView(ScopedModelView):
    """Base of the case file's sub-records: the person comes from ``?person_id=`` or the row.

    Never shows a dropdown of persons; after saving it returns to the person's page.
    """

    class_permission_name = matrix.PERSON
    form_template = "casefile/subrecord_form.html"
    #: a wrong profile entry (a language, a degree …) may be removed; the case file itself not
    exclude_route_methods: set[str] = set()
    add_template = edit_template = form_template

    def _person_from_args(self) -> Person:
        return _person_or_404(request.args.get("person_id"))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        person = self._person_from_args()
        g.msa_person = person
        widget = self._add()
        if not widget:
            return redirect(url_for("PersonView.show", pk=person.id) + "#profil")
        return self.render_template(
            self.add_template, title=self.add_title, widgets=widget, person=person
        )

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: Any) -> Any:
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        person = _person_or_404(item.person_id)
        widgets = self._edit(pk)
        if not widgets:
            return redirect(url_for("PersonView.show", pk=person.id) + "#profil")
        return self.render_template(
            self.edit_template, title=self.edit_title, widgets=widgets, person=person
        )

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk: Any) -> Any:
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        person_id = item.person_id
        self._delete(pk)
        return redirect(url_for("PersonView.show", pk=person_id) + "#profil")

    def pre_add(self, item: Any) -> None:
        person: Person = g.msa_person
        item.person_id = person.id
        item.organisation_id = person.organisation_id


class PersonLanguageView(SubRecordView):
    """Sprachkenntnisse (GER)."""

    datamodel = SQLAInterface(PersonLanguage)
    add_title = _l("Sprachkenntnis hinzufügen")
    edit_title = _l("Sprachkenntnis bearbeiten")
    list_columns = add_columns = edit_columns = ["language", "level", "certificate"]
    label_columns = {
        "language": _l("Sprache"),
        "level": _l("Niveau (GER)"),
        "certificate": _l("Nachweis"),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "language": catalogue_select("Sprache", "language", required=True),
        "level": catalogue_select("Niveau (GER)", "cefr_level"),
    }


class PersonDegreeView(SubRecordView):
    """Abschlüsse mit Anerkennungsstand."""

    datamodel = SQLAInterface(PersonDegree)
    add_title = _l("Abschluss hinzufügen")
    edit_title = _l("Abschluss bearbeiten")
    list_columns = add_columns = edit_columns = [
        "kind",
        "title",
        "institution",
        "country",
        "year",
        "recognition_status",
    ]
    label_columns = {
        "kind": _l("Art"),
        "title": _l("Bezeichnung"),
        "institution": _l("Einrichtung"),
        "country": _l("Land"),
        "year": _l("Jahr"),
        "recognition_status": _l("Anerkennung"),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": catalogue_select("Art", "vocational_qualification", required=True),
        "country": catalogue_select("Land", "nationality"),
        "recognition_status": catalogue_select("Anerkennung", "recognition"),
    }


class EmploymentView(SubRecordView):
    """Beruflicher Werdegang."""

    datamodel = SQLAInterface(Employment)
    add_title = _l("Tätigkeit hinzufügen")
    edit_title = _l("Tätigkeit bearbeiten")
    list_columns = add_columns = edit_columns = [
        "employer",
        "position",
        "start_on",
        "end_on",
        "country",
        "duties",
    ]
    label_columns = {
        "employer": _l("Arbeitgeber"),
        "position": _l("Tätigkeit"),
        "start_on": _l("von"),
        "end_on": _l("bis"),
        "country": _l("Land"),
        "duties": _l("Aufgaben"),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "country": catalogue_select("Land", "nationality"),
    }


class IntegrationCourseView(SubRecordView):
    """Integrationskurse (R-2.5)."""

    datamodel = SQLAInterface(IntegrationCourse)
    add_title = _l("Integrationskurs hinzufügen")
    edit_title = _l("Integrationskurs bearbeiten")
    list_columns = add_columns = edit_columns = [
        "course",
        "start_on",
        "end_on",
        "outcome",
        "completed",
    ]
    label_columns = {
        "course": _l("Kurs"),
        "start_on": _l("Beginn"),
        "end_on": _l("Ende"),
        "outcome": _l("Ergebnis"),
        "completed": _l("Abgeschlossen"),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "course": catalogue_select("Kurs", "integration_course_type", required=True),
        "outcome": catalogue_select("Ergebnis", "ik_result"),
        "completed": _optional_checkbox("Abgeschlossen"),
    }


class PersonVulnerabilityView(SubRecordView):
    """Vulnerabilitäten (Art. 21 RL 2013/33/EU)."""

    datamodel = SQLAInterface(PersonVulnerability)
    add_title = _l("Vulnerabilität hinzufügen")
    edit_title = _l("Vulnerabilität bearbeiten")
    list_columns = add_columns = edit_columns = ["code", "note"]
    label_columns = {"code": _l("Schutzbedarf"), "note": _l("Bemerkung")}
    add_form_extra_fields = edit_form_extra_fields = {
        "code": catalogue_select("Schutzbedarf", "vulnerability", required=True),
    }


SUB_RECORD_VIEWS = (
    PersonLanguageView,
    PersonDegreeView,
    EmploymentView,
    IntegrationCourseView,
    PersonVulnerabilityView,
)


# ---------------------------------------------------------------- contact notes
class VersionedEditMixin:
    """FAB edit form with a hidden ``version``: an outdated save is refused, input kept.

    FAB's edit form alone lets the last writer win (FAB-NOTES); this adds the check.
    """

    conflict_subject = "Der Datensatz"
    edit_form_extra_fields: dict[str, Any] = {"version": HiddenField(), **FLAG_FIELDS}

    def _change_detail(self, item: Any) -> str:
        return f"{type(item).__name__} {item.id}"

    def process_form(self, form: Any, is_created: bool) -> None:
        if not is_created and "version" in form:
            del form["version"]  # never written from the request

    def post_update(self, item: Any) -> None:
        log_access(item.person_id, "update", detail=self._change_detail(item))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: Any) -> Any:
        view: Any = self
        if request.method == "POST":
            item = view.datamodel.get(pk)
            if item is None:
                abort(404)
            try:
                person_service.check_version(item, request.form.get("version"))
            except person_service.ConflictError:
                form = view.edit_form.refresh(request.form)
                flash(
                    person_service.conflict_message(
                        item.person_id, self.conflict_subject, self._change_detail(item)
                    ),
                    "danger",
                )
                widgets = view._get_edit_widget(form=form, exclude_cols=[])
                return view.render_template(
                    view.edit_template, title=view.edit_title, widgets=widgets
                )
        widgets = view._edit(pk)
        if not widgets:
            return view.post_edit_redirect()
        return view.render_template(
            view.edit_template,
            title=view.edit_title,
            widgets=widgets,
            related_views=view._related_views,
        )


class ContactNoteView(VersionedEditMixin, ScopedModelView):
    """Beratungsvermerke — every counselling contact (R-3.1)."""

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
    edit_columns = [
        "date",
        "duration_minutes",
        "interpreter_used",
        "summary",
        "result",
        "education_system",
        "return_counselling",
        "version",
    ]
    conflict_subject = "Der Beratungsvermerk"
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

    @expose("/add", methods=["GET"])
    @has_access
    def add(self) -> Any:
        """Notes are documented from the person's page (no dropdown of all persons)."""
        flash("Bitte öffnen Sie die Fallakte der Person und dokumentieren Sie dort.", "info")
        return redirect(url_for("PersonView.list"))

    @expose("/document/<int:person_id>", methods=["POST"])
    @has_access
    def document(self, person_id: int) -> Any:
        """Kontakt dokumentieren — the short form on the person's page (one POST)."""
        person = _person_or_404(person_id)
        person_id = person.id  # the commit expires ``person``: no reload for the redirect
        form = note_form(formdata=request.form)
        form.validate()
        topics = request.form.getlist("topics")
        partner_raw = form.partner_id.data or ""
        partner_text = (request.form.get("partner_search") or "").strip()
        errors: dict[str, list[str]] = {}
        if not partner_raw and partner_text:
            # typed, but not picked from the suggestions (or no JavaScript): the name decides
            found = partner_from_label(partner_text)
            if found is None:
                errors["partner_id"] = [
                    f"Netzwerkpartner „{partner_text}“ nicht eindeutig gefunden – bitte aus den "
                    "Vorschlägen wählen oder das Feld leeren."
                ]
            else:
                partner_raw = str(found)
        try:
            if errors or any(f.errors for f in form):
                raise ContactValidationError(errors)
            document_contact(
                person,
                actor=_current_user(),
                date=form.date.data,
                kind=form.kind.data or "individual",
                topics=topics,
                duration_minutes=form.duration_minutes.data,
                interpreter_used=bool(form.interpreter_used.data),
                summary=form.summary.data or "",
                result=form.result.data,
                education_system=bool(form.education_system.data),
                return_counselling=bool(form.return_counselling.data),
                partner_id=int(partner_raw) if partner_raw.isdigit() else None,
                follow_up_on=form.follow_up_on.data,
                follow_up_title=form.follow_up_title.data,
            )
        except ContactValidationError as exc:
            errors = exc.errors
        if errors or any(f.errors for f in form):
            _apply_form_errors(form, {k: v for k, v in errors.items() if k != "topics"})
            flash(
                "Der Vermerk wurde nicht gespeichert. Bitte prüfen Sie die markierten Felder.",
                "danger",
            )
            return (
                self.render_template(
                    PersonView.show_template,
                    title=f"Fallakte {person.full_name}",
                    note_form=form,
                    partner_label=_partner_label(partner_raw) or partner_text,
                    selected_topics=topics,
                    topic_errors=errors.get("topics", []),
                    **casefile_context(person),
                ),
                422,
            )
        flash("Der Beratungsvermerk wurde gespeichert.", "success")
        return redirect(url_for("PersonView.show", pk=person_id) + "#zeitstrahl")


# ---------------------------------------------------------------- group sessions
class GroupSessionView(ScopedModelView):
    """Gruppenberatungen — one session, many participants (R-3.2)."""

    datamodel = SQLAInterface(GroupSession)
    class_permission_name = matrix.GROUP_SESSION
    list_title = _l("Gruppenberatungen")
    show_title = _l("Gruppenberatung")
    add_title = _l("Gruppenberatung dokumentieren")
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
            except ContactValidationError as exc:
                participant_errors = exc.errors.pop("participant_ids", [])
                _apply_form_errors(form, exc.errors)
            else:
                flash("Die Gruppenberatung wurde gespeichert.", "success")
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
class MyFollowUpView(ScopedModelView):
    """Meine Wiedervorlagen — open follow-ups of the signed-in user (R-3.4)."""

    datamodel = EagerSQLAInterface(FollowUp, FollowUp.person)
    class_permission_name = matrix.FOLLOW_UP
    list_title = _l("Meine Wiedervorlagen")
    list_columns = ["due_on", "person", "title"]
    show_columns = ["due_on", "person", "title", "done_on", "source"]
    add_columns = edit_columns = ["due_on", "title"]
    label_columns = {
        "due_on": _l("Fällig am"),
        "person": _l("Person"),
        "title": _l("Betreff"),
        "done_on": _l("Erledigt am"),
        "source": _l("Herkunft"),
    }
    base_order = ("due_on", "asc")

    @expose("/list/", methods=["GET"])
    @has_access
    def list(self) -> Any:
        """Overdue, due today and upcoming follow-ups of the current user."""
        buckets = my_open_follow_ups(_current_user().id)
        return self.render_template(
            "casefile/follow_ups.html",
            title=self.list_title,
            buckets=buckets,
            fmt_date=_fmt_date,
        )

    @expose("/add", methods=["GET"])
    @has_access
    def add(self) -> Any:
        """Follow-ups are set from the person's page."""
        flash("Wiedervorlagen legen Sie beim Dokumentieren auf der Fallakte an.", "info")
        return redirect(url_for("MyFollowUpView.list"))

    @expose("/done/<int:pk>", methods=["POST"])
    @has_access
    def done(self, pk: int) -> Response:
        """Mark a follow-up as done (POST with CSRF token)."""
        follow_up = db.session.scalars(select(FollowUp).where(FollowUp.id == pk)).one_or_none()
        if follow_up is None:
            abort(404)
        if complete_follow_up(follow_up, actor=_current_user()):
            flash(f"„{follow_up.title}“ ist erledigt.", "success")
        target = request.form.get("next") or ""
        if target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect(url_for("MyFollowUpView.list"))


class ReferralView(ScopedModelView):
    """Vermittlungen an Netzwerkpartner (R-6.2)."""

    datamodel = EagerSQLAInterface(Referral, Referral.person, Referral.partner)
    class_permission_name = matrix.REFERRAL
    list_title = _l("Vermittlungen")
    list_columns = ["date", "person", "partner", "topic_code"]
    search_columns = ["date", "topic_code"]
    # person and partner stay as documented: no select over the whole person table or
    # partner directory (a referral is made from the case file's note form)
    edit_columns = ["date", "topic_code", "note"]
    label_columns = {
        "date": _l("Datum"),
        "person": _l("Person"),
        "partner": _l("Netzwerkpartner"),
        "topic_code": _l("Thema"),
        "note": _l("Anmerkung"),
    }

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """Referrals are made from the person's page (partner search, no person dropdown)."""
        flash(
            "Bitte öffnen Sie die Fallakte der Person und vermitteln Sie beim Dokumentieren "
            "des Kontakts.",
            "info",
        )
        return redirect(url_for("PersonView.list"))


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
    """Register the case-file views."""
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
    for view in SUB_RECORD_VIEWS:
        appbuilder.add_view_no_menu(view)
    appbuilder.add_view(
        AccessLogView,
        "Zugriffsprotokoll",
        label=_l("Zugriffsprotokoll"),
        icon="fa-history",
        category=matrix.MENU_ADMINISTRATION,
    )

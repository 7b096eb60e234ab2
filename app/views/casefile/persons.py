"""Personen — the case file page (Fallakte), person form, household, duplicates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import (
    Accommodation,
    Employment,
    FollowUp,
    IntegrationCourse,
    MsaUser,
    Person,
    PersonDegree,
    PersonLanguage,
    PersonVulnerability,
)
from app.models.person import READING_ABILITY_LABELS
from app.security import duplicate_throttle, matrix
from app.services.bundle import Bundle
from app.services.casefile import persons as person_service
from app.services.casefile.client_language import language_hint
from app.services.casefile.desk import without_contact
from app.services.casefile.duplicates import find_duplicates
from app.services.casefile.search import search_persons
from app.services.data_protection.access_log import log_access, log_accesses
from app.services.errors import DomainError
from app.services.intake.duplicates import (
    known_elsewhere,
    log_check,
    log_refused_check,
    provider_names,
)
from app.views import hub
from app.views.base import ScopedModelView
from app.views.casefile.common import (
    AUTOCOMPLETE_LIMIT,
    PERSON_LABELS,
    _apply_form_errors,
    _can,
    _current_user,
    _fmt_date,
    _nationality_label,
    _person_or_404,
    note_form,
)
from app.views.casefile.forms import (
    BLANK,
    PersonForm,
)


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


def _person_input(form: PersonForm, person: Person | None = None) -> dict[str, Any] | None:
    """The submitted person (a new one, or the changes of ``person``), checked by the verb's
    rules (nothing written); German errors at the fields, None when refused. A field the form
    could not read (a date) keeps its own message and is not sent to the verb."""
    form.validate()
    data = form.person_data()
    for key in ("accommodation_id", "caseworker_id"):
        value = (getattr(form, key).data or "").strip()
        data[key] = int(value) if value.isdigit() else (value or None)
    unread = {n for n in form.PERSON_FIELDS if getattr(form, n).errors}
    org = person.organisation_id if person is not None else _current_user().organisation_id
    try:
        person_service.check_person(
            {k: v for k, v in data.items() if k not in unread},
            organisation_id=org,
            current=person,
        )
    except DomainError as exc:
        _apply_form_errors(form, {k: v for k, v in exc.errors.items() if k not in unread})
        return None
    return None if unread else data


def _is_reviewer() -> bool:
    user = g.get("user")
    return bool(user) and any(r.name == matrix.ROLE_REVIEWER for r in getattr(user, "roles", []))


def log_reviewer_reads(person_ids: list[int], detail: str) -> None:
    """Access-log a reviewer's (Prüfer) read of persons in a list or search (one INSERT)."""
    if person_ids and _is_reviewer():
        log_accesses([(pid, "read", "case_file", detail) for pid in person_ids])


class _WithoutContact(BaseFilter):
    """The landing tile's filter: own persons without a note for 8 weeks (value: the user)."""

    name = "ohne Kontakt seit 8 Wochen"
    arg_name = "ohne_kontakt"

    def apply(self, query: Any, value: Any) -> Any:
        return query.filter(*without_contact(int(value), dt.date.today()))


#: the query argument of the tile "Eigene Personen ohne Kontakt seit 8 Wochen"
WITHOUT_CONTACT_ARG = "ohne_kontakt"


class PersonView(ScopedModelView):
    """Personen — the case files of the own provider (R-2.1)."""

    datamodel = SQLAInterface(Person)
    class_permission_name = matrix.PERSON
    list_title = _l("Personen")
    show_title = _l("Fallakte")
    add_title = _l("Person anlegen")
    edit_title = _l("Fallakte bearbeiten")

    def pre_delete(self, item: Any) -> None:
        """Refuse deleting a person whose notes or case steps lie in a submitted quarter."""
        from app.services.statistics.periods import check_person_deletable

        check_person_deletable(db.session, item)

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
            note_form=note_form(person=person),
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
        known_at: list[str] = []
        if request.method == "GET":
            form.caseworker_id.data = str(_current_user().id)
        elif (data := _person_input(form)) is not None:
            # the check runs on a valid form only, within the account's budget, and is
            # access-logged hit or miss (app.security.duplicate_throttle); a confirmed create
            # does not ask again
            elsewhere: list[Any] = []
            throttled = False
            if not form.confirm_duplicate.data:
                throttled = not duplicate_throttle.allow(_current_user())
                if throttled:
                    log_refused_check("Browser")
                    flash(duplicate_throttle.MESSAGE, "danger")
                else:
                    duplicates = find_duplicates(
                        data["first_name"], data["last_name"], data["birth_date"]
                    )
                    # known at another provider — its name only
                    elsewhere = known_elsewhere(
                        data["first_name"],
                        data["last_name"],
                        data["birth_date"],
                        organisation_id=_current_user().organisation_id,
                    )
                    known_at = provider_names(elsewhere)
                    log_check(elsewhere, "Browser", own_hits=len(duplicates))
            if throttled:
                pass
            elif duplicates or elsewhere:
                flash(
                    "Möglicherweise gibt es diese Person schon (gleiches Geburtsdatum, ähnlicher "
                    "Name). Bitte prüfen Sie die Treffer; wenn es eine andere Person ist, "
                    "bestätigen Sie mit „Trotzdem anlegen“.",
                    "warning",
                )
            else:
                try:
                    person = person_service.create_person(data, actor=_current_user())
                except DomainError as exc:
                    _apply_form_errors(form, dict(exc.errors))
                else:
                    flash(f"{person.full_name} wurde angelegt.", "success")
                    return redirect(url_for("PersonView.show", pk=person.id))
        return self.render_template(
            self.form_template,
            title=self.add_title,
            form=form,
            duplicates=duplicates,
            known_at=known_at,
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
            data = _person_input(form, person)
            if data is not None:
                try:
                    person_service.update_person(
                        person, actor=_current_user(), changes=data, version=form.version.data
                    )
                except DomainError as exc:
                    db.session.rollback()
                    if exc.key == "version.conflict":
                        person = _person_or_404(pk)
                        flash(exc.message, "danger")
                    else:
                        _apply_form_errors(form, {k: v for k, v in exc.errors.items() if k})
                else:
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
                    + (" – weggezogen" if h.moved_away_on else "")
                    + (" – ähnliche Schreibweise" if h.similar else ""),
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

    def _get_list_widget(self, filters: Any, **kwargs: Any) -> Any:
        """FAB's list; with ``?ohne_kontakt=1`` only the rows the landing tile counts."""
        if request.args.get(WITHOUT_CONTACT_ARG) == "1":
            filters = filters.copy()
            filters.add_filter("id", _WithoutContact, _current_user().id)
        return super()._get_list_widget(filters, **kwargs)

    @expose("/list/")
    @has_access
    def list(self) -> Any:
        """Personen — FAB's list; a reviewer's read of the list is access-logged."""
        self.update_redirect()
        widgets = self._list()
        without_contact_only = request.args.get(WITHOUT_CONTACT_ARG) == "1"
        body = self.render_template(
            self.list_template,
            title="Eigene Personen ohne Kontakt seit 8 Wochen"
            if without_contact_only
            else self.list_title,
            widgets=widgets,
            without_contact_only=without_contact_only,
        )
        pks = widgets["list"].template_args.get("pks") or []
        log_reviewer_reads([int(pk) for pk in pks], "Personenliste")
        return body

    @expose("/household/<int:pk>", methods=["POST"])
    @has_access
    def household(self, pk: int) -> Response:
        """Add a person to this person's household, or leave the household."""
        person = _person_or_404(pk)
        if request.form.get("leave"):
            person_service.leave_household(person, actor=_current_user())
            flash("Die Person wurde aus dem Haushalt genommen.", "success")
        else:
            member = _person_or_404(request.form.get("member_id"))
            try:
                person_service.link_household(member, person, actor=_current_user())
            except DomainError as exc:
                flash(exc.message, "danger")
            else:
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
    shown = hub.timeline_limit()
    events = hub.timeline(person, data)
    return {
        "person": person,
        "lbl": person_service.label,
        "reading_label": lambda code: READING_ABILITY_LABELS.get(code or "", ""),
        "language_hint": language_hint(person),
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
        "timeline": events[:shown],
        "timeline_more": len(events) > shown,
        "timeline_next": shown + hub.TIMELINE_PAGE,
        "counselling_ended": bool(
            person.counselling_ends_on and person.counselling_ends_on < today
        ),
        "hub_sections": hub.section_contexts(person, visible, data),
        "topic_choices": person_service.catalogue_choices("contact_topic"),
        "can_write": _can("can_write", matrix.PERSON),
        "can_note": _can("can_write", matrix.CONTACT_NOTE),
        "can_follow_up": _can("can_write", matrix.FOLLOW_UP),
    }

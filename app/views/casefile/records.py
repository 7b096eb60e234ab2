"""Sub-records of a case file: languages, degrees, employment, courses, vulnerabilities, the
children's Kita, school and Hort places."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import SelectField, TextAreaField

from app.extensions import db
from app.models import (
    ChildPlace,
    Employment,
    IntegrationCourse,
    Person,
    PersonDegree,
    PersonLanguage,
    PersonVulnerability,
)
from app.models.person import CHILD_PLACE_KINDS, CHILD_PLACE_STATES
from app.security import matrix
from app.services.casefile.records import KINDS, check_record, create_record, update_record
from app.services.errors import DomainError
from app.views.base import ScopedModelView
from app.views.casefile.common import (
    _apply_form_errors,
    _current_user,
    _optional_checkbox,
    _person_or_404,
)
from app.views.casefile.forms import BLANK, GermanIntegerField, catalogue_select


# ---------------------------------------------------------------- sub-records
class SubRecordView(ScopedModelView):
    """Base of the case file's sub-records: the person comes from ``?person_id=`` or the row.

    FAB's add and edit forms (with the German date field for every date) collect the input;
    the record's verb (app.services.casefile.records) checks and writes it. Never shows a
    dropdown of persons; after saving it returns to the person's page.
    """

    class_permission_name = matrix.PERSON
    form_template = "casefile/subrecord_form.html"
    # no delete route (inherited): a wrong profile entry is corrected by editing it,
    # and the whole case file leaves only through the retention procedure
    add_template = edit_template = form_template

    #: the kind of sub-record (app.services.casefile.records.KINDS)
    record_kind: ClassVar[str]

    def _person_from_args(self) -> Person:
        return _person_or_404(request.args.get("person_id"))

    def _read(self, form: Any, columns: list[str]) -> tuple[dict[str, Any], set[str]]:
        """The values of the form as the verb takes them, and the fields the form could not
        read (a date that is none: its German message stays at the field). The fields' own
        validators are not the rules: the verb gives every refusal, with its message."""
        form.validate()
        unread: set[str] = set()
        for field in form:
            if field.name == "csrf_token":
                unread.update({field.name} if field.errors else set())
                continue
            field.errors = list(field.process_errors)
            if field.errors:
                unread.add(field.name)
        values = {n: form[n].data for n in columns if n in form and n not in unread}
        return values, unread

    #: the anchor of the case file page the form returns to
    return_anchor: ClassVar[str] = "#profil"

    def _saved(self, person: Person) -> Response:
        flash(f"{KINDS[self.record_kind].name} gespeichert.", "success")
        back = request.args.get("zurueck", "")
        target = int(back) if back.isdigit() and len(back) < 12 else person.id
        return redirect(url_for("PersonView.show", pk=target) + self.return_anchor)

    def _refused(self, form: Any, exc: DomainError, unread: set[str]) -> None:
        db.session.rollback()
        _apply_form_errors(form, {k: v for k, v in exc.errors.items() if k and k not in unread})
        flash(f"{KINDS[self.record_kind].name} wurde nicht gespeichert. {exc.message}", "danger")

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """Add through the record's verb; a refusal keeps the input (422)."""
        person = self._person_from_args()
        form = self.add_form.refresh()
        status = 200
        if request.method == "POST":
            status = 422
            values, unread = self._read(form, self.add_columns)
            try:
                if unread:  # nothing is written; the other fields' problems are shown too
                    check_record(self.record_kind, values)
                else:
                    create_record(self.record_kind, person, actor=_current_user(), values=values)
                    return self._saved(person)
            except DomainError as exc:
                self._refused(form, exc, unread)
        widgets = self._get_add_widget(form=form)
        return (
            self.render_template(
                self.add_template, title=self.add_title, widgets=widgets, person=person
            ),
            status,
        )

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: Any) -> Any:
        """Change through the record's verb; a refusal keeps the input (422)."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        person = _person_or_404(item.person_id)
        status = 200
        if request.method == "GET":
            form = self.edit_form.refresh(obj=item)
        else:
            form = self.edit_form.refresh(request.form)
            status = 422
            changes, unread = self._read(form, self.edit_columns)
            try:
                if unread:  # nothing is written; the other fields' problems are shown too
                    current = {n: getattr(item, n) for n in KINDS[self.record_kind].rules}
                    check_record(self.record_kind, {**current, **changes})
                else:
                    update_record(item, actor=_current_user(), changes=changes)
                    return self._saved(person)
            except DomainError as exc:
                self._refused(form, exc, unread)
        widgets = self._get_edit_widget(form=form)
        return (
            self.render_template(
                self.edit_template, title=self.edit_title, widgets=widgets, person=person
            ),
            status,
        )


class PersonLanguageView(SubRecordView):
    """Sprachkenntnisse (GER)."""

    record_kind = "language"
    datamodel = SQLAInterface(PersonLanguage)
    add_title = _l("Sprachkenntnis hinzufügen")
    list_title = _l("Sprachkenntnisse")
    show_title = _l("Sprachkenntnis")
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

    record_kind = "degree"
    datamodel = SQLAInterface(PersonDegree)
    add_title = _l("Abschluss hinzufügen")
    list_title = _l("Abschlüsse")
    show_title = _l("Abschluss")
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
        # German parse message; the range is the verb's rule
        "year": GermanIntegerField("Jahr"),
    }


class EmploymentView(SubRecordView):
    """Beruflicher Werdegang."""

    record_kind = "employment"
    datamodel = SQLAInterface(Employment)
    add_title = _l("Tätigkeit hinzufügen")
    list_title = _l("Tätigkeiten")
    show_title = _l("Tätigkeit")
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

    record_kind = "course"
    datamodel = SQLAInterface(IntegrationCourse)
    add_title = _l("Integrationskurs hinzufügen")
    list_title = _l("Integrationskurse")
    show_title = _l("Integrationskurs")
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

    record_kind = "vulnerability"
    datamodel = SQLAInterface(PersonVulnerability)
    add_title = _l("Vulnerabilität hinzufügen")
    list_title = _l("Vulnerabilitäten")
    show_title = _l("Vulnerabilität")
    edit_title = _l("Vulnerabilität bearbeiten")
    list_columns = add_columns = edit_columns = ["code", "note"]
    label_columns = {"code": _l("Schutzbedarf"), "note": _l("Bemerkung")}
    add_form_extra_fields = edit_form_extra_fields = {
        "code": catalogue_select("Schutzbedarf", "vulnerability", required=True),
    }


def _place_type_choices() -> list[tuple[str, str]]:
    from app.services.casefile.persons import catalogue_choices

    return [
        BLANK,
        *((c, f"Kita/Hort: {label}") for c, label in catalogue_choices("childcare_type")),
        *((c, f"Schule: {label}") for c, label in catalogue_choices("school_type")),
    ]


def _place_partner_choices() -> list[tuple[str, str]]:
    from app.services.casefile.child_places import partner_choices

    return [("", "– keine aus dem Verzeichnis –")] + [
        (str(pid), name) for pid, name in partner_choices()
    ]


class ChildPlaceView(SubRecordView):
    """Kita-, Schul- und Hortplätze eines Kindes (Fachkonzept §3.1.2)."""

    record_kind = "child_place"
    return_anchor = "#kinder"
    datamodel = SQLAInterface(ChildPlace)
    add_title = _l("Kita-, Schul- oder Hortplatz erfassen")
    list_title = _l("Kita-, Schul- und Hortplätze")
    show_title = _l("Kita-, Schul- oder Hortplatz")
    edit_title = _l("Kita-, Schul- oder Hortplatz bearbeiten")
    list_columns = add_columns = edit_columns = [
        "kind",
        "type_code",
        "state",
        "requested_on",
        "offered_on",
        "attending_from",
        "ended_on",
        "partner_id",
        "institution",
        "notes",
    ]
    label_columns = {
        "kind": _l("Platz"),
        "type_code": _l("Art"),
        "state": _l("Stand"),
        "requested_on": _l("beantragt am"),
        "offered_on": _l("angeboten am"),
        "attending_from": _l("besucht ab"),
        "ended_on": _l("beendet am"),
        "partner_id": _l("Einrichtung aus dem Partnerverzeichnis"),
        "institution": _l("Einrichtung (freie Angabe)"),
        "notes": _l("Bemerkungen"),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(
            "Platz",
            choices=[(k, v) for k, v in CHILD_PLACE_KINDS.items()],
            validate_choice=False,
        ),
        "type_code": SelectField("Art", choices=_place_type_choices, validate_choice=False),
        "state": SelectField(
            "Stand",
            choices=[(k, v) for k, v in CHILD_PLACE_STATES.items()],
            validate_choice=False,
        ),
        "partner_id": SelectField(
            "Einrichtung aus dem Partnerverzeichnis",
            choices=_place_partner_choices,
            validate_choice=False,
            coerce=lambda v: "" if v is None else str(v),
        ),
        "notes": TextAreaField("Bemerkungen"),
    }


SUB_RECORD_VIEWS = (
    PersonLanguageView,
    PersonDegreeView,
    EmploymentView,
    IntegrationCourseView,
    PersonVulnerabilityView,
    ChildPlaceView,
)

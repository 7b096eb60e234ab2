"""Sub-records of a case file: languages, degrees, employment, courses, vulnerabilities."""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l

from app.models import (
    Employment,
    IntegrationCourse,
    Person,
    PersonDegree,
    PersonLanguage,
    PersonVulnerability,
)
from app.security import matrix
from app.views.base import ScopedModelView
from app.views.casefile.common import _optional_checkbox, _person_or_404
from app.views.casefile.forms import (
    catalogue_select,
)


# ---------------------------------------------------------------- sub-records
class SubRecordView(ScopedModelView):
    """Base of the case file's sub-records: the person comes from ``?person_id=`` or the row.

    Never shows a dropdown of persons; after saving it returns to the person's page.
    """

    class_permission_name = matrix.PERSON
    form_template = "casefile/subrecord_form.html"
    # no delete route (inherited, issue 16): a wrong profile entry is corrected by editing it,
    # and the whole case file leaves only through the retention procedure
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

    def pre_add(self, item: Any) -> None:
        person: Person = g.msa_person
        item.person_id = person.id
        item.organisation_id = person.organisation_id


class PersonLanguageView(SubRecordView):
    """Sprachkenntnisse (GER)."""

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
    }


class EmploymentView(SubRecordView):
    """Beruflicher Werdegang."""

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


SUB_RECORD_VIEWS = (
    PersonLanguageView,
    PersonDegreeView,
    EmploymentView,
    IntegrationCourseView,
    PersonVulnerabilityView,
)

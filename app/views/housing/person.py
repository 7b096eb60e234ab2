"""Wohnen page of a person (reports, move procedure, CV) and the CV download."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_appbuilder import BaseView, expose, has_access
from werkzeug.wrappers import Response

from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.views.housing.common import _cv_file, _person
from app.views.hub import (
    HUB_SECTIONS,
    run_section,
)


class HousingView(BaseView):
    """Wohnen — a person's social reports, move procedure and CV on one page."""

    route_base = "/wohnen"
    class_permission_name = matrix.SOCIAL_REPORT
    method_permission_name = READ_WRITE_METHODS
    default_view = "show"

    @expose("/person/<int:person_id>")
    @has_access
    def show(self, person_id: int) -> Any:
        """Show the housing section of the case file for one person."""
        person = _person(person_id)
        if person is None:
            abort(404)
        return self.render_template(
            "housing/person.html",
            person=person,
            section_ctx=run_section(HUB_SECTIONS["housing"], person),
            title="Wohnen und Dokumente",
        )


class CvView(BaseView):
    """Lebenslauf — download as PDF or DOCX."""

    route_base = "/lebenslauf"
    class_permission_name = matrix.PERSON
    method_permission_name = READ_WRITE_METHODS
    default_view = "cv"

    @expose("/<int:person_id>/<any(pdf, docx):fmt>")
    @has_access
    def cv(self, person_id: int, fmt: str) -> Response:
        """Download the CV of a person."""
        person = _person(person_id)
        if person is None:
            abort(404)
        return _cv_file(person, fmt)

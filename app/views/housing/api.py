"""REST: social reports (/api/v1/socialreport/) and the CV (/api/v1/person/<id>/cv/…)."""

from __future__ import annotations

from flask import request
from flask_appbuilder import expose
from flask_appbuilder.api import BaseApi, protect, safe
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import SocialReport
from app.models.housing import FinalisedRecordError
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.data_protection.access_log import log_access
from app.services.housing import social_report as reports
from app.views.housing.common import (
    _criteria_from_payload,
    _cv_file,
    _person,
    _report,
    _report_file,
    _user,
    report_json,
)


class SocialReportApi(BaseApi):
    """REST: /api/v1/socialreport/ — drafts, finalising, versions, PDF and DOCX (R-5.1/5.2)."""

    resource_name = "socialreport"
    class_permission_name = matrix.SOCIAL_REPORT
    method_permission_name = READ_WRITE_METHODS
    allow_browser_login = False
    openapi_spec_tag = "Sozialbericht"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self) -> Response:
        """List report versions (optionally ``?person_id=``)."""
        query = select(SocialReport).order_by(SocialReport.id.desc()).limit(500)
        person_id = request.args.get("person_id", type=int)
        if person_id is not None:
            query = query.where(SocialReport.person_id == person_id)
        result = [report_json(r) for r in db.session.scalars(query)]
        return self.response(200, count=len(result), result=result)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self) -> Response:
        """Create a draft: {"person_id", "criteria": {code: text}, "recommendation"}."""
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self.response_400(message="JSON-Objekt erwartet")
        person_id = payload.get("person_id")
        if not isinstance(person_id, int) or isinstance(person_id, bool):
            return self.response_400(message={"person_id": ["Pflichtfeld (Zahl)"]})
        person = _person(person_id)
        if person is None:
            return self.response_404()
        try:
            report = reports.create_draft(
                person,
                author=_user(),
                assessments=_criteria_from_payload(payload),
                recommendation=payload.get("recommendation"),
                use_prefill=bool(payload.get("prefill", True)),
            )
        except reports.ReportError as exc:
            return self.response_400(message={exc.field or "criteria": [str(exc)]})
        return self.response(201, id=report.id, result=report_json(report))

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk: int) -> Response:
        """Show one report version."""
        report = _report(pk)
        if report is None:
            return self.response_404()
        log_access(report.person_id, "read", detail=f"Sozialbericht Version {report.number}")
        return self.response(200, id=report.id, result=report_json(report))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    def put(self, pk: int) -> Response:
        """Change a draft; a finalised version is refused with 409 (use new_version)."""
        report = _report(pk)
        if report is None:
            return self.response_404()
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self.response_400(message="JSON-Objekt erwartet")
        if report.is_final:
            return self.response(
                409,
                message="Der Sozialbericht ist abgeschlossen und kann nicht geändert werden. "
                "Legen Sie mit POST …/new_version eine neue Version an.",
            )
        if "version" in payload and payload["version"] != report.version:
            return self.response(409, message="Der Sozialbericht wurde inzwischen geändert")
        rec = payload.get("recommendation")
        if rec is not None and not isinstance(rec, str):
            return self.response_400(message={"recommendation": ["Text erwartet"]})
        try:
            reports.update_draft(
                report,
                author=_user(),
                assessments=_criteria_from_payload(payload),
                recommendation=rec,
            )
        except reports.ReportError as exc:
            db.session.rollback()
            return self.response_400(message={exc.field or "criteria": [str(exc)]})
        return self.response(200, id=report.id, result=report_json(report))

    @expose("/<int:pk>/finalise", methods=["POST"])
    @protect()
    @safe
    def finalise(self, pk: int) -> Response:
        """Freeze the draft: store PDF, SHA-256 and author; it can never change again."""
        report = _report(pk)
        if report is None:
            return self.response_404()
        try:
            reports.finalise(report, author=_user())
        except FinalisedRecordError as exc:
            db.session.rollback()
            return self.response(409, message=str(exc))
        except reports.ReportError as exc:
            db.session.rollback()
            return self.response_400(message=str(exc))
        return self.response(200, id=report.id, result=report_json(report))

    @expose("/<int:pk>/new_version", methods=["POST"])
    @protect()
    @safe
    def new_version(self, pk: int) -> Response:
        """Start a new draft version from a finalised one."""
        report = _report(pk)
        if report is None:
            return self.response_404()
        try:
            draft = reports.new_version(report, author=_user())
        except reports.ReportError as exc:
            return self.response_400(message=str(exc))
        return self.response(201, id=draft.id, result=report_json(draft))

    @expose("/<int:pk>/pdf", methods=["GET"])
    @protect()
    @safe
    def pdf(self, pk: int) -> Response:
        """Download the PDF (stored file of a final version)."""
        report = _report(pk)
        if report is None:
            return self.response_404()
        return _report_file(report, "pdf")

    @expose("/<int:pk>/docx", methods=["GET"])
    @protect()
    @safe
    def docx(self, pk: int) -> Response:
        """Download the DOCX (for editing in a word processor)."""
        report = _report(pk)
        if report is None:
            return self.response_404()
        return _report_file(report, "docx")


class PersonCvApi(BaseApi):
    """REST: /api/v1/person/<id>/cv/pdf and /docx — the Lebenslauf (R-5.4)."""

    resource_name = "person"
    class_permission_name = matrix.PERSON
    method_permission_name = READ_WRITE_METHODS
    allow_browser_login = False
    openapi_spec_tag = "Lebenslauf"

    @expose("/<int:pk>/cv/<any(pdf, docx):fmt>", methods=["GET"])
    @protect()
    @safe
    def cv(self, pk: int, fmt: str) -> Response:
        """Download the CV of a person as PDF or DOCX."""
        person = _person(pk)
        if person is None:
            return self.response_404()
        return _cv_file(person, fmt)


# ------------------------------------------------------------------ UI pages

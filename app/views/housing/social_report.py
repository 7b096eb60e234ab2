"""Sozialbericht pages: draft, finalise, new version, download; the list of all versions."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Person, SocialReport
from app.models.housing import FinalisedRecordError
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.data_protection.access_log import log_access
from app.services.housing import social_report as reports
from app.views.base import READ_ONLY_ROUTES, MsaModelView
from app.views.housing.common import _person, _report, _report_file, _user


class SocialReportView(BaseView):
    """Sozialbericht — write the draft, finalise it, start a new version, download."""

    route_base = "/sozialbericht"
    class_permission_name = matrix.SOCIAL_REPORT
    method_permission_name = READ_WRITE_METHODS
    default_view = "add"

    @expose("/neu", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """Pick a person (search by name or Aktenzeichen) and create a prefilled draft."""
        if request.method == "POST":
            person = _person(request.form.get("person_id", type=int) or 0)
            if person is None:
                abort(404)
            report = reports.create_draft(person, author=_user())
            flash("Entwurf des Sozialberichts angelegt und aus der Fallakte vorbelegt.", "info")
            return redirect(url_for("SocialReportView.edit", pk=report.id))
        q = (request.args.get("q") or "").strip()
        found: list[Person] = []
        preselected = request.args.get("person_id", type=int)
        if preselected:
            person = _person(preselected)
            found = [person] if person else []
        elif q:
            like = f"%{q}%"
            found = list(
                db.session.scalars(
                    select(Person)
                    .where(
                        or_(
                            Person.last_name.ilike(like),
                            Person.first_name.ilike(like),
                            Person.file_number.ilike(like),
                        ),
                        Person.moved_away_on.is_(None),
                    )
                    .order_by(Person.last_name, Person.first_name)
                    .limit(20)
                )
            )
        return self.render_template(
            "housing/report_new.html", q=q, found=found, title="Neuer Sozialbericht"
        )

    def _edit_page(
        self, report: SocialReport, values: dict[str, str], rec: str, errors: dict[str, str]
    ) -> Any:
        return self.render_template(
            "housing/report_edit.html",
            report=report,
            person=report.person,
            criteria=reports.criteria(),
            values=values,
            recommendation=rec,
            errors=errors,
            suggestions=reports.suggestions(report.person_id),
            title="Sozialbericht bearbeiten",
        )

    @expose("/<int:pk>/bearbeiten", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int) -> Any:
        """Edit the draft; a finalised version is shown read-only and cannot be saved."""
        report = _report(pk)
        if report is None:
            abort(404)
        if report.is_final:
            flash(
                "Dieser Sozialbericht ist abgeschlossen und kann nicht geändert werden. "
                "Legen Sie eine neue Version an.",
                "danger",
            )
            return redirect(url_for("SocialReportView.show", pk=pk))
        if request.method == "GET":
            return self._edit_page(
                report, dict(report.assessments or {}), report.recommendation or "", {}
            )
        codes = [code for code, _ in reports.criteria()]
        values = {code: request.form.get(f"criterion_{code}", "") for code in codes}
        rec = request.form.get("recommendation", "")
        try:
            reports.update_draft(report, author=_user(), assessments=values, recommendation=rec)
        except reports.ReportError as exc:
            db.session.rollback()
            return self._edit_page(report, values, rec, {exc.field or "recommendation": str(exc)})
        if request.form.get("action") == "finalise":
            return self._finalise(report)
        flash("Entwurf gespeichert.", "info")
        return redirect(url_for("SocialReportView.edit", pk=pk))

    def _finalise(self, report: SocialReport) -> Response:
        try:
            reports.finalise(report, author=_user())
        except (reports.ReportError, FinalisedRecordError) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("SocialReportView.edit", pk=report.id))
        flash(
            "Sozialbericht abgeschlossen (Endfassung). Er kann nicht mehr geändert werden.", "info"
        )
        return redirect(url_for("SocialReportView.show", pk=report.id))

    @expose("/<int:pk>/abschliessen", methods=["POST"])
    @has_access
    def finalise(self, pk: int) -> Response:
        """Finalise the draft (Endfassung)."""
        report = _report(pk)
        if report is None:
            abort(404)
        return self._finalise(report)

    @expose("/<int:pk>/neue-version", methods=["POST"])
    @has_access
    def new_version(self, pk: int) -> Response:
        """Start a new draft version from a finalised report."""
        report = _report(pk)
        if report is None:
            abort(404)
        try:
            draft = reports.new_version(report, author=_user())
        except reports.ReportError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("SocialReportView.show", pk=pk))
        flash(f"Version {draft.number} als Entwurf angelegt.", "info")
        return redirect(url_for("SocialReportView.edit", pk=draft.id))

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int) -> Any:
        """Show one version with all versions of the same report."""
        report = _report(pk, with_person=True)
        if report is None:
            abort(404)
        versions = list(
            db.session.scalars(
                select(SocialReport)
                .where(SocialReport.series_id == report.series_id)
                .order_by(SocialReport.number.desc())
            )
        )
        body = self.render_template(
            "housing/report_show.html",
            report=report,
            person=report.person,
            criteria=reports.criteria(),
            versions=versions,
            title=f"Sozialbericht Version {report.number} – {report.person.full_name}",
        )
        # logged (and committed) after rendering: the commit would expire the rows shown;
        # no log row, no page
        log_access(report.person_id, "read", detail=f"Sozialbericht Version {report.number}")
        return body

    @expose("/<int:pk>/pdf")
    @has_access
    def pdf(self, pk: int) -> Response:
        """Download the PDF."""
        report = _report(pk, with_person=True)
        if report is None:
            abort(404)
        return _report_file(report, "pdf")

    @expose("/<int:pk>/docx")
    @has_access
    def docx(self, pk: int) -> Response:
        """Download the DOCX."""
        report = _report(pk, with_person=True)
        if report is None:
            abort(404)
        return _report_file(report, "docx")


REPORT_LABELS = {
    "person": _l("Person"),
    "number": _l("Version"),
    "status_label": _l("Status"),
    "author_name": _l("Verfasst von"),
    "finalised_at": _l("Abgeschlossen am"),
    "finalised_by_name": _l("Abgeschlossen von"),
    "recommendation": _l("Empfehlung"),
    "sha256": _l("Prüfsumme (SHA-256)"),
    "created_at": _l("Angelegt am"),
}


class SocialReportListView(MsaModelView):
    """Sozialberichte — all versions of the own provider (read-only list)."""

    datamodel = SQLAInterface(SocialReport)
    class_permission_name = matrix.SOCIAL_REPORT
    base_permissions = ["can_read"]
    #: read-only: no add, edit or delete route at all
    exclude_route_methods = READ_ONLY_ROUTES
    list_title = _l("Sozialberichte")
    show_title = _l("Sozialbericht (Angaben der Liste)")
    list_template = "housing/report_list.html"
    list_columns = ["person", "number", "status_label", "author_name", "finalised_at"]
    show_columns = [
        "person",
        "number",
        "status_label",
        "author_name",
        "recommendation",
        "finalised_at",
        "finalised_by_name",
        "sha256",
    ]
    search_columns = ["status", "finalised_at"]
    order_columns = ["number", "finalised_at"]
    base_order = ("id", "desc")
    label_columns = {**REPORT_LABELS, "status": _l("Status")}

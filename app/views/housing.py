"""Housing (R-5): Sozialbericht, Umzugsverfahren and Lebenslauf — UI pages, REST API, hub section.

Configuration and thin glue only; the rules live in app/services/social_report.py,
app/services/move_procedure.py and app/services/cv.py. Every lookup goes through the ORM, so
provider scoping (app/security/scoping.py) applies: another provider's record is simply not
found (404). Every document download is written to the access log.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import MoveProcedure, MoveStep, Person, SocialReport
from app.models.housing import REPORT_FINAL, TRACK_LABELS, FinalisedRecordError
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services import cv as cv_service
from app.services import move_procedure as moves
from app.services import social_report as reports
from app.services.access_log import log_access
from app.services.bundle import attach
from app.views.base import MsaModelView
from app.views.hub import (
    HUB_SECTIONS,
    HubSection,
    TimelineEvent,
    register_hub_section,
    register_timeline_source,
    run_section,
)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MIMETYPES = {"pdf": PDF, "docx": DOCX}


# ------------------------------------------------------------------ lookups (scoped by the ORM)


def _person(person_id: int) -> Person | None:
    return db.session.scalars(select(Person).where(Person.id == person_id)).first()


def _report(report_id: int, *, with_person: bool = False) -> SocialReport | None:
    stmt = select(SocialReport).where(SocialReport.id == report_id)
    if with_person:  # the documents read the person and the accommodation: one query
        stmt = stmt.options(joinedload(SocialReport.person).joinedload(Person.accommodation))
    return db.session.scalars(stmt).first()


def _procedure(procedure_id: int) -> MoveProcedure | None:
    return db.session.scalars(select(MoveProcedure).where(MoveProcedure.id == procedure_id)).first()


def _user() -> Any:
    return g.get("user")


def _send(data: bytes, fmt: str, name: str) -> Response:
    return send_file(
        io.BytesIO(data),
        mimetype=MIMETYPES[fmt],
        as_attachment=True,
        download_name=f"{name}.{fmt}",
        max_age=0,
    )


def _report_file(report: SocialReport, fmt: str) -> Response:
    data = reports.pdf_bytes(report) if fmt == "pdf" else reports.docx_bytes(report)
    # names first: the access-log commit expires the loaded rows (no reload just for them)
    ref = report.person.file_number or f"P-{report.person_id}"
    name = f"Sozialbericht_{ref}_v{report.number}"
    log_access(
        report.person_id,
        "document",
        detail=f"Sozialbericht {report.series_id} Version {report.number} ({fmt.upper()}, "
        f"{report.status_label})",
    )
    return _send(data, fmt, name)


def _cv_file(person: Person, fmt: str) -> Response:
    data = cv_service.cv_pdf(person) if fmt == "pdf" else cv_service.cv_docx(person)
    name = f"Lebenslauf_{person.file_number or person.id}"
    log_access(person.id, "document", detail=f"Lebenslauf ({fmt.upper()})")
    return _send(data, fmt, name)


def report_json(report: SocialReport) -> dict[str, Any]:
    """Return the API representation of one report version."""
    return {
        "id": report.id,
        "person_id": report.person_id,
        "series_id": report.series_id,
        "number": report.number,
        "status": report.status,
        "criteria": dict(report.assessments or {}),
        "recommendation": report.recommendation,
        "author": report.author_name,
        "finalised_at": report.finalised_at.isoformat() if report.finalised_at else None,
        "finalised_by": report.finalised_by_name,
        "sha256": report.sha256,
        "version": report.version,
    }


def _criteria_from_payload(payload: dict[str, Any]) -> dict[str, Any] | None:
    """Take criteria from ``criteria`` {code: text} and from top-level criterion keys."""
    found: dict[str, Any] = {}
    nested = payload.get("criteria")
    if nested is not None:
        if not isinstance(nested, dict):
            raise reports.ReportError("„criteria“ muss ein Objekt {Kriterium: Text} sein")
        found.update(nested)
    codes = {code for code, _ in reports.criteria()}
    found.update({k: v for k, v in payload.items() if k in codes})
    return found if (found or nested is not None) else None


# ------------------------------------------------------------------ REST API


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


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        try:
            return dt.datetime.strptime(value, "%d.%m.%Y").date()
        except ValueError:
            return None


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
            title="Sozialbericht",
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


class MoveProcedureView(BaseView):
    """Umzugsverfahren — start a track, record each step in order."""

    route_base = "/umzug"
    class_permission_name = matrix.MOVE_PROCEDURE
    method_permission_name = READ_WRITE_METHODS
    default_view = "show"

    @expose("/neu/<int:person_id>", methods=["POST"])
    @has_access
    def add(self, person_id: int) -> Response:
        """Start a move procedure on the chosen track."""
        person = _person(person_id)
        if person is None:
            abort(404)
        try:
            procedure = moves.start(person, request.form.get("track", ""), by=_user())
        except moves.MoveError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("HousingView.show", person_id=person_id))
        flash("Umzugsverfahren begonnen.", "info")
        return redirect(url_for("MoveProcedureView.show", pk=procedure.id))

    def _page(self, procedure: MoveProcedure, form: dict[str, str], error: str | None) -> Any:
        return self.render_template(
            "housing/move_show.html",
            procedure=procedure,
            person=procedure.person,
            labels={s.code: moves.step_label(procedure.track, s.code) for s in procedure.steps},
            next_step=moves.next_step(procedure),
            done=moves.progress(procedure),
            form=form,
            error=error,
            today=dt.date.today().isoformat(),
            title="Umzugsverfahren",
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int) -> Any:
        """Show the steps with dates and responsible parties."""
        procedure = _procedure(pk)
        if procedure is None:
            abort(404)
        return self._page(procedure, {}, None)

    @expose("/<int:pk>/schritt", methods=["POST"])
    @has_access
    def complete_step(self, pk: int) -> Any:
        """Record the next step as done (order and dates are checked by the service)."""
        procedure = _procedure(pk)
        if procedure is None:
            abort(404)
        form = {k: request.form.get(k, "") for k in ("code", "done_on", "responsible", "note")}
        form["moved_in_on"] = request.form.get("moved_in_on", "")
        done_on = _parse_date(form["done_on"])
        if done_on is None:
            return self._page(procedure, form, "Bitte ein gültiges Datum angeben (TT.MM.JJJJ).")
        try:
            moves.complete_step(
                procedure,
                form["code"],
                done_on=done_on,
                by=_user(),
                responsible=form["responsible"],
                note=form["note"],
                approved=request.form.get("approved", "yes") != "no",
                moved_in_on=_parse_date(form["moved_in_on"]),
            )
        except moves.MoveError as exc:
            db.session.rollback()
            return self._page(procedure, form, str(exc))
        flash("Schritt erledigt.", "info")
        return redirect(url_for("MoveProcedureView.show", pk=pk))


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
    list_title = _l("Sozialberichte")
    show_title = _l("Sozialbericht")
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


class MoveProcedureListView(MsaModelView):
    """Umzugsverfahren — all procedures of the own provider (read-only list)."""

    datamodel = SQLAInterface(MoveProcedure)
    class_permission_name = matrix.MOVE_PROCEDURE
    base_permissions = ["can_read"]
    list_title = _l("Umzugsverfahren")
    show_title = _l("Umzugsverfahren")
    list_template = "housing/move_list.html"
    list_columns = ["person", "track_label", "status_label", "started_on", "moved_in_on"]
    show_columns = list_columns
    search_columns = ["track", "status", "started_on"]
    order_columns = ["started_on", "moved_in_on"]
    base_order = ("started_on", "desc")
    label_columns = {
        "person": _l("Person"),
        "track": _l("Verfahren"),
        "track_label": _l("Verfahren"),
        "status": _l("Stand"),
        "status_label": _l("Stand"),
        "started_on": _l("Begonnen am"),
        "moved_in_on": _l("Eingezogen am"),
    }


# ------------------------------------------------------------------ hub section and timeline


def section_queries(person: Any) -> dict[str, Any]:
    """The reads of the housing section (run with all other sections in one statement)."""
    return {
        "reports": select(SocialReport)
        .where(SocialReport.person_id == person.id)
        .order_by(SocialReport.series_id.desc(), SocialReport.number.desc()),
        "procedures": select(MoveProcedure)
        .where(MoveProcedure.person_id == person.id)
        .order_by(MoveProcedure.started_on.desc(), MoveProcedure.id.desc()),
        "steps": select(MoveStep)
        .where(MoveStep.person_id == person.id)
        .order_by(MoveStep.procedure_id, MoveStep.position),
    }


def _procedures_with_steps(data: dict[str, list[Any]]) -> list[MoveProcedure]:
    steps: dict[int, list[MoveStep]] = {}
    for step in data["steps"]:
        steps.setdefault(step.procedure_id, []).append(step)
    for procedure in data["procedures"]:
        attach(procedure, "steps", steps.get(procedure.id, []))
    return data["procedures"]


def section_context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    """Return the data of the housing section of the case file page."""
    procedures = _procedures_with_steps(data)
    return {
        "reports": data["reports"],
        "procedures": [
            {
                "procedure": p,
                "labels": {s.code: moves.step_label(p.track, s.code) for s in p.steps},
                "done": moves.progress(p),
                "next": moves.next_step(p),
            }
            for p in procedures
        ],
        "tracks": TRACK_LABELS,
        "default_track": moves.default_track(person),
        "has_open_procedure": any(p.status == "open" for p in procedures),
    }


def timeline_queries(person: Any) -> dict[str, Any]:
    return {
        "reports": select(
            SocialReport.id,
            SocialReport.number,
            SocialReport.finalised_at,
            SocialReport.finalised_by_name,
        ).where(
            SocialReport.person_id == person.id,
            SocialReport.status == REPORT_FINAL,
            SocialReport.finalised_at.is_not(None),
        ),
        "steps": select(
            MoveStep.procedure_id,
            MoveStep.code,
            MoveStep.done_on,
            MoveStep.note,
            MoveStep.recorded_by_name,
            MoveProcedure.track,
        )
        .join(MoveProcedure, MoveProcedure.id == MoveStep.procedure_id)
        .where(MoveStep.person_id == person.id, MoveStep.done_on.is_not(None)),
    }


def timeline_events(person: Any, data: dict[str, list[Any]]) -> list[TimelineEvent]:
    """Return report finalisations and completed move steps of a person."""
    events = [
        TimelineEvent(
            when=finalised_at,
            kind="housing",
            title=f"Sozialbericht Version {number} abgeschlossen",
            who=by or "",
            url=url_for("SocialReportView.show", pk=rid),
        )
        for rid, number, finalised_at, by in data["reports"]
    ]
    for procedure_id, code, done_on, note, by, track in data["steps"]:
        events.append(
            TimelineEvent(
                when=done_on,
                kind="housing",
                title="Umzug: " + moves.step_label(track, code),
                detail=note or "",
                who=by or "",
                url=url_for("MoveProcedureView.show", pk=procedure_id),
            )
        )
    return events


def register(appbuilder: AppBuilder) -> None:
    """Register the housing views, APIs, hub section and timeline source."""
    cat = matrix.MENU_CASE_WORK
    appbuilder.add_view(
        SocialReportListView,
        "Sozialberichte",
        label=_l("Sozialberichte"),
        icon="fa-file-signature",
        category=cat,
        category_label=_l("Fallarbeit"),
    )
    appbuilder.add_view(
        MoveProcedureListView,
        "Umzugsverfahren",
        label=_l("Umzugsverfahren"),
        icon="fa-truck",
        category=cat,
    )
    appbuilder.add_view_no_menu(SocialReportView)
    appbuilder.add_view_no_menu(MoveProcedureView)
    appbuilder.add_view_no_menu(HousingView)
    appbuilder.add_view_no_menu(CvView)
    appbuilder.add_api(SocialReportApi)
    appbuilder.add_api(PersonCvApi)
    register_hub_section(
        HubSection(
            key="housing",
            title="Wohnen: Sozialbericht, Umzug, Lebenslauf",
            template="housing/hub_section.html",
            context=section_context,
            queries=section_queries,
            order=60,
            permission=("can_read", matrix.SOCIAL_REPORT),
        )
    )
    register_timeline_source("housing", timeline_events, timeline_queries)

"""Intake and movement across providers (issue 14): assignment import, handover, sharing.

Configuration and thin glue; the rules live in ``app.services.intake``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Response, abort, flash, g, redirect, request, session, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect, safe
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import Person
from app.models.base import utcnow
from app.models.intake import (
    CONSENT_FORM_LABELS,
    CONSENT_NOT_RECORDED,
    HANDOVER_SCOPE_LABELS,
    HANDOVER_STATUS_LABELS,
    AssignmentImport,
)
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.intake import assignment_import as imp
from app.services.intake import handover as ho
from app.services.intake import sharing
from app.services.intake.common import IntakeError
from app.services.intake.duplicates import log_preview_page
from app.services.intake.expiry import delete_stale_previews
from app.views.hub import HubSection, TimelineEvent, register_hub_section, register_timeline_source

PREVIEW_PAGE_SIZE = 100
INBOX_PAGE_SIZE = 50

#: session key of a refused handover offer's input (shown again on the case file)
HANDOVER_FORM_KEY = "msa_handover_form"


def _date(raw: Any) -> dt.date | None:
    """Parse ``JJJJ-MM-TT`` (date input, API) or ``TT.MM.JJJJ``; None if empty; 400 if wrong."""
    try:
        return parse_date(raw)
    except DateError as exc:
        raise IntakeError(exc.message) from None


def berlin(value: Any) -> str:
    """Template filter: a stored UTC time as ``TT.MM.JJJJ HH:MM`` in Europe/Berlin."""
    from app.dates import de_datetime

    return de_datetime(value)


# -- assignment import (Kreis-Admin) ---------------------------------------------------------
MSG_PREVIEW_THROTTLED = (
    "Zu viele Dublettenprüfungen von diesem Konto (Zeilen der Zuweisungslisten). Bitte "
    "versuchen Sie es später erneut."
)


def _preview_checked(record: AssignmentImport, analysis: imp.Analysis) -> bool:
    """The preview's duplicate check (R-2.6): its rows count once against the account's budget
    and the check is access-logged once — hit or miss; False when the budget is spent."""
    from app.security import duplicate_throttle
    from app.services.intake.duplicates import log_list_check, log_refused_check

    allowed, first = duplicate_throttle.allow_preview(
        g.user, f"{record.id}:{record.mapping or ''}", len(analysis.rows)
    )
    if not allowed:
        log_refused_check("Zuweisungsliste")
        return False
    if first:
        matched = sorted({r.person_id for r in analysis.rows if r.person_id is not None})
        log_list_check(matched, checked=len(analysis.rows), channel="Zuweisungsliste")
    return True


class AssignmentImportView(BaseView):
    """Zuweisungsimport — upload, column mapping, preview, confirmation."""

    route_base = "/zuweisungen"
    default_view = "imports"
    class_permission_name = matrix.ASSIGNMENT_IMPORT
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def imports(self) -> Any:
        """Upload form and the latest imports."""
        delete_stale_previews()  # unconfirmed uploads are not kept (app.services.intake.expiry)
        rows = db.session.execute(
            select(
                AssignmentImport.id,
                AssignmentImport.filename,
                AssignmentImport.created_at,
                AssignmentImport.status,
                AssignmentImport.summary,
            )
            .order_by(AssignmentImport.id.desc())
            .limit(20)
        ).all()
        imports = [
            {
                "id": i,
                "filename": name,
                "created_at": created,
                "status": {
                    "preview": "Vorschau",
                    "imported": "importiert",
                    "discarded": "verworfen",
                }.get(status, status),
                "summary": json.loads(summary) if summary else None,
            }
            for i, name, created, status, summary in rows
        ]
        return self.render_template(
            "intake/imports.html", title="Zuweisungsliste importieren", imports=imports
        )

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self) -> Any:
        """Store the uploaded file for the preview (nothing is imported yet)."""
        delete_stale_previews()
        file = request.files.get("file")
        if file is None or not file.filename:
            flash("Bitte eine Datei auswählen (.xlsx oder .csv).", "danger")
            return redirect(url_for("AssignmentImportView.imports"))
        content = file.read(imp.MAX_BYTES + 1)
        try:
            table = imp.read_table(content, file.filename)
            imp.locate_header(table)
        except imp.ImportFileError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("AssignmentImportView.imports"))
        record = AssignmentImport(
            filename=file.filename[:255], content=content, created_by_id=g.user.id
        )
        db.session.add(record)
        db.session.commit()
        return redirect(url_for("AssignmentImportView.mapping", pk=record.id))

    def _record(self, pk: int, *, open_only: bool = False) -> AssignmentImport:
        record = db.session.scalars(
            select(AssignmentImport).where(AssignmentImport.id == pk)
        ).first()
        if record is None or (open_only and record.status != "preview"):
            abort(404)
        return record

    @expose("/<int:pk>/zuordnung", methods=["GET", "POST"])
    @has_access
    def mapping(self, pk: int) -> Any:
        """Mapping step: which column of the file is which field (unrecognised headers)."""
        record = self._record(pk, open_only=True)
        mapping = imp.loads_mapping(record.mapping)
        if request.method == "POST":
            mapping = {
                key[4:]: value
                for key, value in request.form.items()
                if key.startswith("map:") and (value in imp.FIELDS or value == "")
            }
            record.mapping = imp.dumps_mapping(mapping)
            db.session.commit()
        try:
            layout = imp.locate_header(
                imp.read_table(record.content or b"", record.filename), mapping
            )
        except imp.ImportFileError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("AssignmentImportView.imports"))
        if request.method == "POST" and not layout.missing:
            return redirect(url_for("AssignmentImportView.preview", pk=pk))
        if request.method == "GET" and not layout.missing and not layout.unmapped:
            return redirect(url_for("AssignmentImportView.preview", pk=pk))
        assigned = {index: fld for fld, index in layout.columns.items()}
        return self.render_template(
            "intake/mapping.html",
            title="Spalten zuordnen",
            record=record,
            layout=layout,
            assigned=assigned,
            fields=imp.FIELDS,
            required=imp.REQUIRED,
        )

    @expose("/<int:pk>/vorschau")
    @has_access
    def preview(self, pk: int) -> Any:
        """Preview: per row new / known (at which provider) / error; or the import result."""
        record = self._record(pk)
        if record.status != "preview":
            return self.render_template(
                "intake/preview.html",
                title="Zuweisungsimport",
                record=record,
                summary=json.loads(record.summary) if record.summary else None,
                rows=[],
                fields={},
                page=1,
                pages=1,
                only_errors=False,
            )
        try:
            analysis = imp.analyse(
                record.content or b"", record.filename, imp.loads_mapping(record.mapping)
            )
        except imp.ImportFileError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("AssignmentImportView.mapping", pk=pk))
        if not _preview_checked(record, analysis):
            flash(MSG_PREVIEW_THROTTLED, "danger")
            return redirect(url_for("AssignmentImportView.imports"))
        only_errors = request.args.get("fehler") == "1"
        rows = [r for r in analysis.rows if r.status == "error"] if only_errors else analysis.rows
        pages = max(1, (len(rows) + PREVIEW_PAGE_SIZE - 1) // PREVIEW_PAGE_SIZE)
        try:
            page = min(max(1, int(request.args.get("seite", 1))), pages)
        except ValueError:
            page = 1
        shown = rows[(page - 1) * PREVIEW_PAGE_SIZE : page * PREVIEW_PAGE_SIZE]
        fields = {f: imp.FIELDS[f] for f in imp.FIELDS if f in analysis.layout.columns}
        html = self.render_template(
            "intake/preview.html",
            title="Vorschau des Zuweisungsimports",
            record=record,
            summary=analysis.summary(),
            rows=shown,
            fields=fields,
            page=page,
            pages=pages,
            only_errors=only_errors,
        )
        # every page that shows where a person is held is access-logged (after rendering:
        # the log's commit would otherwise make the page read its record again)
        log_preview_page(
            [r.person_id for r in shown if r.person_id is not None and r.provider],
            filename=record.filename,
            page=page,
        )
        return html

    @expose("/<int:pk>/bestaetigen", methods=["POST"])
    @has_access
    def confirm(self, pk: int) -> Any:
        """Import the previewed file in one transaction."""
        record = self._record(pk, open_only=True)
        try:
            analysis = imp.analyse(
                record.content or b"", record.filename, imp.loads_mapping(record.mapping)
            )
            summary = imp.apply(analysis, channel="Browser")
        except imp.ImportFileError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("AssignmentImportView.mapping", pk=pk))
        record = self._record(pk)
        record.status = "imported"
        record.summary = json.dumps(summary, ensure_ascii=False)
        record.content = None
        record.imported_at = utcnow()
        db.session.commit()
        flash(
            f"Import abgeschlossen: {summary['created']} neu angelegt, {summary['updated']} "
            f"aktualisiert, {summary['unchanged']} unverändert, {len(summary['errors'])} Fehler.",
            "success",
        )
        return redirect(url_for("AssignmentImportView.preview", pk=pk))

    @expose("/<int:pk>/verwerfen", methods=["POST"])
    @has_access
    def discard(self, pk: int) -> Any:
        """Discard an uploaded file without importing it."""
        record = self._record(pk, open_only=True)
        record.status = "discarded"
        record.content = None
        db.session.commit()
        flash("Die Datei wurde verworfen; nichts wurde importiert.", "info")
        return redirect(url_for("AssignmentImportView.imports"))


# -- handover and sharing in the browser -----------------------------------------------------
def _flash_error(exc: IntakeError) -> None:
    flash(exc.message, "danger")


class HandoverView(BaseView):
    """Übergaben — inbox of offers, offers sent; offer/accept/decline/withdraw; shares."""

    route_base = "/uebergaben"
    default_view = "inbox"
    class_permission_name = matrix.HANDOVER
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def inbox(self) -> Any:
        """Offers received (name and birth date only) and sent by the own organisation."""
        org_id = g.user.organisation_id
        rows = ho.handovers_of(org_id, limit=INBOX_PAGE_SIZE)
        incoming = [r for r in rows if r.to_organisation_id == org_id and r.status == "offered"]
        outgoing = [r for r in rows if r.from_organisation_id == org_id and r.status == "offered"]
        done = [r for r in rows if r.status != "offered"]
        return self.render_template(
            "intake/inbox.html",
            title="Übergaben",
            incoming=incoming,
            outgoing=outgoing,
            done=done,
        )

    @expose("/anbieten/<int:person_id>", methods=["POST"])
    @has_access
    def offer(self, person_id: int) -> Any:
        """Offer the person's case file to another provider (form on the case file)."""
        form = request.form
        try:
            to_org = int(form.get("to_organisation_id") or 0)
            consent = form.get("consent_given") == "1"
            ho.offer_handover(
                person_id,
                to_org,
                actor=g.user,
                scope=form.get("scope") or "master_data",
                consent_given=consent,
                consent_on=_date(form.get("consent_on")),
                consent_form=form.get("consent_form") or None,
                reason=form.get("reason"),
                include_household=form.get("include_household") == "1",
            )
        except IntakeError as exc:
            if exc.status == 404:
                abort(404)
            _flash_error(exc)
        except ValueError:
            flash("Bitte eine empfangende Organisation wählen.", "danger")
        else:
            flash("Die Übergabe wurde angeboten.", "success")
            return redirect(url_for("PersonView.show", pk=person_id))
        # refused: the case file shows the form open again, with what was entered
        session[HANDOVER_FORM_KEY] = {
            key: form.get(key, "")
            for key in (
                "to_organisation_id",
                "scope",
                "reason",
                "consent_given",
                "consent_on",
                "consent_form",
                "include_household",
            )
        }
        return redirect(url_for("PersonView.show", pk=person_id) + "#bereich-handover")

    def _decide(self, pk: int, verb: str) -> Any:
        reason = request.form.get("reason")
        try:
            if verb == "accept":
                handover = ho.accept_handover(pk, actor=g.user, reason=reason)
                flash(
                    "Die Übergabe wurde angenommen; die Fallakte gehört jetzt Ihrem Träger.",
                    "success",
                )
                return redirect(url_for("PersonView.show", pk=handover.person_id))
            if verb == "decline":
                ho.decline_handover(pk, actor=g.user, reason=reason)
                flash("Die Übergabe wurde abgelehnt.", "info")
            else:
                handover = ho.withdraw_handover(pk, actor=g.user, reason=reason)
                flash("Das Übergabeangebot wurde zurückgezogen.", "info")
                return redirect(url_for("PersonView.show", pk=handover.person_id))
        except IntakeError as exc:
            if exc.status == 404:
                abort(404)
            _flash_error(exc)
        return redirect(url_for("HandoverView.inbox"))

    @expose("/<int:pk>/annehmen", methods=["POST"])
    @has_access
    def accept(self, pk: int) -> Any:
        return self._decide(pk, "accept")

    @expose("/<int:pk>/ablehnen", methods=["POST"])
    @has_access
    def decline(self, pk: int) -> Any:
        return self._decide(pk, "decline")

    @expose("/<int:pk>/zurueckziehen", methods=["POST"])
    @has_access
    def withdraw(self, pk: int) -> Any:
        return self._decide(pk, "withdraw")

    @expose("/freigabe/<int:person_id>", methods=["POST"])
    @has_access
    def share(self, person_id: int) -> Any:
        """Share the case file with the specialist service (or a provider) until a date."""
        form = request.form
        try:
            sharing.share_person(
                person_id,
                int(form.get("organisation_id") or 0),
                actor=g.user,
                until=_date(form.get("until")),
                consent_on=_date(form.get("consent_on")),
                note=form.get("note"),
            )
        except IntakeError as exc:
            if exc.status == 404:
                abort(404)
            _flash_error(exc)
        except ValueError:
            flash("Bitte eine Organisation wählen.", "danger")
        else:
            flash("Die Fallakte wurde freigegeben.", "success")
        return redirect(url_for("PersonView.show", pk=person_id))

    @expose("/freigabe/<int:person_id>/<int:org_id>/beenden", methods=["POST"])
    @has_access
    def end_share(self, person_id: int, org_id: int) -> Any:
        """End a share now."""
        try:
            sharing.end_share(person_id, org_id, actor=g.user)
        except IntakeError as exc:
            if exc.status == 404:
                abort(404)
            _flash_error(exc)
        else:
            flash("Die Freigabe wurde beendet.", "info")
        return redirect(url_for("PersonView.show", pk=person_id))


# -- REST --------------------------------------------------------------------------------------
def _json_error(api: BaseApi, exc: IntakeError) -> Response:
    return api.response(exc.status, message=exc.message)


def _id(value: Any) -> bool:
    """Whether a JSON value is a usable id (an integer in the database's range, not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _body() -> dict[str, Any] | None:
    payload = request.get_json(silent=True)
    return payload if isinstance(payload, dict) else None


class HandoverApi(BaseApi):
    """``/api/v1/handover/`` — offers of case files between providers (INTERFACES.md)."""

    resource_name = "handover"
    class_permission_name = matrix.HANDOVER
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]
    allow_browser_login = False
    openapi_spec_tag = "Übergabe"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def handover_list(self) -> Response:
        """Offers sent or received by the caller's organisation, newest first.
        ---
        get:
          summary: Übergaben der eigenen Organisation
          parameters:
          - {in: query, name: status, schema: {type: string}}
          - {in: query, name: page, schema: {type: integer}}
          responses:
            200: {description: "{result: [...]}"}
        """
        status = request.args.get("status") or None
        if status is not None and status not in HANDOVER_STATUS_LABELS:
            return self.response_400(message="Unbekannter Status.")
        try:
            page = int(request.args.get("page", 0))
        except ValueError:
            return self.response_400(message="page muss eine Zahl sein.")
        if not 0 <= page <= 100000:
            return self.response_400(message="page muss zwischen 0 und 100000 liegen.")
        rows = ho.handovers_of(
            g.user.organisation_id,
            status=status,
            limit=INBOX_PAGE_SIZE,
            offset=page * INBOX_PAGE_SIZE,
        )
        return self.response(200, result=[r.as_json() for r in rows])

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def handover_post(self) -> Response:
        """Offer a person's case file to another provider.
        ---
        post:
          summary: Übergabe anbieten
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    person_id: {type: integer}
                    to_organisation_id: {type: integer}
                    scope: {type: string, enum: [full, master_data]}
                    consent_given: {type: boolean}
                    consent_on: {type: string, format: date}
                    consent_form:
                      type: string
                      enum: [written, oral, not_recorded]
                      default: not_recorded
                    reason: {type: string}
                    include_household: {type: boolean}
          responses:
            201: {description: "{id, status}"}
            400: {description: Ungültige Angaben}
            404: {description: Person nicht gefunden}
            409: {description: Es gibt schon ein offenes Angebot}
        """
        body = _body()
        if body is None:
            return self.response_400(message="Erwartet wird ein JSON-Objekt.")
        allowed = {
            "person_id",
            "to_organisation_id",
            "scope",
            "consent_given",
            "consent_on",
            "consent_form",
            "reason",
            "include_household",
        }
        unknown = sorted(set(body) - allowed)
        if unknown:
            return self.response_400(message=f"Unbekannte Felder: {', '.join(unknown)}")
        person_id, to_org = body.get("person_id"), body.get("to_organisation_id")
        if not _id(person_id) or not _id(to_org):
            return self.response_400(
                message="person_id und to_organisation_id sind Pflicht (Zahlen)."
            )
        for flag in ("consent_given", "include_household"):
            if flag in body and not isinstance(body[flag], bool):
                return self.response_400(message=f"{flag} muss true oder false sein.")
        reason = body.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 5000):
            return self.response_400(message="reason muss ein Text sein (höchstens 5000 Zeichen).")
        scope = body.get("scope", "master_data")
        consent_form = body.get("consent_form")
        if not isinstance(scope, str) or (
            consent_form is not None and not isinstance(consent_form, str)
        ):
            return self.response_400(message="scope und consent_form sind Texte.")
        try:
            handover = ho.offer_handover(
                person_id,
                to_org,
                actor=g.user,
                scope=scope,
                consent_given=bool(body.get("consent_given", False)),
                consent_on=_date(body.get("consent_on")),
                # optional (added to the documented request): "nicht angegeben" when absent
                consent_form=CONSENT_NOT_RECORDED if consent_form is None else consent_form,
                reason=reason,
                include_household=bool(body.get("include_household", False)),
            )
        except IntakeError as exc:
            return _json_error(self, exc)
        return self.response(201, id=handover.id, status=handover.status)

    def _decide(self, pk: int, verb: str) -> Response:
        body = request.get_json(silent=True) if request.data else {}
        if not isinstance(body, dict):
            return self.response_400(message="Erwartet wird ein JSON-Objekt.")
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            return self.response_400(message="reason muss ein Text sein.")
        try:
            if verb == "accept":
                handover = ho.accept_handover(pk, actor=g.user, reason=reason)
            elif verb == "decline":
                handover = ho.decline_handover(pk, actor=g.user, reason=reason)
            else:
                handover = ho.withdraw_handover(pk, actor=g.user, reason=reason)
        except IntakeError as exc:
            return _json_error(self, exc)
        return self.response(200, id=handover.id, status=handover.status)

    @expose("/<int:pk>/accept", methods=["POST"])
    @protect()
    @safe
    def accept(self, pk: int) -> Response:
        """Accept an offer (receiving organisation).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: "{id, status: accepted}"}
            403: {description: Nicht die empfangende Organisation}
            404: {description: Nicht gefunden}
            409: {description: Nicht mehr offen}
        """
        return self._decide(pk, "accept")

    @expose("/<int:pk>/decline", methods=["POST"])
    @protect()
    @safe
    def decline(self, pk: int) -> Response:
        """Decline an offer with a reason (receiving organisation).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: "{id, status: declined}"}
            400: {description: Grund fehlt}
            403: {description: Nicht die empfangende Organisation}
            404: {description: Nicht gefunden}
            409: {description: Nicht mehr offen}
        """
        return self._decide(pk, "decline")

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @safe
    def withdraw(self, pk: int) -> Response:
        """Withdraw an offer until it is accepted (sending organisation).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: "{id, status: withdrawn}"}
            403: {description: Nicht die anbietende Organisation}
            404: {description: Nicht gefunden}
            409: {description: Nicht mehr offen}
        """
        return self._decide(pk, "withdraw")


class PersonShareApi(BaseApi):
    """``/api/v1/person/<id>/shares`` — shares of a case file (INTERFACES.md)."""

    resource_name = "person"
    class_permission_name = matrix.PERSON
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]
    allow_browser_login = False
    openapi_spec_tag = "Freigabe"

    @staticmethod
    def _visible(pk: int) -> bool:
        # a scoped SELECT: the caller must see the person
        return db.session.scalar(select(Person.id).where(Person.id == pk)) is not None

    @expose("/<int:pk>/shares", methods=["GET"])
    @protect()
    @safe
    def shares_get(self, pk: int) -> Response:
        """Shares of a person.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: "{result: [{organisation_id, organisation, until, active}]}"}
            404: {description: Person nicht gefunden}
        """
        if not self._visible(pk):
            return self.response(404, message="Die Person wurde nicht gefunden.")
        return self.response(200, result=[s.as_json() for s in sharing.shares_of(pk)])

    @expose("/<int:pk>/shares", methods=["POST"])
    @protect()
    @safe
    def shares_post(self, pk: int) -> Response:
        """Share a person's case file with an organisation until a date (owner only).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    organisation_id: {type: integer}
                    until: {type: string, format: date}
                    consent_on: {type: string, format: date}
                    note: {type: string}
          responses:
            201: {description: "{organisation_id, until, consent_on, active}"}
            400: {description: Ungültige Angaben}
            403: {description: Nicht der Träger der Fallakte}
            404: {description: Person nicht gefunden}
        """
        body = _body()
        if body is None:
            return self.response_400(message="Erwartet wird ein JSON-Objekt.")
        unknown = sorted(set(body) - {"organisation_id", "until", "consent_on", "note"})
        if unknown:
            return self.response_400(message=f"Unbekannte Felder: {', '.join(unknown)}")
        org_id = body.get("organisation_id")
        note = body.get("note")
        if not _id(org_id) or (note is not None and not isinstance(note, str)):
            return self.response_400(message="organisation_id ist Pflicht (Zahl).")
        if not self._visible(pk):
            return self.response(404, message="Die Person wurde nicht gefunden.")
        try:
            share = sharing.share_person(
                pk,
                org_id,
                actor=g.user,
                until=_date(body.get("until")),
                consent_on=_date(body.get("consent_on")),
                note=note,
            )
        except IntakeError as exc:
            return _json_error(self, exc)
        return self.response(
            201,
            organisation_id=share.organisation_id,
            until=share.until.isoformat() if share.until else None,
            consent_on=share.consent_on.isoformat(),
            active=True,
        )

    @expose("/<int:pk>/shares/<int:org_id>", methods=["DELETE"])
    @protect()
    @safe
    def shares_delete(self, pk: int, org_id: int) -> Response:
        """End the share of a person with an organisation (owner only).
        ---
        delete:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: org_id, required: true, schema: {type: integer}}
          responses:
            200: {description: beendet}
            403: {description: Nicht der Träger der Fallakte}
            404: {description: Keine solche Freigabe}
        """
        if not self._visible(pk):
            return self.response(404, message="Die Person wurde nicht gefunden.")
        try:
            sharing.end_share(pk, org_id, actor=g.user)
        except IntakeError as exc:
            return _json_error(self, exc)
        return self.response(200, message="Die Freigabe wurde beendet.")


# -- case file section and timeline ------------------------------------------------------------
def section_queries(person: Any) -> dict[str, Any]:
    """Shares, the open offer and the organisations to choose from (one bundle)."""
    from app.models import Organisation
    from app.services.intake.common import CASE_HOLDING_KINDS

    return {
        "shares": sharing.shares_query(person.id),
        "offer": ho.open_offer_query(person.id),
        "orgs": select(Organisation.id, Organisation.name, Organisation.kind)
        .where(Organisation.kind.in_(CASE_HOLDING_KINDS), Organisation.id != person.organisation_id)
        .order_by(Organisation.name)
        .limit(200),
    }


def section_context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    today = dt.date.today()
    shares = [sharing.ShareRow(*row) for row in data["shares"]]
    offer = data["offer"][0] if data["offer"] else None
    entered = session.pop(HANDOVER_FORM_KEY, None)
    chosen = str((entered or {}).get("to_organisation_id") or "")
    # the <option>s built once (up to 200 organisations, used by two selects): rendering them
    # item by item in Jinja cost a quarter of the case file page at national scale
    option = Markup('<option value="{}">{}</option>')
    org_options = Markup("").join(option.format(i, name) for i, name, _kind in data["orgs"])
    handover_options = (
        Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                i, Markup(" selected") if str(i) == chosen else "", name
            )
            for i, name, _kind in data["orgs"]
        )
        if chosen
        else org_options
    )
    return {
        "shares": shares,
        "today": today,
        "offer": offer,
        "org_options": org_options,
        "handover_options": handover_options,
        "scope_labels": HANDOVER_SCOPE_LABELS,
        "consent_labels": CONSENT_FORM_LABELS,
        "owner": g.user.organisation_id == person.organisation_id,
        # the input of a refused offer (kept once, then the form is empty again)
        "entered": entered,
    }


def timeline_queries(person: Any) -> dict[str, Any]:
    return {"handovers": ho.person_events_query(person.id)}


def timeline_events(person: Any, data: dict[str, list[Any]]) -> list[TimelineEvent]:
    """Handover steps of the person: the offer and its decision."""
    events = []
    for (
        _hid,
        status,
        scope,
        offered_at,
        offered_by,
        decided_at,
        decided_by,
        decision_reason,
        sender,
        receiver,
    ) in data["handovers"]:
        events.append(
            TimelineEvent(
                when=offered_at,
                kind="handover",
                title=f"Übergabe an {receiver} angeboten",
                detail=f"Umfang: {HANDOVER_SCOPE_LABELS.get(scope, scope)}; von {sender}",
                who=offered_by or "",
            )
        )
        if decided_at is not None:
            events.append(
                TimelineEvent(
                    when=decided_at,
                    kind="handover",
                    title=f"Übergabe {HANDOVER_STATUS_LABELS.get(status, status)}",
                    detail=decision_reason or "",
                    who=decided_by or "",
                )
            )
    return events


def register(appbuilder: AppBuilder) -> None:
    """Register the intake views, APIs, the case file section and the timeline source."""
    appbuilder.app.add_template_filter(berlin, "berlin")
    appbuilder.add_view(
        AssignmentImportView,
        matrix.MENU_ASSIGNMENT_IMPORT,
        label=_l("Zuweisungsimport"),
        icon="fa-file-import",
        category=matrix.MENU_ADMINISTRATION,
    )
    appbuilder.add_view(
        HandoverView,
        matrix.MENU_HANDOVERS,
        label=_l("Übergaben"),
        icon="fa-people-arrows",
        category=matrix.MENU_CASE_WORK,
    )
    appbuilder.add_api(HandoverApi)
    appbuilder.add_api(PersonShareApi)
    register_hub_section(
        HubSection(
            key="handover",
            title="Übergabe und Freigaben",
            template="intake/hub_section.html",
            context=section_context,
            queries=section_queries,
            order=90,
            wide=True,
            permission=("can_read", matrix.HANDOVER),
        )
    )
    register_timeline_source("handover", timeline_events, timeline_queries)

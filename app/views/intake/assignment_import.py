"""Zuweisungsimport (Kreis-Admin): upload, column mapping, preview, confirmation.

Thin glue; the rules live in ``app.services.intake.assignment_import``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow
from app.models.intake import AssignmentImport
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.intake import assignment_import as imp
from app.services.intake.expiry import delete_stale_previews

PREVIEW_PAGE_SIZE = 100
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
        return self.render_template(
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

"""Zuweisungsimport (Kreis-Admin): upload, column mapping, preview, confirmation.

Thin glue; the rules live in ``app.services.intake.assignment_import``.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.extensions import db
from app.models.intake import AssignmentImport
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.errors import DomainError
from app.services.intake import assignment_import as imp
from app.services.intake import import_store as store
from app.services.intake.duplicates import log_preview_page
from app.services.intake.expiry import delete_stale_previews

PREVIEW_PAGE_SIZE = 100
ALIAS_PAGE_SIZE = 50
MSG_PREVIEW_THROTTLED = (
    "Zu viele Dublettenprüfungen von diesem Konto (Zeilen der Zuweisungslisten). Bitte "
    "versuchen Sie es später erneut."
)


def _preview_checked(record: AssignmentImport, meta: dict[str, Any]) -> bool:
    """The preview's duplicate check (R-2.6): its rows count once against the account's budget
    and the check is access-logged once — hit or miss; False when the budget is spent."""
    from app.security import duplicate_throttle
    from app.services.intake.duplicates import log_list_check, log_refused_check

    checked = int(meta.get("summary", {}).get("rows", 0))
    allowed, first = duplicate_throttle.allow_preview(
        g.user, f"{record.id}:{record.mapping or ''}", checked
    )
    if not allowed:
        log_refused_check("Zuweisungsliste")
        return False
    if first:
        log_list_check(list(meta.get("matched", [])), checked=checked, channel="Zuweisungsliste")
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
        """Store the uploaded file and analyse it once (nothing is imported yet)."""
        delete_stale_previews()
        file = request.files.get("file")
        if file is None or not file.filename:
            flash("Bitte eine Datei auswählen (.xlsx oder .csv).", "danger")
            return redirect(url_for("AssignmentImportView.imports"))
        content = file.read(imp.MAX_BYTES + 1)
        try:
            record = store.upload(content, file.filename, actor=g.user)
        except store.ImportStepError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("AssignmentImportView.imports"))
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
        try:
            if request.method == "POST":
                mapping = {
                    key[4:]: value
                    for key, value in request.form.items()
                    if key.startswith("map:") and (value in imp.FIELDS or value == "")
                }
                layout = store.remap(record, mapping)
            else:
                rows_in = imp.iter_table(record.content or b"", record.filename)
                head = list(itertools.islice(rows_in, imp.HEADER_SEARCH_ROWS))
                layout = imp.locate_header(head, mapping)
        except (store.ImportStepError, imp.ImportFileError) as exc:
            flash(getattr(exc, "message", str(exc)), "danger")
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
        """Preview: per row new / known (at which provider) / error — paged from the stored
        analysis; or the import result."""
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
            meta = store.ensure_analysed(record)
        except store.ImportStepError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("AssignmentImportView.mapping", pk=pk))
        if not _preview_checked(record, meta):
            flash(MSG_PREVIEW_THROTTLED, "danger")
            return redirect(url_for("AssignmentImportView.imports"))
        only_errors = request.args.get("fehler") == "1"
        try:
            page = int(request.args.get("seite", 1))
        except ValueError:
            page = 1
        rows, pages = store.stored_rows(
            record, page=page, size=PREVIEW_PAGE_SIZE, only_errors=only_errors
        )
        html = self.render_template(
            "intake/preview.html",
            title="Vorschau des Zuweisungsimports",
            record=record,
            summary=meta.get("summary"),
            rows=rows,
            fields=meta.get("fields", {}),
            page=min(max(1, page), pages),
            pages=pages,
            only_errors=only_errors,
        )
        # every page that shows where a person is held is access-logged (after rendering:
        # the log's commit would otherwise make the page read its record again)
        log_preview_page(
            [r.person_id for r in rows if r.person_id is not None and r.provider],
            filename=record.filename,
            page=page,
        )
        return html

    @expose("/<int:pk>/bestaetigen", methods=["POST"])
    @has_access
    def confirm(self, pk: int) -> Any:
        """Import the previewed list in one transaction (the service closes the upload)."""
        record = self._record(pk, open_only=True)
        try:
            summary = store.confirm(record, channel="Browser")
        except store.ImportStepError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("AssignmentImportView.mapping", pk=pk))
        flash(
            f"Import abgeschlossen: {summary['created']} neu angelegt, {summary['updated']} "
            f"aktualisiert, {summary['unchanged']} unverändert, {summary['error_rows']} "
            "Zeilen mit Fehlern.",
            "success",
        )
        return redirect(url_for("AssignmentImportView.preview", pk=pk))

    @expose("/<int:pk>/verwerfen", methods=["POST"])
    @has_access
    def discard(self, pk: int) -> Any:
        """Discard an uploaded file without importing it."""
        record = self._record(pk, open_only=True)
        store.discard(record)
        flash("Die Datei wurde verworfen; nichts wurde importiert.", "info")
        return redirect(url_for("AssignmentImportView.imports"))

    @expose("/zuordnungen/", methods=["GET", "POST"])
    @has_access
    def aliases(self) -> Any:
        """Katalog-Zuordnungen: the county's spellings of nationalities and residence statuses
        (the shipped ones listed below, read-only); paged."""
        from app.services.catalogues import labels_many
        from app.services.intake import aliases as al

        entered: dict[str, str] = {}
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            entered = {k: request.form.get(k, "") for k in ("catalogue", "alias", "code")}
            try:
                al.add_alias(entered["catalogue"], entered["alias"], entered["code"], actor=g.user)
            except DomainError as exc:
                errors = exc.errors
            else:
                flash("Die Zuordnung wurde gespeichert.", "success")
                return redirect(url_for("AssignmentImportView.aliases"))
        try:
            page = max(1, int(request.args.get("seite", 1)))
        except ValueError:
            page = 1
        own, total = al.county_aliases(limit=ALIAS_PAGE_SIZE, offset=(page - 1) * ALIAS_PAGE_SIZE)
        labels = labels_many(*al.CATALOGUES)
        return self.render_template(
            "intake/aliases.html",
            title="Katalog-Zuordnungen",
            own=own,
            page=page,
            pages=max(1, (total + ALIAS_PAGE_SIZE - 1) // ALIAS_PAGE_SIZE),
            catalogues=al.CATALOGUES,
            labels=labels,
            builtin=al.builtin_aliases(),
            entered=entered,
            errors=errors,
        ), (422 if errors else 200)

    @expose("/zuordnungen/<int:alias_id>/loeschen", methods=["POST"])
    @has_access
    def alias_delete(self, alias_id: int) -> Any:
        """Remove one of the county's own aliases."""
        from app.services.intake import aliases as al

        al.delete_alias(alias_id)
        flash("Die Zuordnung wurde gelöscht.", "info")
        return redirect(url_for("AssignmentImportView.aliases"))

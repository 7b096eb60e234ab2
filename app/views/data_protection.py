"""Data protection pages (R-8): retention, access-log search, Art. 15 information, file audits.

Thin glue over app/services/data_protection/retention.py, subject_access.py and file_audit.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.dates import DateError, parse_date
from app.extensions import db
from app.formatting import plural
from app.models import (
    AccessLog,
    ContactNote,
    FileAudit,
    FileAuditItem,
    Organisation,
    OrganisationKind,
    Person,
    PurgeRecord,
)
from app.models.retention import FINDING_RATINGS
from app.security import matrix
from app.services.data_protection import file_audit as audits
from app.services.data_protection import retention
from app.services.data_protection.access_log import ACTION_LABELS, ACTIONS
from app.services.data_protection.subject_access import SubjectAccessError, export_json, export_pdf
from app.views.hub import HubSection, register_hub_section

LOG_PAGE_SIZE = 50


def _org_names() -> dict[int, str]:
    return {o.id: o.name for o in db.session.scalars(select(Organisation))}


def _parse_date(value: str, label: str, errors: dict[str, str]) -> dt.date | None:
    try:
        return parse_date(value)
    except DateError as exc:
        errors[label] = exc.message
        return None


class DataProtectionView(BaseView):
    """Datenschutz — Löschfristen, Protokollsuche, Auskunft nach Art. 15 DSGVO."""

    route_base = "/datenschutz"
    class_permission_name = matrix.DATA_PROTECTION
    method_permission_name = matrix.READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]
    default_view = "retention"

    @expose("/loeschfristen")
    @has_access
    def retention(self) -> Any:
        due = retention.due_case_files()
        dry = None
        if request.args.get("probelauf"):
            dry = retention.purge_expired(dry_run=True)
        records = db.session.scalars(
            select(PurgeRecord).order_by(PurgeRecord.purged_at.desc()).limit(100)
        ).all()
        return self.render_template(
            "data_protection/retention.html",
            title="Löschfristen",
            due=due,
            dry=dry,
            records=records,
            orgs=_org_names(),
            years=retention.retention_years(),
            log_days=retention.log_retention_days(),
            today=retention.today(),
        )

    @expose("/loeschfristen/ausfuehren", methods=["POST"])
    @has_access
    def retention_run(self) -> Any:
        report = retention.purge_expired(actor=g.user)
        expired = plural(
            report.log_rows_expired, "abgelaufene Protokollzeile", "abgelaufene Protokollzeilen"
        )
        flash(
            f"{plural(report.persons, 'Fallakte', 'Fallakten')} vernichtet, {expired} gelöscht.",
            "success",
        )
        return redirect(url_for("DataProtectionView.retention"))

    @expose("/protokoll")
    @has_access
    def log_search(self) -> Any:
        args = request.args
        errors: dict[str, str] = {}
        query = select(AccessLog)
        username = (args.get("benutzer") or "").strip()
        if username:
            query = query.where(func.lower(AccessLog.username).contains(username.lower()))
        person_raw = (args.get("person") or "").strip()
        if person_raw:
            if person_raw.isdigit():
                query = query.where(AccessLog.person_id == int(person_raw))
            else:
                errors["person"] = "Bitte eine Personen-Nummer (nur Ziffern) angeben."
        action = args.get("aktion") or ""
        if action:
            if action in ACTIONS:
                query = query.where(AccessLog.action == action)
            else:
                errors["aktion"] = "Unbekannte Aktion."
        start = _parse_date(args.get("von") or "", "von", errors)
        end = _parse_date(args.get("bis") or "", "bis", errors)
        if start:
            query = query.where(AccessLog.at >= dt.datetime.combine(start, dt.time()))
        if end:
            query = query.where(
                AccessLog.at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
            )
        if start and end and start > end:
            errors["bis"] = "Das Ende des Zeitraums liegt vor dem Beginn."
        page = max(int(args["seite"]) if (args.get("seite") or "").isdigit() else 1, 1)
        rows: list[AccessLog] = []
        total = 0
        if not errors:
            total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(
                db.session.scalars(
                    query.order_by(AccessLog.at.desc(), AccessLog.id.desc())
                    .limit(LOG_PAGE_SIZE)
                    .offset((page - 1) * LOG_PAGE_SIZE)
                )
            )
        return self.render_template(
            "data_protection/log_search.html",
            title="Protokollsuche",
            rows=rows,
            total=total,
            page=page,
            pages=max((total + LOG_PAGE_SIZE - 1) // LOG_PAGE_SIZE, 1),
            errors=errors,
            args=args,
            actions=ACTION_LABELS,
            orgs=_org_names(),
        )

    @expose("/auskunft")
    @has_access
    def subject_access(self) -> Any:
        raw = (request.args.get("person") or "").strip()
        error = None
        person = None
        if raw:
            if not raw.isdigit():
                error = "Bitte eine Personen-Nummer (nur Ziffern) angeben."
            else:
                person = db.session.execute(
                    select(Person.id, Person.organisation_id, Person.file_number)
                    .where(Person.id == int(raw))
                    .execution_options(msa_unscoped=True)
                ).first()
                if person is None:
                    error = "Keine Person mit dieser Nummer gespeichert."
        return self.render_template(
            "data_protection/subject_access.html",
            title=(
                f"Auskunft nach Art. 15 DSGVO – Person {person.id}"
                if person is not None
                else "Auskunft nach Art. 15 DSGVO"
            ),
            raw=raw,
            error=error,
            person=person,
            orgs=_org_names(),
        )

    @expose("/auskunft/<int:person_id>.json")
    @has_access
    def subject_access_json(self, person_id: int) -> Any:
        try:
            body = export_json(person_id)
        except SubjectAccessError:
            abort(404)
        return Response(
            body,
            mimetype="application/json",
            headers={"Content-Disposition": f"attachment; filename=auskunft-{person_id}.json"},
        )

    @expose("/auskunft/<int:person_id>.pdf")
    @has_access
    def subject_access_pdf(self, person_id: int) -> Any:
        try:
            body = export_pdf(person_id)
        except SubjectAccessError:
            abort(404)
        return Response(
            body,
            mimetype="application/pdf",
            headers={"Content-Disposition": f"attachment; filename=auskunft-{person_id}.pdf"},
        )


class FileAuditView(BaseView):
    """Aktenprüfungen (§7) — Stichproben, Befunde und Stellungnahmen."""

    route_base = "/aktenpruefung"
    class_permission_name = matrix.FILE_AUDIT
    method_permission_name = matrix.READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]
    default_view = "audits"

    @expose("/")
    @has_access
    def audits(self) -> Any:
        return self._audits_page({})

    def _audits_page(self, form: Any) -> Any:
        """The list of audits; ``form``: what a refused sample request had entered (shown again
        in the form, never put into a URL)."""
        # scoped automatically: providers see their own audits only
        rows = db.session.execute(
            select(
                FileAudit,
                func.count(FileAuditItem.id),
                func.count(FileAuditItem.finding_at),
                func.count(FileAuditItem.response_at),
            )
            .outerjoin(FileAuditItem, FileAuditItem.audit_id == FileAudit.id)
            .group_by(FileAudit.id)
            .order_by(FileAudit.year.desc(), FileAudit.quarter.desc(), FileAudit.id)
        ).all()
        providers = (
            db.session.scalars(
                select(Organisation)
                .where(Organisation.kind != OrganisationKind.county)
                .order_by(Organisation.name)
            ).all()
            if audits.is_reviewer(g.user)
            else []
        )
        today = retention.today()
        return self.render_template(
            "data_protection/audits.html",
            title="Aktenprüfungen",
            rows=rows,
            orgs=_org_names(),
            providers=providers,
            reviewer=audits.is_reviewer(g.user),
            default_size=audits.default_sample_size(),
            year=today.year,
            quarter=(today.month - 1) // 3 + 1,
            form=form,
        )

    @expose("/ziehen", methods=["POST"])
    @has_access
    def audit_draw(self) -> Any:
        form = request.form
        try:
            audit = audits.draw_sample(
                g.user,
                int(form.get("organisation_id", "")),
                int(form.get("year", "")),
                int(form.get("quarter", "")),
                int(form.get("size", "")) if form.get("size") else None,
            )
        except ValueError as exc:  # refused before anything was written
            message = (
                str(exc)
                if isinstance(exc, audits.FileAuditError)
                else "Bitte Träger, Jahr, Quartal und Umfang als Zahlen angeben."
            )
            flash(message, "danger")
            # the page again with what was entered: form content and CSRF token never go into
            # a URL (browser history, proxy and server logs)
            return self._audits_page(form), 400
        flash(
            f"Stichprobe mit {plural(audit.sample_size, 'Fallakte', 'Fallakten')} gezogen.",
            "success",
        )
        return redirect(url_for("FileAuditView.audit_show", audit_id=audit.id))

    def _audit_or_404(self, audit_id: int) -> FileAudit:
        audit = db.session.scalar(select(FileAudit).where(FileAudit.id == audit_id))
        if audit is None:
            abort(404)
        return audit

    def _item_or_404(self, item_id: int) -> FileAuditItem:
        item = db.session.scalar(select(FileAuditItem).where(FileAuditItem.id == item_id))
        if item is None:
            abort(404)
        return item

    @expose("/<int:audit_id>")
    @has_access
    def audit_show(self, audit_id: int) -> Any:
        audit = self._audit_or_404(audit_id)
        items = db.session.execute(
            select(FileAuditItem, Person.file_number)
            .join(Person, Person.id == FileAuditItem.person_id)
            .where(FileAuditItem.audit_id == audit.id)
            .order_by(FileAuditItem.id)
        ).all()
        orgs = _org_names()
        return self.render_template(
            "data_protection/audit_show.html",
            title=f"Aktenprüfung {audit.label} – {orgs.get(audit.organisation_id, '')}",
            audit=audit,
            items=items,
            orgs=orgs,
            reviewer=audits.is_reviewer(g.user),
        )

    @expose("/eintrag/<int:item_id>")
    @has_access
    def audit_item(self, item_id: int) -> Any:
        return self._item_page(self._item_or_404(item_id), {})

    def _item_page(self, item: FileAuditItem, form: Any) -> Any:
        notes = db.session.scalar(
            select(func.count(ContactNote.id)).where(ContactNote.person_id == item.person_id)
        )
        body = self.render_template(
            "data_protection/audit_item.html",
            title=f"Geprüfte Fallakte {item.person.last_name}, {item.person.first_name}",
            item=item,
            person=item.person,
            person_url=(
                url_for("PersonView.show", pk=item.person_id)
                if "PersonView.show" in current_app.view_functions
                else None
            ),
            notes=notes or 0,
            ratings=FINDING_RATINGS,
            reviewer=audits.is_reviewer(g.user),
            provider=audits.is_provider(g.user),
            form=form,
        )
        # logged (and committed) after rendering: the commit would expire item, person and
        # user; no log row, no page
        audits.log_reviewer_read(g.user, item)
        return body

    @expose("/eintrag/<int:item_id>/befund", methods=["POST"])
    @has_access
    def audit_finding(self, item_id: int) -> Any:
        item = self._item_or_404(item_id)
        try:
            audits.record_finding(
                g.user, item, request.form.get("rating", ""), request.form.get("finding", "")
            )
        except audits.FileAuditError as exc:  # refused before anything was written
            flash(str(exc), "danger")
            return self._item_page(self._item_or_404(item_id), request.form), 400
        flash("Befund gespeichert.", "success")
        return redirect(url_for("FileAuditView.audit_show", audit_id=item.audit_id))

    @expose("/eintrag/<int:item_id>/antwort", methods=["POST"])
    @has_access
    def audit_answer(self, item_id: int) -> Any:
        item = self._item_or_404(item_id)
        try:
            audits.answer(g.user, item, request.form.get("response", ""))
        except audits.FileAuditError as exc:  # refused before anything was written
            flash(str(exc), "danger")
            return self._item_page(self._item_or_404(item_id), request.form), 400
        flash("Stellungnahme gespeichert.", "success")
        return redirect(url_for("FileAuditView.audit_show", audit_id=item.audit_id))


def hub_queries(person: Any) -> dict[str, Any]:
    """The reads of the section (run with all other sections in one statement)."""
    return {
        "audits": select(FileAuditItem, FileAudit.year, FileAudit.quarter)
        .join(FileAudit, FileAudit.id == FileAuditItem.audit_id)
        .where(FileAuditItem.person_id == person.id)
        .order_by(FileAudit.year, FileAudit.quarter)
    }


def hub_context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    """Context of the case-file section: retention date and file audits of the person."""
    moved = getattr(person, "moved_away_on", None)
    rows = data["audits"]
    return {
        "moved_away_on": moved,
        "due_on": retention.due_on(moved) if moved else None,
        "audits": [
            {
                "label": f"{quarter}. Quartal {year}",
                "rating": item.rating_label if item.finding_at else "Befund offen",
                "answered": item.response_at is not None,
                "url": url_for("FileAuditView.audit_item", item_id=item.id),
            }
            for item, year, quarter in rows
        ],
    }


def register(appbuilder: AppBuilder) -> None:
    """Register the data protection pages and their menu entries."""
    register_hub_section(
        HubSection(
            key="data_protection",
            title="Datenschutz",
            template="data_protection/hub_section.html",
            context=hub_context,
            queries=hub_queries,
            order=85,  # beside the special categories (half width each)
        )
    )
    appbuilder.add_view(
        DataProtectionView,
        matrix.MENU_RETENTION,
        label=_l("Löschfristen"),
        icon="fa-trash",
        category=matrix.MENU_DATA_PROTECTION,
        category_label=_l("Datenschutz"),
    )
    appbuilder.add_link(
        matrix.MENU_LOG_SEARCH,
        href="/datenschutz/protokoll",
        label=_l("Protokollsuche"),
        icon="fa-search",
        category=matrix.MENU_DATA_PROTECTION,
    )
    appbuilder.add_link(
        matrix.MENU_SUBJECT_ACCESS,
        href="/datenschutz/auskunft",
        label=_l("Auskunft (Art. 15)"),
        icon="fa-file-export",
        category=matrix.MENU_DATA_PROTECTION,
    )
    appbuilder.add_view(
        FileAuditView,
        matrix.MENU_FILE_AUDITS,
        label=_l("Aktenprüfungen"),
        icon="fa-clipboard-check",
        category=matrix.MENU_CASE_WORK,
    )

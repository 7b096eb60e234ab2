"""Shared pieces of the housing views: scoped lookups, file downloads, the report's JSON."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import g, send_file
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import MoveProcedure, Person, SocialReport
from app.services.data_protection.access_log import log_access
from app.services.housing import cv as cv_service
from app.services.housing import social_report as reports

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


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return parse_date(value)
    except DateError:
        return None

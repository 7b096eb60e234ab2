"""File audits (Aktenprüfung, Fachkonzept §7, R-8.4).

A reviewer (Prüfer, FD 52/61) draws a random sample of one provider's case files for one
quarter, records a finding per case file; the provider (Trägerleitung/Fachkraft) sees the
findings of its own case files and answers them. Reads by reviewers are logged.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from app.extensions import db
from app.models import FileAudit, FileAuditItem, Organisation, Person
from app.models.base import utcnow
from app.models.retention import FINDING_RATINGS
from app.security import matrix
from app.services.errors import unit_of_work

DEFAULT_SAMPLE_SIZE = 5
PROVIDER_ROLES = frozenset({matrix.ROLE_LEAD, matrix.ROLE_CASEWORKER})


class FileAuditError(ValueError):
    """A German message for the user."""


def _roles(user: Any) -> frozenset[str]:
    return frozenset(r.name for r in getattr(user, "roles", []))


def is_reviewer(user: Any) -> bool:
    return bool(_roles(user) & {matrix.ROLE_REVIEWER, matrix.ROLE_ADMIN})


def is_provider(user: Any) -> bool:
    return bool(_roles(user) & PROVIDER_ROLES)


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if quarter not in (1, 2, 3, 4):
        raise FileAuditError("Das Quartal muss zwischen 1 und 4 liegen.")
    start = dt.date(year, 3 * quarter - 2, 1)
    end = (
        dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    ) - dt.timedelta(days=1)
    return start, end


def default_sample_size() -> int:
    return int(current_app.config.get("FILE_AUDIT_SAMPLE_SIZE", DEFAULT_SAMPLE_SIZE))


def candidates(organisation_id: int, year: int, quarter: int) -> list[int]:
    """Ids of the provider's case files open during the quarter (assigned, not moved away)."""
    start, end = quarter_bounds(year, quarter)
    return list(
        db.session.scalars(
            select(Person.id)
            .where(
                Person.organisation_id == organisation_id,
                or_(Person.assigned_on.is_(None), Person.assigned_on <= end),
                or_(Person.moved_away_on.is_(None), Person.moved_away_on >= start),
            )
            .order_by(Person.id)
            .execution_options(msa_unscoped=True)
        )
    )


def draw_sample(
    actor: Any,
    organisation_id: int,
    year: int,
    quarter: int,
    size: int | None = None,
    rng: random.Random | None = None,
) -> FileAudit:
    """Draw a random sample of case files of one provider and quarter (reviewers only)."""
    if not is_reviewer(actor):
        raise FileAuditError("Nur Prüfer:innen ziehen Stichproben.")
    size = size if size is not None else default_sample_size()
    if size < 1 or size > 100:
        raise FileAuditError("Der Stichprobenumfang muss zwischen 1 und 100 liegen.")
    quarter_bounds(year, quarter)
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise FileAuditError("Unbekannter Träger.")
    exists = db.session.scalar(
        select(FileAudit.id).where(
            FileAudit.organisation_id == organisation_id,
            FileAudit.year == year,
            FileAudit.quarter == quarter,
        )
    )
    if exists is not None:
        raise FileAuditError("Für diesen Träger und dieses Quartal gibt es schon eine Stichprobe.")
    pool = candidates(organisation_id, year, quarter)
    if not pool:
        raise FileAuditError("Der Träger hat in diesem Quartal keine Fallakten.")
    chosen = sorted((rng or random.SystemRandom()).sample(pool, min(size, len(pool))))
    audit = FileAudit(
        organisation_id=organisation_id,
        year=year,
        quarter=quarter,
        sample_size=len(chosen),
        drawn_by_id=getattr(actor, "id", None),
        drawn_at=utcnow(),
    )
    audit.items = [FileAuditItem(person_id=pid, organisation_id=organisation_id) for pid in chosen]
    with unit_of_work():
        db.session.add(audit)
    return audit


def record_finding(actor: Any, item: FileAuditItem, rating: str, finding: str) -> None:
    """Record the reviewer's finding on one sampled case file."""
    if not is_reviewer(actor):
        raise FileAuditError("Nur Prüfer:innen erfassen Befunde.")
    if rating not in FINDING_RATINGS:
        raise FileAuditError("Bitte eine Bewertung auswählen.")
    finding = (finding or "").strip()
    if rating != "ohne_befund" and not finding:
        raise FileAuditError("Bitte den Befund beschreiben.")
    with unit_of_work():
        item.rating = rating
        item.finding = finding or None
        item.finding_by_id = getattr(actor, "id", None)
        item.finding_at = utcnow()


def answer(actor: Any, item: FileAuditItem, response: str) -> None:
    """Record the provider's answer to a finding on one of its case files."""
    if not is_provider(actor) or getattr(actor, "organisation_id", None) != item.organisation_id:
        raise FileAuditError("Nur der geprüfte Träger beantwortet Befunde.")
    if item.finding_at is None:
        raise FileAuditError("Zu dieser Akte liegt noch kein Befund vor.")
    response = (response or "").strip()
    if not response:
        raise FileAuditError("Bitte eine Stellungnahme eingeben.")
    with unit_of_work():
        item.response = response
        item.response_by_id = getattr(actor, "id", None)
        item.response_at = utcnow()


def log_reviewer_read(actor: Any, item: FileAuditItem) -> None:
    """Log a reviewer's read of a sampled case file (R-8.2)."""
    if is_reviewer(actor):
        from app.services.data_protection.access_log import log_access

        log_access(
            item.person_id, "read", category="aktenpruefung", detail=f"Prüfung {item.audit_id}"
        )

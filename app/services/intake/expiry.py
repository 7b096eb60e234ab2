"""Unconfirmed assignment lists are not kept (purpose limitation, Art. 5 (1) b, e DSGVO).

An uploaded assignment list (``AssignmentImport`` with status ``preview``) holds every name and
birth date of the file until it is confirmed or discarded. One that is neither is deleted — the
row with the file — ``IMPORT_PREVIEW_KEEP_HOURS`` (default 24) hours after the upload: by
``msa purge-expired`` (app.services.data_protection.retention) and, opportunistically, whenever
the import page is opened or a list is uploaded. Confirmed and discarded imports keep their
summary only (the file was emptied then).
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from app.extensions import db
from app.models import AssignmentImport, AssignmentImportRow
from app.models.base import utcnow

DEFAULT_KEEP_HOURS = 24


def keep_hours() -> int:
    return int(current_app.config.get("IMPORT_PREVIEW_KEEP_HOURS", DEFAULT_KEEP_HOURS))


def delete_stale_previews(conn: Connection | None = None, *, now: dt.datetime | None = None) -> int:
    """Delete unconfirmed uploads older than the keeping time (in the caller's transaction when
    ``conn`` is given); return how many."""
    cutoff = (now or utcnow()) - dt.timedelta(hours=keep_hours())
    stale = AssignmentImport.status == "preview", AssignmentImport.created_at < cutoff
    # the analysed rows first (SQLite may run without enforcing ON DELETE CASCADE)
    rows = delete(AssignmentImportRow).where(
        AssignmentImportRow.import_id.in_(select(AssignmentImport.id).where(*stale))
    )
    stmt = delete(AssignmentImport).where(*stale)
    if conn is not None:
        conn.execute(rows)
        return int(conn.execute(stmt).rowcount or 0)
    db.session.execute(rows)
    deleted = int(db.session.execute(stmt).rowcount or 0)
    if deleted:
        db.session.commit()
    return deleted

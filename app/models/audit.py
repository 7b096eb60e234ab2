"""Access log (Zugriffsprotokoll) of case-file reads and changes (R-2.2, R-8.2)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder.models.sqla import Model
from sqlalchemy import DateTime, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import utcnow


class AccessLog(Model):
    """Zugriffsprotokoll — who read, exported, changed or deleted which case file, when.

    Never holds the special-category values themselves; ids without foreign keys so that
    the log outlives a purged person.
    """

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_person_at", "person_id", "at"),
        # the documents produced (the CV pool asks when a CV was last made): a partial index,
        # so the grouped read does not scan the whole log (every read is logged)
        Index(
            "ix_access_log_document",
            "person_id",
            "organisation_id",
            "at",
            postgresql_where=text("action = 'document'"),
            sqlite_where=text("action = 'document'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    username: Mapped[str | None] = mapped_column(String(128))
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    category: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(300))

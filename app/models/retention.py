"""Data protection records (R-8): purge tombstones and file audits (Aktenprüfung, §7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_appbuilder.models.sqla import Model
from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.models.base import OrgScoped, PersonOwned, Timestamped, utcnow
from app.models.person import Person


class PurgeRecord(Model):
    """Löschprotokoll — the tombstone of a destroyed case file (R-8.1).

    Holds ids and dates only, never content. No foreign keys: it outlives the person and is
    deliberately not provider-scoped (the data protection officer sees every provider's).
    """

    __tablename__ = "purge_record"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    former_person_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    moved_away_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    due_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    purged_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    purged_by: Mapped[str] = mapped_column(String(128), nullable=False)
    rows_deleted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


#: finding ratings of a file audit (code -> German label)
FINDING_RATINGS = {
    "ohne_befund": "Ohne Befund",
    "hinweis": "Hinweis",
    "mangel": "Mangel",
}


class FileAudit(OrgScoped, Timestamped, Model):
    """Aktenprüfung — a random sample of one provider's case files for one quarter (R-8.4)."""

    __tablename__ = "file_audit"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", "quarter", name="uq_file_audit_org_quarter"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    quarter: Mapped[int] = mapped_column(Integer, nullable=False)
    sample_size: Mapped[int] = mapped_column(Integer, nullable=False)
    drawn_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    drawn_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    items: Mapped[list[FileAuditItem]] = relationship(
        "FileAuditItem", back_populates="audit", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return f"{self.quarter}. Quartal {self.year}"


class FileAuditItem(PersonOwned, Timestamped, Model):
    """One sampled case file of an audit: the reviewer's finding and the provider's answer."""

    __tablename__ = "file_audit_item"
    __table_args__ = (UniqueConstraint("audit_id", "person_id", name="uq_file_audit_item"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("file_audit.id", ondelete="CASCADE"), nullable=False, index=True
    )
    rating: Mapped[str | None] = mapped_column(String(32))
    finding: Mapped[str | None] = mapped_column(Text)
    finding_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    finding_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    response: Mapped[str | None] = mapped_column(Text)
    response_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    response_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    audit: Mapped[FileAudit] = relationship(FileAudit, back_populates="items")
    person: Mapped[Person] = relationship(Person)

    @property
    def rating_label(self) -> str:
        return FINDING_RATINGS.get(self.rating or "", "—")


class AccessLogImmutableError(Exception):
    """The access log is append-only (R-8.2)."""


@event.listens_for(Session, "before_flush")
def _access_log_append_only(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse ORM updates and deletes of access-log rows on every backend.

    The only change allowed is clearing ``detail`` (content of a purged person); the purge
    itself works with SQL statements. On PostgreSQL a trigger enforces the same (migration
    0003_data_protection).
    """
    from app.models.audit import AccessLog

    for obj in session.deleted:
        if isinstance(obj, AccessLog):
            raise AccessLogImmutableError("Das Zugriffsprotokoll kann nicht gelöscht werden.")
    for obj in session.dirty:
        if not isinstance(obj, AccessLog) or not session.is_modified(obj):
            continue
        state: Any = inspect(obj)
        for attr in state.mapper.column_attrs:
            hist = state.attrs[attr.key].history
            if not hist.has_changes():
                continue
            if attr.key == "detail" and obj.detail is None:
                continue
            raise AccessLogImmutableError("Das Zugriffsprotokoll kann nicht geändert werden.")

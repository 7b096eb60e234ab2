"""Administration log (Verwaltungsprotokoll) and idempotency keys of REST creates."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder.models.sqla import Model
from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import utcnow


class AdminLogEntry(Model):
    """Verwaltungsprotokoll — who changed which user, role, organisation or permission, when.

    Append-only: the ORM refuses updates and deletes (app.security.admin_log). Ids without
    foreign keys, so that the log outlives a deleted account. Never holds passwords or secrets.
    """

    __tablename__ = "admin_log"
    __table_args__ = (Index("ix_admin_log_object", "object_type", "object_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(128), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_label: Mapped[str | None] = mapped_column(String(300))
    #: JSON object field -> [old, new] (secrets as "geändert")
    changes: Mapped[str] = mapped_column(Text, nullable=False, default="{}")


class IdempotencyRecord(Model):
    """Idempotenzschlüssel — a REST create done once per (user, key); stored with the row.

    Written in the same transaction as the created row, so that a retry after a lost reply finds
    what was committed (app.services.reliability.idempotency).
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False)
    key: Mapped[str] = mapped_column(String(128), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    resource: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, index=True
    )

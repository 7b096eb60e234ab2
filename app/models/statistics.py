"""Quarterly report (Quartalsmeldung, Anlage 1) and the indexes its figures need (R-7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_appbuilder.models.sqla import Model
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Timestamped, Versioned
from app.models.contact import ContactNote, GroupSession
from app.models.organisation import Organisation

REPORT_STATUSES = ("draft", "submitted", "reviewed", "returned")
REPORT_STATUS_LABELS = {
    "draft": "Entwurf",
    "submitted": "Eingereicht",
    "reviewed": "Geprüft",
    "returned": "Zurückgegeben",
}


class QuarterlyReport(Timestamped, Versioned, Model):
    """Quartalsmeldung — the frozen Anlage-1 figures a provider submits to the county (R-7.2).

    Holds aggregates only (no case content), so it is not row-scoped like case data; access is
    decided by ``app.services.statistics.quarterly_report`` (own provider, or a county role).
    """

    __tablename__ = "quarterly_report"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", "quarter", name="uq_quarterly_report_period"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="ck_quarterly_report_quarter"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organisation.id"), nullable=False, index=True
    )
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    quarter: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    submitted_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    comment: Mapped[str | None] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship(Organisation)

    @property
    def status_label(self) -> str:
        return REPORT_STATUS_LABELS.get(self.status, self.status)


#: Covering indexes: the monthly figures are answered from the index alone (no table access).
ix_contact_note_statistics = Index(
    "ix_contact_note_statistics",
    ContactNote.__table__.c.organisation_id,
    ContactNote.__table__.c.date,
    ContactNote.__table__.c.caseworker_id,
    ContactNote.__table__.c.kind,
    ContactNote.__table__.c.education_system,
    ContactNote.__table__.c.return_counselling,
)
ix_group_session_statistics = Index(
    "ix_group_session_statistics",
    GroupSession.__table__.c.organisation_id,
    GroupSession.__table__.c.date,
    GroupSession.__table__.c.caseworker_id,
    GroupSession.__table__.c.education_system,
    GroupSession.__table__.c.return_counselling,
)


class StatisticsRollupMonth(Model):
    """Monthly figures per organisation and caseworker, precomputed (national scale).

    Filled by ``flask msa refresh-statistics`` (a scheduled job); the reviewer's charts read it
    while it is fresh (``MSA_STATISTICS_ROLLUP_MAX_AGE``) and fall back to live SQL otherwise.
    Aggregates only: no person, no text.
    """

    __tablename__ = "statistics_rollup_month"
    organisation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    individual: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    group_sessions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    education_system: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    return_counselling: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    case_management: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class StatisticsRollupTopic(Model):
    """Individual contact notes per organisation, month and topic, precomputed."""

    __tablename__ = "statistics_rollup_topic"
    organisation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    notes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class StatisticsRollupQuarter(Model):
    """Indicators per organisation and quarter (courses, housing, caseload), precomputed."""

    __tablename__ = "statistics_rollup_quarter"
    organisation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(Integer, primary_key=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class StatisticsRollupState(Model):
    """When the rollup was computed and which months it covers (one row)."""

    __tablename__ = "statistics_rollup_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    refreshed_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    first_month: Mapped[str] = mapped_column(String(7), nullable=False)  # "YYYY-MM"
    last_month: Mapped[str] = mapped_column(String(7), nullable=False)

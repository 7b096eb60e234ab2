"""Figures that hold: anonymous retained counts and the annual evaluation talk.

``RetainedMonthCount`` and ``RetainedReferralCount`` hold the share of destroyed case files in
the statistics (R-8.1): when ``msa purge-expired`` deletes a person, the person's contribution
to every month's Anlage-1 figures and referral counts is added here first, keyed by the
organisation and caseworker stored on the note (or case, or referral) — never by the person.
The live figures are the counts from the remaining records plus these rows, so a destruction
changes no month of any provider or caseworker. The rows carry no personal data: no person id,
no text, only numbers per organisation, caseworker and month (docs/data-protection.md).
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder.models.sqla import Model
from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Timestamped
from app.models.organisation import Organisation


class RetainedMonthCount(Model):
    """Aufbewahrte Monatszahl — Anlage-1 counts of destroyed case files (no personal data)."""

    __tablename__ = "statistics_retained_month"
    organisation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    individual: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    group_sessions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    education_system: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    return_counselling: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    case_management: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class RetainedIndicatorCount(Model):
    """Aufbewahrte Kennzahl — moves into own housing and completed integration courses of
    destroyed case files per organisation and month (R-7.3 indicators; no personal data).

    A move into own housing counts for the organisation that held the person on that day, a
    completed course for the organisation stored on the course record.
    """

    __tablename__ = "statistics_retained_indicator"
    organisation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    own_housing: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    completed_courses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class RetainedAnnualCount(Model):
    """Aufbewahrte Jahreszahl — figures of the annual evaluation of destroyed case files that
    are counted per year, not per month (no personal data): Härtefall steps (``hardship.submitted``,
    ``hardship.<outcome>``) for the organisation that held the person on the day of the step, and
    children with a Kita, school or Hort place (``children.<kind>.requested`` /
    ``children.<kind>.attending``) for the organisation that recorded the place, each child once
    per kind, figure and year."""

    __tablename__ = "statistics_retained_annual"
    organisation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    figure: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class RetainedReferralCount(Model):
    """Aufbewahrte Vermittlungszahl — referrals of destroyed case files per partner and month."""

    __tablename__ = "statistics_retained_referral"
    organisation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_code: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    outcome: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    referrals: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class AnnualTalk(Timestamped, Model):
    """Jahresgespräch — the annual evaluation talk of a provider with FD 52/61 (§7)."""

    __tablename__ = "annual_talk"
    __table_args__ = (UniqueConstraint("organisation_id", "year", name="uq_annual_talk_year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organisation.id"), nullable=False, index=True
    )
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    held_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    participants: Mapped[str] = mapped_column(Text, nullable=False)
    agreements: Mapped[str] = mapped_column(Text, nullable=False)
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))

    organisation: Mapped[Organisation] = relationship(Organisation)

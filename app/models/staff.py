"""Staff records kept by the provider lead (§4.2): qualification, further training, supervision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder.models.sqla import Model
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import OrgScoped, Timestamped
from app.models.organisation import MsaUser


class StaffQualification(OrgScoped, Timestamped, Model):
    """Qualifikation einer Fachkraft — degree or state recognition, with the year."""

    __tablename__ = "staff_qualification"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    obtained_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    user: Mapped[MsaUser] = relationship(MsaUser)


class StaffTraining(OrgScoped, Timestamped, Model):
    """Fortbildung — date, title and hours of one further training of a caseworker."""

    __tablename__ = "staff_training"
    __table_args__ = (Index("ix_staff_training_org_date", "organisation_id", "date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id"), nullable=False, index=True
    )
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1), nullable=False)
    provider: Mapped[str | None] = mapped_column(String(200))
    user: Mapped[MsaUser] = relationship(MsaUser)


class StaffSupervision(OrgScoped, Timestamped, Model):
    """Supervision — one session (individual or team) of a caseworker."""

    __tablename__ = "staff_supervision"
    __table_args__ = (Index("ix_staff_supervision_org_date", "organisation_id", "date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id"), nullable=False, index=True
    )
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="team")
    hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    supervisor: Mapped[str | None] = mapped_column(String(200))
    user: Mapped[MsaUser] = relationship(MsaUser)

    @property
    def kind_label(self) -> str:
        return SUPERVISION_KIND_LABELS.get(self.kind, self.kind)


SUPERVISION_KIND_LABELS = {"individual": "Einzelsupervision", "team": "Teamsupervision"}


class QualificationProfile(OrgScoped, Timestamped, Model):
    """Qualifikationsprofil (§4.2) — the structured qualification of one caseworker account.

    Kept by the provider lead through ``app.services.staff.qualification.save_profile``; which
    items are met and whether §4.2 is met as a whole is decided there (``assess``). The free-text
    records (:class:`StaffQualification`) stay beside it.
    """

    __tablename__ = "staff_qualification_profile"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    #: social_work (Soziale Arbeit/Sozialpädagogik) | comparable | other; None: not recorded
    degree_category: Mapped[str | None] = mapped_column(String(20))
    degree_title: Mapped[str | None] = mapped_column(String(300))
    degree_year: Mapped[int | None] = mapped_column(Integer)
    #: Case-/Care-Management certificate: the day and the certifying body (DGCC, DBSH, DBfK …)
    cm_certified_on: Mapped[dt.date | None] = mapped_column(Date)
    cm_certifier: Mapped[str | None] = mapped_column(String(100))
    #: languages: {catalogue code of ``language``: CEFR code a1 … c2 or ``native``}
    languages: Mapped[dict[str, str] | None] = mapped_column(JSON)
    migration_law: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    intercultural: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    conflict_mediation: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    communication_team: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    network_knowledge: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    driving_licence_b: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    pc_skills: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    notes: Mapped[str | None] = mapped_column(Text)


class StaffFtePeriod(Model):
    """Stellenanteil im Zeitraum — the FTE (VZÄ) an account had with an organisation from … to ….

    One row per stretch of days in which an active account had one FTE with one organisation
    (both bounds inclusive; ``valid_to`` None: still so). Maintained by
    ``app.services.staff.fte_history`` whenever an account's FTE, activity or organisation is
    written; the figures of a quarter count each account with the FTE it had then.
    """

    __tablename__ = "staff_fte_period"
    __table_args__ = (
        Index("ix_staff_fte_period_org_dates", "organisation_id", "valid_from", "valid_to"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organisation.id"), nullable=False
    )
    fte: Mapped[Decimal] = mapped_column(Numeric(4, 2), nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

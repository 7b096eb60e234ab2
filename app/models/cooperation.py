"""Cooperation work outside a case file (R-6.3): working groups, meetings, projects, volunteers."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder.models.sqla import Model
from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import OrgScoped, Timestamped
from app.models.partner import NetworkPartner

#: partners (network partner directory) taking part in a meeting
meeting_partner = Table(
    "meeting_partner",
    Model.metadata,
    Column(
        "meeting_id", Integer, ForeignKey("coop_meeting.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "partner_id",
        Integer,
        ForeignKey("network_partner.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

#: partners of a project or encounter activity
project_partner = Table(
    "project_partner",
    Model.metadata,
    Column(
        "project_id", Integer, ForeignKey("coop_project.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "partner_id",
        Integer,
        ForeignKey("network_partner.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

#: volunteers assigned to a project or encounter activity (never to a client's file)
project_volunteer = Table(
    "project_volunteer",
    Model.metadata,
    Column(
        "project_id", Integer, ForeignKey("coop_project.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "volunteer_id", Integer, ForeignKey("volunteer.id", ondelete="CASCADE"), primary_key=True
    ),
)

PROJECT_KINDS = ("project", "encounter")
PROJECT_KIND_LABELS = {"project": "Projekt", "encounter": "Begegnungsangebot"}


class WorkingGroup(OrgScoped, Timestamped, Model):
    """Arbeitskreis / Facharbeitsgruppe — e.g. the Fachkreis Migration (§3.1.11)."""

    __tablename__ = "working_group"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return self.name


class Meeting(OrgScoped, Timestamped, Model):
    """Sitzung — one meeting of a working group: participants, topics, agreements."""

    __tablename__ = "coop_meeting"
    __table_args__ = (Index("ix_coop_meeting_org_date", "organisation_id", "date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    working_group_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("working_group.id"), nullable=False, index=True
    )
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    topics: Mapped[str] = mapped_column(Text, nullable=False)
    agreements: Mapped[str | None] = mapped_column(Text)
    other_participants: Mapped[str | None] = mapped_column(Text)
    working_group: Mapped[WorkingGroup] = relationship(WorkingGroup)
    partners: Mapped[list[NetworkPartner]] = relationship(NetworkPartner, secondary=meeting_partner)

    def __repr__(self) -> str:
        return f"{self.working_group} {self.date:%d.%m.%Y}"


class Volunteer(OrgScoped, Timestamped, Model):
    """Ehrenamtliche:r — contact, availability, languages, training received."""

    __tablename__ = "volunteer"
    __table_args__ = (Index("ix_volunteer_org_name", "organisation_id", "last_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    availability: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[str | None] = mapped_column(String(300))
    training: Mapped[str | None] = mapped_column(Text)
    active_since: Mapped[dt.date | None] = mapped_column(Date)
    active_until: Mapped[dt.date | None] = mapped_column(Date)

    def __repr__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Project(OrgScoped, Timestamped, Model):
    """Projekt oder Begegnungsangebot — period, partners, participant count (no client data)."""

    __tablename__ = "coop_project"
    __table_args__ = (Index("ix_coop_project_org_start", "organisation_id", "starts_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="project")
    starts_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    participant_count: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    partners: Mapped[list[NetworkPartner]] = relationship(NetworkPartner, secondary=project_partner)
    volunteers: Mapped[list[Volunteer]] = relationship(Volunteer, secondary=project_volunteer)

    def __repr__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        return PROJECT_KIND_LABELS.get(self.kind, "Projekt")

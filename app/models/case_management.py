"""Case management (§3.2, R-4): the case, its events and the structured content of each step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_appbuilder.models.sqla import Model
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import PersonOwned, Timestamped, utcnow
from app.models.partner import NetworkPartner
from app.models.person import Person


def _occurred_default(context: Any) -> dt.date:
    """Without a domain date, the step happened when it was recorded (``at``)."""
    at = context.get_current_parameters().get("at")
    return at.date() if isinstance(at, dt.datetime) else dt.date.today()


def _case_fk() -> Mapped[int]:
    return mapped_column(
        Integer, ForeignKey("cm_case.id", ondelete="CASCADE"), nullable=False, index=True
    )


#: the steps of the case-management workflow (the transition table is in
#: app.services.case_management.workflow; statistics count from ``ASSESSMENT`` on)
FIRST_INTERVIEW = "first_interview"
OCCASION_BASED = "occasion_based"
ASSESSMENT = "assessment"
GOAL_AGREEMENT = "goal_agreement"
HELP_PLANNING = "help_planning"
SERVICE_STEERING = "service_steering"
MONITORING = "monitoring"
CLOSED = "closed"


class CaseManagementCase(PersonOwned, Timestamped, Model):
    """Case-Management-Fall — one person's case; ``step`` moves only through the workflow."""

    __tablename__ = "cm_case"
    __table_args__ = (Index("ix_cm_case_caseworker_step", "caseworker_id", "step"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(Integer, ForeignKey("ab_user.id"), nullable=False)
    step: Mapped[str] = mapped_column(String(32), nullable=False, default="first_interview")
    opened_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    next_monitoring_on: Mapped[dt.date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(Person)


class CaseEvent(PersonOwned, Model):
    """Fallereignis — one transition: who, when, from, to, why (R-4.8)."""

    __tablename__ = "cm_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = _case_fk()
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    #: the day the step happened (domain date, may be before ``at``); statistics count by it
    occurred_on: Mapped[dt.date] = mapped_column(Date, nullable=False, default=_occurred_default)
    actor_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False)
    from_step: Mapped[str | None] = mapped_column(String(32))
    to_step: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)


class FirstInterview(PersonOwned, Timestamped, Model):
    """Erstgespräch — problem situation, motivation, transparency, decision (R-4.1)."""

    __tablename__ = "cm_first_interview"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cm_case.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    held_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    problem_situation: Mapped[str] = mapped_column(Text, nullable=False)
    motivation: Mapped[str] = mapped_column(Text, nullable=False)
    transparency_given: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    decision: Mapped[str | None] = mapped_column(String(32))  # case_management | occasion_based


class AssessmentEntry(PersonOwned, Model):
    """Assessment-Eintrag — one aspect of §3.2.2 at one time; the newest per aspect counts."""

    __tablename__ = "cm_assessment_entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = _case_fk()
    aspect_code: Mapped[str] = mapped_column(String(64), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))


class CaseGoal(PersonOwned, Timestamped, Model):
    """Ziel oder Zwischenziel (parent) with a target date (R-4.3)."""

    __tablename__ = "cm_goal"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = _case_fk()
    parent_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("cm_goal.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    target_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    achieved_on: Mapped[dt.date | None] = mapped_column(Date)


class HelpPlan(PersonOwned, Model):
    """Hilfeplan — one version; a revision adds a version, older ones are kept (R-4.4)."""

    __tablename__ = "cm_help_plan"
    __table_args__ = (UniqueConstraint("case_id", "version_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = _case_fk()
    version_no: Mapped[int] = mapped_column(Integer, nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    tasks: Mapped[list[HelpPlanTask]] = relationship(
        "HelpPlanTask",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="HelpPlanTask.id",
    )


class HelpPlanTask(Model):
    """Aufgabe im Hilfeplan — task, role, responsible person or partner, time frame, resources."""

    __tablename__ = "cm_help_plan_task"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cm_help_plan.id", ondelete="CASCADE"), nullable=False, index=True
    )
    task: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(String(200), nullable=False)
    responsible_user_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    responsible_partner_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("network_partner.id")
    )
    responsible_text: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    resources: Mapped[str | None] = mapped_column(Text)
    partner: Mapped[NetworkPartner | None] = relationship(NetworkPartner, lazy="joined")


class ThirdPartyService(PersonOwned, Timestamped, Model):
    """Leistung Dritter — agreed service of a network partner with time frame and standards."""

    __tablename__ = "cm_service"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = _case_fk()
    partner_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("network_partner.id"))
    service: Mapped[str] = mapped_column(String(300), nullable=False)
    starts_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    standards: Mapped[str] = mapped_column(Text, nullable=False)
    partner: Mapped[NetworkPartner | None] = relationship(NetworkPartner, lazy="joined")


class CaseConference(PersonOwned, Timestamped, Model):
    """Fallkonferenz — date, participants and outcome (R-4.5)."""

    __tablename__ = "cm_conference"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = _case_fk()
    held_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    participants: Mapped[str] = mapped_column(Text, nullable=False)
    outcome: Mapped[str] = mapped_column(Text, nullable=False)


class MonitoringEntry(PersonOwned, Model):
    """Monitoring-Eintrag — progress on one goal, deviation, service gap (R-4.6)."""

    __tablename__ = "cm_monitoring"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = _case_fk()
    goal_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cm_goal.id", ondelete="CASCADE"), nullable=False, index=True
    )
    recorded_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    progress: Mapped[str] = mapped_column(Text, nullable=False)
    deviation: Mapped[str | None] = mapped_column(Text)
    service_gap_topic: Mapped[str | None] = mapped_column(String(64), index=True)
    service_gap: Mapped[str | None] = mapped_column(Text)
    next_review_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))


class CaseClosure(PersonOwned, Timestamped, Model):
    """Abschluss und Auswertung — reason and the evaluation of §3.2.7 (R-4.7)."""

    __tablename__ = "cm_closure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cm_case.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    reason_code: Mapped[str] = mapped_column(String(64), nullable=False)
    reason_text: Mapped[str | None] = mapped_column(Text)
    goals_results: Mapped[str] = mapped_column(Text, nullable=False)
    methods_cooperation: Mapped[str] = mapped_column(Text, nullable=False)
    client_satisfaction: Mapped[int] = mapped_column(Integer, nullable=False)  # 1 (low) .. 5
    client_feedback: Mapped[str | None] = mapped_column(Text)

"""Contact notes, group sessions and follow-ups (R-3)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder.models.sqla import Model
from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import OrgScoped, PersonOwned, Timestamped, Versioned
from app.models.partner import NetworkPartner
from app.models.person import Person

CONTACT_KINDS = ("individual", "accompaniment", "group")
#: Stand der Kostenübernahme (specific individual care under the AsylbLG, §3.1.8)
COST_APPROVAL_STATES = {
    "requested": "beantragt",
    "approved": "bewilligt",
    "refused": "abgelehnt",
}
CONTACT_KIND_LABELS = {
    "individual": "Einzelberatung",
    "accompaniment": "Begleitung",
    "group": "Gruppenberatung",
}


class ContactNote(PersonOwned, Timestamped, Versioned, Model):
    """Beratungsvermerk — one counselling contact with date, summary and result (R-3.1)."""

    __tablename__ = "contact_note"
    __table_args__ = (
        Index("ix_contact_note_org_date", "organisation_id", "date"),
        # one person's notes (case page, "without contact" on the desk): the person first, so
        # the planner never reads the provider's notes per person (even without statistics)
        Index("ix_contact_note_person_org_date", "person_id", "organisation_id", "date"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    caseworker_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="individual")
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    interpreter_used: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    result: Mapped[str | None] = mapped_column(Text)
    education_system: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    return_counselling: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    partner_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("network_partner.id"), index=True
    )

    person: Mapped[Person] = relationship(Person)
    partner: Mapped[NetworkPartner | None] = relationship(NetworkPartner)
    topics: Mapped[list[ContactNoteTopic]] = relationship(
        "ContactNoteTopic", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def topic_codes(self) -> list[str]:
        return [t.code for t in self.topics]

    @property
    def kind_label(self) -> str:
        return CONTACT_KIND_LABELS.get(self.kind, self.kind)


class ContactNoteTopic(Model):
    """Themenbereich eines Vermerks — catalogue code of §3.1.1–§3.1.11."""

    __tablename__ = "contact_note_topic"
    contact_note_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("contact_note.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(64), primary_key=True)


group_participant = Table(
    "group_participant",
    Model.metadata,
    Column(
        "group_session_id",
        Integer,
        ForeignKey("group_session.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("person_id", Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_group_participant_person", "person_id"),
)


class GroupSession(OrgScoped, Timestamped, Model):
    """Gruppenberatung — one session with many participants, counted once (R-3.2)."""

    __tablename__ = "group_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    caseworker_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id"), nullable=False, index=True
    )
    topic: Mapped[str] = mapped_column(String(300), nullable=False)
    topic_code: Mapped[str | None] = mapped_column(String(64))
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    interpreter_used: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    summary: Mapped[str | None] = mapped_column(Text)
    education_system: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    return_counselling: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    participants: Mapped[list[Person]] = relationship(Person, secondary=group_participant)


class FollowUp(PersonOwned, Timestamped, Model):
    """Wiedervorlage — a due date for a caseworker, from a note or a CM step (R-3.4)."""

    __tablename__ = "follow_up"
    __table_args__ = (
        Index("ix_follow_up_assignee_due", "assignee_id", "done_on", "due_on"),
        Index("ix_follow_up_org_due", "organisation_id", "due_on"),
        Index("ix_follow_up_person_org_due", "person_id", "organisation_id", "due_on"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignee_id: Mapped[int] = mapped_column(Integer, ForeignKey("ab_user.id"), nullable=False)
    due_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    contact_note_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("contact_note.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(32), nullable=False, default="manual")
    person: Mapped[Person] = relationship(Person)


class Referral(PersonOwned, Timestamped, Model):
    """Vermittlung — a referral of a person to a network partner (R-6.2)."""

    __tablename__ = "referral"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("network_partner.id"), nullable=False, index=True
    )
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    topic_code: Mapped[str | None] = mapped_column(String(64))
    contact_note_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("contact_note.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)
    #: Ergebnis der Vermittlung (catalogue ``referral_outcome``), where recorded
    outcome: Mapped[str | None] = mapped_column(String(32))
    #: Beginn der Betreuung beim Partner (the day the care started; ``taken_up``)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Kostenübernahme des Fachdienstes Soziales und Wohnen (specific individual care under
    #: the AsylbLG, app.services.casefile.cost_approval): requested | approved | refused
    cost_approval_state: Mapped[str | None] = mapped_column(String(16))
    cost_approval_requested_on: Mapped[dt.date | None] = mapped_column(Date)
    cost_approval_decided_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Aktenzeichen of the social department
    cost_approval_reference: Mapped[str | None] = mapped_column(String(100))
    person: Mapped[Person] = relationship(Person)
    partner: Mapped[NetworkPartner] = relationship(NetworkPartner)

    __table_args__ = (
        # the pending approvals (lead's desk): few rows per provider in this state
        Index("ix_referral_cost_approval_state", "cost_approval_state", "organisation_id"),
    )

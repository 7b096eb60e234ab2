"""Appointments (Termine) with clients or partners (§3.1.2)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from flask_appbuilder.models.sqla import Model
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import OrgScoped, Timestamped
from app.models.organisation import MsaUser
from app.models.partner import NetworkPartner
from app.models.person import Person


class Appointment(OrgScoped, Timestamped, Model):
    """Termin — with a client and/or a partner: date, time, place, interpreter needed.

    Local date and times (Europe/Berlin) as entered; the iCalendar feed adds the zone.
    """

    __tablename__ = "appointment"
    #: destroyed with the client's case file (retention, R-8.1), not merely unlinked
    purge_with_person: ClassVar[bool] = True
    __table_args__ = (
        Index("ix_appointment_owner_date", "owner_id", "date"),
        Index("ix_appointment_person_date", "person_id", "date"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, ForeignKey("ab_user.id"), nullable=False)
    person_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("person.id", ondelete="CASCADE")
    )
    partner_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("network_partner.id"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    start_time: Mapped[dt.time] = mapped_column(Time, nullable=False)
    end_time: Mapped[dt.time | None] = mapped_column(Time)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    place: Mapped[str | None] = mapped_column(String(300))
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[MsaUser] = relationship(MsaUser)
    person: Mapped[Person | None] = relationship(Person)
    partner: Mapped[NetworkPartner | None] = relationship(NetworkPartner)

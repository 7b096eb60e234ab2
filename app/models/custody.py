"""Custody history — who held a person when (Gewahrsam der Fallakte).

One row per period in which an organisation held a person's case file: from the assignment
(or the day the file was opened) through each accepted handover to move-away or destruction.
It is the one source for "who held the person on day D" (figures) and for what a handover
released (visibility, ``app.security.scoping``). A destroyed person's periods stay without
the person (``person_id`` NULL): anonymous counts of past quarters.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder.models.sqla import Model
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import utcnow

#: how a custody period began
CUSTODY_BEGINNINGS = ("assignment", "opened", "handover")
CUSTODY_BEGINNING_LABELS = {
    "assignment": "Zuweisung",
    "opened": "Fallakte angelegt",
    "handover": "Übergabe",
}


class CustodyPeriod(Model):
    """Gewahrsamszeitraum — an organisation held the person's case file from … to …

    ``seq`` numbers the periods of a person (1, 2, …); exactly one period per person is
    ``current``. ``visible_from_seq``: the first period whose records the holder of this period
    sees by release — a ``full`` handover carries the previous period's horizon on, a
    ``master_data`` handover (and the first period) starts a new one at its own ``seq``.
    ``ended_on`` is the day of the handover, the move-away or the destruction (figures); the
    holder of the current period keeps the file after a move-away.
    """

    __tablename__ = "custody_period"
    __table_args__ = (
        UniqueConstraint("person_id", "seq", name="uq_custody_period_person_seq"),
        Index("ix_custody_period_org_current", "organisation_id", "current", "person_id"),
        Index("ix_custody_period_org_dates", "organisation_id", "started_on", "ended_on"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("person.id", ondelete="SET NULL"), nullable=True, index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organisation.id"), nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    started_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    began: Mapped[str] = mapped_column(String(16), nullable=False)
    handover_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("handover.id", ondelete="SET NULL")
    )
    #: the handover's scope (``full`` / ``master_data``) when the period began by handover
    scope: Mapped[str | None] = mapped_column(String(16))
    consent_given: Mapped[bool | None] = mapped_column(Boolean)
    consent_on: Mapped[dt.date | None] = mapped_column(Date)
    consent_form: Mapped[str | None] = mapped_column(String(16))
    visible_from_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    current: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    #: the person was destroyed (data protection): the period is an anonymous count now
    destroyed: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

"""Housing (§3.1.1, R-5): Sozialbericht versions and the move into own housing (Umzugsverfahren)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_appbuilder.models.sqla import Model
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, deferred, mapped_column, relationship

from app.models.base import PersonOwned, Timestamped, Versioned
from app.models.person import Person

REPORT_DRAFT = "draft"
REPORT_FINAL = "final"
REPORT_STATUS_LABELS = {REPORT_DRAFT: "Entwurf", REPORT_FINAL: "Endfassung"}

TRACK_ASYLBLG = "asylblg"
TRACK_SGB2 = "sgb2"
TRACK_LABELS = {
    TRACK_ASYLBLG: "Leistungsberechtigte nach dem AsylbLG",
    TRACK_SGB2: "Bleibeberechtigte (SGB II)",
}

PROCEDURE_OPEN = "open"
PROCEDURE_DONE = "done"
PROCEDURE_REJECTED = "rejected"
PROCEDURE_STATUS_LABELS = {
    PROCEDURE_OPEN: "laufend",
    PROCEDURE_DONE: "abgeschlossen (eingezogen)",
    PROCEDURE_REJECTED: "abgelehnt",
}


class FinalisedRecordError(Exception):
    """A finalised Sozialbericht was to be changed or deleted (it is immutable)."""


class SocialReport(PersonOwned, Timestamped, Versioned, Model):
    """Sozialbericht — one version of the report on housing competence (R-5.1, R-5.2).

    Versions of one report share ``series_id`` (the id of the first version). A draft is
    editable; a finalised version (Endfassung) is immutable and keeps its rendered PDF, the
    SHA-256 checksum and its author. A later change makes a new version, never an overwrite.
    """

    __tablename__ = "social_report"
    __table_args__ = (UniqueConstraint("series_id", "number", name="uq_social_report_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int | None] = mapped_column(Integer, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=REPORT_DRAFT)
    #: criterion code -> assessment text (catalogue ``social_report_criterion``)
    assessments: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    recommendation: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"), index=True)
    author_name: Mapped[str | None] = mapped_column(String(200))
    finalised_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    finalised_by_name: Mapped[str | None] = mapped_column(String(200))
    #: the document context frozen at finalisation (the DOCX is rendered from it)
    snapshot: Mapped[dict[str, Any] | None] = deferred(mapped_column(JSON))
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str | None] = mapped_column(String(64))

    person: Mapped[Person] = relationship(Person)

    def __repr__(self) -> str:
        return f"Sozialbericht {self.series_id or self.id} v{self.number}"

    @property
    def is_final(self) -> bool:
        return self.status == REPORT_FINAL

    @property
    def status_label(self) -> str:
        return REPORT_STATUS_LABELS.get(self.status, self.status)


@event.listens_for(Session, "before_flush")
def _refuse_change_of_final_report(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse any change or deletion of a finalised Sozialbericht (immutability)."""
    for obj in list(session.dirty):
        if not isinstance(obj, SocialReport) or not session.is_modified(obj):
            continue
        status_hist: Any = inspect(obj).attrs.status.history
        was_final = REPORT_FINAL in (status_hist.deleted or []) or (
            not status_hist.has_changes() and obj.status == REPORT_FINAL
        )
        if was_final:
            raise FinalisedRecordError(
                "Ein abgeschlossener Sozialbericht kann nicht geändert werden"
            )
    for obj in list(session.deleted):
        if isinstance(obj, SocialReport) and obj.status == REPORT_FINAL:
            deleting_person = any(
                isinstance(o, Person) and o.id == obj.person_id for o in session.deleted
            )
            if not deleting_person:
                raise FinalisedRecordError(
                    "Ein abgeschlossener Sozialbericht kann nicht gelöscht werden"
                )


class MoveProcedure(PersonOwned, Timestamped, Versioned, Model):
    """Umzugsverfahren — the move from the transitional home into own housing (R-5.3)."""

    __tablename__ = "move_procedure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    track: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PROCEDURE_OPEN)
    started_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    finished_on: Mapped[dt.date | None] = mapped_column(Date)
    moved_in_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    #: the flat offer (Wohnungsangebot) and its check against the KdU limits valid on the
    #: offer date (kept as checked: a later change of the limits does not rewrite it)
    offer_area: Mapped[str | None] = mapped_column(String(200))
    offer_living_space: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    offer_household_size: Mapped[int | None] = mapped_column(Integer)
    offer_rent: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    offer_heating: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    offer_on: Mapped[dt.date | None] = mapped_column(Date)
    offer_within: Mapped[bool | None] = mapped_column(Boolean)
    offer_rule: Mapped[str | None] = mapped_column(String(500))

    person: Mapped[Person] = relationship(Person)
    steps: Mapped[list[MoveStep]] = relationship(
        "MoveStep",
        cascade="all, delete-orphan",
        order_by="MoveStep.position",
        lazy="selectin",
        back_populates="procedure",
    )

    def __repr__(self) -> str:
        return f"Umzugsverfahren {self.id} ({self.track_label})"

    @property
    def track_label(self) -> str:
        return TRACK_LABELS.get(self.track, self.track)

    @property
    def status_label(self) -> str:
        return PROCEDURE_STATUS_LABELS.get(self.status, self.status)


class MoveStep(PersonOwned, Model):
    """Schritt des Umzugsverfahrens — date, responsible party, note (R-5.3)."""

    __tablename__ = "move_step"
    __table_args__ = (UniqueConstraint("procedure_id", "code", name="uq_move_step_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("move_procedure.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    responsible: Mapped[str | None] = mapped_column(String(300))
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    recorded_by_name: Mapped[str | None] = mapped_column(String(200))
    #: when the step was entered in the portal (UTC); ``done_on`` is the day it happened
    #: (unknown for steps recorded before this was kept)
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    social_report_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("social_report.id", ondelete="SET NULL")
    )

    procedure: Mapped[MoveProcedure] = relationship(MoveProcedure, back_populates="steps")


class KduLimit(Timestamped, Model):
    """Angemessenheitsgrenze der Kosten der Unterkunft (KdU), set by the county.

    One row per area (Gebiet) × household size × validity (from, to — ``valid_to`` empty:
    open-ended). Amounts in euros: gross cold rent, heating, deposit, first furnishing.
    """

    __tablename__ = "kdu_limit"
    __table_args__ = (
        UniqueConstraint("area", "household_size", "valid_from", name="uq_kdu_limit"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    household_size: Mapped[int] = mapped_column(Integer, nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    rent: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    heating: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    deposit: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    furnishing: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))

    def __repr__(self) -> str:
        return f"KdU-Grenze {self.area}, {self.household_size} Pers."


#: outcomes of the Härtefallkommission's decision (§ 23a AufenthG, HFKV Brandenburg)
HARDSHIP_REQUEST_MADE = "request_made"
HARDSHIP_REJECTED = "rejected"
HARDSHIP_NOT_ACCEPTED = "not_accepted"
HARDSHIP_WITHDRAWN = "withdrawn"
HARDSHIP_OUTCOME_LABELS = {
    HARDSHIP_REQUEST_MADE: "Härtefallersuchen gestellt",
    HARDSHIP_REJECTED: "kein Härtefallersuchen (abgelehnt)",
    HARDSHIP_NOT_ACCEPTED: "nicht zur Beratung angenommen",
    HARDSHIP_WITHDRAWN: "Eingabe zurückgezogen",
}


class HardshipProcedure(PersonOwned, Timestamped, Versioned, Model):
    """Härtefallverfahren — a case before the Härtefallkommission (§ 23a AufenthG).

    Steps with their days: request prepared (Antrag vorbereitet) → submitted to the commission
    (eingereicht) → decision with its outcome. Open while no decision is recorded; at most one
    open procedure per person (``app.services.housing.hardship``).
    """

    __tablename__ = "hardship_procedure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prepared_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))
    #: the member of the commission through whom the case is brought in (Einbringung)
    member: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    recorded_by_name: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    person: Mapped[Person] = relationship(Person)

    def __repr__(self) -> str:
        return f"Härtefallverfahren {self.id}"

    @property
    def is_open(self) -> bool:
        return self.decided_on is None

    @property
    def outcome_label(self) -> str:
        return HARDSHIP_OUTCOME_LABELS.get(self.outcome or "", self.outcome or "")

    @property
    def status_label(self) -> str:
        if self.decided_on is not None:
            return "entschieden: " + self.outcome_label
        if self.submitted_on is not None:
            return "bei der Härtefallkommission eingereicht"
        return "Antrag in Vorbereitung"

"""Intake and movement across providers: assignment imports and handovers."""

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
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.models.base import utcnow

#: Übergabe scopes: the whole file, or identity, household and residence status only
HANDOVER_SCOPES = ("full", "master_data")
HANDOVER_SCOPE_LABELS = {"full": "ganze Fallakte", "master_data": "nur Stammdaten"}
HANDOVER_STATUSES = ("offered", "accepted", "declined", "withdrawn")
HANDOVER_STATUS_LABELS = {
    "offered": "angeboten",
    "accepted": "angenommen",
    "declined": "abgelehnt",
    "withdrawn": "zurückgezogen",
}
CONSENT_FORMS = ("written", "oral")
CONSENT_FORM_LABELS = {"written": "schriftlich", "oral": "mündlich"}
#: the API's default when a request leaves the form of the consent out (the form asks for it)
CONSENT_NOT_RECORDED = "not_recorded"
CONSENT_FORM_DISPLAY = {**CONSENT_FORM_LABELS, CONSENT_NOT_RECORDED: "nicht angegeben"}


class Handover(Model):
    """Übergabe — a case file offered by one provider to another, with documented consent.

    Not row-scoped: it involves two organisations; ``app.services.intake.handover`` reads it
    for the sending and the receiving organisation only. An accepted handover moves the
    person's custody (``app.models.custody``), which drives what each organisation sees.
    """

    __tablename__ = "handover"
    __table_args__ = (
        Index("ix_handover_to_status", "to_organisation_id", "status"),
        Index("ix_handover_from_status", "from_organisation_id", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_organisation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organisation.id"), nullable=False
    )
    to_organisation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organisation.id"), nullable=False
    )
    scope: Mapped[str] = mapped_column(String(16), nullable=False, default="master_data")
    include_household: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    consent_given: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    consent_on: Mapped[dt.date | None] = mapped_column(Date)
    consent_form: Mapped[str | None] = mapped_column(String(16))
    #: the consent letter handed out before consenting: its language (``de`` or a letter
    #: language; null: none recorded) and the day (docs/letters.md)
    consent_letter_language: Mapped[str | None] = mapped_column(String(8))
    consent_letter_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="offered")
    offered_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    offered_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    offered_by_name: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decision_reason: Mapped[str | None] = mapped_column(Text)


class AssignmentImport(Model):
    """Zuweisungsliste — an uploaded assignment list between preview and confirmation."""

    __tablename__ = "assignment_import"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    #: the file itself until it is imported or discarded (then emptied)
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    #: JSON: header text -> field, set in the mapping step
    mapping: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="preview")
    #: JSON summary after the import (INTERFACES.md shape)
    summary: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: the stored analysis (JSON: summary, shown fields, header row, skipped lines); rows in
    #: ``assignment_import_row`` — the preview pages from them, the file is read once
    analysis: Mapped[str | None] = deferred(mapped_column(Text))
    analysed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AssignmentImportRow(Model):
    """One analysed data row of an uploaded list (parsed values, status, messages as JSON)."""

    __tablename__ = "assignment_import_row"
    __table_args__ = (Index("ix_assignment_import_row_import_row", "import_id", "row"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("assignment_import.id", ondelete="CASCADE"), nullable=False
    )
    row: Mapped[int] = mapped_column(Integer, nullable=False)
    #: new | known | update | error (as of the analysis; the confirmation matches again)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)


class CatalogueAlias(Model):
    """A county's own spelling of a catalogue value in its lists ("afghanisch", "§ 24 AufenthG").

    The portal ships its aliases in ``app/data/catalogue_aliases.json``; these rows extend them
    (Kreis-Admin, "Katalog-Zuordnungen")."""

    __tablename__ = "catalogue_alias"
    __table_args__ = (Index("uq_catalogue_alias_key", "catalogue", "alias_key", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalogue: Mapped[str] = mapped_column(String(32), nullable=False)
    alias: Mapped[str] = mapped_column(String(200), nullable=False)
    alias_key: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))

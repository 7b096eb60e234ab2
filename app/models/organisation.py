"""Organisations, staff accounts and accommodations (R-1)."""

from __future__ import annotations

import enum
from decimal import Decimal

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    false,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship


class OrganisationKind(enum.Enum):
    """Art der Organisation."""

    county = "county"
    provider = "provider"
    specialist_service = "specialist_service"


ORGANISATION_KIND_LABELS = {
    OrganisationKind.county: "Landkreis",
    OrganisationKind.provider: "Träger",
    OrganisationKind.specialist_service: "Fachberatungsdienst",
}


class Organisation(Model):
    """Organisation — Landkreis, Träger oder Fachberatungsdienst (R-1.1)."""

    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    kind: Mapped[OrganisationKind] = mapped_column(
        Enum(OrganisationKind, name="organisation_kind", native_enum=False, length=32),
        nullable=False,
    )
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    contact_person: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        return ORGANISATION_KIND_LABELS[self.kind]


class MsaUser(User):
    """Benutzerkonto (Mitarbeiter:in) — bound to one organisation, with FTE (VZÄ) (R-1.3)."""

    __tablename__ = "ab_user"
    organisation_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("organisation.id"), nullable=True, index=True
    )
    fte: Mapped[Decimal | None] = mapped_column(Numeric(4, 2), nullable=True, default=1)
    session_epoch: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    #: TOTP second factor (app.security.totp): base32 secret, on/off, last accepted time step
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: reminders and calendar: daily e-mail digest on/off; secret token of the
    #: iCalendar feed (None: no feed); client names in the feed's titles only when opted in
    reminder_digest: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=true()
    )
    calendar_token: Mapped[str | None] = mapped_column(
        String(64), nullable=True, unique=True, index=True
    )
    calendar_names: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    organisation: Mapped[Organisation | None] = relationship(
        Organisation, lazy="joined", foreign_keys=[organisation_id]
    )


#: a sign-in name is the same whatever its case: ``Pruefer`` cannot be created next to
#: ``pruefer`` (sign-in compares lower(username) and must find exactly one account)
Index("uq_ab_user_username_lower", func.lower(MsaUser.__table__.c.username), unique=True)


class AccommodationKind(enum.Enum):
    """Art der Unterkunft."""

    transitional_home = "transitional_home"
    shared_accommodation = "shared_accommodation"
    flat = "flat"


ACCOMMODATION_KIND_LABELS = {
    AccommodationKind.transitional_home: "Übergangswohnheim (ÜWH)",
    AccommodationKind.shared_accommodation: "Gemeinschaftsunterkunft",
    AccommodationKind.flat: "Wohnung",
}


class Accommodation(Model):
    """Unterkunft — ÜWH, Gemeinschaftsunterkunft oder Wohnung (R-1.2)."""

    __tablename__ = "accommodation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[AccommodationKind] = mapped_column(
        Enum(AccommodationKind, name="accommodation_kind", native_enum=False, length=32),
        nullable=False,
    )
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    capacity: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    operator_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("organisation.id"), index=True
    )
    operator: Mapped[Organisation | None] = relationship(Organisation)

    def __repr__(self) -> str:
        return self.name

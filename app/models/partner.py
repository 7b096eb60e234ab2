"""Network partners (Netzwerkpartner) and cooperation (R-6)."""

from __future__ import annotations

from flask_appbuilder.models.sqla import Model
from sqlalchemy import Boolean, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column


class NetworkPartner(Model):
    """Netzwerkpartner — county-wide directory of authorities, services, initiatives (R-6.1)."""

    __tablename__ = "network_partner"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    #: code of the ``partner_category`` catalogue (None: not yet classified after migration 0014)
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    #: code of the ``partner_type`` catalogue (Ausländerbehörde, JMD, Kita, Schule, OSZ …)
    partner_type: Mapped[str | None] = mapped_column(String(64), index=True)
    #: for doctors: code of the ``specialty`` catalogue (Allgemeinmedizin, Kinderheilkunde …)
    specialty: Mapped[str | None] = mapped_column(String(64))
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(300))
    contact_persons: Mapped[str | None] = mapped_column(Text)
    opening_hours: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[str | None] = mapped_column(String(300))
    directions: Mapped[str | None] = mapped_column(Text)
    services: Mapped[str | None] = mapped_column(Text)
    barrier_free: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )

    def __repr__(self) -> str:
        return self.name

"""A printable list of network partners per category and area, e.g. doctors near a client's home."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from app.extensions import db
from app.models.partner import NetworkPartner
from app.services import catalogues
from app.services.documents import render_pdf

#: at most this many partners on one list (a list for a client, not an export)
DIRECTORY_LIMIT = 200


@dataclass(frozen=True)
class DirectoryFilter:
    """Which partners: a ``partner_category`` code, an area (postcode or place), a language."""

    category: str = ""
    area: str = ""
    language: str = ""
    #: a ``partner_type`` code and, for doctors, a ``specialty`` code
    partner_type: str = ""
    specialty: str = ""

    def describe(
        self,
        category_labels: dict[str, str],
        type_labels: dict[str, str] | None = None,
        specialty_labels: dict[str, str] | None = None,
    ) -> str:
        """German description of the filter for the list's heading."""
        parts = []
        if self.category:
            parts.append(category_labels.get(self.category, self.category))
        if self.partner_type:
            parts.append((type_labels or {}).get(self.partner_type, self.partner_type))
        if self.specialty:
            label = (specialty_labels or {}).get(self.specialty, self.specialty)
            parts.append(f"Fachrichtung {label}")
        if self.area:
            parts.append(f"Gebiet „{self.area}“")
        if self.language:
            parts.append(f"Sprache „{self.language}“")
        return ", ".join(parts) or "alle Kategorien"


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def directory_entries(flt: DirectoryFilter) -> list[NetworkPartner]:
    """Return the partners matching ``flt``, by category and name (one statement)."""
    stmt = select(NetworkPartner)
    if flt.category:
        stmt = stmt.where(NetworkPartner.category == flt.category)
    if flt.partner_type:
        stmt = stmt.where(NetworkPartner.partner_type == flt.partner_type)
    if flt.specialty:
        stmt = stmt.where(NetworkPartner.specialty == flt.specialty)
    if flt.area:
        area = flt.area.strip()
        stmt = stmt.where(
            or_(
                NetworkPartner.postcode.like(area.replace("%", "") + "%"),
                NetworkPartner.city.ilike(_like(area), escape="\\"),
            )
        )
    if flt.language:
        stmt = stmt.where(NetworkPartner.languages.ilike(_like(flt.language.strip()), escape="\\"))
    stmt = stmt.order_by(NetworkPartner.category, NetworkPartner.name, NetworkPartner.id).limit(
        DIRECTORY_LIMIT
    )
    return list(db.session.scalars(stmt))


def directory_context(flt: DirectoryFilter, today: dt.date | None = None) -> dict[str, Any]:
    """Plain data of the list: groups per category with the partners' public details."""
    labels = catalogues.labels("partner_category")
    type_labels = catalogues.labels("partner_type")
    specialty_labels = catalogues.labels("specialty")
    groups: dict[str, list[dict[str, Any]]] = {}
    for partner in directory_entries(flt):
        label = labels.get(partner.category or "", "ohne Kategorie")
        address = " ".join(x for x in (partner.postcode, partner.city) if x)
        groups.setdefault(label, []).append(
            {
                "name": partner.name,
                "type": type_labels.get(partner.partner_type or "", ""),
                "specialty": specialty_labels.get(partner.specialty or "", ""),
                "address": ", ".join(x for x in (partner.street, address) if x),
                "phone": partner.phone or "",
                "email": partner.email or "",
                "website": partner.website or "",
                "opening_hours": partner.opening_hours or "",
                "languages": partner.languages or "",
                "barrier_free": "ja" if partner.barrier_free else "nein",
                "directions": partner.directions or "",
                "services": partner.services or "",
            }
        )
    return {
        "title": "Adressen im Netzwerk",
        "subtitle": flt.describe(labels, type_labels, specialty_labels),
        "groups": list(groups.items()),
        "count": sum(len(v) for v in groups.values()),
        "today": today or dt.date.today(),
    }


def directory_pdf(flt: DirectoryFilter, today: dt.date | None = None) -> bytes:
    """The list as a PDF to hand to a client (no client data on it)."""
    return render_pdf("partner_directory", directory_context(flt, today))

"""Caseload per caseworker (FTE-weighted 1:80) and further training per year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models.organisation import MsaUser
from app.models.person import COUNSELLING_MONTHS_AFTER_OWN_HOUSING, Person
from app.models.staff import StaffSupervision, StaffTraining

#: persons regularly present per full-time caseworker (§4.1)
CASELOAD_RATIO = 80


@dataclass(frozen=True)
class CaseloadRow:
    """Fallzahl einer Fachkraft — persons present against the FTE-weighted 1:80."""

    user_id: int | None
    name: str
    fte: float
    persons: int

    @property
    def capacity(self) -> float:
        """Persons this caseworker should carry at most (80 × FTE)."""
        return round(CASELOAD_RATIO * self.fte, 1)

    @property
    def per_fte(self) -> float | None:
        """Persons per full-time equivalent, None without FTE."""
        return round(self.persons / self.fte, 1) if self.fte > 0 else None

    @property
    def above(self) -> bool:
        """More persons than 80 × FTE (a caseworker without FTE: any person)."""
        return self.persons > self.capacity


def _present(on: dt.date) -> Any:
    cutoff = on - relativedelta(months=COUNSELLING_MONTHS_AFTER_OWN_HOUSING)
    return (
        or_(Person.assigned_on.is_(None), Person.assigned_on <= on),
        or_(Person.moved_away_on.is_(None), Person.moved_away_on > on),
        or_(Person.moved_in_own_housing_on.is_(None), Person.moved_in_own_housing_on > cutoff),
    )


def caseload_per_caseworker(organisation_id: int, on: dt.date | None = None) -> list[CaseloadRow]:
    """Return the caseload of each active staff member of a provider on day ``on`` (default today).

    Persons present (assigned, not moved away, less than 3 months in own housing — as the
    Anlage-1 indicator) counted per responsible caseworker; a last row (``user_id`` None)
    holds the persons without a responsible caseworker when there are any. Two statements.
    """
    day = on or dt.date.today()
    counts = dict(
        db.session.execute(
            select(Person.caseworker_id, func.count(Person.id))
            .where(Person.organisation_id == organisation_id, *_present(day))
            .group_by(Person.caseworker_id)
            .execution_options(msa_unscoped=True)
        ).all()
    )
    users = db.session.execute(
        select(MsaUser.id, MsaUser.first_name, MsaUser.last_name, MsaUser.fte)
        .where(MsaUser.organisation_id == organisation_id, MsaUser.active.is_(True))
        .order_by(MsaUser.last_name, MsaUser.first_name, MsaUser.id)
    ).all()
    rows = [
        CaseloadRow(uid, f"{first} {last}".strip(), float(fte or 0), int(counts.pop(uid, 0)))
        for uid, first, last, fte in users
        if (fte or 0) > 0 or counts.get(uid)
    ]
    orphaned = sum(int(n) for n in counts.values())
    if orphaned:
        rows.append(CaseloadRow(None, "ohne zuständige Fachkraft", 0.0, orphaned))
    return rows


def training_summary(organisation_id: int, year: int) -> dict[str, Any]:
    """Return further training and supervision of a provider's staff in ``year``.

    ``{"year", "staff": [{"user_id", "name", "trainings", "training_hours", "supervisions",
    "supervision_hours"}], "totals": {same four counts}}`` — for the annual evaluation. One
    statement per kind (two), grouped by staff member; members without entries are left out.
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    per_user: dict[int, dict[str, Any]] = {}
    for model, prefix in ((StaffTraining, "training"), (StaffSupervision, "supervision")):
        stmt = (
            select(
                model.user_id,
                MsaUser.first_name,
                MsaUser.last_name,
                func.count(model.id),
                func.coalesce(func.sum(model.hours), 0),
            )
            .join(MsaUser, MsaUser.id == model.user_id)
            .where(model.organisation_id == organisation_id, model.date >= start, model.date <= end)
            .group_by(model.user_id, MsaUser.first_name, MsaUser.last_name)
            .execution_options(msa_unscoped=True)
        )
        for uid, first, last, count, hours in db.session.execute(stmt):
            entry = per_user.setdefault(
                uid,
                {
                    "user_id": uid,
                    "name": f"{first} {last}".strip(),
                    "trainings": 0,
                    "training_hours": 0.0,
                    "supervisions": 0,
                    "supervision_hours": 0.0,
                },
            )
            entry["trainings" if prefix == "training" else "supervisions"] = int(count)
            entry[f"{prefix}_hours"] = float(Decimal(hours or 0))
    staff = sorted(per_user.values(), key=lambda e: (e["name"], e["user_id"]))
    totals = {
        key: sum(e[key] for e in staff)
        for key in ("trainings", "training_hours", "supervisions", "supervision_hours")
    }
    return {"year": year, "staff": staff, "totals": totals}

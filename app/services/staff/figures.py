"""Caseload per caseworker (FTE-weighted 1:80) and further training per year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models.organisation import MsaUser
from app.models.staff import StaffSupervision, StaffTraining
from app.services.bundle import Bundle
from app.services.statistics import presence

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


def caseload_queries(organisation_id: int, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The statements of :func:`caseload_rows` (for a :class:`~app.services.bundle.Bundle`).

    ``caseload_counts``: persons present per responsible caseworker; ``caseload_staff``: the
    accounts with an FTE with the organisation in the days (FTE-days); ``caseload_names``: the
    caseworkers of the counts. Core statements over the organisation's own rows only.
    """
    counts = presence.caseload_query(organisation_id, start, end)
    fte = presence.staff_fte_query(organisation_id, start, end).subquery("fte")
    user = MsaUser.__table__.c
    counted = counts.subquery("counted")
    return {
        "caseload_counts": counts,
        "caseload_staff": select(user.id, user.first_name, user.last_name, fte.c.fte_days)
        .join_from(fte, MsaUser.__table__, user.id == fte.c.user_id)
        .order_by(user.last_name, user.first_name, user.id),
        "caseload_names": select(user.id, user.first_name, user.last_name).where(
            user.id.in_(select(counted.c.cw).where(counted.c.cw.is_not(None)))
        ),
    }


def caseload_rows(data: Mapping[str, Any], start: dt.date, end: dt.date) -> list[CaseloadRow]:
    """Return the caseload of each account of the organisation in the days ``start`` … ``end``.

    The one caseload definition (app.services.statistics.presence): persons present per
    responsible caseworker against the FTE each account had in those days (averaged). Accounts
    with an FTE or with persons are listed (by name); a last row "ohne zuständige Fachkraft"
    holds the persons without a responsible caseworker when there are any. The rows sum to the
    organisation's ``persons_present`` of the same days.
    """
    counts = {cw: int(n) for cw, n in data["caseload_counts"]}
    rows: list[CaseloadRow] = []
    for uid, first, last, fte_days in data["caseload_staff"]:
        fte = presence.average_fte(fte_days, start, end)
        persons = counts.pop(uid, 0)
        if fte > 0 or persons:
            rows.append(CaseloadRow(uid, f"{first or ''} {last or ''}".strip(), fte, persons))
    names = {
        uid: f"{first or ''} {last or ''}".strip() for uid, first, last in data["caseload_names"]
    }
    for uid in sorted((u for u in counts if u is not None), key=lambda u: (names.get(u, ""), u)):
        rows.append(CaseloadRow(uid, names.get(uid, ""), 0.0, counts.pop(uid)))
    orphaned = sum(counts.values())
    if orphaned:
        rows.append(CaseloadRow(None, presence.WITHOUT_CASEWORKER, 0.0, orphaned))
    return rows


def caseload_per_caseworker(
    organisation_id: int, on: dt.date | None = None, end: dt.date | None = None
) -> list[CaseloadRow]:
    """Return the caseload of a provider's staff on day ``on`` (default today) — or in the days
    ``on`` … ``end`` — by :func:`caseload_rows`. One statement."""
    start = on or dt.date.today()
    last = end or start
    bundle = Bundle()
    bundle.update(caseload_queries(organisation_id, start, last))
    return caseload_rows(bundle.run(unscoped=True), start, last)


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

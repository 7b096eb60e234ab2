"""FTE history per account (Stellenanteile): which FTE an account had with which organisation when.

Every write of an account's FTE, activity or organisation — the user form, the lead's team
page, ``msa create-user``, the demo data, the directory sign-in — goes through the ORM, so one
pair of mapper events keeps ``staff_fte_period`` true: the open period ends the day before the
change and a new one begins on the day of it (a second change on the same day replaces that
day's period). An inactive account or one without organisation has no open period. The figures
of a quarter read the history (``app.services.statistics.presence``), so a later FTE change or
a later account leaves past quarters as they were.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, event, insert, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper

from app.models.organisation import MsaUser
from app.models.staff import StaffFtePeriod

_t = StaffFtePeriod.__table__


def _wanted(organisation_id: int | None, fte: Any, active: bool | None) -> Decimal | None:
    if not active or organisation_id is None or fte is None:
        return None
    return Decimal(str(fte))


def record_fte(
    conn: Connection,
    user_id: int,
    *,
    organisation_id: int | None,
    fte: Any,
    active: bool | None,
    on: dt.date,
) -> None:
    """From day ``on`` the account has ``fte`` with ``organisation_id`` (nothing if inactive)."""
    wanted = _wanted(organisation_id, fte, active)
    open_rows = conn.execute(
        select(_t.c.id, _t.c.organisation_id, _t.c.fte, _t.c.valid_from).where(
            _t.c.user_id == user_id, _t.c.valid_to.is_(None)
        )
    ).all()
    if (
        wanted is not None
        and len(open_rows) == 1
        and open_rows[0].organisation_id == organisation_id
        and Decimal(open_rows[0].fte) == wanted
    ):
        return
    for row in open_rows:
        if row.valid_from >= on:
            conn.execute(delete(_t).where(_t.c.id == row.id))
        else:
            conn.execute(
                update(_t).where(_t.c.id == row.id).values(valid_to=on - dt.timedelta(days=1))
            )
    if wanted is not None:
        conn.execute(
            insert(_t).values(
                user_id=user_id,
                organisation_id=organisation_id,
                fte=wanted,
                valid_from=on,
                valid_to=None,
            )
        )


def fte_since(conn: Connection, user_id: int, since: dt.date) -> None:
    """Record that the account has had its present FTE and organisation since ``since``.

    For accounts of staff who worked there before the account existed (demo data, accounts
    entered after the fact): the account's whole history becomes one period from ``since``.
    """
    row = conn.execute(
        select(MsaUser.organisation_id, MsaUser.fte, MsaUser.active).where(MsaUser.id == user_id)
    ).first()
    conn.execute(delete(_t).where(_t.c.user_id == user_id))
    if row is None:
        return
    record_fte(conn, user_id, organisation_id=row[0], fte=row[1], active=bool(row[2]), on=since)


def today() -> dt.date:
    """The day a change of FTE takes effect (the day it is recorded)."""
    return dt.date.today()


@event.listens_for(MsaUser, "after_insert")
def _open_on_insert(mapper: Mapper[Any], connection: Connection, target: MsaUser) -> None:
    """A new account has its FTE from the day it was created."""
    record_fte(
        connection,
        target.id,
        organisation_id=target.organisation_id,
        fte=target.fte,
        active=target.active,
        on=today(),
    )


@event.listens_for(MsaUser, "after_update")
def _follow_changes(mapper: Mapper[Any], connection: Connection, target: MsaUser) -> None:
    """A changed FTE, activity or organisation starts a new period today."""
    state: Any = inspect(target)
    if not any(
        state.attrs[name].history.has_changes() for name in ("fte", "active", "organisation_id")
    ):
        return
    record_fte(
        connection,
        target.id,
        organisation_id=target.organisation_id,
        fte=target.fte,
        active=target.active,
        on=today(),
    )

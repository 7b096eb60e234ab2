"""Custody history: open, move and close the periods in which an organisation held a person.

Every function works on a Core connection so that mapper events, bulk writes (import,
handover) and the destruction run it alike; none commits. ``holder_periods_in`` answers
"who held whom in a period of days" for the figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, event, func, insert, inspect, literal, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper

from app.models.base import utcnow
from app.models.custody import CustodyPeriod
from app.models.person import Person, PersonShare

_cp = CustodyPeriod.__table__
_person = Person.__table__


def _opened_on() -> Any:
    """The day the period of a person's first custody begins: assignment, else file opened."""
    return func.coalesce(_person.c.assigned_on, func.date(_person.c.created_at))


def open_custody(conn: Connection, person_ids: Sequence[int] | None = None) -> int:
    """Give every person (of ``person_ids``) without custody history its first period."""
    has_period = select(_cp.c.person_id).where(_cp.c.person_id.is_not(None))
    where = [_person.c.id.not_in(has_period)]
    if person_ids is not None:
        if not person_ids:
            return 0
        where.append(_person.c.id.in_(list(person_ids)))
    source = select(
        _person.c.id,
        _person.c.organisation_id,
        literal(1),
        _opened_on(),
        _person.c.moved_away_on,
        case((_person.c.assigned_on.is_not(None), "assignment"), else_="opened"),
        literal(1),
        literal(True),
        literal(False),
        literal(utcnow()),
    ).where(*where)
    result = conn.execute(
        insert(_cp).from_select(
            [
                "person_id",
                "organisation_id",
                "seq",
                "started_on",
                "ended_on",
                "began",
                "visible_from_seq",
                "current",
                "destroyed",
                "created_at",
            ],
            source,
        )
    )
    return int(result.rowcount or 0)


def sync_custody(conn: Connection, person_ids: Sequence[int]) -> None:
    """Follow the person's dates: the first period begins at the assignment (or the opening)
    of the file, the current one ends with the move-away."""
    if not person_ids:
        return
    ids = list(person_ids)
    open_custody(conn, ids)
    person = select(_opened_on()).where(_person.c.id == _cp.c.person_id).scalar_subquery()
    conn.execute(
        update(_cp)
        .where(_cp.c.person_id.in_(ids), _cp.c.seq == 1, _cp.c.began != "handover")
        .values(
            started_on=person,
            began=case(
                (
                    select(_person.c.assigned_on)
                    .where(_person.c.id == _cp.c.person_id)
                    .scalar_subquery()
                    .is_not(None),
                    "assignment",
                ),
                else_="opened",
            ),
        )
    )
    moved = select(_person.c.moved_away_on).where(_person.c.id == _cp.c.person_id)
    conn.execute(
        update(_cp)
        .where(_cp.c.person_id.in_(ids), _cp.c.current.is_(True))
        .values(ended_on=moved.scalar_subquery())
    )


def transfer_custody(
    conn: Connection,
    person_ids: Sequence[int],
    *,
    to_organisation_id: int,
    scope: str,
    handover_id: int | None,
    on: dt.date,
    consent_given: bool | None = None,
    consent_on: dt.date | None = None,
    consent_form: str | None = None,
) -> None:
    """An accepted handover: end the current periods, open the receiver's, end the shares.

    A ``full`` handover carries the release horizon on (the receiver sees what the sender
    saw); ``master_data`` starts a new one (the receiver sees its own records only). The
    shares made by the releasing holder end with the handover (the receiver shares anew).
    """
    if not person_ids:
        return
    ids = list(person_ids)
    open_custody(conn, ids)
    current = conn.execute(
        select(_cp.c.id, _cp.c.person_id, _cp.c.seq, _cp.c.visible_from_seq).where(
            _cp.c.person_id.in_(ids), _cp.c.current.is_(True)
        )
    ).all()
    conn.execute(
        update(_cp)
        .where(_cp.c.id.in_([row.id for row in current]))
        .values(current=False, ended_on=on)
    )
    now = utcnow()
    conn.execute(
        insert(_cp),
        [
            {
                "person_id": row.person_id,
                "organisation_id": to_organisation_id,
                "seq": row.seq + 1,
                "started_on": on,
                "ended_on": None,
                "began": "handover",
                "handover_id": handover_id,
                "scope": scope,
                "consent_given": consent_given,
                "consent_on": consent_on,
                "consent_form": consent_form,
                "visible_from_seq": row.visible_from_seq if scope == "full" else row.seq + 1,
                "current": True,
                "destroyed": False,
                "created_at": now,
            }
            for row in current
        ],
    )
    share = PersonShare.__table__
    conn.execute(
        update(share)
        .where(
            share.c.person_id.in_(ids),
            or_(share.c.until.is_(None), share.c.until >= on),
        )
        .values(until=on - dt.timedelta(days=1))
    )


def close_on_destruction(conn: Connection, person_ids: Sequence[int], on: dt.date) -> None:
    """Before a person is destroyed: its periods end (if open) and stay as anonymous counts."""
    if not person_ids:
        return
    ids = list(person_ids)
    open_custody(conn, ids)
    conn.execute(
        update(_cp)
        .where(_cp.c.person_id.in_(ids))
        .values(
            ended_on=func.coalesce(_cp.c.ended_on, on),
            current=False,
            destroyed=True,
            person_id=None,
        )
    )


def current_period_ids(conn: Connection, person_ids: Sequence[int]) -> dict[int, int]:
    """Return person id → id of its current custody period (persons with history only)."""
    if not person_ids:
        return {}
    rows = conn.execute(
        select(_cp.c.person_id, _cp.c.id).where(
            _cp.c.person_id.in_(list(person_ids)), _cp.c.current.is_(True)
        )
    )
    return {int(p): int(i) for p, i in rows}


@dataclass(frozen=True)
class Period:
    """One custody period as the figures and the case file read it."""

    id: int
    person_id: int | None
    organisation_id: int
    seq: int
    started_on: dt.date
    ended_on: dt.date | None
    began: str
    scope: str | None
    current: bool


def periods_of(conn: Connection, person_id: int) -> list[Period]:
    """Return the custody periods of a person in order."""
    rows = conn.execute(
        select(
            _cp.c.id,
            _cp.c.person_id,
            _cp.c.organisation_id,
            _cp.c.seq,
            _cp.c.started_on,
            _cp.c.ended_on,
            _cp.c.began,
            _cp.c.scope,
            _cp.c.current,
        )
        .where(_cp.c.person_id == person_id)
        .order_by(_cp.c.seq)
    )
    return [Period(*row) for row in rows]


def held_in(organisation_id: int | None, start: dt.date, end: dt.date) -> Any:
    """Condition: a custody period (of ``organisation_id``, None: any) overlapping the days
    ``start`` … ``end`` — "persons present" in a month or quarter."""
    clause = and_(
        _cp.c.started_on <= end,
        or_(_cp.c.ended_on.is_(None), _cp.c.ended_on >= start),
    )
    if organisation_id is not None:
        clause = and_(clause, _cp.c.organisation_id == organisation_id)
    return clause


def holder_on(conn: Connection, person_id: int, day: dt.date) -> int | None:
    """Return the organisation that held the person on ``day`` (the later one on a handover
    day), or None before the file was opened."""
    row = conn.execute(
        select(_cp.c.organisation_id)
        .where(_cp.c.person_id == person_id, _cp.c.started_on <= day)
        .order_by(_cp.c.seq.desc())
        .limit(1)
    ).first()
    return int(row[0]) if row else None


@event.listens_for(Person, "after_insert")
def _open_on_insert(mapper: Mapper[Any], connection: Connection, target: Person) -> None:
    """A new case file: its first custody period begins with the assignment or today."""
    open_custody(connection, [target.id])


@event.listens_for(Person, "after_update")
def _follow_dates(mapper: Mapper[Any], connection: Connection, target: Person) -> None:
    """A changed assignment or move-away date moves the custody period's bounds."""
    state: Any = inspect(target)
    if (
        state.attrs.assigned_on.history.has_changes()
        or state.attrs.moved_away_on.history.has_changes()
    ):
        sync_custody(connection, [target.id])

"""Persons present, caseload and FTE of a span of days — counted from history, never from today.

The one caseload definition of the desk, the staff page, Anlage 1 and the annual evaluation
(docs/statistics.md, "Persons present, caseload and FTE from history"):

- **Persons present** in the days ``start`` … ``end`` for an organisation: its custody periods
  (``custody_period``) that overlap the days, of persons whose counselling had not ended before
  ``start`` (3 months after moving into own housing, not under the AsylbLG, §4.1). A destroyed
  person's periods are anonymous counts (no person any more; the retention clips them to the
  end of counselling before the person goes, see ``clip_to_counselling``); a person deleted by
  hand (an entry made in error, not a destruction) leaves the figures. Each period is one
  presence: a person the organisation held twice in the same days counts twice.
- **Responsible caseworker**: the person's caseworker while the period is the person's current
  one; a period that ended (handover, destruction) has none — "ohne zuständige Fachkraft".
- **FTE**: each account with the FTE it had with the organisation on each of the days
  (``staff_fte_period``), averaged over the days: a half-time post for half of a quarter is
  0.25 of that quarter.

Everything here builds Core statements over explicit organisation ids (no row scope): the
callers decide beforehand which organisation a user may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import Integer, and_, case, cast, extract, func, literal, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Select

from app.models.custody import CustodyPeriod
from app.models.person import ASYLBLG_PREFIX, COUNSELLING_MONTHS_AFTER_OWN_HOUSING, Person
from app.models.staff import StaffFtePeriod

_cp = CustodyPeriod.__table__
_p = Person.__table__
_fte = StaffFtePeriod.__table__
_DAY = 86400

#: label of the caseload row of persons without a responsible caseworker
WITHOUT_CASEWORKER = "ohne zuständige Fachkraft"


def counselling_running(day: dt.date) -> ColumnElement[bool]:
    """Condition on the person: counselling had not ended before ``day``.

    Counselling ends 3 months after moving into own housing (§4.1), but not under the AsylbLG.
    """
    cutoff = day - relativedelta(months=COUNSELLING_MONTHS_AFTER_OWN_HOUSING)
    return or_(
        _p.c.moved_in_own_housing_on.is_(None),
        _p.c.moved_in_own_housing_on > cutoff,
        _p.c.benefit_basis.like(ASYLBLG_PREFIX + "%"),
    )


def present(start: dt.date, end: dt.date) -> ColumnElement[bool]:
    """Condition on ``custody_period`` outer-joined with ``person``: present in the days."""
    return and_(
        _cp.c.started_on <= end,
        or_(_cp.c.ended_on.is_(None), _cp.c.ended_on >= start),
        or_(
            and_(_p.c.id.is_(None), _cp.c.destroyed.is_(True)),
            and_(_p.c.id.is_not(None), counselling_running(start)),
        ),
    )


def periods_with_person() -> Any:
    """``custody_period`` LEFT JOIN ``person`` (destroyed persons' periods have none)."""
    return _cp.outerjoin(_p, _p.c.id == _cp.c.person_id)


def responsible_caseworker() -> Any:
    """The person's caseworker while the period is current, else NULL."""
    return case((_cp.c.current.is_(True), _p.c.caseworker_id), else_=literal(None, Integer))


def caseload_query(organisation_id: int, start: dt.date, end: dt.date) -> Select[Any]:
    """Rows ``(caseworker_id or None, persons present)`` of an organisation in the days."""
    inner = (
        select(responsible_caseworker().label("cw"))
        .select_from(periods_with_person())
        .where(_cp.c.organisation_id == organisation_id, present(start, end))
        .subquery("present")
    )
    return select(inner.c.cw, func.count()).group_by(inner.c.cw)


def _epoch(col: Any) -> Any:
    return cast(extract("epoch", col), Integer)


def _epoch_of(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def fte_days(start: dt.date, end: dt.date) -> Any:
    """Expression on ``staff_fte_period``: FTE × days of the period within ``start`` … ``end``
    (0 outside). Divided by the number of days it is the average FTE of the days."""
    s, e = _epoch_of(start), _epoch_of(end)
    lo = _epoch(_fte.c.valid_from)
    hi = func.coalesce(_epoch(_fte.c.valid_to), e)
    first = case((lo > s, lo), else_=s)
    last = case((hi < e, hi), else_=e)
    return case(
        (
            and_(
                _fte.c.valid_from <= end, or_(_fte.c.valid_to.is_(None), _fte.c.valid_to >= start)
            ),
            _fte.c.fte * ((last - first) / _DAY + 1),
        ),
        else_=0,
    )


def days_in(start: dt.date, end: dt.date) -> int:
    """Number of days from ``start`` to ``end``, both inclusive."""
    return (end - start).days + 1


def average_fte(fte_day_sum: Any, start: dt.date, end: dt.date) -> float:
    """The average FTE of the days from the sum of :func:`fte_days` (two decimals)."""
    return round(float(Decimal(fte_day_sum or 0) / days_in(start, end)), 2)


def staff_fte_query(organisation_id: int, start: dt.date, end: dt.date) -> Select[Any]:
    """Rows ``(user_id, FTE-days)`` of the accounts with an FTE with the organisation in the
    days (see :func:`average_fte`)."""
    return (
        select(_fte.c.user_id, func.sum(fte_days(start, end)).label("fte_days"))
        .where(
            _fte.c.organisation_id == organisation_id,
            _fte.c.valid_from <= end,
            or_(_fte.c.valid_to.is_(None), _fte.c.valid_to >= start),
        )
        .group_by(_fte.c.user_id)
    )


def clip_to_counselling(conn: Connection, person_ids: Sequence[int]) -> None:
    """Before persons are destroyed: end their custody periods where counselling ended.

    Counselling ends 3 months after moving into own housing (not under the AsylbLG); once the
    person is gone, the anonymous period alone must say until when the person was present, so
    that no past quarter changes with the destruction. The days after it count for nobody.
    """
    if not person_ids:
        return
    rows = conn.execute(
        select(_cp.c.id, _cp.c.ended_on, _p.c.moved_in_own_housing_on)
        .join(_p, _p.c.id == _cp.c.person_id)
        .where(
            _cp.c.person_id.in_(list(person_ids)),
            _p.c.moved_in_own_housing_on.is_not(None),
            or_(_p.c.benefit_basis.is_(None), ~_p.c.benefit_basis.like(ASYLBLG_PREFIX + "%")),
        )
    ).all()
    for period_id, ended_on, own_housing in rows:
        last = last_day_of_counselling(own_housing)
        if ended_on is None or ended_on > last:
            conn.execute(update(_cp).where(_cp.c.id == period_id).values(ended_on=last))


def last_day_of_counselling(own_housing: dt.date) -> dt.date:
    """The last day D on which :func:`counselling_running` holds (own housing > D − 3 months)."""
    months = relativedelta(months=COUNSELLING_MONTHS_AFTER_OWN_HOUSING)
    day = own_housing + months + dt.timedelta(days=4)
    while day - months >= own_housing:
        day -= dt.timedelta(days=1)
    return day

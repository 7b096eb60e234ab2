"""Härtefallverfahren in the annual figures: submitted to the commission, decided by outcome.

A step counts for the organisation that **held the person on the day of the step** (custody
periods, /work/shared/CUSTODY.md: a figure of a past period belongs to the provider that held
the person then) — the receiver on the day of a handover, the holder of the current period
also after a move-away on that day, as the moves into own housing count. A later handover does
not move a past year's figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from app.models import CustodyPeriod, HardshipProcedure
from app.models.housing import HARDSHIP_OUTCOME_LABELS

#: keys of the figures, in the order the year view shows them
OUTCOMES = tuple(HARDSHIP_OUTCOME_LABELS)


def hardship_counts_statement(organisation_id: int, start: dt.date, end: dt.date) -> Any:
    """One row: submitted, then decided per outcome (in ``OUTCOMES`` order), in the days."""
    h = HardshipProcedure.__table__.c
    cp = CustodyPeriod.__table__.c

    def held_on(day: Any) -> Any:
        return and_(
            cp.started_on <= day,
            or_(cp.ended_on.is_(None), cp.ended_on > day, and_(cp.ended_on == day, cp.current)),
        )

    def count_if(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    submitted = and_(h.submitted_on >= start, h.submitted_on <= end, held_on(h.submitted_on))
    decided = and_(h.decided_on >= start, h.decided_on <= end, held_on(h.decided_on))
    return select(
        count_if(submitted),
        *(count_if(and_(decided, h.outcome == code)) for code in OUTCOMES),
    ).where(
        cp.person_id == h.person_id,
        cp.organisation_id == organisation_id,
        or_(
            and_(h.submitted_on >= start, h.submitted_on <= end),
            and_(h.decided_on >= start, h.decided_on <= end),
        ),
    )


def decode(row: Sequence[Any]) -> dict[str, Any]:
    """The figures of the statement's row: submitted, decided, by outcome (with labels)."""
    by_outcome = {code: int(n or 0) for code, n in zip(OUTCOMES, row[1:], strict=True)}
    return {
        "submitted": int(row[0] or 0),
        "decided": sum(by_outcome.values()),
        "by_outcome": by_outcome,
        "outcome_labels": dict(HARDSHIP_OUTCOME_LABELS),
    }

"""Which persons an organisation may see now — for reads without a signed-in user.

The iCalendar feed (a secret URL, no session) and the daily reminder digest (a job over all
users) run unscoped, so the row scope of the signed-in session does not filter them. They ask
here instead, explicitly, which persons the organisation of the user may see today:

- the persons it holds (``Person.organisation_id``), and
- the persons shared with it by a share that has not ended (``PersonShare`` without an end
  date or with its last day not passed).

A former holder — the provider that handed the person over to another — is neither, so it
sees nothing of the person any more: not the name, not an appointment, not a follow-up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, exists, func, or_, select
from sqlalchemy.orm import aliased

from app.models.person import Person, PersonShare


def _share_active(share: Any, on: dt.date | None) -> ColumnElement[bool]:
    """Condition of a share that has not ended on ``on`` (default: the database's today)."""
    day: Any = on if on is not None else func.current_date()
    return or_(share.until.is_(None), share.until >= day)


def person_visible_to(
    person_id: Any, organisation_id: Any, *, on: dt.date | None = None
) -> ColumnElement[bool]:
    """Condition: the person ``person_id`` is visible to organisation ``organisation_id``.

    Both arguments may be values or columns of the enclosing statement (a per-user
    organisation in a grouped query); the condition correlates to them and to nothing else.
    """
    held = aliased(Person)
    share = aliased(PersonShare)
    return or_(
        exists().where(held.id == person_id, held.organisation_id == organisation_id),
        exists().where(
            share.person_id == person_id,
            share.organisation_id == organisation_id,
            _share_active(share, on),
        ),
    )


def persons_visible_to_organisation(
    organisation_id: int, *, on: dt.date | None = None
) -> CompoundSelect[int]:
    """Select of the ids of the persons organisation ``organisation_id`` may see."""
    return (
        select(Person.id)
        .where(Person.organisation_id == organisation_id)
        .union(
            select(PersonShare.person_id).where(
                PersonShare.organisation_id == organisation_id, _share_active(PersonShare, on)
            )
        )
    )

"""Residence deadlines (§3.1.2): a follow-up some weeks before the residence document ends.

Whenever a person's ``residence_valid_until`` (the end of validity of the residence permit,
Duldung or Fiktionsbescheinigung) is set, the person's caseworker gets a follow-up
``RESIDENCE_DEADLINE_WEEKS`` weeks before that day (setting, default 6; never before today).
When the date changes, the open follow-up moves with it; when the date is removed, the open
follow-up goes. A follow-up already done stays as it was; a new end date (a renewed document)
brings a new one.

The rule follows every write path of a person (page form, REST, handover, demo) because it
hangs on the mapper events of ``Person`` and writes in the same flush (like the custody
history, app/services/intake/custody.py): the person's write and its follow-up are one
transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, event, insert, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper

from app.dates import de_date
from app.models import FollowUp, Person
from app.models.base import utcnow

SOURCE = "residence_deadline"
DEFAULT_WEEKS = 6
TITLE = "Aufenthaltsdokument gültig bis {day}: Verlängerung bzw. Folgedokument klären"


def weeks_ahead() -> int:
    """The setting ``RESIDENCE_DEADLINE_WEEKS`` (default 6)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return DEFAULT_WEEKS
    try:
        weeks = int(current_app.config.get("RESIDENCE_DEADLINE_WEEKS", DEFAULT_WEEKS))
    except (TypeError, ValueError):
        return DEFAULT_WEEKS
    return weeks if 0 <= weeks <= 52 else DEFAULT_WEEKS


def due_on(valid_until: dt.date, today: dt.date, weeks: int) -> dt.date:
    """The day of the follow-up: ``weeks`` before the end, but never in the past."""
    return max(valid_until - dt.timedelta(weeks=weeks), today)


def _acting_user(organisation_id: int) -> int | None:
    """The signed-in user, when they work for the person's organisation."""
    from flask import g, has_request_context

    if not has_request_context():
        return None
    user: Any = g.get("user")
    if user is None or getattr(user, "organisation_id", None) != organisation_id:
        return None
    return int(user.id)


def sync(
    connection: Connection,
    *,
    person_id: int,
    organisation_id: int,
    valid_until: dt.date | None,
    assignee_id: int | None,
    today: dt.date | None = None,
) -> None:
    """Create, move or remove the person's open residence follow-up (Core, same transaction)."""
    table = FollowUp.__table__
    today = today or dt.date.today()
    open_ids = list(
        connection.execute(
            select(table.c.id).where(
                table.c.person_id == person_id,
                table.c.source == SOURCE,
                table.c.done_on.is_(None),
            )
        ).scalars()
    )
    if valid_until is None:
        if open_ids:
            connection.execute(delete(table).where(table.c.id.in_(open_ids)))
        return
    title = TITLE.format(day=de_date(valid_until))
    day = due_on(valid_until, today, weeks_ahead())
    now = utcnow()
    if open_ids:
        connection.execute(
            update(table)
            .where(table.c.id.in_(open_ids))
            .values(due_on=day, title=title, updated_at=now)
        )
        return
    done_same = connection.execute(
        select(table.c.id).where(
            table.c.person_id == person_id, table.c.source == SOURCE, table.c.title == title
        )
    ).first()
    if done_same is not None or assignee_id is None:
        return  # this end date was dealt with already / nobody to remind
    connection.execute(
        insert(table).values(
            person_id=person_id,
            organisation_id=organisation_id,
            assignee_id=assignee_id,
            due_on=day,
            title=title,
            source=SOURCE,
            created_at=now,
            updated_at=now,
        )
    )


def _sync_person(connection: Connection, person: Person) -> None:
    sync(
        connection,
        person_id=person.id,
        organisation_id=person.organisation_id,
        valid_until=person.residence_valid_until,
        assignee_id=person.caseworker_id or _acting_user(person.organisation_id),
    )


@event.listens_for(Person, "after_insert")
def _on_insert(mapper: Mapper[Any], connection: Connection, target: Person) -> None:
    """A new case file with an end of validity gets its follow-up."""
    if target.residence_valid_until is not None:
        _sync_person(connection, target)


@event.listens_for(Person, "after_update")
def _on_update(mapper: Mapper[Any], connection: Connection, target: Person) -> None:
    """A changed end of validity moves (or brings, or removes) the follow-up."""
    state: Any = inspect(target)
    if state.attrs.residence_valid_until.history.has_changes():
        _sync_person(connection, target)

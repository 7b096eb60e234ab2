"""Stage of the asylum procedure (§2, §3.1.2): the catalogue code on the person and its day.

``Person.procedure_stage`` is a code of the catalogue ``procedure_stage`` (registered, applied,
hearing, Dublin, decision, appeal …), set on the person form or through the REST person
(``procedure_stage``; the code is checked there like every catalogue field). Whenever it
changes, ``procedure_stage_since`` becomes the day of the change, on every write path (mapper
events of ``Person``, in the same flush); the case file's timeline shows the stage on that day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper

from app.models import Person


def _stamp(target: Person, today: dt.date | None = None) -> None:
    target.procedure_stage_since = (today or dt.date.today()) if target.procedure_stage else None


@event.listens_for(Person, "before_insert")
def _on_insert(mapper: Mapper[Any], connection: Connection, target: Person) -> None:
    """A new case file with a stage: the stage holds since today."""
    if target.procedure_stage and target.procedure_stage_since is None:
        _stamp(target)


@event.listens_for(Person, "before_update")
def _on_update(mapper: Mapper[Any], connection: Connection, target: Person) -> None:
    """A changed stage holds since today (a cleared stage has no day)."""
    state: Any = inspect(target)
    if state.attrs.procedure_stage.history.has_changes():
        _stamp(target)

"""Timeline source of the case file page: the stage of the asylum procedure, on its day."""

from __future__ import annotations

from typing import Any

from app.services.casefile import persons as person_service
from app.views import hub


def _stage_timeline(person: Any, data: dict[str, list[Any]]) -> list[hub.TimelineEvent]:
    """The current stage, dated the day it was set (no query: it is on the person)."""
    if not person.procedure_stage or person.procedure_stage_since is None:
        return []
    return [
        hub.TimelineEvent(
            when=person.procedure_stage_since,
            kind="procedure_stage",
            title="Stand des Asylverfahrens: "
            + person_service.label("procedure_stage", person.procedure_stage),
        )
    ]


hub.register_timeline_source("procedure_stage", _stage_timeline)

"""Extension points of the case file page (Fallakte): sections and timeline sources.

Each capability (contact notes, case management, housing, documents, audits …) registers its
section and its timeline events here from its own module, so the case file page grows without
every capability editing one template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HubSection:
    """One panel of the case file page."""

    key: str
    title: str
    template: str  # Jinja template rendered with ``person`` and ``section_ctx``
    context: Callable[[Any], dict[str, Any]]  # person -> template context
    order: int = 100
    permission: tuple[str, str] | None = None  # (permission, resource) needed to see it


@dataclass(frozen=True)
class TimelineEvent:
    """One entry of the case file timeline."""

    when: dt.date | dt.datetime
    kind: str  # e.g. "note", "case_management", "housing", "document"
    title: str
    detail: str = ""
    who: str = ""
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


HUB_SECTIONS: dict[str, HubSection] = {}
TIMELINE_SOURCES: dict[str, Callable[[Any], list[TimelineEvent]]] = {}


def register_hub_section(section: HubSection) -> None:
    """Add (or replace) a section of the case file page."""
    HUB_SECTIONS[section.key] = section


def register_timeline_source(key: str, source: Callable[[Any], list[TimelineEvent]]) -> None:
    """Add a function person -> timeline events (one or two queries, never one per row)."""
    TIMELINE_SOURCES[key] = source


def sections() -> list[HubSection]:
    """Return the registered sections in display order."""
    return sorted(HUB_SECTIONS.values(), key=lambda s: (s.order, s.key))


def timeline(person: Any, limit: int = 100) -> list[TimelineEvent]:
    """Return the merged timeline of a person, newest first."""
    events: list[TimelineEvent] = []
    for source in TIMELINE_SOURCES.values():
        events.extend(source(person))

    def _key(e: TimelineEvent) -> dt.datetime:
        w = e.when
        return w if isinstance(w, dt.datetime) else dt.datetime.combine(w, dt.time())

    return sorted(events, key=_key, reverse=True)[:limit]

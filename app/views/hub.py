"""Extension points of the case file page (Fallakte): sections and timeline sources.

Each capability (contact notes, case management, housing, documents, audits …) registers its
section and its timeline events here from its own module, so the case file page grows without
every capability editing one template.

Sections and timeline sources declare their reads as ``queries(person) -> {name: select}``;
the case file page runs the queries of ALL sections in one SQL statement
(:class:`app.services.bundle.Bundle`) and hands each its results as ``data`` — the page costs
the same number of statements however many capabilities register here.
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
    #: (person, data) -> template context; ``data`` holds the results of ``queries``
    context: Callable[[Any, dict[str, list[Any]]], dict[str, Any]]
    order: int = 100
    permission: tuple[str, str] | None = None  # (permission, resource) needed to see it
    #: person -> {name: select}; run together with every other section's queries
    queries: Callable[[Any], dict[str, Any]] | None = None
    #: the full width of the page (forms in a row); otherwise half, two sections side by side
    wide: bool = False


@dataclass(frozen=True)
class TimelineEvent:
    """One entry of the case file timeline.

    ``when`` is the day the thing happened (the record's domain date: the day of the step, of
    the contact, of the move step) — the timeline is ordered and dated by it. ``recorded`` is
    when it was entered in the portal, where that can be another day; the page shows it as a
    detail ("erfasst am …") when it differs.
    """

    when: dt.date | dt.datetime
    kind: str  # e.g. "note", "case_management", "housing", "document"
    title: str
    detail: str = ""
    who: str = ""
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    recorded: dt.date | dt.datetime | None = None

    @property
    def recorded_on(self) -> dt.date | None:
        """The day it was recorded (Europe/Berlin) when that is not the day it happened."""
        if self.recorded is None:
            return None
        recorded, happened = _day(self.recorded), _day(self.when)
        return recorded if recorded != happened else None


def _day(value: dt.date | dt.datetime) -> dt.date:
    """The calendar day of a date, or of a stored UTC time in Europe/Berlin."""
    from app.formatting import berlin

    return berlin(value).date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class TimelineSource:
    """Events of one capability: ``events(person, data)`` from the results of ``queries``."""

    key: str
    events: Callable[[Any, dict[str, list[Any]]], list[TimelineEvent]]
    queries: Callable[[Any], dict[str, Any]] | None = None


HUB_SECTIONS: dict[str, HubSection] = {}
TIMELINE_SOURCES: dict[str, TimelineSource] = {}


def register_hub_section(section: HubSection) -> None:
    """Add (or replace) a section of the case file page."""
    HUB_SECTIONS[section.key] = section


def register_timeline_source(
    key: str,
    events: Callable[[Any, dict[str, list[Any]]], list[TimelineEvent]],
    queries: Callable[[Any], dict[str, Any]] | None = None,
) -> None:
    """Add a source of timeline events: its ``queries`` and ``events(person, data)``."""
    TIMELINE_SOURCES[key] = TimelineSource(key, events, queries)


def sections() -> list[HubSection]:
    """Return the registered sections in display order."""
    return sorted(HUB_SECTIONS.values(), key=lambda s: (s.order, s.key))


def add_queries(bundle: Any, person: Any, sections: list[HubSection]) -> None:
    """Add the queries of the given sections and of every timeline source to ``bundle``."""
    for section in sections:
        if section.queries is not None:
            bundle.update({f"s:{section.key}:{k}": q for k, q in section.queries(person).items()})
    for source in TIMELINE_SOURCES.values():
        if source.queries is not None:
            bundle.update({f"t:{source.key}:{k}": q for k, q in source.queries(person).items()})


def _part(data: dict[str, list[Any]], prefix: str) -> dict[str, list[Any]]:
    return {k[len(prefix) :]: v for k, v in data.items() if k.startswith(prefix)}


def section_contexts(
    person: Any, sections: list[HubSection], data: dict[str, list[Any]]
) -> list[tuple[HubSection, dict[str, Any]]]:
    """Return (section, template context) from the bundle results ``data``."""
    return [(s, s.context(person, _part(data, f"s:{s.key}:"))) for s in sections]


#: the case file shows the newest 20 timeline entries; "ältere anzeigen" adds 20
TIMELINE_PAGE = 20
TIMELINE_MAX = 1000


def timeline_limit() -> int:
    """How many timeline entries the case file page shows (``?zeitstrahl=N``, default 20)."""
    from flask import has_request_context, request

    if not has_request_context():
        return TIMELINE_PAGE
    raw = request.args.get("zeitstrahl", "")
    n = int(raw) if raw.isdigit() else TIMELINE_PAGE
    return max(TIMELINE_PAGE, min(n, TIMELINE_MAX))


def timeline(
    person: Any, data: dict[str, list[Any]], limit: int | None = None
) -> list[TimelineEvent]:
    """Return the merged timeline of a person, newest first, from the bundle results.

    Each source reads ``timeline_limit() + 1`` rows, so one entry more than shown tells
    whether there are older ones (the page's "ältere anzeigen").
    """
    limit = limit if limit is not None else timeline_limit() + 1
    events: list[TimelineEvent] = []
    for source in TIMELINE_SOURCES.values():
        events.extend(source.events(person, _part(data, f"t:{source.key}:")))

    def _key(e: TimelineEvent) -> dt.datetime:
        w = e.when
        return w if isinstance(w, dt.datetime) else dt.datetime.combine(w, dt.time())

    return sorted(events, key=_key, reverse=True)[:limit]


def run_section(section: HubSection, person: Any) -> dict[str, Any]:
    """Context of one section on a page of its own (its queries in one statement)."""
    from app.services.bundle import Bundle

    bundle = Bundle()
    if section.queries is not None:
        bundle.update(section.queries(person))
    return section.context(person, bundle.run())


def source_events(key: str, person: Any) -> list[TimelineEvent]:
    """Events of one timeline source alone (its queries in one statement)."""
    from app.services.bundle import Bundle

    source = TIMELINE_SOURCES[key]
    bundle = Bundle()
    if source.queries is not None:
        bundle.update(source.queries(person))
    return source.events(person, bundle.run())

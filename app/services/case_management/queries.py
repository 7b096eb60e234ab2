"""Read models of case management: what is due, the case-management hint, "Meine Fälle",
service gaps, case events for the case file's timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select

from app.extensions import db
from app.models import (
    CaseEvent,
    CaseManagementCase,
    ContactNote,
    ContactNoteTopic,
    FollowUp,
    MonitoringEntry,
    Organisation,
    Person,
)
from app.services.case_management.workflow import (
    ASSESSMENT,
    CLOSED,
    FIRST_INTERVIEW,
    FOLLOW_UP_SOURCE,
    GOAL_AGREEMENT,
    HELP_PLANNING,
    HINT_MIN_AREAS,
    HINT_WINDOW_DAYS,
    MONITORING,
    OCCASION_BASED,
    OPEN_STEPS,
    SERVICE_STEERING,
    STEPS,
    step_label,
)
from app.services.catalogues import labels

# --- read models ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    """Something due in a case."""

    due_on: dt.date
    title: str

    @property
    def overdue(self) -> bool:
        return self.due_on < dt.date.today()


def due_query(person_id: int) -> Any:
    """Select (due_on, title) of the person's open case-management follow-ups (first 5)."""
    return (
        select(FollowUp.due_on, FollowUp.title)
        .where(
            FollowUp.person_id == person_id,
            FollowUp.source == FOLLOW_UP_SOURCE,
            FollowUp.done_on.is_(None),
        )
        .order_by(FollowUp.due_on)
        .limit(5)
    )


def due_next(case_: CaseManagementCase) -> list[DueItem]:
    """Return the open case-management follow-ups of the case's person, earliest first."""
    return [DueItem(due, title) for due, title in db.session.execute(due_query(case_.person_id))]


NEXT_STEP_HINTS: dict[str, str] = {
    FIRST_INTERVIEW: "Erstgespräch dokumentieren und entscheiden: Case Management oder "
    "anlassbezogene Hilfe.",
    OCCASION_BASED: "Anlassbezogene Hilfe über Beratungsvermerke.",
    ASSESSMENT: "Aspekte des Assessments erfassen (§3.2.2).",
    GOAL_AGREEMENT: "Ziel und Zwischenziele mit Zieldaten vereinbaren.",
    HELP_PLANNING: "Hilfeplan mit Aufgaben, Rollen und Verantwortlichen erstellen.",
    SERVICE_STEERING: "Leistungen Dritter vereinbaren, ggf. Fallkonferenz durchführen.",
    MONITORING: "Fortschritt je Ziel dokumentieren; zum Abschluss die Auswertung erfassen.",
    CLOSED: "Der Fall ist abgeschlossen.",
}


def hint_query(person_id: int, today: dt.date | None = None) -> Any:
    """Select the distinct contact topics of the person's notes of the last ~3 months."""
    since = (today or dt.date.today()) - dt.timedelta(days=HINT_WINDOW_DAYS)
    return (
        select(ContactNoteTopic.code)
        .join(ContactNote, ContactNote.id == ContactNoteTopic.contact_note_id)
        .where(ContactNote.person_id == person_id, ContactNote.date >= since)
        .distinct()
    )


def hint_from_codes(codes: Any) -> list[str]:
    """Return the topic areas (§3.1.x) when several suggest case management, else []."""
    from app.services.catalogues import catalogue_file

    sections = {
        e["code"]: (e.get("extra") or {}).get("section", e["code"])
        for e in catalogue_file().get("contact_topic", [])
    }
    areas: dict[str, str] = {}
    names = labels("contact_topic")
    for code in sorted(codes):
        areas.setdefault(sections.get(code, code), names.get(code, code))
    if len(areas) < HINT_MIN_AREAS:
        return []
    return sorted(areas.values())


def case_management_hint(person_id: int, today: dt.date | None = None) -> list[str]:
    """Return the topic areas (§3.1.x) of the last ~3 months when several suggest CM (§3.1.11).

    One aggregate query over the person's contact notes; empty when fewer than
    HINT_MIN_AREAS areas show up.
    """
    return hint_from_codes(db.session.scalars(hint_query(person_id, today)).all())


@dataclass(frozen=True)
class MyCaseRow:
    """One row of „Meine Fälle“."""

    case_id: int
    person_id: int
    person_name: str
    step: str
    opened_on: dt.date
    next_due: dt.date | None
    overdue: int

    @property
    def step_label(self) -> str:
        return step_label(self.step)


def my_cases(user_id: int, today: dt.date | None = None) -> dict[str, list[MyCaseRow]]:
    """Return the open cases of a caseworker grouped by step, with overdue counts (one query)."""
    today = today or dt.date.today()
    fu = (
        select(
            FollowUp.person_id.label("person_id"),
            func.min(FollowUp.due_on).label("next_due"),
            func.sum(case((FollowUp.due_on < today, 1), else_=0)).label("overdue"),
        )
        .where(FollowUp.source == FOLLOW_UP_SOURCE, FollowUp.done_on.is_(None))
        .group_by(FollowUp.person_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            CaseManagementCase.id,
            CaseManagementCase.person_id,
            Person.last_name,
            Person.first_name,
            CaseManagementCase.step,
            CaseManagementCase.opened_on,
            fu.c.next_due,
            fu.c.overdue,
        )
        .join(Person, Person.id == CaseManagementCase.person_id)
        .outerjoin(fu, fu.c.person_id == CaseManagementCase.person_id)
        .where(
            CaseManagementCase.caseworker_id == user_id,
            CaseManagementCase.step.in_(sorted(OPEN_STEPS)),
        )
        .order_by(Person.last_name, Person.first_name)
    ).all()
    grouped: dict[str, list[MyCaseRow]] = {s: [] for s in STEPS if s in OPEN_STEPS}
    for cid, pid, last, first, step, opened, next_due, overdue in rows:
        grouped[step].append(
            MyCaseRow(cid, pid, f"{last}, {first}", step, opened, next_due, int(overdue or 0))
        )
    return grouped


@dataclass(frozen=True)
class GapRow:
    """One row of the county's service-gap overview (no personal data)."""

    topic: str
    topic_label: str
    organisation: str
    entries: int
    cases: int


def service_gaps(since: dt.date | None = None, until: dt.date | None = None) -> list[GapRow]:
    """Return service gaps (Angebotslücken) counted per topic area and provider (R-4.6).

    Aggregated across all providers for the county; no names, no free text.
    """
    stmt = (
        select(
            MonitoringEntry.service_gap_topic,
            Organisation.name,
            func.count(MonitoringEntry.id),
            func.count(func.distinct(MonitoringEntry.case_id)),
        )
        .join(Organisation, Organisation.id == MonitoringEntry.organisation_id)
        .where(MonitoringEntry.service_gap_topic.is_not(None))
        .group_by(MonitoringEntry.service_gap_topic, Organisation.name)
        .order_by(func.count(MonitoringEntry.id).desc(), Organisation.name)
        .execution_options(msa_unscoped=True)
    )
    if since is not None:
        stmt = stmt.where(MonitoringEntry.recorded_on >= since)
    if until is not None:
        stmt = stmt.where(MonitoringEntry.recorded_on <= until)
    names = labels("contact_topic")
    return [
        GapRow(topic, names.get(topic, topic), org, int(n), int(c))
        for topic, org, n, c in db.session.execute(stmt).all()
    ]


def case_events_for_person(person_id: int) -> list[tuple[CaseEvent, int]]:
    """Return (event, case id) of all cases of a person (one query)."""
    rows = db.session.execute(
        select(CaseEvent).where(CaseEvent.person_id == person_id).order_by(CaseEvent.id)
    ).scalars()
    return [(e, e.case_id) for e in rows]

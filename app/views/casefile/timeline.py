"""Timeline sources of the case file page: contact notes, group sessions, follow-ups."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select

from app.i18n import translate
from app.models import (
    ContactNote,
    ContactNoteTopic,
    FollowUp,
    GroupSession,
    MsaUser,
)
from app.models.contact import CONTACT_KIND_LABELS, group_participant
from app.security import matrix
from app.services.casefile import persons as person_service
from app.views import hub
from app.views.casefile.common import _can, _fmt_date

# ---------------------------------------------------------------- timeline sources


def _limit() -> int:
    """Rows per source: the entries shown plus one (are there older ones?)."""
    return hub.timeline_limit() + 1


def _notes_queries(person: Any) -> dict[str, Any]:
    newest = (
        select(ContactNote.id)
        .where(ContactNote.person_id == person.id)
        .order_by(ContactNote.date.desc(), ContactNote.id.desc())
        .limit(_limit())
        .scalar_subquery()
    )
    return {
        "notes": select(
            ContactNote.id,
            ContactNote.date,
            ContactNote.kind,
            ContactNote.summary,
            ContactNote.result,
            ContactNote.duration_minutes,
            MsaUser.first_name,
            MsaUser.last_name,
        )
        .outerjoin(MsaUser, MsaUser.id == ContactNote.caseworker_id)
        .where(ContactNote.person_id == person.id)
        .order_by(ContactNote.date.desc(), ContactNote.id.desc())
        .limit(_limit()),
        "topics": select(ContactNoteTopic.contact_note_id, ContactNoteTopic.code).where(
            ContactNoteTopic.contact_note_id.in_(newest)
        ),
    }


def _notes_timeline(person: Any, data: dict[str, list[Any]]) -> list[hub.TimelineEvent]:
    """Contact notes of the person with caseworker and topics."""
    names = person_service.catalogue_labels("contact_topic")
    topics: dict[int, list[str]] = {}
    for note_id, code in data["topics"]:
        topics.setdefault(note_id, []).append(names.get(code, code))
    return [
        hub.TimelineEvent(
            when=date,
            kind="note",
            title=CONTACT_KIND_LABELS.get(kind, kind) + (f" ({minutes} Min.)" if minutes else ""),
            detail=summary if not result else f"{summary} — {translate('Ergebnis:')} {result}",
            who=f"{first or ''} {last or ''}".strip(),
            url=url_for("ContactNoteView.show", pk=nid),
            extra={"topics": topics.get(nid, [])},
        )
        for nid, date, kind, summary, result, minutes, first, last in data["notes"]
    ]


def _group_queries(person: Any) -> dict[str, Any]:
    return {
        "groups": select(GroupSession.id, GroupSession.date, GroupSession.topic)
        .join(group_participant, group_participant.c.group_session_id == GroupSession.id)
        .where(group_participant.c.person_id == person.id)
        .order_by(GroupSession.date.desc())
        .limit(_limit())
    }


def _group_timeline(person: Any, data: dict[str, list[Any]]) -> list[hub.TimelineEvent]:
    """Group sessions the person took part in (linked for roles that may open them)."""
    linked = _can("can_read", matrix.GROUP_SESSION)
    return [
        hub.TimelineEvent(
            when=date,
            kind="group",
            title="Gruppenberatung",
            detail=topic,
            url=url_for("GroupSessionView.show", pk=gid) if linked else None,
        )
        for gid, date, topic in data["groups"]
    ]


def _follow_up_queries(person: Any) -> dict[str, Any]:
    return {
        "follow_ups": select(FollowUp.id, FollowUp.due_on, FollowUp.title, FollowUp.done_on)
        .where(FollowUp.person_id == person.id)
        .order_by(FollowUp.due_on.desc())
        .limit(_limit())
    }


def _follow_up_timeline(person: Any, data: dict[str, list[Any]]) -> list[hub.TimelineEvent]:
    """Follow-ups of the person."""
    return [
        hub.TimelineEvent(
            when=due,
            kind="follow_up",
            title="Wiedervorlage" + (f" (erledigt am {_fmt_date(done)})" if done else ""),
            detail=title,
        )
        for _fid, due, title, done in data["follow_ups"]
    ]


hub.register_timeline_source("contact_notes", _notes_timeline, _notes_queries)
hub.register_timeline_source("group_sessions", _group_timeline, _group_queries)
hub.register_timeline_source("follow_ups", _follow_up_timeline, _follow_up_queries)

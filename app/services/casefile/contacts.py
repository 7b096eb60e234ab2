"""Documenting contacts (R-3.1), group sessions (R-3.2), follow-ups (R-3.4), referrals (R-6.2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    FollowUp,
    GroupSession,
    NetworkPartner,
    Person,
)
from app.services.catalogues import valid_codes
from app.services.errors import DomainError, Problem
from app.services.statistics.periods import ClosedPeriodError



class ContactValidationError(DomainError):
    """Invalid contact data; ``errors`` maps field names to German messages."""

    def __init__(
        self, errors: dict[str, list[str]] | None = None, *, problems: list[Problem] | None = None
    ) -> None:
        if problems is None:
            problems = [
                Problem(name, f"{name}.invalid", message)
                for name, messages in (errors or {}).items()
                for message in messages
            ]
        super().__init__(problems=problems)


@dataclass
class _Errors:
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ContactValidationError(self.errors)


def _check_common(
    errs: _Errors,
    *,
    date: dt.date | None,
    duration_minutes: int | None,
    today: dt.date,
) -> None:
    if date is None:
        errs.add("date", "Bitte ein Datum angeben.")
    elif date > today:
        errs.add("date", "Das Datum eines Kontakts darf nicht in der Zukunft liegen.")
    elif date < today - dt.timedelta(days=3 * 366):
        errs.add("date", "Das Datum liegt mehr als drei Jahre zurück.")
    if duration_minutes is not None and not 1 <= duration_minutes <= 1440:
        errs.add("duration_minutes", "Die Dauer muss zwischen 1 und 1440 Minuten liegen.")


def create_group_session(
    *,
    actor: Any,
    date: dt.date | None,
    topic: str,
    participant_ids: Sequence[int],
    topic_code: str | None = None,
    duration_minutes: int | None = None,
    interpreter_used: bool = False,
    summary: str | None = None,
    education_system: bool = False,
    return_counselling: bool = False,
    today: dt.date | None = None,
) -> GroupSession:
    """Document one group session with its participants (counted once, R-3.2)."""
    today = today or dt.date.today()
    errs = _Errors()
    _check_common(errs, date=date, duration_minutes=duration_minutes, today=today)
    if not topic or not topic.strip():
        errs.add("topic", "Bitte das Thema angeben.")
    elif len(topic) > 300:
        errs.add("topic", "Höchstens 300 Zeichen erlaubt.")
    if topic_code and topic_code not in valid_codes("contact_topic"):
        errs.add("topic_code", "Unbekannter Themenbereich.")
    ids = list(dict.fromkeys(int(i) for i in participant_ids))
    persons = list(db.session.scalars(select(Person).where(Person.id.in_(ids)))) if ids else []
    if not ids:
        errs.add("participant_ids", "Bitte mindestens eine teilnehmende Person auswählen.")
    elif len(persons) != len(ids):
        errs.add("participant_ids", "Unbekannte Person in der Teilnehmendenliste.")
    errs.raise_if_any()
    try:
        session = GroupSession(
            organisation_id=getattr(actor, "organisation_id", None),
            caseworker_id=actor.id,
            date=date,
            topic=topic.strip(),
            topic_code=topic_code or None,
            duration_minutes=duration_minutes,
            interpreter_used=interpreter_used,
            summary=(summary or "").strip() or None,
            education_system=education_system,
            return_counselling=return_counselling,
        )
        session.participants = persons
        db.session.add(session)
        db.session.commit()
    except ClosedPeriodError as exc:
        db.session.rollback()
        raise ContactValidationError({"date": [exc.message]}) from exc
    except Exception:
        db.session.rollback()
        raise
    return session


def complete_follow_up(follow_up: FollowUp, *, actor: Any, today: dt.date | None = None) -> bool:
    """Mark a follow-up as done; return False when it was already done."""
    if follow_up.done_on is not None:
        return False
    follow_up.done_on = today or dt.date.today()
    db.session.commit()
    return True


@dataclass(frozen=True)
class FollowUpBuckets:
    """Open follow-ups split for "Meine Wiedervorlagen"."""

    overdue: list[FollowUp]
    today: list[FollowUp]
    upcoming: list[FollowUp]


def add_follow_up(person: Person, *, actor: Any, due_on: Any, title: str) -> FollowUp:
    """Set a follow-up on its own (date + subject) for the actor (issue 16).

    Raises ``ContactValidationError`` (German messages per field) and writes nothing when the
    date is missing or past or the subject empty.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(due_on, dt.date):
        errors["due_on"] = ["Bitte ein Datum angeben (TT.MM.JJJJ)."]
    elif due_on < dt.date.today():
        errors["due_on"] = ["Eine Wiedervorlage kann nicht in der Vergangenheit liegen."]
    text = (title or "").strip()
    if not text:
        errors["title"] = ["Bitte einen Betreff angeben."]
    elif len(text) > 300:
        errors["title"] = ["Der Betreff darf höchstens 300 Zeichen lang sein."]
    if errors:
        raise ContactValidationError(errors)
    follow_up = FollowUp(
        person_id=person.id,
        organisation_id=person.organisation_id,
        assignee_id=actor.id,
        due_on=due_on,
        title=text,
        source="manual",
    )
    db.session.add(follow_up)
    db.session.commit()
    return follow_up


def my_open_follow_ups(
    user_id: int, *, today: dt.date | None = None, limit: int = 500
) -> FollowUpBuckets:
    """Return the open follow-ups assigned to a user: overdue, due today, upcoming (one query)."""
    from sqlalchemy.orm import joinedload

    today = today or dt.date.today()
    rows = list(
        db.session.scalars(
            select(FollowUp)
            .options(joinedload(FollowUp.person))
            .where(FollowUp.assignee_id == user_id, FollowUp.done_on.is_(None))
            .order_by(FollowUp.due_on, FollowUp.id)
            .limit(limit)
        )
    )
    return FollowUpBuckets(
        overdue=[f for f in rows if f.due_on < today],
        today=[f for f in rows if f.due_on == today],
        upcoming=[f for f in rows if f.due_on > today],
    )


def partner_from_label(text: str) -> int | None:
    """Return the id of the network partner a typed text names, if exactly one.

    The partner search suggests "Name (Ort)"; a user without JavaScript, or one who typed a
    name without picking the suggestion, still means that partner: the exact name or
    suggestion text (case-insensitive) finds it. None when no or several partners match.
    """
    wanted = text.strip().casefold()
    if not wanted:
        return None
    name = wanted.split(" (", 1)[0]
    rows = db.session.execute(
        select(NetworkPartner.id, NetworkPartner.name, NetworkPartner.city)
        .where(func.lower(NetworkPartner.name) == name)
        .limit(20)
    ).all()
    hits = [
        pid
        for pid, pname, city in rows
        if wanted in {pname.casefold(), f"{pname} ({city})".casefold() if city else ""}
    ]
    return hits[0] if len(hits) == 1 else None

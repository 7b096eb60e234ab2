"""Documenting contacts (R-3.1), group sessions (R-3.2), follow-ups (R-3.4), referrals (R-6.2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
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
from app.services.catalogues import accepted, valid_codes
from app.services.errors import DomainError, Problems, unit_of_work
from app.services.statistics.periods import ClosedPeriodError, check_open


class GroupSessionError(DomainError):
    """A group session was refused; nothing was written."""


#: the fields a group session's edit can change
GROUP_SESSION_FIELDS = (
    "date",
    "topic",
    "topic_code",
    "participant_ids",
    "duration_minutes",
    "interpreter_used",
    "summary",
    "education_system",
    "return_counselling",
)


def _check_group_session(
    problems: Problems, values: dict[str, Any], persons: list[Person], *, today: dt.date
) -> None:
    """The rules of a group session (the same limits as a note's)."""
    from app.services.casefile.notes import MAX_AGE_DAYS, SUMMARY_MAX

    date = values.get("date")
    if not isinstance(date, dt.date):
        problems.add("date", "date.required", "Bitte ein Datum angeben (TT.MM.JJJJ).")
    elif date > today:
        problems.add(
            "date", "date.future", "Das Datum eines Kontakts darf nicht in der Zukunft liegen."
        )
    elif date < today - dt.timedelta(days=MAX_AGE_DAYS):
        problems.add("date", "date.too_old", "Das Datum liegt mehr als drei Jahre zurück.")
    duration = values.get("duration_minutes")
    if duration is not None and not (isinstance(duration, int) and 1 <= duration <= 1440):
        problems.add(
            "duration_minutes",
            "duration.range",
            "Die Dauer muss zwischen 1 und 1440 Minuten liegen.",
        )
    topic = (values.get("topic") or "").strip()
    if not topic:
        problems.add("topic", "topic.required", "Bitte das Thema angeben.")
    elif len(topic) > 300:
        problems.add("topic", "topic.too_long", "Höchstens 300 Zeichen erlaubt.")
    code = values.get("topic_code")
    if code and code not in valid_codes("contact_topic"):
        problems.add(
            "topic_code",
            "topic_code.unknown",
            f"Unbekannter Themenbereich. {accepted('contact_topic')}",
        )
    if len(values.get("summary") or "") > SUMMARY_MAX:
        problems.add("summary", "summary.too_long", f"Höchstens {SUMMARY_MAX} Zeichen erlaubt.")
    ids = values.get("participant_ids") or []
    if not ids:
        problems.add(
            "participant_ids",
            "participants.required",
            "Bitte mindestens eine teilnehmende Person auswählen.",
        )
    elif len(persons) != len(ids):
        problems.add(
            "participant_ids",
            "participants.unknown",
            "Unbekannte Person in der Teilnehmendenliste.",
        )


def _participants(ids: Sequence[int]) -> tuple[list[int], list[Person]]:
    unique = list(dict.fromkeys(int(i) for i in ids))
    if not unique:
        return [], []
    return unique, list(db.session.scalars(select(Person).where(Person.id.in_(unique))))


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
    within: Callable[[Any], None] | None = None,
) -> GroupSession:
    """Document one group session with its participants (counted once, R-3.2)."""
    today = today or dt.date.today()
    ids, persons = _participants(participant_ids)
    values = {
        "date": date,
        "topic": topic,
        "topic_code": topic_code,
        "participant_ids": ids,
        "duration_minutes": duration_minutes,
        "summary": summary,
    }
    problems = Problems(GroupSessionError)
    _check_group_session(problems, values, persons, today=today)
    problems.raise_if_any()
    organisation_id = getattr(actor, "organisation_id", None)
    try:
        check_open(db.session, organisation_id, date)
    except ClosedPeriodError as exc:
        raise ClosedPeriodError(exc.message, field="date") from exc
    with unit_of_work():
        session = GroupSession(
            organisation_id=organisation_id,
            caseworker_id=actor.id,
            date=date,
            topic=topic.strip(),
            topic_code=topic_code or None,
            duration_minutes=duration_minutes,
            interpreter_used=bool(interpreter_used),
            summary=(summary or "").strip() or None,
            education_system=bool(education_system),
            return_counselling=bool(return_counselling),
        )
        session.participants = persons
        db.session.add(session)
        if within is not None:
            db.session.flush()
            within(session)  # a door's bookkeeping in the same transaction
    return session


def update_group_session(
    session: GroupSession, *, actor: Any, changes: dict[str, Any], today: dt.date | None = None
) -> GroupSession:
    """Change a group session: the rules of its creation; old and new date in open quarters."""
    today = today or dt.date.today()
    unknown = set(changes) - set(GROUP_SESSION_FIELDS)
    if unknown:
        raise GroupSessionError(
            "Unbekannte Felder: " + ", ".join(sorted(unknown)), key="field.unknown"
        )
    values: dict[str, Any] = {
        name: getattr(session, name) for name in GROUP_SESSION_FIELDS if name != "participant_ids"
    }
    values["participant_ids"] = [p.id for p in session.participants]
    values.update(changes)
    ids, persons = _participants(values["participant_ids"])
    values["participant_ids"] = ids
    problems = Problems(GroupSessionError)
    _check_group_session(problems, values, persons, today=today)
    problems.raise_if_any()
    try:
        check_open(db.session, session.organisation_id, session.date, values["date"])
    except ClosedPeriodError as exc:
        raise ClosedPeriodError(exc.message, field="date") from exc
    with unit_of_work():
        for name, value in changes.items():
            if name == "participant_ids":
                session.participants = persons
            elif name in ("topic", "summary"):
                setattr(session, name, (value or "").strip() or None)
            elif name in ("interpreter_used", "education_system", "return_counselling"):
                setattr(session, name, bool(value))
            else:
                setattr(session, name, value)
    return session


#: rows of "Meine Wiedervorlagen" and of the team's overdue list per page (each row carries a
#: form: 100 rows are about 60 KiB)
FOLLOW_UP_PAGE_SIZE = 100


@dataclass(frozen=True)
class FollowUpBuckets:
    """Open follow-ups split for "Meine Wiedervorlagen": the rows of one page, ordered by due
    day (so a page walks overdue → today → upcoming), and the totals of every bucket."""

    overdue: list[FollowUp]
    today: list[FollowUp]
    upcoming: list[FollowUp]
    totals: dict[str, int] = field(default_factory=dict)
    page: int = 0
    pages: int = 1


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


def my_open_follow_ups(
    user_id: int,
    *,
    today: dt.date | None = None,
    page: int = 0,
    page_size: int = FOLLOW_UP_PAGE_SIZE,
) -> FollowUpBuckets:
    """Return one page of the open follow-ups assigned to a user, split into overdue, due
    today and upcoming, with the totals of the three (two statements, whatever the count)."""
    from sqlalchemy.orm import joinedload

    today = today or dt.date.today()
    mine = (FollowUp.assignee_id == user_id, FollowUp.done_on.is_(None))
    overdue, due_today, upcoming = db.session.execute(
        select(
            func.count(FollowUp.id).filter(FollowUp.due_on < today),
            func.count(FollowUp.id).filter(FollowUp.due_on == today),
            func.count(FollowUp.id).filter(FollowUp.due_on > today),
        ).where(*mine)
    ).one()
    totals = {"overdue": overdue or 0, "today": due_today or 0, "upcoming": upcoming or 0}
    pages = _pages(sum(totals.values()), page_size)
    page = min(max(page, 0), pages - 1)
    rows = list(
        db.session.scalars(
            select(FollowUp)
            .options(joinedload(FollowUp.person))
            .where(*mine)
            .order_by(FollowUp.due_on, FollowUp.id)
            .limit(page_size)
            .offset(page * page_size)
        )
    )
    return FollowUpBuckets(
        overdue=[f for f in rows if f.due_on < today],
        today=[f for f in rows if f.due_on == today],
        upcoming=[f for f in rows if f.due_on > today],
        totals=totals,
        page=page,
        pages=pages,
    )


@dataclass(frozen=True)
class TeamOverdue:
    """One page of the team's overdue follow-ups (with the assignee's name) and the total."""

    rows: list[tuple[FollowUp, str]]
    total: int
    page: int = 0
    pages: int = 1


def team_overdue_follow_ups(
    *, today: dt.date | None = None, page: int = 0, page_size: int = FOLLOW_UP_PAGE_SIZE
) -> TeamOverdue:
    """The team's open overdue follow-ups (the row scope: the own provider's) with the name
    of the colleague each is assigned to — what the lead's landing tile counts — by page."""
    from sqlalchemy.orm import joinedload

    from app.models import MsaUser
    from app.services.casefile.desk import team_overdue

    today = today or dt.date.today()
    total = db.session.scalar(select(func.count(FollowUp.id)).where(*team_overdue(today))) or 0
    pages = _pages(total, page_size)
    page = min(max(page, 0), pages - 1)
    rows = db.session.execute(
        select(FollowUp, MsaUser.first_name, MsaUser.last_name)
        .options(joinedload(FollowUp.person))
        .join(MsaUser, MsaUser.id == FollowUp.assignee_id)
        .where(*team_overdue(today))
        .order_by(FollowUp.due_on, FollowUp.id)
        .limit(page_size)
        .offset(page * page_size)
    )
    return TeamOverdue([(fu, f"{first} {last}") for fu, first, last in rows], total, page, pages)


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

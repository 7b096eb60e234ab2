"""Beratungsvermerk (R-3.1) — the one door of a contact note.

:func:`create_note` and :func:`update_note` own every rule of a note, whichever door the input
comes through (the case-file form, the note's edit form, the REST API): the limits of each field,
the catalogue of topics, the network partner, the closed quarters, the derived referral row
(Vermittlung, R-6.2: a note with a partner is a referral to that partner), the follow-up set with
the note, the access log and the transaction. Nothing else writes a contact note.

Refusals are :class:`NoteError` (a :class:`~app.services.errors.DomainError`) with stable keys
per field (``date.required``, ``date.future``, ``date.too_old``, ``summary.too_long`` …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import ContactNote, ContactNoteTopic, FollowUp, NetworkPartner, Person, Referral
from app.models.base import utcnow
from app.models.contact import CONTACT_KINDS
from app.services.catalogues import valid_codes
from app.services.data_protection.access_log import log_access
from app.services.errors import DomainError, Problems, unit_of_work
from app.services.record_payloads import MSG_CONFLICT
from app.services.statistics.periods import ClosedPeriodError, check_open

#: the longest summary or result of a note (the case-file form's limit, for every door)
SUMMARY_MAX = 10000
FOLLOW_UP_TITLE_MAX = 300
#: a note may be documented at most three years after the contact
MAX_AGE_DAYS = 3 * 366
DURATION_RANGE = (1, 1440)
#: the fields a note's edit can change (the follow-up is set only with a new note)
NOTE_FIELDS = (
    "date",
    "kind",
    "topics",
    "duration_minutes",
    "interpreter_used",
    "summary",
    "result",
    "education_system",
    "return_counselling",
    "partner_id",
)


class NoteError(DomainError):
    """A contact note was refused; nothing was written."""


def _check_fields(
    problems: Problems,
    values: dict[str, Any],
    *,
    today: dt.date,
    partner: NetworkPartner | None,
) -> None:
    """The field rules of a note (the same for every door)."""
    date = values.get("date")
    if not isinstance(date, dt.date):
        problems.add("date", "date.required", "Bitte ein Datum angeben (TT.MM.JJJJ).")
    elif date > today:
        problems.add(
            "date", "date.future", "Das Datum eines Kontakts darf nicht in der Zukunft liegen."
        )
    elif date < today - dt.timedelta(days=MAX_AGE_DAYS):
        problems.add("date", "date.too_old", "Das Datum liegt mehr als drei Jahre zurück.")
    kind = values.get("kind")
    if kind not in CONTACT_KINDS:
        problems.add("kind", "kind.unknown", "Unbekannte Kontaktart.")
    duration = values.get("duration_minutes")
    lo, hi = DURATION_RANGE
    if duration is not None and not (isinstance(duration, int) and lo <= duration <= hi):
        problems.add(
            "duration_minutes",
            "duration.range",
            f"Die Dauer muss zwischen {lo} und {hi} Minuten liegen.",
        )
    unknown = set(values.get("topics") or ()) - valid_codes("contact_topic")
    if unknown:
        problems.add(
            "topics",
            "topics.unknown",
            "Unbekannter Themenbereich: " + ", ".join(sorted(unknown)),
        )
    summary = values.get("summary") or ""
    if not summary.strip():
        problems.add(
            "summary", "summary.required", "Bitte den Inhalt der Beratung kurz festhalten."
        )
    elif len(summary) > SUMMARY_MAX:
        problems.add("summary", "summary.too_long", f"Höchstens {SUMMARY_MAX} Zeichen erlaubt.")
    if len(values.get("result") or "") > SUMMARY_MAX:
        problems.add("result", "result.too_long", f"Höchstens {SUMMARY_MAX} Zeichen erlaubt.")
    if values.get("partner_id") is not None and partner is None:
        problems.add("partner_id", "partner.unknown", "Unbekannter Netzwerkpartner.")


def _partner(partner_id: Any) -> NetworkPartner | None:
    if partner_id is None:
        return None
    try:
        pid = int(partner_id)
    except (TypeError, ValueError):
        return None
    return db.session.get(NetworkPartner, pid)


def _topics(topics: Iterable[str] | None) -> list[str]:
    return list(dict.fromkeys(t for t in (topics or ()) if t))


def _check_quarter(organisation_id: int | None, *days: dt.date | None) -> None:
    try:
        check_open(db.session, organisation_id, *days)
    except ClosedPeriodError as exc:
        raise ClosedPeriodError(exc.message, field="date") from exc


def _sync_referral(
    note: ContactNote, partner: NetworkPartner | None, topics: list[str], *, new: bool = False
) -> None:
    """Keep the note's derived referral: one row while the note names a partner, none else."""
    existing = (
        None
        if new  # a new note has no referral yet: no statement for it
        else db.session.scalars(select(Referral).where(Referral.contact_note_id == note.id)).first()
    )
    if partner is None:
        if existing is not None:
            db.session.delete(existing)
        return
    if existing is None:
        db.session.add(
            Referral(
                person_id=note.person_id,
                organisation_id=note.organisation_id,
                partner_id=partner.id,
                date=note.date,
                topic_code=topics[0] if topics else None,
                contact_note_id=note.id,
            )
        )
        return
    existing.partner_id = partner.id
    existing.date = note.date
    existing.topic_code = topics[0] if topics else None


def create_note(
    person: Person,
    *,
    actor: Any,
    summary: str,
    date: dt.date | None,
    kind: str = "individual",
    topics: Iterable[str] | None = (),
    duration_minutes: int | None = None,
    interpreter_used: bool = False,
    result: str | None = None,
    education_system: bool = False,
    return_counselling: bool = False,
    partner_id: int | None = None,
    follow_up_on: dt.date | None = None,
    follow_up_title: str | None = None,
    today: dt.date | None = None,
    within: Callable[[ContactNote], None] | None = None,
) -> ContactNote:
    """Document one counselling contact of ``person`` by ``actor`` (Beratungsvermerk).

    Writes the note with its topics, a referral when a network partner is given and a
    follow-up for the actor when a due date is given — in one transaction. ``within`` runs in
    that transaction after the rows are written (a door's own bookkeeping, e.g. the REST API's
    idempotency key and its answer).
    """
    today = today or dt.date.today()
    topic_list = _topics(topics)
    partner = _partner(partner_id)
    problems = Problems(NoteError)
    values = {
        "date": date,
        "kind": kind,
        "topics": topic_list,
        "duration_minutes": duration_minutes,
        "summary": summary,
        "result": result,
        "partner_id": partner_id,
    }
    _check_fields(problems, values, today=today, partner=partner)
    if follow_up_on is not None:
        if follow_up_on < today:
            problems.add(
                "follow_up_on",
                "follow_up.past",
                "Die Wiedervorlage darf nicht in der Vergangenheit liegen.",
            )
        if follow_up_title and len(follow_up_title) > FOLLOW_UP_TITLE_MAX:
            problems.add(
                "follow_up_title",
                "follow_up.title_too_long",
                f"Höchstens {FOLLOW_UP_TITLE_MAX} Zeichen erlaubt.",
            )
    elif follow_up_title and follow_up_title.strip():
        problems.add(
            "follow_up_on",
            "follow_up.date_required",
            "Bitte ein Fälligkeitsdatum für die Wiedervorlage angeben.",
        )
    problems.raise_if_any()
    assert date is not None  # checked above
    _check_quarter(person.organisation_id, date)
    with unit_of_work():
        note = ContactNote(
            person_id=person.id,
            organisation_id=person.organisation_id,
            caseworker_id=actor.id,
            date=date,
            kind=kind,
            duration_minutes=duration_minutes,
            interpreter_used=bool(interpreter_used),
            summary=summary.strip(),
            result=(result or "").strip() or None,
            education_system=bool(education_system),
            return_counselling=bool(return_counselling),
            partner_id=partner.id if partner else None,
        )
        note.topics = [ContactNoteTopic(code=code) for code in topic_list]
        db.session.add(note)
        db.session.flush()
        _sync_referral(note, partner, topic_list, new=True)
        if follow_up_on is not None:
            db.session.add(
                FollowUp(
                    person_id=person.id,
                    organisation_id=person.organisation_id,
                    assignee_id=actor.id,
                    due_on=follow_up_on,
                    title=(follow_up_title or "").strip()
                    or f"Wiedervorlage: {summary.strip()[:80]}",
                    contact_note_id=note.id,
                    source="contact_note",
                )
            )
        if within is not None:
            db.session.flush()
            within(note)
    return note


def update_note(
    note: ContactNote,
    *,
    actor: Any,
    version: int | None,
    changes: dict[str, Any],
    today: dt.date | None = None,
) -> ContactNote:
    """Change a note: ``changes`` holds the fields of :data:`NOTE_FIELDS` that change.

    ``version`` is the version the editor read: an outdated one is refused (409). The rules
    are those of :func:`create_note`, checked on the note as it would be after the change;
    both the old and the new date must lie in an open quarter; the derived referral follows
    the partner, the date and the first topic.
    """
    today = today or dt.date.today()
    unknown = set(changes) - set(NOTE_FIELDS)
    if unknown:
        raise NoteError(
            "Unbekannte Felder: " + ", ".join(sorted(unknown)), field=None, key="field.unknown"
        )
    if version is not None and version != note.version:
        raise NoteError(MSG_CONFLICT, key="conflict", status=409)
    values: dict[str, Any] = {
        "date": note.date,
        "kind": note.kind,
        "topics": note.topic_codes,
        "duration_minutes": note.duration_minutes,
        "summary": note.summary,
        "result": note.result,
        "partner_id": note.partner_id,
    }
    values.update(changes)
    values["topics"] = _topics(values["topics"])
    partner = _partner(values["partner_id"])
    problems = Problems(NoteError)
    _check_fields(problems, values, today=today, partner=partner)
    problems.raise_if_any()
    _check_quarter(note.organisation_id, note.date, values["date"])
    with unit_of_work():
        for name in ("date", "kind", "duration_minutes"):
            if name in changes:
                setattr(note, name, changes[name])
        for name in ("interpreter_used", "education_system", "return_counselling"):
            if name in changes:
                setattr(note, name, bool(changes[name]))
        if "summary" in changes:
            note.summary = (changes["summary"] or "").strip()
        if "result" in changes:
            note.result = (changes["result"] or "").strip() or None
        if "partner_id" in changes:
            note.partner_id = partner.id if partner else None
        if "topics" in changes:
            keep = {t.code: t for t in note.topics}
            note.topics = [keep.get(c) or ContactNoteTopic(code=c) for c in values["topics"]]
        if changes:
            # topics are child rows: their change is a change of the note (new version)
            note.updated_at = utcnow()
        db.session.flush()
        _sync_referral(note, partner, values["topics"])
        log_access(note.person_id, "update", detail=f"ContactNote {note.id}", commit=False)
    return note

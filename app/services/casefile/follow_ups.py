"""Wiedervorlagen (R-3.4) and Vermittlungen (R-6.2) — the one door of each.

Every write of a follow-up or a referral, whichever door it comes through (the person's page,
"Meine Wiedervorlagen", the referral edit form, the REST API), goes through a verb of this
module; the rules live here once, refusals are :class:`~app.services.errors.DomainError` with
stable keys. A note's derived referral and follow-up are written by
:mod:`app.services.casefile.notes`; a case's monitoring follow-ups by the case-management
workflow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import ContactNote, FollowUp, MsaUser, NetworkPartner, Person, Referral
from app.services.casefile import cost_approval
from app.services.catalogues import accepted, valid_codes
from app.services.errors import DomainError, Problems, unit_of_work

TITLE_MAX = 300
REFERRAL_NOTE_MAX = 10000
#: a referral may be recorded at most three years after it was made (as a note)
MAX_AGE_DAYS = 3 * 366


class FollowUpError(DomainError):
    """A follow-up was refused; nothing was written."""


class ReferralError(DomainError):
    """A referral was refused; nothing was written."""


def _check_note_of_person(problems: Problems, note_id: Any, person_id: int) -> None:
    if note_id is None:
        return
    owner = db.session.execute(
        select(ContactNote.person_id).where(ContactNote.id == note_id)
    ).scalar_one_or_none()
    if owner is None:
        problems.add("contact_note_id", "contact_note.unknown", "Unbekannter Beratungsvermerk.")
    elif owner != person_id:
        problems.add(
            "contact_note_id",
            "contact_note.other_person",
            "Der Beratungsvermerk gehört nicht zu dieser Person.",
        )


# ------------------------------------------------------------------------------ follow-ups
def _check_follow_up(
    problems: Problems, values: dict[str, Any], *, today: dt.date, organisation_id: int | None
) -> None:
    due_on = values.get("due_on")
    if not isinstance(due_on, dt.date):
        problems.add("due_on", "due_on.required", "Bitte ein Datum angeben (TT.MM.JJJJ).")
    elif values.get("_new") and due_on < today:
        problems.add(
            "due_on", "due_on.past", "Eine Wiedervorlage kann nicht in der Vergangenheit liegen."
        )
    title = (values.get("title") or "").strip()
    if not title:
        problems.add("title", "title.required", "Bitte einen Betreff angeben.")
    elif len(title) > TITLE_MAX:
        problems.add(
            "title",
            "title.too_long",
            f"Der Betreff darf höchstens {TITLE_MAX} Zeichen lang sein.",
        )
    done_on = values.get("done_on")
    if done_on is not None and (not isinstance(done_on, dt.date) or done_on > today):
        problems.add(
            "done_on", "done_on.future", "Das Erledigt-Datum darf nicht in der Zukunft liegen."
        )
    assignee = values.get("assignee_id")
    if assignee is not None:
        org = db.session.execute(
            select(MsaUser.organisation_id).where(MsaUser.id == assignee)
        ).scalar_one_or_none()
        if org is None or org != organisation_id:
            problems.add(
                "assignee_id",
                "assignee.unknown",
                "Die zuständige Person gehört nicht zu Ihrer Organisation.",
            )


def create_follow_up(
    person: Person,
    *,
    actor: Any,
    due_on: Any,
    title: str,
    assignee_id: int | None = None,
    done_on: dt.date | None = None,
    contact_note_id: int | None = None,
    today: dt.date | None = None,
    within: Callable[[Any], None] | None = None,
) -> FollowUp:
    """Set a follow-up on its own (date + subject), for ``assignee_id`` or the actor."""
    today = today or dt.date.today()
    problems = Problems(FollowUpError)
    values = {
        "_new": True,
        "due_on": due_on,
        "title": title,
        "done_on": done_on,
        "assignee_id": assignee_id,
    }
    _check_follow_up(problems, values, today=today, organisation_id=person.organisation_id)
    _check_note_of_person(problems, contact_note_id, person.id)
    problems.raise_if_any()
    with unit_of_work():
        follow_up = FollowUp(
            person_id=person.id,
            organisation_id=person.organisation_id,
            assignee_id=assignee_id if assignee_id is not None else actor.id,
            due_on=due_on,
            title=title.strip(),
            done_on=done_on,
            contact_note_id=contact_note_id,
            source="manual",
        )
        db.session.add(follow_up)
        if within is not None:
            db.session.flush()
            within(follow_up)  # a door's bookkeeping in the same transaction
    return follow_up


FOLLOW_UP_FIELDS = ("due_on", "title", "done_on", "assignee_id", "contact_note_id")


def update_follow_up(
    follow_up: FollowUp, *, actor: Any, changes: dict[str, Any], today: dt.date | None = None
) -> FollowUp:
    """Change a follow-up (date, subject, done, assignee, note): the rules of its creation."""
    today = today or dt.date.today()
    unknown = set(changes) - set(FOLLOW_UP_FIELDS)
    if unknown:
        raise FollowUpError("Unbekannte Felder: " + ", ".join(sorted(unknown)), key="field.unknown")
    values = {name: getattr(follow_up, name) for name in FOLLOW_UP_FIELDS}
    values.update(changes)
    problems = Problems(FollowUpError)
    org = follow_up.organisation_id
    _check_follow_up(problems, values, today=today, organisation_id=org)
    if "contact_note_id" in changes:
        _check_note_of_person(problems, changes["contact_note_id"], follow_up.person_id)
    problems.raise_if_any()
    with unit_of_work():
        for name, value in changes.items():
            setattr(follow_up, name, value.strip() if name == "title" else value)
    return follow_up


def complete_follow_up(follow_up: FollowUp, *, actor: Any, today: dt.date | None = None) -> bool:
    """Mark a follow-up as done; return False when it was already done."""
    if follow_up.done_on is not None:
        return False
    with unit_of_work():
        follow_up.done_on = today or dt.date.today()
    return True


# ------------------------------------------------------------------------------ referrals
REFERRAL_FIELDS = (
    "partner_id",
    "date",
    "topic_code",
    "contact_note_id",
    "note",
    "outcome",
    "started_on",
    *cost_approval.APPROVAL_FIELDS,
)


def _check_referral(
    problems: Problems,
    values: dict[str, Any],
    *,
    today: dt.date,
    benefit_basis: str | None,
    approval_touched: bool,
) -> None:
    date = values.get("date")
    if not isinstance(date, dt.date):
        problems.add("date", "date.required", "Bitte ein Datum angeben (TT.MM.JJJJ).")
    elif date > today:
        problems.add(
            "date", "date.future", "Das Datum einer Vermittlung darf nicht in der Zukunft liegen."
        )
    elif date < today - dt.timedelta(days=MAX_AGE_DAYS):
        problems.add("date", "date.too_old", "Das Datum liegt mehr als drei Jahre zurück.")
    partner_id = values.get("partner_id")
    partner = None if partner_id is None else db.session.get(NetworkPartner, partner_id)
    if partner is None:
        problems.add("partner_id", "partner.unknown", "Unbekannter Netzwerkpartner.")
    topic = values.get("topic_code")
    if topic and topic not in valid_codes("contact_topic"):
        problems.add(
            "topic_code", "topic.unknown", f"Unbekannter Themenbereich. {accepted('contact_topic')}"
        )
    outcome = values.get("outcome")
    if outcome and outcome not in valid_codes("referral_outcome"):
        problems.add(
            "outcome",
            "outcome.unknown",
            f"Unbekanntes Ergebnis der Vermittlung. {accepted('referral_outcome')}",
        )
    if len(values.get("note") or "") > REFERRAL_NOTE_MAX:
        problems.add("note", "note.too_long", f"Höchstens {REFERRAL_NOTE_MAX} Zeichen erlaubt.")
    # Kostenübernahme (§3.1.8): specific individual care under the AsylbLG starts after it
    cost_approval.check(
        problems,
        values,
        benefit_basis=benefit_basis,
        partner=partner,
        approval_touched=approval_touched,
        today=today,
    )


def create_referral(
    person: Person,
    *,
    actor: Any,
    partner_id: int | None,
    date: dt.date | None,
    topic_code: str | None = None,
    contact_note_id: int | None = None,
    note: str | None = None,
    outcome: str | None = None,
    started_on: dt.date | None = None,
    cost_approval_state: str | None = None,
    cost_approval_requested_on: dt.date | None = None,
    cost_approval_decided_on: dt.date | None = None,
    cost_approval_reference: str | None = None,
    today: dt.date | None = None,
    within: Callable[[Any], None] | None = None,
) -> Referral:
    """Record a referral of ``person`` to a network partner (Vermittlung), with the cost
    approval where the care needs one (:mod:`app.services.casefile.cost_approval`)."""
    today = today or dt.date.today()
    values: dict[str, Any] = {
        "partner_id": partner_id,
        "date": date,
        "topic_code": topic_code,
        "note": note,
        "outcome": outcome,
        "started_on": started_on,
        "cost_approval_state": cost_approval_state,
        "cost_approval_requested_on": cost_approval_requested_on,
        "cost_approval_decided_on": cost_approval_decided_on,
        "cost_approval_reference": cost_approval_reference,
    }
    problems = Problems(ReferralError)
    _check_referral(
        problems,
        values,
        today=today,
        benefit_basis=person.benefit_basis,
        approval_touched=any(values[name] for name in cost_approval.APPROVAL_FIELDS),
    )
    _check_note_of_person(problems, contact_note_id, person.id)
    problems.raise_if_any()
    with unit_of_work():
        referral = Referral(
            person_id=person.id,
            organisation_id=person.organisation_id,
            partner_id=partner_id,
            date=date,
            topic_code=topic_code or None,
            contact_note_id=contact_note_id,
            note=(note or "").strip() or None,
            outcome=values["outcome"],
            started_on=values["started_on"],
            cost_approval_state=values["cost_approval_state"],
            cost_approval_requested_on=cost_approval_requested_on,
            cost_approval_decided_on=cost_approval_decided_on,
            cost_approval_reference=values["cost_approval_reference"],
        )
        db.session.add(referral)
        if within is not None:
            db.session.flush()
            within(referral)  # a door's bookkeeping in the same transaction
    return referral


def update_referral(
    referral: Referral, *, actor: Any, changes: dict[str, Any], today: dt.date | None = None
) -> Referral:
    """Change a referral: the rules of its creation on the changed referral."""
    today = today or dt.date.today()
    unknown = set(changes) - set(REFERRAL_FIELDS)
    if unknown:
        raise ReferralError("Unbekannte Felder: " + ", ".join(sorted(unknown)), key="field.unknown")
    stored = {name: getattr(referral, name) for name in REFERRAL_FIELDS}
    values = {**stored, **changes}
    benefit_basis = db.session.execute(
        select(Person.benefit_basis).where(Person.id == referral.person_id)
    ).scalar_one_or_none()
    problems = Problems(ReferralError)
    _check_referral(
        problems,
        values,
        today=today,
        benefit_basis=benefit_basis,
        approval_touched=any(
            values[name] != stored[name] for name in cost_approval.APPROVAL_FIELDS
        ),
    )
    if "contact_note_id" in changes:
        _check_note_of_person(problems, changes["contact_note_id"], referral.person_id)
    problems.raise_if_any()
    with unit_of_work():
        for name in REFERRAL_FIELDS:
            if name not in changes and values[name] == stored[name]:
                continue  # unchanged (the start day may be set by the rule's default)
            value = values[name]
            if name == "note":
                value = (value or "").strip() or None
            setattr(referral, name, value)
    return referral

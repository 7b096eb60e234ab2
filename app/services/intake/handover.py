"""Übergabe — hand a case file over to another provider with documented consent.

Rules (docs/intake.md):

- Only the person's current provider may offer; one open offer per person at a time.
- Scope ``full`` (the whole file) needs the person's consent (given, date, written/oral);
  without consent only ``master_data`` (identity, household, residence status) is possible.
- Only the receiving organisation may accept or decline (decline with a reason); the sender
  may withdraw until the offer is accepted. Exactly one decision per offer: each is a
  compare-and-set of the status (``_decide``); a decision that comes second is refused (409).
- On acceptance the receiver owns the person (and, if offered with the household, the
  household and its members of the sender); the sender no longer sees the file. Records
  documented before keep their organisation and caseworker, so the quarterly statistics of
  both providers for past months do not change; the row scope shows them to the receiver
  when the scope was ``full`` (``app.security.scoping.scope_clause``). Open case-management
  cases of the sender are closed on the day of acceptance (an event says why).
- Every step is a timeline event (the handover rows) and an access-log row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, or_, select, update

from app.extensions import db
from app.models import CaseEvent, CaseManagementCase, Household, Organisation, Person
from app.models.base import utcnow
from app.models.intake import (
    CONSENT_FORM_DISPLAY,
    CONSENT_FORMS,
    CONSENT_NOT_RECORDED,
    HANDOVER_SCOPE_LABELS,
    HANDOVER_SCOPES,
    HANDOVER_STATUS_LABELS,
    Handover,
)
from app.security.scoping import forget_shares
from app.services.data_protection.access_log import log_accesses
from app.services.intake.common import (
    CASE_HOLDING_KINDS,
    Actor,
    IntakeError,
    actor_name,
    organisation,
)
from app.services.intake.consent_letter import checked_letter, letter_label
from app.services.intake.custody import transfer_custody

MSG_NOT_FOUND = "Die Übergabe wurde nicht gefunden."
MSG_PERSON_NOT_FOUND = "Die Person wurde nicht gefunden."
#: master data kept for the receiver of a ``master_data`` handover; other person fields that
#: are not master data are emptied on acceptance
NOT_MASTER_DATA = ("private_interests", "employable")


def _unscoped(stmt: Any) -> Any:
    return stmt.execution_options(msa_unscoped=True)


def _person(person_id: int) -> Person | None:
    return db.session.scalars(_unscoped(select(Person).where(Person.id == person_id))).first()


def _handover(handover_id: int) -> Handover | None:
    return db.session.scalars(select(Handover).where(Handover.id == handover_id)).first()


def offer_handover(
    person_id: int,
    to_organisation_id: int,
    *,
    actor: Actor,
    scope: str = "master_data",
    consent_given: bool = False,
    consent_on: dt.date | None = None,
    consent_form: str | None = None,
    reason: str | None = None,
    include_household: bool = False,
    today: dt.date | None = None,
    consent_letter_language: str | None = None,
    consent_letter_on: dt.date | None = None,
) -> Handover:
    """Offer the case file of a person to another provider; return the new offer.

    ``consent_letter_language`` / ``consent_letter_on``: the consent letter handed out before
    the consent (language, day; default the consent's day) — only with a consent."""
    today = today or dt.date.today()
    person = _person(person_id)
    if person is None or actor.organisation_id is None:
        raise IntakeError(MSG_PERSON_NOT_FOUND, 404)
    if person.organisation_id != actor.organisation_id:
        # a share lets the specialist service see the file, never hand it on
        raise IntakeError(MSG_PERSON_NOT_FOUND, 404)
    target = organisation(to_organisation_id)
    if target is None or target.kind not in CASE_HOLDING_KINDS:
        raise IntakeError("Die empfangende Organisation ist kein Träger.", 400)
    if target.id == person.organisation_id:
        raise IntakeError("Die Person gehört bereits zu dieser Organisation.", 400)
    if scope not in HANDOVER_SCOPES:
        raise IntakeError("Umfang muss „full“ (ganze Fallakte) oder „master_data“ sein.", 400)
    if consent_given:
        if consent_on is None:
            raise IntakeError("Bitte das Datum der Einwilligung angeben.", 400)
        if consent_on > today:
            raise IntakeError("Das Datum der Einwilligung liegt in der Zukunft.", 400)
        if consent_form not in (*CONSENT_FORMS, CONSENT_NOT_RECORDED):
            raise IntakeError("Bitte angeben, ob die Einwilligung schriftlich oder mündlich ist.")
    elif scope == "full":
        raise IntakeError(
            "Ohne Einwilligung der Person können nur die Stammdaten übergeben werden.", 400
        )
    if not consent_given and (consent_letter_language or consent_letter_on):
        raise IntakeError("Ein Einwilligungsschreiben gehört zu einer Einwilligung.", 400)
    letter_language, letter_on = checked_letter(
        consent_letter_language, consent_letter_on, consent_on=consent_on, today=today
    )
    open_offer = db.session.scalar(
        select(Handover.id).where(Handover.person_id == person.id, Handover.status == "offered")
    )
    if open_offer is not None:
        raise IntakeError("Für diese Person liegt bereits ein offenes Übergabeangebot vor.", 409)
    handover = Handover(
        person_id=person.id,
        from_organisation_id=person.organisation_id,
        to_organisation_id=target.id,
        scope=scope,
        include_household=bool(include_household and person.household_id),
        consent_given=bool(consent_given),
        consent_on=consent_on if consent_given else None,
        consent_form=consent_form if consent_given else None,
        consent_letter_language=letter_language,
        consent_letter_on=letter_on,
        reason=(reason or "").strip() or None,
        status="offered",
        offered_by_id=actor.id,
        offered_by_name=actor_name(actor),
    )
    db.session.add(handover)
    db.session.flush()
    letter = letter_label(letter_language, letter_on)
    log_accesses(
        [
            (
                person.id,
                "handover_offer",
                None,
                f"Übergabe {handover.id} an {target.name}" + (f"; {letter}" if letter else ""),
            )
        ],
        commit=False,
    )
    db.session.commit()
    forget_shares()
    return handover


def _decidable(handover_id: int, actor: Actor, *, receiver: bool) -> Handover:
    handover = _handover(handover_id)
    org = actor.organisation_id
    if handover is None or org not in (handover.from_organisation_id, handover.to_organisation_id):
        raise IntakeError(MSG_NOT_FOUND, 404)
    expected = handover.to_organisation_id if receiver else handover.from_organisation_id
    if org != expected:
        who = "die empfangende" if receiver else "die anbietende"
        raise IntakeError(f"Das kann nur {who} Organisation.", 403)
    if handover.status != "offered":
        raise IntakeError(_not_open(handover.status), 409)
    return handover


def _not_open(status: str | None) -> str:
    label = HANDOVER_STATUS_LABELS.get(status or "", status or "")
    return f"Die Übergabe ist nicht mehr offen (Status: {label})."


def _decide(handover: Handover, status: str, actor: Actor, reason: str | None) -> dict[str, Any]:
    """Record the one decision on an open offer, or refuse with 409 when another came first.

    Exactly one decision per offer: the status changes from ``offered`` by a compare-and-set
    (``UPDATE … WHERE status = 'offered'``) that is the first write of the decision's
    transaction. Of concurrent decisions the database lets one update the row; the others
    find it decided (PostgreSQL re-checks the condition after the winner commits; SQLite
    serialises writers), update nothing, roll back and write nothing else — no access-log
    row, no move of the person.
    """
    values: dict[str, Any] = {
        "status": status,
        "decided_at": utcnow(),
        "decided_by_id": actor.id,
        "decided_by_name": actor_name(actor),
        "decision_reason": (reason or "").strip() or None,
    }
    result: Any = db.session.execute(
        update(Handover)
        .where(Handover.id == handover.id, Handover.status == "offered")
        .values(**values)
    )
    if result.rowcount != 1:
        db.session.rollback()
        now = db.session.scalar(select(Handover.status).where(Handover.id == handover.id))
        raise IntakeError(_not_open(now), 409)
    return values


def accept_handover(
    handover_id: int, *, actor: Actor, reason: str | None = None, today: dt.date | None = None
) -> Handover:
    """Accept an offer: the receiving organisation owns the person (and household) from now."""
    today = today or dt.date.today()
    handover = _decidable(handover_id, actor, receiver=True)
    person = _person(handover.person_id)
    if person is None or person.organisation_id != handover.from_organisation_id:
        raise IntakeError("Die Person gehört nicht mehr zur anbietenden Organisation.", 409)
    sender, receiver = handover.from_organisation_id, handover.to_organisation_id
    decision = _decide(handover, "accepted", actor, reason)
    ids = [person.id]
    if handover.include_household and person.household_id is not None:
        members = db.session.scalars(
            _unscoped(
                select(Person.id).where(
                    Person.household_id == person.household_id,
                    Person.organisation_id == sender,
                    Person.id != person.id,
                )
            )
        )
        ids.extend(int(i) for i in members)
    now = decision["decided_at"]
    values: dict[str, Any] = {
        "organisation_id": receiver,
        "caseworker_id": None,
        "version": Person.version + 1,
        "updated_at": now,
    }
    if handover.scope == "master_data":
        values.update({"private_interests": None, "employable": False})
    if not handover.include_household:
        values.update({"household_id": None, "household_role": None})
    db.session.execute(
        update(Person)
        .where(Person.id.in_(ids))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if handover.include_household and person.household_id is not None:
        db.session.execute(
            update(Household)
            .where(Household.id == person.household_id)
            .values(organisation_id=receiver)
            .execution_options(synchronize_session=False)
        )
    _close_open_cases(ids, sender, receiver, actor, today)
    transfer_custody(
        db.session.connection(),
        ids,
        to_organisation_id=receiver,
        scope=handover.scope,
        handover_id=handover.id,
        on=today,
        consent_given=handover.consent_given,
        consent_on=handover.consent_on,
        consent_form=handover.consent_form,
    )
    companions = [
        {
            "person_id": pid,
            "from_organisation_id": sender,
            "to_organisation_id": receiver,
            "scope": handover.scope,
            "include_household": True,
            "consent_given": handover.consent_given,
            "consent_on": handover.consent_on,
            "consent_form": handover.consent_form,
            "reason": f"Mit dem Haushalt übergeben (Übergabe {handover.id})",
            "offered_at": handover.offered_at,
            "offered_by_id": handover.offered_by_id,
            "offered_by_name": handover.offered_by_name,
            **decision,
        }
        for pid in ids[1:]
    ]
    if companions:
        db.session.execute(insert(Handover), companions)
    target = organisation(receiver)
    log_accesses(
        [
            (
                pid,
                "handover_accept",
                None,
                f"Übergabe {handover.id} an {target.name if target else receiver}",
            )
            for pid in ids
        ],
        commit=False,
    )
    db.session.commit()
    forget_shares()
    return handover


def _close_open_cases(
    person_ids: list[int], sender: int, receiver: int, actor: Actor, today: dt.date
) -> None:
    """Close the sender's open case-management cases of the persons (reason: handover)."""
    rows = db.session.execute(
        _unscoped(
            select(
                CaseManagementCase.id, CaseManagementCase.person_id, CaseManagementCase.step
            ).where(
                CaseManagementCase.person_id.in_(person_ids),
                CaseManagementCase.organisation_id == sender,
                CaseManagementCase.closed_on.is_(None),
            )
        )
    ).all()
    if not rows:
        return
    target = organisation(receiver)
    db.session.execute(
        update(CaseManagementCase)
        .where(CaseManagementCase.id.in_([r[0] for r in rows]))
        .values(step="closed", closed_on=today)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        insert(CaseEvent),
        [
            {
                "organisation_id": sender,
                "person_id": pid,
                "case_id": cid,
                "at": utcnow(),
                "actor_id": actor.id,
                "actor_name": actor_name(actor),
                "from_step": step,
                "to_step": "closed",
                "reason": f"Übergabe an {target.name if target else receiver}",
            }
            for cid, pid, step in rows
        ],
    )


def decline_handover(handover_id: int, *, actor: Actor, reason: str | None) -> Handover:
    """Decline an offer (a reason is required); nothing else changes."""
    handover = _decidable(handover_id, actor, receiver=True)
    text = (reason or "").strip()
    if not text:
        raise IntakeError("Bitte einen Grund für die Ablehnung angeben.", 400)
    return _close(handover, "declined", "handover_decline", actor, text)


def withdraw_handover(handover_id: int, *, actor: Actor, reason: str | None = None) -> Handover:
    """Withdraw an offer that has not been accepted yet (sending organisation only)."""
    handover = _decidable(handover_id, actor, receiver=False)
    return _close(handover, "withdrawn", "handover_withdraw", actor, (reason or "").strip())


def _close(handover: Handover, status: str, action: str, actor: Actor, text: str) -> Handover:
    _decide(handover, status, actor, text)
    label = HANDOVER_STATUS_LABELS[status]
    log_accesses(
        [(handover.person_id, action, None, f"Übergabe {handover.id} {label}")], commit=False
    )
    db.session.commit()
    return handover


@dataclass(frozen=True)
class HandoverRow:
    """One line of the handover inbox / list: the person by name and birth date only."""

    id: int
    person_id: int
    first_name: str
    last_name: str
    birth_date: dt.date
    from_organisation_id: int
    from_organisation: str
    to_organisation_id: int
    to_organisation: str
    scope: str
    consent_given: bool
    consent_on: dt.date | None
    consent_form: str | None
    consent_letter_language: str | None
    consent_letter_on: dt.date | None
    include_household: bool
    reason: str | None
    status: str
    offered_at: dt.datetime
    offered_by_name: str | None
    decided_at: dt.datetime | None
    decision_reason: str | None

    @property
    def scope_label(self) -> str:
        return HANDOVER_SCOPE_LABELS.get(self.scope, self.scope)

    @property
    def status_label(self) -> str:
        return HANDOVER_STATUS_LABELS.get(self.status, self.status)

    @property
    def consent_label(self) -> str:
        if not self.consent_given or self.consent_on is None:
            return "keine Einwilligung"
        on = self.consent_on.strftime("%d.%m.%Y")
        if self.consent_form == CONSENT_NOT_RECORDED:
            return f"am {on} (Form nicht angegeben)"
        form = CONSENT_FORM_DISPLAY.get(self.consent_form or "", "")
        letter = letter_label(self.consent_letter_language, self.consent_letter_on)
        return f"{form} am {on}".strip() + (f"; {letter}" if letter else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "person_id": self.person_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "birth_date": self.birth_date.isoformat(),
            "from_organisation_id": self.from_organisation_id,
            "from_organisation": self.from_organisation,
            "to_organisation_id": self.to_organisation_id,
            "to_organisation": self.to_organisation,
            "scope": self.scope,
            "consent_given": self.consent_given,
            "consent_on": self.consent_on.isoformat() if self.consent_on else None,
            "consent_form": self.consent_form,
            "consent_letter_language": self.consent_letter_language,
            "consent_letter_on": (
                self.consent_letter_on.isoformat() if self.consent_letter_on else None
            ),
            "include_household": self.include_household,
            "reason": self.reason,
            "offered_at": self.offered_at.isoformat() + "Z",
            "decided_at": self.decided_at.isoformat() + "Z" if self.decided_at else None,
            "decision_reason": self.decision_reason,
        }


def handovers_of(
    organisation_id: int | None, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[HandoverRow]:
    """Offers sent or received by an organisation, newest first (one statement).

    The person is shown by name and birth date only — to the receiver also before
    acceptance (it cannot open the file until then).
    """
    if organisation_id is None:
        return []
    sender = Organisation.__table__.alias("sender")
    receiver = Organisation.__table__.alias("receiver")
    stmt = (
        select(
            Handover.id,
            Handover.person_id,
            Person.first_name,
            Person.last_name,
            Person.birth_date,
            Handover.from_organisation_id,
            sender.c.name,
            Handover.to_organisation_id,
            receiver.c.name,
            Handover.scope,
            Handover.consent_given,
            Handover.consent_on,
            Handover.consent_form,
            Handover.consent_letter_language,
            Handover.consent_letter_on,
            Handover.include_household,
            Handover.reason,
            Handover.status,
            Handover.offered_at,
            Handover.offered_by_name,
            Handover.decided_at,
            Handover.decision_reason,
        )
        .join(Person, Person.id == Handover.person_id)
        .join(sender, sender.c.id == Handover.from_organisation_id)
        .join(receiver, receiver.c.id == Handover.to_organisation_id)
        .where(
            or_(
                Handover.from_organisation_id == organisation_id,
                Handover.to_organisation_id == organisation_id,
            )
        )
        .order_by(Handover.offered_at.desc(), Handover.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if status is not None:
        stmt = stmt.where(Handover.status == status)
    return [HandoverRow(*row) for row in db.session.execute(_unscoped(stmt))]


def person_events_query(person_id: int) -> Any:
    """Select of the handover steps of a person (for the timeline; the viewer sees the person)."""
    sender = Organisation.__table__.alias("h_sender")
    receiver = Organisation.__table__.alias("h_receiver")
    return (
        select(
            Handover.id,
            Handover.status,
            Handover.scope,
            Handover.offered_at,
            Handover.offered_by_name,
            Handover.decided_at,
            Handover.decided_by_name,
            Handover.decision_reason,
            sender.c.name,
            receiver.c.name,
        )
        .join(sender, sender.c.id == Handover.from_organisation_id)
        .join(receiver, receiver.c.id == Handover.to_organisation_id)
        .where(Handover.person_id == person_id)
        .order_by(Handover.offered_at.desc())
        .limit(50)
    )


def open_offer_query(person_id: int) -> Any:
    """Select of the open offer of a person (id, receiver name, scope, offered at, the consent
    letter's language and day)."""
    return (
        select(
            Handover.id,
            Organisation.name,
            Handover.scope,
            Handover.offered_at,
            Handover.consent_letter_language,
            Handover.consent_letter_on,
        )
        .join(Organisation, Organisation.id == Handover.to_organisation_id)
        .where(Handover.person_id == person_id, Handover.status == "offered")
        .limit(1)
    )

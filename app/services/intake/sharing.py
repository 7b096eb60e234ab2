"""Freigabe — share a case file with the specialist service (or another provider).

With the person's consent and an end date the organisation shared with sees the file and
documents on it (its notes belong to the file, i.e. to the owning provider); the owner can end
the share at any time; after its last day a share ends by itself (the row scope only counts
shares whose ``until`` has not passed — ``app.security.scoping.active_share``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update

from app.dates import de_date
from app.extensions import db
from app.models import Organisation, Person, PersonShare
from app.models.base import utcnow
from app.security.scoping import forget_shares
from app.services.data_protection.access_log import log_accesses
from app.services.intake.common import CASE_HOLDING_KINDS, Actor, IntakeError, organisation
from app.services.intake.consent_letter import checked_letter, letter_label
from app.services.intake.custody import open_custody

MSG_PERSON_NOT_FOUND = "Die Person wurde nicht gefunden."
#: longest share at once (it can be renewed)
MAX_SHARE_DAYS = 366 * 2


def _owned_person(person_id: int, actor: Actor) -> Person:
    person = db.session.scalars(
        select(Person).where(Person.id == person_id).execution_options(msa_unscoped=True)
    ).first()
    if person is None or actor.organisation_id is None:
        raise IntakeError(MSG_PERSON_NOT_FOUND, 404)
    if person.organisation_id != actor.organisation_id:
        raise IntakeError("Freigeben kann nur der Träger, dem die Fallakte gehört.", 403)
    return person


def share_person(
    person_id: int,
    organisation_id: int,
    *,
    actor: Actor,
    until: dt.date | None,
    consent_on: dt.date | None,
    note: str | None = None,
    today: dt.date | None = None,
    consent_letter_language: str | None = None,
    consent_letter_on: dt.date | None = None,
) -> PersonShare:
    """Share a person's case file until ``until`` (renews an existing share).

    ``consent_letter_language`` / ``consent_letter_on``: the consent letter handed out before
    the consent (language, day; default the consent's day); a renewal without them records
    none."""
    today = today or dt.date.today()
    person = _owned_person(person_id, actor)
    target = organisation(organisation_id)
    if target is None or target.kind not in CASE_HOLDING_KINDS:
        raise IntakeError("Freigaben gehen nur an den Fachberatungsdienst oder einen Träger.")
    if target.id == person.organisation_id:
        raise IntakeError("Die eigene Organisation sieht die Fallakte ohnehin.")
    if consent_on is None:
        raise IntakeError("Bitte das Datum der Einwilligung angeben.")
    if consent_on > today:
        raise IntakeError("Das Datum der Einwilligung liegt in der Zukunft.")
    if until is None:
        raise IntakeError("Bitte angeben, bis wann die Freigabe gilt.")
    if until < today:
        raise IntakeError("Das Ende der Freigabe liegt in der Vergangenheit.")
    if until > today + dt.timedelta(days=MAX_SHARE_DAYS):
        raise IntakeError("Eine Freigabe gilt höchstens zwei Jahre; sie kann verlängert werden.")
    letter_language, letter_on = checked_letter(
        consent_letter_language, consent_letter_on, consent_on=consent_on, today=today
    )
    share = db.session.scalars(
        select(PersonShare).where(
            PersonShare.person_id == person.id, PersonShare.organisation_id == target.id
        )
    ).first()
    if share is None:
        share = PersonShare(person_id=person.id, organisation_id=target.id)
        db.session.add(share)
    share.consent_on = consent_on
    share.consent_letter_language = letter_language
    share.consent_letter_on = letter_on
    share.until = until
    share.note = (note or "").strip()[:500] or None
    share.created_at = utcnow()
    share.created_by_id = actor.id
    open_custody(db.session.connection(), [person.id])
    db.session.flush()
    letter = letter_label(letter_language, letter_on)
    log_accesses(
        [
            (
                person.id,
                "share",
                None,
                f"Freigabe an {target.name} bis {de_date(until)}"
                + (f"; {letter}" if letter else ""),
            )
        ],
        commit=False,
    )
    db.session.commit()
    forget_shares()
    return share


def end_share(person_id: int, organisation_id: int, *, actor: Actor) -> None:
    """End the share of a person with an organisation (owner only)."""
    person = _owned_person(person_id, actor)
    # the share row stays (ended yesterday): what the recipient wrote on the file keeps its
    # provenance, and the recipient no longer sees the person
    yesterday = dt.date.today() - dt.timedelta(days=1)
    result: Any = db.session.execute(
        update(PersonShare)
        .where(
            PersonShare.person_id == person.id,
            PersonShare.organisation_id == organisation_id,
            or_(PersonShare.until.is_(None), PersonShare.until > yesterday),
        )
        .values(until=yesterday)
    )
    if not result.rowcount:
        db.session.rollback()
        raise IntakeError("Keine Freigabe für diese Organisation.", 404)
    target = organisation(organisation_id)
    log_accesses(
        [
            (
                person.id,
                "share_end",
                None,
                f"Freigabe an {target.name if target else organisation_id} beendet",
            )
        ],
        commit=False,
    )
    db.session.commit()
    forget_shares()


@dataclass(frozen=True)
class ShareRow:
    """One share of a person."""

    organisation_id: int
    organisation: str
    until: dt.date | None
    consent_on: dt.date
    note: str | None
    consent_letter_language: str | None = None
    consent_letter_on: dt.date | None = None

    @property
    def letter_label(self) -> str:
        """'Einwilligungserklärung (Arabisch) vom 06.12.2026 ausgehändigt' ('' when none)."""
        return letter_label(self.consent_letter_language, self.consent_letter_on)

    def active(self, today: dt.date | None = None) -> bool:
        return self.until is None or self.until >= (today or dt.date.today())

    def as_json(self) -> dict[str, Any]:
        return {
            "organisation_id": self.organisation_id,
            "organisation": self.organisation,
            "until": self.until.isoformat() if self.until else None,
            "consent_on": self.consent_on.isoformat(),
            "note": self.note,
            "consent_letter_language": self.consent_letter_language,
            "consent_letter_on": (
                self.consent_letter_on.isoformat() if self.consent_letter_on else None
            ),
            "active": self.active(),
        }


def shares_query(person_id: int) -> Any:
    """Select of the shares of a person with the organisation's name."""
    return (
        select(
            PersonShare.organisation_id,
            Organisation.name,
            PersonShare.until,
            PersonShare.consent_on,
            PersonShare.note,
            PersonShare.consent_letter_language,
            PersonShare.consent_letter_on,
        )
        .join(Organisation, Organisation.id == PersonShare.organisation_id)
        .where(PersonShare.person_id == person_id)
        .order_by(Organisation.name)
    )


def shares_of(person_id: int) -> list[ShareRow]:
    """Return the shares of a person (the caller has checked that it sees the person)."""
    return [ShareRow(*row) for row in db.session.execute(shares_query(person_id))]

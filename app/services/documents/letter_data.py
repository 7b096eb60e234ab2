"""The records a client letter prints, read within the caller's scope.

``letter_pdf(person_id, kind, lang, ...)`` reads the person through the row scope (a person the
caller may not see is ``None``: 404), the appointment, handover, sharing organisation or move
procedure the letter is about (each must belong to that person, and a handover to the caller's
own organisation as sender or receiver), builds the plain data and renders the letter
(``app/services/documents/letters.py``). Every letter printed is access-logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Handover, MoveProcedure, Organisation, Person, PersonShare
from app.models.intake import HANDOVER_SCOPES
from app.models.organisation import MsaUser, OrganisationKind
from app.services.data_protection.access_log import log_access
from app.services.documents import letters


class LetterNotFoundError(LookupError):
    """The person or the record the letter is about is not in the caller's scope."""


@dataclass(frozen=True)
class LetterFile:
    data: bytes
    filename: str
    bilingual: bool


def _int(args: Mapping[str, Any], name: str) -> int | None:
    """The id ``name`` of the request, None when it is not given (the default record)."""
    value = str(args.get(name) or "")
    if not value:
        return None
    if not value.isdigit():
        raise letters.LetterError(f"Bitte {name} als Zahl angeben.")
    return int(value)


def _name(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = db.session.get(MsaUser, user_id)
    return f"{user.first_name} {user.last_name}".strip() if user is not None else None


def _org_name(org_id: int | None) -> str:
    org = db.session.get(Organisation, org_id) if org_id is not None else None
    return org.name if org is not None else ""


def _handover_draft(
    person: Person, args: Mapping[str, Any], organisation_id: int | None
) -> dict[str, Any]:
    """The consent letter of a handover not offered yet (``to_organisation_id``, ``scope``,
    ``include_household``): printed by the holder before the offer is sent."""
    if person.organisation_id != organisation_id:
        raise LetterNotFoundError  # only the holder offers a handover
    receiver_id = _int(args, "to_organisation_id")
    receiver = db.session.get(Organisation, receiver_id) if receiver_id is not None else None
    if (
        receiver is None
        or receiver.kind not in (OrganisationKind.provider, OrganisationKind.specialist_service)
        or receiver.id == person.organisation_id
    ):
        raise LetterNotFoundError
    scope = str(args.get("scope") or "master_data")
    if scope not in HANDOVER_SCOPES:
        raise letters.LetterError("Umfang muss „full“ (ganze Fallakte) oder „master_data“ sein.")
    return {
        "receiver": receiver.name,
        "sender": _org_name(person.organisation_id),
        "scope": scope,
        "household": str(args.get("include_household") or "") in ("1", "true", "on")
        and person.household_id is not None,
    }


def letter_data(
    person: Person, kind: str, args: Mapping[str, Any], organisation_id: int | None
) -> dict[str, Any]:
    """Plain data of one letter about ``person`` (raises LetterNotFoundError / LetterError)."""
    data: dict[str, Any] = {
        "person": f"{person.first_name} {person.last_name}",
        "organisation": _org_name(person.organisation_id),
        "caseworker": _name(person.caseworker_id),
    }
    if kind == "appointment":
        appointment_id = _int(args, "appointment_id")
        query = select(Appointment).where(Appointment.person_id == person.id)
        if appointment_id is not None:
            query = query.where(Appointment.id == appointment_id)
        # without an id: the person's latest appointment
        appointment = db.session.scalars(
            query.order_by(Appointment.date.desc(), Appointment.id.desc())
        ).first()
        if appointment is None:
            raise LetterNotFoundError
        data.update(
            date=appointment.date,
            time=appointment.start_time.strftime("%H:%M")
            + (f"–{appointment.end_time.strftime('%H:%M')}" if appointment.end_time else ""),
            place=appointment.place or "",
            title=appointment.title,
            interpreter=appointment.interpreter_needed,
        )
    elif (
        kind == "consent_handover"
        and not args.get("handover_id")
        and args.get("to_organisation_id")
    ):
        data.update(_handover_draft(person, args, organisation_id))
    elif kind == "consent_handover":
        handover_id = _int(args, "handover_id")
        query = select(Handover).where(
            Handover.person_id == person.id,
            (Handover.from_organisation_id == organisation_id)
            | (Handover.to_organisation_id == organisation_id),
        )
        if handover_id is not None:
            query = query.where(Handover.id == handover_id)
        # without an id: the latest handover of the person the caller's organisation is part of
        handover = db.session.scalars(query.order_by(Handover.id.desc())).first()
        if handover is None and handover_id is None and person.organisation_id == organisation_id:
            # nothing offered yet: the holder's draft to the first other provider (the
            # letters section names the receiver and the scope)
            first = db.session.scalar(
                select(Organisation.id)
                .where(
                    Organisation.kind == OrganisationKind.provider,
                    Organisation.id != person.organisation_id,
                )
                .order_by(Organisation.name)
                .limit(1)
            )
            data.update(_handover_draft(person, {"to_organisation_id": first}, organisation_id))
            return data
        if handover is None:
            raise LetterNotFoundError
        data.update(
            receiver=_org_name(handover.to_organisation_id),
            sender=_org_name(handover.from_organisation_id),
            scope=handover.scope,
            household=handover.include_household,
        )
    elif kind == "consent_sharing":
        if person.organisation_id != organisation_id:
            raise LetterNotFoundError  # the holder asks for the consent, not a recipient
        receiver_id = _int(args, "organisation_id")
        if receiver_id is None:
            # without an id: the organisation of the person's latest share, else the first
            # specialist service (the Fachberatungsdienst a share is usually for), else the
            # first provider — never the holder itself
            receiver_id = db.session.scalar(
                select(PersonShare.organisation_id)
                .where(
                    PersonShare.person_id == person.id,
                    PersonShare.organisation_id != person.organisation_id,
                )
                .order_by(PersonShare.id.desc())
                .limit(1)
            ) or db.session.scalar(
                select(Organisation.id)
                .where(
                    Organisation.kind == OrganisationKind.specialist_service,
                    Organisation.id != person.organisation_id,
                )
                .order_by(Organisation.name)
                .limit(1)
            )
        if receiver_id is None:
            receiver_id = db.session.scalar(
                select(Organisation.id)
                .where(
                    Organisation.kind == OrganisationKind.provider,
                    Organisation.id != person.organisation_id,
                )
                .order_by(Organisation.name)
                .limit(1)
            )
        receiver = db.session.get(Organisation, receiver_id) if receiver_id is not None else None
        if receiver is None or receiver.id == person.organisation_id:
            raise LetterNotFoundError
        share = db.session.scalars(
            select(PersonShare)
            .where(
                PersonShare.person_id == person.id,
                PersonShare.organisation_id == receiver.id,
            )
            .order_by(PersonShare.id.desc())
        ).first()
        data.update(
            receiver=receiver.name,
            sender=data["organisation"],
            until=share.until if share is not None else None,
        )
    elif kind == "move_papers":
        procedure = db.session.scalars(
            select(MoveProcedure)
            .where(MoveProcedure.person_id == person.id)
            .order_by(MoveProcedure.started_on.desc(), MoveProcedure.id.desc())
        ).first()
        data.update(track=procedure.track if procedure is not None else "")
    elif kind == "counselling_end":
        data.update(end_date=person.moved_away_on or dt.date.today())
    return data


def letter_pdf(
    person_id: int, kind: str, lang: str, args: Mapping[str, Any], organisation_id: int | None
) -> LetterFile:
    """The letter as PDF for a person in the caller's scope; one access-log row."""
    letters.check(kind, lang)
    person = db.session.scalars(select(Person).where(Person.id == person_id)).first()
    if person is None:
        raise LetterNotFoundError
    data = letter_data(person, kind, args, organisation_id)
    pdf = letters.render_letter(kind, lang, data)
    bilingual = lang != "de" and letters.kind_status(kind, lang) == letters.REVIEWED
    ref = person.file_number or f"P-{person.id}"
    log_access(
        person.id,
        "document",
        detail=f"Schreiben {letters.KINDS[kind]} ({'Deutsch' if lang == 'de' else lang})",
    )
    return LetterFile(pdf, f"Schreiben_{kind}_{ref}_{lang}.pdf", bilingual)

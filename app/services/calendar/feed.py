"""The iCalendar feed (RFC 5545) of a user's appointments — text built here, no client data
unless the user opted in to names in titles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select

from app.extensions import db
from app.models.calendar import Appointment
from app.models.organisation import MsaUser
from app.models.partner import NetworkPartner
from app.models.person import Person
from app.services.calendar.settings import FEED_DAYS_AHEAD, FEED_DAYS_BACK
from app.services.intake.custody_read import persons_visible_to_organisation
from app.services.reminders.links import page_path

#: default length of an appointment without an end time
DEFAULT_MINUTES = 60
TZID = "Europe/Berlin"

_VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)


@dataclass(frozen=True)
class FeedEvent:
    """One appointment as the feed shows it."""

    uid: str
    start: dt.datetime
    end: dt.datetime
    summary: str
    location: str
    description: str
    stamp: dt.datetime


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode("utf-8")) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out)


def _local(value: dt.datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


def build_calendar(events: Iterable[FeedEvent], name: str) -> str:
    """Return the VCALENDAR text of ``events`` (local times in Europe/Berlin)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//MSA-Portal//Termine//DE",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-TIMEZONE:{TZID}",
        *_VTIMEZONE,
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{event.stamp.strftime('%Y%m%dT%H%M%SZ')}",
            f"DTSTART;TZID={TZID}:{_local(event.start)}",
            f"DTEND;TZID={TZID}:{_local(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.location:
            lines.append(f"LOCATION:{escape_text(event.location)}")
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"


def ical_feed(user: MsaUser, base_url: str, today: dt.date | None = None) -> str:
    """Return the user's appointments as an iCalendar feed.

    Titles are the appointment's subject (and the partner's name); a client's name is added
    only when the user opted in (``calendar_names``). Notes never leave the portal; the
    description links to the appointment in the portal. Runs unscoped for the token's user:
    only appointments the user owns, and of those with a client only the ones of persons the
    user's organisation may see today — after a handover to another provider the former
    holder's feed carries nothing of the person.
    """
    day = today or dt.date.today()
    if user.organisation_id is None:
        return build_calendar([], "MSA-Portal – Termine")
    visible = persons_visible_to_organisation(user.organisation_id, on=day)
    stmt = (
        select(Appointment, Person.first_name, Person.last_name, NetworkPartner.name)
        .outerjoin(Person, Person.id == Appointment.person_id)
        .outerjoin(NetworkPartner, NetworkPartner.id == Appointment.partner_id)
        .where(
            Appointment.owner_id == user.id,
            Appointment.organisation_id == user.organisation_id,
            or_(Appointment.person_id.is_(None), Appointment.person_id.in_(visible)),
            Appointment.date >= day - dt.timedelta(days=FEED_DAYS_BACK),
            Appointment.date <= day + dt.timedelta(days=FEED_DAYS_AHEAD),
        )
        .order_by(Appointment.date, Appointment.start_time, Appointment.id)
        .execution_options(msa_unscoped=True)
    )
    host = base_url.split("//", 1)[-1].split("/", 1)[0] or "msa-portal"
    events = []
    for appt, first, last, partner in db.session.execute(stmt):
        start = dt.datetime.combine(appt.date, appt.start_time)
        end = (
            dt.datetime.combine(appt.date, appt.end_time)
            if appt.end_time and appt.end_time > appt.start_time
            else start + dt.timedelta(minutes=DEFAULT_MINUTES)
        )
        summary = appt.title
        if partner:
            summary += f" – {partner}"
        if user.calendar_names and (first or last):
            summary += f" – {first or ''} {last or ''}".rstrip()
        description = base_url.rstrip("/") + page_path("AppointmentView.show", pk=appt.id)
        if appt.interpreter_needed:
            description = "Dolmetschung erforderlich\n" + description
        events.append(
            FeedEvent(
                uid=f"appointment-{appt.id}@{host}",
                start=start,
                end=end,
                summary=summary,
                location=appt.place or "",
                description=description,
                stamp=appt.updated_at or dt.datetime(2000, 1, 1),
            )
        )
    return build_calendar(events, "MSA-Portal – Termine")

"""The daily digest per user: counts and links only — no client name or content in any e-mail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from sqlalchemy import case, func, or_, select

from app.extensions import db
from app.models.calendar import Appointment
from app.models.contact import FollowUp
from app.models.organisation import MsaUser
from app.models.person import Person
from app.services.intake.custody_read import person_visible_to
from app.services.reminders.links import page_path
from app.services.reminders.mail import MailConfigError, SmtpSettings, parse_smtp_url, send_mail

#: residence permits expiring within this many weeks are reminded
PERMIT_WEEKS = 8


@dataclass
class Digest:
    """What one user is reminded of on one day (counts only)."""

    user_id: int
    username: str
    email: str
    follow_ups_due: int = 0
    follow_ups_overdue: int = 0
    appointments_today: int = 0
    appointments_tomorrow: int = 0
    permits_expiring: int = 0
    links: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing to remind of: no mail is sent."""
        return not (
            self.follow_ups_due
            or self.follow_ups_overdue
            or self.appointments_today
            or self.appointments_tomorrow
            or self.permits_expiring
        )


def _count_if(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def collect_digests(today: dt.date, base_url: str) -> list[Digest]:
    """Return the digest of every active user with an e-mail address and the digest switched on.

    Accounts created without ``--email`` carry a placeholder under ``.invalid`` and get none;
    a user with nothing due gets none either.

    Three grouped statements (follow-ups per assignee, appointments per owner, residence
    permits per responsible caseworker) plus one for the users, whatever their number. Each
    counts only persons the user's organisation may see today
    (``app.services.intake.custody_read``).
    """
    users = db.session.execute(
        select(MsaUser.id, MsaUser.username, MsaUser.email)
        .where(MsaUser.active.is_(True), MsaUser.reminder_digest.is_(True))
        .order_by(MsaUser.id)
    ).all()
    digests = {
        uid: Digest(uid, username, email)
        for uid, username, email in users
        if email and "@" in email and not email.lower().endswith(".invalid")
    }
    if not digests:
        return []
    ids = list(digests)
    # only what concerns persons the user's organisation may see today: after a handover to
    # another provider the former holder is reminded of nothing of the person
    for uid, due, overdue in db.session.execute(
        select(
            FollowUp.assignee_id,
            _count_if(FollowUp.due_on == today),
            _count_if(FollowUp.due_on < today),
        )
        .join(MsaUser, MsaUser.id == FollowUp.assignee_id)
        .where(
            FollowUp.assignee_id.in_(ids),
            FollowUp.done_on.is_(None),
            FollowUp.due_on <= today,
            person_visible_to(FollowUp.person_id, MsaUser.organisation_id, on=today),
        )
        .group_by(FollowUp.assignee_id)
        .execution_options(msa_unscoped=True)
    ):
        digests[uid].follow_ups_due = int(due or 0)
        digests[uid].follow_ups_overdue = int(overdue or 0)
    tomorrow = today + dt.timedelta(days=1)
    for uid, on_day, next_day in db.session.execute(
        select(
            Appointment.owner_id,
            _count_if(Appointment.date == today),
            _count_if(Appointment.date == tomorrow),
        )
        .join(MsaUser, MsaUser.id == Appointment.owner_id)
        .where(
            Appointment.owner_id.in_(ids),
            Appointment.date >= today,
            Appointment.date <= tomorrow,
            or_(
                Appointment.person_id.is_(None),
                person_visible_to(Appointment.person_id, MsaUser.organisation_id, on=today),
            ),
        )
        .group_by(Appointment.owner_id)
        .execution_options(msa_unscoped=True)
    ):
        digests[uid].appointments_today = int(on_day or 0)
        digests[uid].appointments_tomorrow = int(next_day or 0)
    limit = today + dt.timedelta(weeks=PERMIT_WEEKS)
    for uid, count in db.session.execute(
        select(Person.caseworker_id, func.count(Person.id))
        .join(MsaUser, MsaUser.id == Person.caseworker_id)
        .where(
            Person.caseworker_id.in_(ids),
            person_visible_to(Person.id, MsaUser.organisation_id, on=today),
            Person.moved_away_on.is_(None),
            Person.residence_valid_until >= today,
            Person.residence_valid_until <= limit,
        )
        .group_by(Person.caseworker_id)
        .execution_options(msa_unscoped=True)
    ):
        digests[uid].permits_expiring = int(count or 0)
    root = base_url.rstrip("/")
    for digest in digests.values():
        digest.links = {
            "follow_ups": root + page_path("MyFollowUpView.list"),
            "calendar": root + page_path("CalendarView.mine"),
            "permits": root + page_path("CalendarView.permits"),
        }
    return [d for d in digests.values() if not d.empty]


def render_digest(digest: Digest, today: dt.date) -> tuple[str, str]:
    """Return (subject, plain text) of a digest: numbers and links, never a name or content."""
    lines = [
        "Guten Tag,",
        "",
        f"Ihre Übersicht im MSA-Portal für den {today:%d.%m.%Y}:",
        "",
    ]
    if digest.follow_ups_due or digest.follow_ups_overdue:
        lines.append(
            f"- Wiedervorlagen: {digest.follow_ups_due} heute fällig, "
            f"{digest.follow_ups_overdue} überfällig"
        )
        lines.append(f"  {digest.links['follow_ups']}")
    if digest.appointments_today or digest.appointments_tomorrow:
        lines.append(
            f"- Termine: {digest.appointments_today} heute, {digest.appointments_tomorrow} morgen"
        )
        lines.append(f"  {digest.links['calendar']}")
    if digest.permits_expiring:
        lines.append(
            f"- Aufenthaltstitel, die in den nächsten {PERMIT_WEEKS} Wochen ablaufen: "
            f"{digest.permits_expiring}"
        )
        lines.append(f"  {digest.links['permits']}")
    lines += [
        "",
        "Namen und Inhalte stehen aus Datenschutzgründen nur im Portal.",
        "Diese Erinnerung schalten Sie im Portal unter „Mein Kalender“ ab.",
    ]
    return f"MSA-Portal: Ihre Erinnerungen für den {today:%d.%m.%Y}", "\n".join(lines) + "\n"


def _message(digest: Digest, today: dt.date, sender: str) -> EmailMessage:
    subject, body = render_digest(digest, today)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = digest.email
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> ") or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    return msg


def send_reminders(
    *,
    smtp_url: str | None,
    sender: str | None,
    base_url: str,
    today: dt.date | None = None,
    dry_run: bool = False,
    deliver: Callable[[SmtpSettings, list[EmailMessage]], int] = send_mail,
) -> dict[str, Any]:
    """Build today's digests and send them (``dry_run``: build only); return a summary.

    ``{"date", "digests", "sent", "dry_run", "users": [usernames]}`` — no client data.
    """
    day = today or dt.date.today()
    digests = collect_digests(day, base_url)
    summary: dict[str, Any] = {
        "date": day.isoformat(),
        "digests": len(digests),
        "sent": 0,
        "dry_run": dry_run,
        "users": [d.username for d in digests],
    }
    if dry_run or not digests:
        return summary
    if not smtp_url:
        raise MailConfigError("MSA_SMTP_URL ist nicht gesetzt")
    if not sender or "@" not in sender:
        raise MailConfigError("MSA_MAIL_FROM ist nicht gesetzt")
    settings = parse_smtp_url(smtp_url)
    summary["sent"] = deliver(settings, [_message(d, day, sender) for d in digests])
    return summary

"""Daily reminder e-mails (Erinnerungen): follow-ups, appointments, expiring residence permits."""

from app.services.reminders.digest import (
    PERMIT_WEEKS,
    Digest,
    collect_digests,
    render_digest,
    send_reminders,
)
from app.services.reminders.mail import SmtpSettings, parse_smtp_url, send_mail

__all__ = [
    "PERMIT_WEEKS",
    "Digest",
    "SmtpSettings",
    "collect_digests",
    "parse_smtp_url",
    "render_digest",
    "send_mail",
    "send_reminders",
]

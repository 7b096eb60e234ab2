"""Sending e-mail through the SMTP server named by ``MSA_SMTP_URL``."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit


class MailConfigError(ValueError):
    """``MSA_SMTP_URL`` or ``MSA_MAIL_FROM`` missing or malformed."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to deliver: ``smtp://[user:password@]host[:port]`` or ``smtps://…``."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpSettings:
    """Parse ``smtp://host:port`` (optional ``user:password@``; ``smtps://`` for TLS)."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailConfigError("MSA_SMTP_URL muss smtp://host:port oder smtps://host:port sein")
    tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if tls else 25)
    except ValueError as exc:
        raise MailConfigError("MSA_SMTP_URL: ungültiger Port") from exc
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def send_mail(settings: SmtpSettings, messages: list[EmailMessage], timeout: float = 30) -> int:
    """Deliver ``messages`` over one SMTP connection; return how many were accepted."""
    if not messages:
        return 0
    smtp: smtplib.SMTP
    if settings.tls:
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    sent = 0
    with smtp:
        smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        for message in messages:
            smtp.send_message(message)
            sent += 1
    return sent

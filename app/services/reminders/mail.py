"""Sending e-mail through the SMTP server named by ``MSA_SMTP_URL``.

Transport security: ``smtps://`` speaks TLS from the first byte; ``smtp://`` upgrades with
STARTTLS whenever the server offers it (the certificate is verified). Credentials are never
sent in clear: a server that offers no STARTTLS gets no password. With the setting
``MSA_SMTP_STARTTLS=require`` (or ``?starttls=require`` in the URL) nothing at all — no
mail either — is sent over an unencrypted connection. ``?cafile=/path/ca.pem`` (or
``MSA_SMTP_CAFILE``) trusts a county's own certificate authority.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

#: ``auto``: STARTTLS when offered (credentials only over TLS); ``require``: TLS or nothing
STARTTLS_MODES = ("auto", "require")


class MailConfigError(ValueError):
    """``MSA_SMTP_URL`` or ``MSA_MAIL_FROM`` missing or malformed."""


class InsecureTransportError(smtplib.SMTPException):
    """The server offers no STARTTLS, and credentials (or, when required, mail) would travel
    in clear: nothing is sent."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to deliver: ``smtp://[user:password@]host[:port]`` or ``smtps://…``."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None
    starttls: str = "auto"
    cafile: str | None = None

    def context(self) -> ssl.SSLContext:
        """A verifying TLS context (system trust store, plus ``cafile`` when given)."""
        return ssl.create_default_context(cafile=self.cafile)


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
    query = parse_qs(parts.query)
    starttls = (
        os.environ.get("MSA_SMTP_STARTTLS") or (query.get("starttls") or ["auto"])[0]
    ).lower()
    if starttls not in STARTTLS_MODES:
        raise MailConfigError("MSA_SMTP_STARTTLS muss auto oder require sein")
    cafiles = query.get("cafile") or []
    cafile = (cafiles[0] if cafiles else None) or os.environ.get("MSA_SMTP_CAFILE") or None
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=starttls,
        cafile=cafile,
    )


def send_mail(settings: SmtpSettings, messages: list[EmailMessage], timeout: float = 30) -> int:
    """Deliver ``messages`` over one SMTP connection; return how many were accepted."""
    if not messages:
        return 0
    smtp: smtplib.SMTP
    if settings.tls:
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=timeout, context=settings.context()
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    sent = 0
    with smtp:
        smtp.ehlo()
        if not settings.tls:
            _secure(smtp, settings)
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        for message in messages:
            smtp.send_message(message)
            sent += 1
    return sent


def _secure(smtp: smtplib.SMTP, settings: SmtpSettings) -> None:
    """Upgrade a plain connection with STARTTLS, or refuse what must not travel in clear."""
    if smtp.has_extn("starttls"):
        smtp.starttls(context=settings.context())
        smtp.ehlo()
        return
    if settings.starttls == "require":
        raise InsecureTransportError(
            "Der Mailserver bietet kein STARTTLS an; MSA_SMTP_STARTTLS=require verbietet "
            "unverschlüsselten Versand."
        )
    if settings.username:
        raise InsecureTransportError(
            "Der Mailserver bietet kein STARTTLS an; Zugangsdaten werden nicht "
            "unverschlüsselt gesendet."
        )

"""E-mail transport: STARTTLS when offered, never credentials in clear, TLS when required.

Finding: ``smtp://user:password@host`` sent the credentials and the mail without STARTTLS.
Tested against a real SMTP server in this process (aiosmtpd) with a self-signed certificate
made by openssl for 127.0.0.1.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess  # nosec B404 (openssl makes the test certificate)
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app.services.reminders.mail import (
    InsecureTransportError,
    MailConfigError,
    parse_smtp_url,
    send_mail,
)


@dataclass
class Seen:
    """What the server saw: sign-ins and mails, each with whether TLS protected it."""

    logins: list[tuple[str, bool]] = field(default_factory=list)
    mails: list[tuple[str, bool]] = field(default_factory=list)


class _Handler:
    def __init__(self, seen: Seen) -> None:
        self.seen = seen

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen.mails.append((envelope.mail_from, session.ssl is not None))
        return "250 OK"


def _authenticator(seen: Seen) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        login = getattr(data, "login", b"") or b""
        seen.logins.append((login.decode(), session.ssl is not None))
        return AuthResult(success=True)

    return check


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make the test certificate"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # nosec B603
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[Any]:
    """Start a server; ``starttls``: offer STARTTLS; AUTH offered also in clear when not."""
    controllers: list[Controller] = []

    def start(*, starttls: bool) -> tuple[int, Seen]:
        seen = Seen()
        kwargs: dict[str, Any] = {
            "authenticator": _authenticator(seen),
            "auth_require_tls": False,
        }
        if starttls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(certificate[0]), str(certificate[1]))
            kwargs["tls_context"] = context
        port = _free_port()
        controller = Controller(
            _Handler(seen), hostname="127.0.0.1", port=port, server_kwargs=kwargs
        )
        controller.start()
        controllers.append(controller)
        return port, seen

    yield start
    for controller in controllers:
        controller.stop()


def _mail() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "portal@kreis.example"
    msg["To"] = "fk@kreis.example"
    msg["Subject"] = "Wiedervorlagen"
    msg.set_content("3 Wiedervorlagen heute.")
    return msg


def test_credentials_and_mail_travel_only_after_starttls(
    smtp_server: Any, certificate: tuple[Path, Path]
) -> None:
    port, seen = smtp_server(starttls=True)
    settings = parse_smtp_url(f"smtp://portal:geheim@127.0.0.1:{port}?cafile={certificate[0]}")
    assert send_mail(settings, [_mail()]) == 1
    assert seen.logins == [("portal", True)]
    assert seen.mails == [("portal@kreis.example", True)]


def test_no_credentials_in_clear_when_the_server_offers_no_starttls(smtp_server: Any) -> None:
    port, seen = smtp_server(starttls=False)
    settings = parse_smtp_url(f"smtp://portal:geheim@127.0.0.1:{port}")
    with pytest.raises(InsecureTransportError, match="Zugangsdaten"):
        send_mail(settings, [_mail()])
    assert seen.logins == [] and seen.mails == []


def test_a_plain_relay_without_credentials_still_delivers_unless_tls_is_required(
    smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, seen = smtp_server(starttls=False)
    assert send_mail(parse_smtp_url(f"smtp://127.0.0.1:{port}"), [_mail()]) == 1
    assert seen.mails == [("portal@kreis.example", False)]
    required = parse_smtp_url(f"smtp://127.0.0.1:{port}?starttls=require")
    with pytest.raises(InsecureTransportError, match="STARTTLS"):
        send_mail(required, [_mail()])
    monkeypatch.setenv("MSA_SMTP_STARTTLS", "require")
    with pytest.raises(InsecureTransportError):
        send_mail(parse_smtp_url(f"smtp://127.0.0.1:{port}"), [_mail()])
    assert len(seen.mails) == 1


def test_an_unknown_certificate_is_refused(smtp_server: Any) -> None:
    """STARTTLS verifies the server's certificate (no cafile: the self-signed one fails)."""
    port, seen = smtp_server(starttls=True)
    with pytest.raises(ssl.SSLError):
        send_mail(parse_smtp_url(f"smtp://portal:geheim@127.0.0.1:{port}"), [_mail()])
    assert seen.logins == [] and seen.mails == []


def test_an_unknown_starttls_setting_is_a_config_error() -> None:
    with pytest.raises(MailConfigError):
        parse_smtp_url("smtp://mail.example?starttls=vielleicht")

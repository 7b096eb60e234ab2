"""The work a real database: appointments, the iCalendar feed, reminder e-mails over SMTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import icalendar
import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from app.security import matrix


class _Inbox:
    """aiosmtpd handler keeping every message that arrived."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, _Inbox]]:
    """A real SMTP server in this process on a free port; yields its URL and its inbox."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


def _appointment(org: Any, owner: Any, person: Any = None, **kw: Any) -> Any:
    from app.extensions import db
    from app.models import Appointment

    appt = Appointment(
        organisation_id=org.id,
        owner_id=owner.id,
        person_id=person.id if person is not None else None,
        date=kw.pop("date", dt.date.today()),
        start_time=kw.pop("start_time", dt.time(10, 0)),
        title=kw.pop("title", "Begleitung Ausländerbehörde"),
        **kw,
    )
    db.session.add(appt)
    db.session.commit()
    return appt


def test_appointment_on_the_case_file_and_in_the_calendar(
    app: Flask, factory: Any, login_as: Any
) -> None:
    """An appointment made from the case file shows in its section and in "Mein Kalender"."""
    from app.extensions import db
    from app.models import Appointment

    org, other = factory.make_org(), factory.make_org()
    person = factory.make_person(org, first_name="Amal", last_name="Haddad")
    foreign = factory.make_person(other)
    person_id, foreign_id = person.id, foreign.id
    client = login_as(matrix.ROLE_CASEWORKER, org)
    day = dt.date.today() + dt.timedelta(days=2)
    resp = client.post(
        f"/appointmentview/add?person_id={person_id}",
        data={
            "date": day.strftime("%d.%m.%Y"),
            "start_time": "09:30",
            "end_time": "10:30",
            "title": "Termin Jobcenter",
            "place": "Agentur-Allee 1",
            "interpreter_needed": "y",
        },
    )
    assert resp.status_code == 302 and "#termine" in resp.headers["Location"]
    appt = db.session.scalars(select(Appointment)).one()
    assert (appt.person_id, appt.owner_id, appt.interpreter_needed) == (
        person_id,
        client.user_id,
        True,
    )
    case_file = client.get(f"/personview/show/{person_id}").get_data(as_text=True)
    assert "Termin Jobcenter" in case_file and day.strftime("%d.%m.%Y") in case_file
    calendar = client.get("/calendar/").get_data(as_text=True)
    assert "Termin Jobcenter" in calendar and "09:30–10:30 Uhr" in calendar
    assert "Haddad, Amal" in calendar
    # another provider's person cannot be given an appointment
    assert client.get(f"/appointmentview/add?person_id={foreign_id}").status_code == 404


def test_ical_feed_secret_revocable_and_without_names_unless_opted_in(
    app: Flask, factory: Any, login_as: Any
) -> None:
    """A calendar app reads the feed; titles carry no client name until the user opts in."""
    from app.extensions import db
    from app.models import MsaUser

    org = factory.make_org()
    person = factory.make_person(org, first_name="Amal", last_name="Haddad")
    client = login_as(matrix.ROLE_CASEWORKER, org)
    owner = db.session.get(MsaUser, client.user_id)
    _appointment(org, owner, person, title="Begleitung Ausländerbehörde", place="Kreishaus")
    other_user = factory.make_user(matrix.ROLE_CASEWORKER, org)
    _appointment(org, other_user, title="Fremder Termin")
    assert client.post("/calendar/settings", data={"action": "issue"}).status_code == 302
    db.session.expire_all()
    token = db.session.get(MsaUser, client.user_id).calendar_token
    assert token and token in client.get("/calendar/").get_data(as_text=True)
    from app.models import AdminLogEntry

    # the account change is self-service; the administration log never holds the secret
    logged = [repr(tuple(r)) for r in db.session.execute(select(AdminLogEntry.__table__)).all()]
    assert not any(token in row for row in logged)

    anonymous = app.test_client()
    resp = anonymous.get(f"/calendar/feed/{token}.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(resp.data)
    events = cal.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Begleitung Ausländerbehörde"]
    assert str(events[0]["LOCATION"]) == "Kreishaus"
    assert b"Haddad" not in resp.data and b"Amal" not in resp.data

    client.post("/calendar/settings", data={"action": "names_on"})
    cal = icalendar.Calendar.from_ical(anonymous.get(f"/calendar/feed/{token}.ics").data)
    assert str(cal.walk("VEVENT")[0]["SUMMARY"]) == "Begleitung Ausländerbehörde – Amal Haddad"

    client.post("/calendar/settings", data={"action": "issue"})  # new URL: the old one is dead
    assert anonymous.get(f"/calendar/feed/{token}.ics").status_code == 404
    db.session.expire_all()
    new_token = db.session.get(MsaUser, client.user_id).calendar_token
    assert anonymous.get(f"/calendar/feed/{new_token}.ics").status_code == 200
    client.post("/calendar/settings", data={"action": "revoke"})
    assert anonymous.get(f"/calendar/feed/{new_token}.ics").status_code == 404
    assert anonymous.get("/calendar/feed/guessed-token-guessed-token.ics").status_code == 404


def _reminder_world(factory: Any) -> dict[str, Any]:
    """A caseworker with a due and an overdue follow-up, an appointment, an expiring permit."""
    today = dt.date.today()
    org = factory.make_org()
    worker = factory.make_user(matrix.ROLE_CASEWORKER, org, email="fatma.kaya@kreis.example")
    quiet = factory.make_user(matrix.ROLE_CASEWORKER, org, email="jonas@kreis.example")
    placeholder = factory.make_user(matrix.ROLE_CASEWORKER, org)  # user…@test.invalid
    person = factory.make_person(
        org,
        first_name="Amal",
        last_name="Haddad",
        caseworker_id=worker.id,
        residence_valid_until=today + dt.timedelta(weeks=5),
    )
    factory.make_person(
        org, caseworker_id=worker.id, residence_valid_until=today + dt.timedelta(weeks=20)
    )
    factory.make_follow_up(person, worker, due_on=today, title="Antrag Haddad prüfen")
    factory.make_follow_up(person, worker, due_on=today - dt.timedelta(days=3))
    factory.make_follow_up(person, placeholder, due_on=today)
    _appointment(org, worker, person, title="Begleitung Haddad")
    return {"worker": worker, "quiet": quiet, "person": person}


def test_send_reminders_delivers_digests_without_client_names(
    app: Flask, factory: Any, smtp_server: tuple[str, _Inbox], monkeypatch: Any
) -> None:
    """`msa send-reminders` sends one digest per user with something due — counts and links."""
    url, inbox = smtp_server
    _reminder_world(factory)
    monkeypatch.setenv("MSA_SMTP_URL", url)
    monkeypatch.setenv("MSA_MAIL_FROM", "msa-portal@kreis.example")
    monkeypatch.setenv("MSA_BASE_URL", "https://msa.kreis.example")
    result = app.test_cli_runner().invoke(args=["msa", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert '"sent": 1' in result.output
    assert len(inbox.messages) == 1
    sender, recipients, msg = inbox.messages[0]
    assert sender == "msa-portal@kreis.example"
    assert recipients == ["fatma.kaya@kreis.example"]
    body = msg.get_payload(decode=True).decode("utf-8")
    # due today: the follow-up typed in and the one the portal set before the permit ends
    # (in 5 weeks: its follow-up 6 weeks ahead falls on today)
    assert "2 heute fällig, 1 überfällig" in body
    assert "Termine: 1 heute" in body
    assert "8 Wochen ablaufen: 1" in body
    assert "https://msa.kreis.example/myfollowupview/list/" in body
    everything = msg.as_string() + body
    for secret in ("Haddad", "Amal", "Antrag", "Begleitung"):
        assert secret not in everything


def test_digest_switched_off_and_dry_run_send_nothing(
    app: Flask, factory: Any, smtp_server: tuple[str, _Inbox], monkeypatch: Any, login_as: Any
) -> None:
    """A user who switched the digest off gets no mail; --dry-run sends none at all."""
    from app.extensions import db
    from app.models import MsaUser

    url, inbox = smtp_server
    world = _reminder_world(factory)
    monkeypatch.setenv("MSA_SMTP_URL", url)
    monkeypatch.setenv("MSA_MAIL_FROM", "msa-portal@kreis.example")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["msa", "send-reminders", "--dry-run"])
    assert dry.exit_code == 0 and '"digests": 1' in dry.output and inbox.messages == []

    from tests.conftest import sign_in

    client = sign_in(app.test_client(), world["worker"].id)
    client.post("/calendar/settings", data={"action": "digest_off"})
    db.session.expire_all()
    assert db.session.get(MsaUser, world["worker"].id).reminder_digest is False
    result = runner.invoke(args=["msa", "send-reminders"])
    assert result.exit_code == 0 and '"sent": 0' in result.output
    assert inbox.messages == []


def test_send_reminders_without_smtp_settings_fails_clearly(
    app: Flask, factory: Any, monkeypatch: Any
) -> None:
    """No MSA_SMTP_URL: exit status non-zero with a one-line message."""
    _reminder_world(factory)
    monkeypatch.delenv("MSA_SMTP_URL", raising=False)
    result = app.test_cli_runner().invoke(args=["msa", "send-reminders"])
    assert result.exit_code != 0
    assert "MSA_SMTP_URL" in result.output


def test_create_user_with_email(app: Flask, factory: Any, monkeypatch: Any) -> None:
    """`msa create-user … --email` stores the address the digest goes to."""
    from app.extensions import db
    from app.models import MsaUser

    factory.make_org("AWO Test")
    monkeypatch.setenv("MSA_PASSWORD", "Ein-sehr-langes-Passwort-2026!")
    result = app.test_cli_runner().invoke(
        args=[
            "msa", "create-user", "fk.awo", "--role", "Fachkraft",
            "--organisation", "AWO Test", "--email", "fk@awo.example",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(MsaUser).where(MsaUser.username == "fk.awo")).one()
    assert user.email == "fk@awo.example" and user.reminder_digest is True


def test_purge_destroys_the_appointments_of_a_person(app: Flask, factory: Any) -> None:
    """Retention (R-8.1): a destroyed case file takes its appointments with it; the Art. 15
    export lists them."""
    import time_machine

    from app.extensions import db
    from app.models import Appointment
    from app.services.data_protection import retention

    org = factory.make_org()
    worker = factory.make_user(matrix.ROLE_CASEWORKER, org)
    person = factory.make_person(
        org, moved_away_on=dt.date(2023, 1, 10), assigned_on=dt.date(2021, 1, 1)
    )
    _appointment(org, worker, person, title="Termin Zwetschgenbaum", date=dt.date(2022, 5, 1))
    _appointment(org, worker, None, title="Termin mit Partner", date=dt.date(2022, 5, 2))
    from app.services.data_protection import subject_access

    # Art. 15: the appointment is part of what is stored about the person (times as text)
    exported = subject_access.export_json(person.id).decode("utf-8")
    assert "Termin Zwetschgenbaum" in exported and "Termin mit Partner" not in exported
    with time_machine.travel(dt.datetime(2025, 1, 12, 12, 0), tick=False):
        retention.purge_expired(actor="test")
    titles = db.session.scalars(select(Appointment.title)).all()
    assert titles == ["Termin mit Partner"]

"""The iCalendar feed and the reminder digest after a handover and while a share lasts.

The rule (custody): a former holder — the provider that handed a person over to another —
sees nothing of the person any more. The feed (read with a secret token, no signed-in user)
and the daily digest (a job over all users) follow it: the former caseworker's feed carries
neither the client's name nor the client's appointments, and the digest counts none of the
client's follow-ups, appointments or expiring permits. An organisation the file is shared
with sees the client's appointments while the share lasts, and no longer after its end.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
from flask import Flask

from app.extensions import db
from app.models import Appointment, FollowUp, PersonShare
from app.security import matrix
from app.services.calendar.settings import issue_calendar_token, set_calendar_names
from app.services.reminders.digest import collect_digests
from tests.conftest import sign_in

TODAY = dt.date.today()


def _appointment(org_id: int, owner_id: int, person_id: int | None, title: str) -> None:
    db.session.add(
        Appointment(
            organisation_id=org_id,
            owner_id=owner_id,
            person_id=person_id,
            date=TODAY,
            start_time=dt.time(10, 0),
            title=title,
        )
    )
    db.session.commit()


def _feed_user(factory: Any, role: str, org: Any, email: str) -> tuple[int, str]:
    """A user with a feed token, client names in titles switched on, and a real address."""
    user = factory.make_user(role, org, email=email)
    token = issue_calendar_token(user)
    set_calendar_names(user, True)
    return user.id, token


def _feed(app: Flask, token: str) -> tuple[list[str], bytes]:
    resp = app.test_client().get(f"/calendar/feed/{token}.ics")
    assert resp.status_code == 200
    events = icalendar.Calendar.from_ical(resp.data).walk("VEVENT")
    return sorted(str(e["SUMMARY"]) for e in events), resp.data


def _digest(user_id: int) -> tuple[int, int, int]:
    """(follow-ups due today, appointments today, permits expiring) of a user's digest."""
    db.session.expire_all()
    for digest in collect_digests(TODAY, "https://msa.kreis.example"):
        if digest.user_id == user_id:
            return digest.follow_ups_due, digest.appointments_today, digest.permits_expiring
    return 0, 0, 0


def test_former_caseworker_feed_and_digest_lose_the_handed_over_client(
    app: Flask, factory: Any, api_token: Any
) -> None:
    a, b = factory.make_org("Träger A"), factory.make_org("Träger B")
    a_id, b_id = a.id, b.id
    worker_id, token = _feed_user(factory, matrix.ROLE_CASEWORKER, a, "fatma@kreis.example")
    person = factory.make_person(
        a,
        first_name="Amal",
        last_name="Haddad",
        caseworker_id=worker_id,
        residence_valid_until=TODAY + dt.timedelta(weeks=4),
    )
    person_id = person.id
    factory.make_follow_up(person, worker_id, due_on=TODAY, title="Antrag prüfen")
    _appointment(a_id, worker_id, person_id, "Begleitung Ausländerbehörde")
    _appointment(a_id, worker_id, None, "Teamsitzung")
    # while provider A holds the person, the caseworker's feed and digest carry it
    titles, raw = _feed(app, token)
    assert titles == ["Begleitung Ausländerbehörde – Amal Haddad", "Teamsitzung"]
    # due today: the follow-up typed in and the one before the permit ends (in 4 weeks)
    assert _digest(worker_id) == (2, 2, 1)

    ha = api_token(matrix.ROLE_LEAD, a_id)
    hb = api_token(matrix.ROLE_LEAD, b_id)
    client = app.test_client()
    offer = client.post(
        "/api/v1/handover/",
        json={"person_id": person_id, "to_organisation_id": b_id, "scope": "master_data"},
        headers=ha,
    )
    assert offer.status_code == 201, offer.get_json()
    # an open offer changes nothing yet
    assert _feed(app, token)[0] == titles
    resp = client.post(f"/api/v1/handover/{offer.get_json()['id']}/accept", json={}, headers=hb)
    assert resp.status_code == 200, resp.get_json()

    titles, raw = _feed(app, token)
    assert titles == ["Teamsitzung"]
    assert b"Haddad" not in raw and b"Amal" not in raw and b"Ausl" not in raw
    assert _digest(worker_id) == (0, 1, 0)
    # "Mein Kalender", where the digest links to, shows the same
    page = sign_in(app.test_client(), worker_id).get("/calendar/").get_data(as_text=True)
    assert "Teamsitzung" in page and "Ausländerbehörde" not in page and "Haddad" not in page


def test_shared_client_in_the_feed_and_digest_only_while_the_share_lasts(
    app: Flask, factory: Any
) -> None:
    a = factory.make_org("Träger A")
    fbd = factory.make_org("Fachberatungsdienst", kind="specialist_service")
    fbd_id = fbd.id
    adviser_id, token = _feed_user(factory, matrix.ROLE_SPECIALIST, fbd, "mira@kreis.example")
    person = factory.make_person(a, first_name="Amal", last_name="Haddad")
    person_id = person.id
    db.session.add(
        FollowUp(
            organisation_id=fbd_id,
            person_id=person_id,
            assignee_id=adviser_id,
            due_on=TODAY,
            title="Rückmeldung Fachberatung",
        )
    )
    db.session.commit()
    _appointment(fbd_id, adviser_id, person_id, "Fachberatung")
    # not shared: the specialist service sees nothing of the person
    assert _feed(app, token)[0] == []
    assert _digest(adviser_id) == (0, 0, 0)

    share = PersonShare(person_id=person_id, organisation_id=fbd_id, consent_on=TODAY, until=TODAY)
    db.session.add(share)
    db.session.commit()
    assert _feed(app, token)[0] == ["Fachberatung – Amal Haddad"]
    assert _digest(adviser_id) == (1, 1, 0)

    share.until = TODAY - dt.timedelta(days=1)  # the share's last day has passed
    db.session.commit()
    titles, raw = _feed(app, token)
    assert titles == [] and b"Haddad" not in raw
    assert _digest(adviser_id) == (0, 0, 0)

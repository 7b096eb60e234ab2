"""The case file timeline (Zeitstrahl) dates every entry by the day it happened.

A case-management step entered today for a day of last month stands under last month's date
and in that place of the timeline (newest first, by the day of the step), with the day it was
recorded as a detail ("erfasst am …"). An entry recorded on the day it happened has no such
detail.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from app.security import matrix
from tests import factories

TODAY = dt.date.today()
#: a day of last month
LAST_MONTH = TODAY.replace(day=1) - dt.timedelta(days=10)
#: a contact between that day and today
RECENT = TODAY - dt.timedelta(days=1)


def _timeline(html: str) -> list[str]:
    """The timeline entries of the case file page as plain text, newest first."""
    section = html.split('<ol class="msa-timeline">', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", section, flags=re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def _de(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _recording_day() -> dt.date:
    """Today as the portal shows a recording time: the day in Europe/Berlin."""
    return dt.datetime.now(ZoneInfo("Europe/Berlin")).date()


def test_case_management_step_stands_under_the_day_it_happened(
    app: Flask, login_as: Any, api_token: Any
) -> None:
    with app.app_context():
        org = factories.make_org()
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        person = factories.make_person(org, last_name="Haddad")
        factories.make_note(person, worker, date=RECENT, summary="Beratung zur Wohnungssuche")
        pid, org_id = person.id, org.id
    headers = api_token(matrix.ROLE_CASEWORKER, org_id)
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    resp = client.post(
        "/api/v1/casemanagement/",
        json={"person_id": pid, "on": LAST_MONTH.isoformat()},
        headers=headers,
    )
    assert resp.status_code == 201, resp.get_json()

    entries = _timeline(client.get(f"/personview/show/{pid}").get_data(as_text=True))
    opened = [e for e in entries if "Case Management eröffnet" in e]
    note = [e for e in entries if "Beratung zur Wohnungssuche" in e]
    assert len(opened) == 1 and len(note) == 1
    # under the day of the step, recorded today
    assert opened[0].startswith(_de(LAST_MONTH)), opened[0]
    assert f"erfasst am {_de(_recording_day())}" in opened[0]
    # in its place: after the more recent contact (newest first)
    assert entries.index(note[0]) < entries.index(opened[0])
    # a contact note is dated by its day; no recording detail when nothing differs
    assert note[0].startswith(_de(RECENT)) and "erfasst am" not in note[0]


def test_step_recorded_on_its_day_has_no_recording_detail(
    app: Flask, login_as: Any, api_token: Any
) -> None:
    with app.app_context():
        org = factories.make_org()
        person = factories.make_person(org, last_name="Haddad")
        pid, org_id = person.id, org.id
    headers = api_token(matrix.ROLE_CASEWORKER, org_id)
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    resp = client.post("/api/v1/casemanagement/", json={"person_id": pid}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    entries = _timeline(client.get(f"/personview/show/{pid}").get_data(as_text=True))
    opened = [e for e in entries if "Case Management eröffnet" in e]
    assert len(opened) == 1
    assert opened[0].startswith(_de(TODAY))
    # (shortly after midnight in Berlin the server's day may still be the day before: then the
    # recording day differs from the step's day and is shown)
    recorded = _recording_day()
    assert ("erfasst am" in opened[0]) == (recorded != TODAY)


def test_move_step_stands_under_the_day_it_was_done(app: Flask, login_as: Any) -> None:
    """A move step entered today for a day of last month: last month's date, recorded today."""
    from flask import g

    from app.extensions import db
    from app.models import MsaUser, Person
    from app.services.housing import move_procedure as moves

    with app.app_context():
        org = factories.make_org()
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        person = factories.make_person(org, last_name="Haddad")
        pid, org_id, worker_id = person.id, org.id, worker.id
    with app.test_request_context():
        g.user = db.session.get(MsaUser, worker_id)
        person = db.session.get(Person, pid)
        procedure = moves.start(person, moves.default_track(person), by=g.user)
        first = moves.next_step(procedure)
        assert first is not None
        label = moves.step_label(procedure.track, first.code)
        moves.complete_step(procedure, first.code, done_on=LAST_MONTH, by=g.user)
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    entries = _timeline(client.get(f"/personview/show/{pid}").get_data(as_text=True))
    step = [e for e in entries if f"Umzug: {label}" in e]
    assert len(step) == 1, entries
    assert step[0].startswith(_de(LAST_MONTH)), step[0]
    assert f"erfasst am {_de(_recording_day())}" in step[0]

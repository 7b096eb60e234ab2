"""The edit form of a contact note is the note form (R-3.1), and a closed quarter says so.

- Opening a note shows the form of the person's page, prefilled: kind, topics, partner.
- Saving names what was saved ("Beratungsvermerk vom TT.MM.JJJJ gespeichert").
- A note dated in a submitted quarter opens with a notice and the way to the quarter's report
  (the county returns it for corrections); a save is refused with the German message and the
  typed text stays in the form (409, no redirect). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from app.extensions import db
from app.models import ContactNote, ContactNoteTopic, QuarterlyReport, Referral
from app.security import matrix

TODAY = dt.date.today()


def _page(resp: Any) -> str:
    return html.unescape(resp.get_data(as_text=True))


def test_edit_is_the_note_form_prefilled_and_names_what_was_saved(
    factory: Any, login_as: Any
) -> None:
    """Topics, kind and partner are on the edit form; the save goes through the note's rules."""
    org = factory.make_org()
    client = login_as(matrix.ROLE_CASEWORKER, org)
    person = factory.make_person(org)
    partner = factory.make_partner(name="Jobcenter Mitte")
    note = factory.make_note(person, client.user_id, kind="accompaniment", partner_id=partner.id)
    db.session.add(ContactNoteTopic(contact_note_id=note.id, code="work"))
    db.session.commit()
    note_id, day = note.id, TODAY - dt.timedelta(days=1)

    form = _page(client.get(f"/contactnoteview/edit/{note_id}"))
    assert 'name="topics" value="work" checked' in form
    assert 'value="Jobcenter Mitte"' in form
    assert '<option selected value="accompaniment">' in form or (
        'value="accompaniment" selected' in form
    )
    resp = client.post(
        f"/contactnoteview/edit/{note_id}",
        data={
            "date": day.strftime("%d.%m.%Y"),
            "kind": "individual",
            "topics": ["housing"],
            "summary": "Geänderter Inhalt",
            "partner_id": str(partner.id),
            "version": "1",
        },
        follow_redirects=True,
    )
    shown = _page(resp)
    assert f"Beratungsvermerk vom {day:%d.%m.%Y} gespeichert" in shown
    assert "Zeile geändert" not in shown
    db.session.expire_all()
    saved = db.session.get(ContactNote, note_id)
    assert (saved.date, saved.kind, saved.topic_codes, saved.summary) == (
        day,
        "individual",
        ["housing"],
        "Geänderter Inhalt",
    )
    referral = db.session.query(Referral).filter_by(contact_note_id=note_id).one()
    assert (referral.partner_id, referral.date, referral.topic_code) == (partner.id, day, "housing")


def test_note_of_a_submitted_quarter_says_so_and_keeps_the_input(
    factory: Any, login_as: Any
) -> None:
    """The notice links the quarter's report; the refused save keeps the typed text."""
    org = factory.make_org()
    client = login_as(matrix.ROLE_CASEWORKER, org)
    person = factory.make_person(org)
    first = dt.date(TODAY.year, 3 * ((TODAY.month - 1) // 3) + 1, 1)
    closed_day = first - dt.timedelta(days=20)
    quarter = (closed_day.month - 1) // 3 + 1
    note = factory.make_note(person, client.user_id, date=closed_day, summary="Gemeldet")
    db.session.add(
        QuarterlyReport(
            organisation_id=org.id, year=closed_day.year, quarter=quarter, status="submitted"
        )
    )
    db.session.commit()
    note_id = note.id

    form = _page(client.get(f"/contactnoteview/edit/{note_id}"))
    assert "bereits an den Landkreis gemeldet" in form
    assert f"/statistics/?year={closed_day.year}&quarter={quarter}" in form

    typed = "Nachtrag, der nicht verloren gehen darf"
    resp = client.post(
        f"/contactnoteview/edit/{note_id}",
        data={
            "date": closed_day.strftime("%d.%m.%Y"),
            "kind": "individual",
            "summary": typed,
            "version": "1",
        },
    )
    assert resp.status_code == 409
    shown = _page(resp)
    assert typed in shown
    assert f"Quartal {closed_day.year} ist bereits an den Landkreis gemeldet" in shown
    db.session.expire_all()
    assert db.session.get(ContactNote, note_id).summary == "Gemeldet"

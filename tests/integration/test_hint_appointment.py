"""From the case-management hint, one step to the first-interview appointment (prefilled)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from app.models import Appointment, ContactNoteTopic
from app.security import matrix
from app.views.calendar import next_working_day

#: a day → the next working day, written out by hand (2026-12-04 is a Friday)
WORKING_DAYS = [
    (dt.date(2026, 12, 4), dt.date(2026, 12, 7)),
    (dt.date(2026, 12, 5), dt.date(2026, 12, 7)),
    (dt.date(2026, 12, 6), dt.date(2026, 12, 7)),
    (dt.date(2026, 12, 7), dt.date(2026, 12, 8)),
    (dt.date(2026, 12, 10), dt.date(2026, 12, 11)),
]


def test_next_working_day() -> None:
    assert [next_working_day(day) for day, _ in WORKING_DAYS] == [n for _, n in WORKING_DAYS]


def test_hint_links_to_a_prefilled_first_interview(app: Any, login_as: Any) -> None:
    from app.extensions import db
    from tests import factories as f

    with app.app_context():
        org_a, org_b = f.make_org("Träger A"), f.make_org("Träger B")
        a, b = f.id_of(org_a), f.id_of(org_b)
        worker = f.make_user(matrix.ROLE_CASEWORKER, org_a)
        person = f.make_person(org_a, last_name="Haddad")
        pid = person.id
        for code in ("housing", "legal_authority", "health"):
            note = f.make_note(person, worker)
            db.session.add(ContactNoteTopic(contact_note_id=note.id, code=code))
        db.session.commit()
    client = login_as(matrix.ROLE_CASEWORKER, a)
    page = client.get(f"/personview/show/{pid}").get_data(as_text=True)
    assert "Case Management erwägen" in page and "Termin für das Erstgespräch vereinbaren" in page
    link = f"/appointmentview/add?person_id={pid}&amp;zweck=erstgespraech"
    assert link in page
    form = client.get(link.replace("&amp;", "&"))
    html = form.get_data(as_text=True)
    day = next_working_day(dt.date.today())
    assert form.status_code == 200 and 'value="Erstgespräch (Case Management)"' in html
    assert f"{day:%d.%m.%Y}" in html and "Haddad" in html
    resp = client.post(
        f"/appointmentview/add?person_id={pid}&zweck=erstgespraech",
        data={
            "date": f"{day:%d.%m.%Y}",
            "start_time": "10:00",
            "title": "Erstgespräch (Case Management)",
        },
    )
    assert resp.status_code == 302
    with app.app_context():
        row = db.session.scalars(select(Appointment)).one()
        assert (row.person_id, row.date, row.title) == (pid, day, "Erstgespräch (Case Management)")
    # another provider: the person is not found, no appointment for them
    other = login_as(matrix.ROLE_CASEWORKER, b)
    assert other.get(f"/appointmentview/add?person_id={pid}&zweck=erstgespraech").status_code == 404
    # a role without appointments does not see the link
    reviewer = login_as(matrix.ROLE_REVIEWER)
    page = reviewer.get(f"/personview/show/{pid}").get_data(as_text=True)
    assert "Termin für das Erstgespräch vereinbaren" not in page

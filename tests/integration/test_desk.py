"""Landing pages that tell each role what to do next, within the statement budget."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from app.security import matrix
from tests import factories
from tests.integration.test_performance import count_statements


def test_caseworker_sees_counts_and_lead_sees_caseload(app: Flask, login_as: Any) -> None:
    today = dt.date.today()
    with app.app_context():
        org = factories.make_org("Träger A")
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        person = factories.make_person(org, caseworker_id=worker.id)
        factories.make_person(org, caseworker_id=worker.id)
        factories.make_note(person, worker, date=today - dt.timedelta(days=3))
        for days in (-3, -1, 0, 5):
            factories.make_follow_up(person, worker, due_on=today + dt.timedelta(days=days))
        ids = {"org": org.id, "worker": worker.id}
    from tests.conftest import sign_in

    client = sign_in(app.test_client(), ids["worker"])
    with count_statements(app) as statements:
        html = client.get("/").get_data(as_text=True)
    assert len(statements) <= 8, statements
    assert "Ihr Schreibtisch" in html
    assert '<p class="msa-desk-number">2</p>' in html  # two overdue
    assert "1 heute fällig" in html
    assert "Eigene Personen ohne Kontakt seit 8 Wochen" in html
    lead = login_as(matrix.ROLE_LEAD, ids["org"])
    with count_statements(app) as statements:
        html = lead.get("/").get_data(as_text=True)
    assert len(statements) <= 8, statements
    assert "Betreuungsschlüssel" in html and "Wiedervorlagen im Team überfällig" in html
    assert "Quartal" in html and "Entwurf" in html


def test_reviewer_and_county_admin_landing_pages(app: Flask, login_as: Any) -> None:
    with app.app_context():
        county = factories.make_org("Landkreis", kind="county").id
    for role, org in ((matrix.ROLE_REVIEWER, None), (matrix.ROLE_COUNTY_ADMIN, county)):
        client = login_as(role, org)
        with count_statements(app) as statements:
            html = client.get("/").get_data(as_text=True)
        assert len(statements) <= 8, (role, statements)
        assert "Quartalsmeldungen warten auf Prüfung" in html, role
    html = login_as(matrix.ROLE_REVIEWER).get("/").get_data(as_text=True)
    assert "/statisticsreviewview/charts" in html.lower() or "Auswertungen" in html

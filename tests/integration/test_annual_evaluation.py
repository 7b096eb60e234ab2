"""Annual evaluation (§7) and referral statistics (R-6.2) over HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from flask import Flask

from app.security import matrix
from tests.conftest import sign_in
from tests.integration.test_performance import count_statements

MAX_STATEMENTS = 8


@pytest.fixture
def year_of_a(app: Flask) -> dict[str, Any]:
    """Provider A in 2025: notes, referrals to two partners, a file audit, a service gap."""
    from app.extensions import db
    from app.models import (
        CaseGoal,
        CaseManagementCase,
        FileAudit,
        FileAuditItem,
        MonitoringEntry,
        Referral,
    )
    from tests import factories as f

    with app.app_context():
        a = f.make_org("Träger A")
        b = f.make_org("Träger B")
        county = f.make_org("Landkreis", kind="county")
        cw = f.make_user(matrix.ROLE_CASEWORKER, a, username="fk_a", fte=0.5)
        lead = f.make_user(matrix.ROLE_LEAD, a, username="lead_a")
        lead_b = f.make_user(matrix.ROLE_LEAD, b, username="lead_b")
        reviewer = f.make_user(matrix.ROLE_REVIEWER, county, username="pruefer")
        county_admin = f.make_user(matrix.ROLE_COUNTY_ADMIN, county, username="kreisadmin")
        p = f.make_person(a)
        pb = f.make_person(b)
        for day in (dt.date(2025, 2, 3), dt.date(2025, 5, 6), dt.date(2025, 8, 7)):
            f.make_note(p, cw, date=day)
        jc = f.make_partner(name="Jobcenter", category="public_authority")
        doc = f.make_partner(name="=Praxis Dr. Formel", category="health")
        for day, partner, person, org, outcome in (
            (dt.date(2025, 4, 3), jc, p, a, "taken_up"),
            (dt.date(2025, 5, 3), jc, p, a, None),
            (dt.date(2025, 6, 3), doc, p, a, "not_taken_up"),
            (dt.date(2025, 4, 9), jc, pb, b, None),
        ):
            db.session.add(
                Referral(
                    organisation_id=org.id,
                    person_id=person.id,
                    partner_id=partner.id,
                    date=day,
                    topic_code="work",
                    outcome=outcome,
                )
            )
        audit = FileAudit(organisation_id=a.id, year=2025, quarter=2, sample_size=2)
        db.session.add(audit)
        db.session.flush()
        db.session.add_all(
            [
                FileAuditItem(
                    organisation_id=a.id, person_id=p.id, audit_id=audit.id, rating="hinweis"
                ),
            ]
        )
        case = CaseManagementCase(
            organisation_id=a.id,
            person_id=p.id,
            caseworker_id=cw.id,
            step="monitoring",
            opened_on=dt.date(2025, 3, 1),
        )
        db.session.add(case)
        db.session.flush()
        goal = CaseGoal(
            organisation_id=a.id,
            person_id=p.id,
            case_id=case.id,
            title="Wohnung",
            target_date=dt.date(2025, 12, 1),
        )
        db.session.add(goal)
        db.session.flush()
        db.session.add(
            MonitoringEntry(
                organisation_id=a.id,
                person_id=p.id,
                case_id=case.id,
                goal_id=goal.id,
                recorded_on=dt.date(2025, 9, 1),
                progress="Besichtigung",
                service_gap_topic="housing",
                service_gap="Keine Wohnungen",
            )
        )
        db.session.commit()
        return {
            "a": a.id,
            "b": b.id,
            "lead": lead.id,
            "lead_b": lead_b.id,
            "cw": cw.id,
            "reviewer": reviewer.id,
            "county_admin": county_admin.id,
        }


def test_annual_page_pdf_and_talk(app: Flask, year_of_a: dict[str, Any]) -> None:
    lead = sign_in(app.test_client(), year_of_a["lead"])
    with count_statements(app) as statements:
        page = lead.get("/annual-evaluation/?year=2025")
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Jahresauswertung 2025" in html and "Träger A" in html
    assert 'data-year-total="individual">3<' in html
    assert "Insgesamt 3 Vermittlungen" in html
    assert ("Hinweis 1" in html and "Wohnen" in html) or "housing" not in html
    assert "noch nicht festgehalten" in html
    # the lead records the talk
    resp = lead.post(
        "/annual-evaluation/talk",
        data={
            "organisation_id": year_of_a["a"],
            "year": 2025,
            "held_on": "2026-02-10",
            "participants": "FD 52, FD 61, Trägerleitung",
            "agreements": "Mehr Gruppenangebote zur Wohnungssuche",
            "follow_up_on": "2026-08-01",
        },
    )
    assert resp.status_code == 302
    html = lead.get("/annual-evaluation/?year=2025").get_data(as_text=True)
    assert "10.02.2026" in html and "01.08.2026" in html
    assert "Mehr Gruppenangebote zur Wohnungssuche" in html
    # invalid: refused with German messages at the fields
    bad = lead.post(
        "/annual-evaluation/talk",
        data={"organisation_id": year_of_a["a"], "year": 2025, "held_on": "", "agreements": ""},
    )
    assert bad.status_code == 422
    assert "Bitte das Datum des Gesprächs angeben." in bad.get_data(as_text=True)
    # the county sees the same record; the PDF carries it
    admin = sign_in(app.test_client(), year_of_a["county_admin"])
    with count_statements(app) as statements:
        assert admin.get("/annual-evaluation/").status_code == 200
        assert admin.get("/annual-evaluation/pdf").status_code == 200
    assert len(statements) <= 2 * MAX_STATEMENTS, "\n".join(statements)
    county = sign_in(app.test_client(), year_of_a["reviewer"])
    with count_statements(app) as statements:
        seen = county.get(f"/annual-evaluation/?organisation_id={year_of_a['a']}&year=2025")
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    assert "Mehr Gruppenangebote zur Wohnungssuche" in seen.get_data(as_text=True)
    pdf = county.get(f"/annual-evaluation/pdf?organisation_id={year_of_a['a']}&year=2025")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Jahresauswertung 2025" in text and "Mehr Gruppenangebote" in text


def test_annual_access(app: Flask, year_of_a: dict[str, Any], api_token: Any) -> None:
    """The provider's lead and the county see the year view; another lead and caseworkers not."""
    other = sign_in(app.test_client(), year_of_a["lead_b"])
    assert other.get(f"/annual-evaluation/?organisation_id={year_of_a['a']}").status_code == 403
    cw = sign_in(app.test_client(), year_of_a["cw"])
    assert cw.get("/annual-evaluation/?year=2025").status_code in (302, 403)
    client = app.test_client()
    url = f"/api/v1/statistics/annual?organisation_id={year_of_a['a']}&year=2025"
    lead = api_token(matrix.ROLE_LEAD, year_of_a["a"])
    data = client.get(url, headers=lead).get_json()
    assert [q["quarter"] for q in data["quarters"]] == [1, 2, 3, 4]
    assert data["totals"]["individual"] == 3 and data["referrals"]["total"] == 3
    assert data["file_audits"]["by_rating"]["hinweis"] == 1
    assert data["service_gaps"][0]["topic"] == "housing"
    assert data["quarters"][0]["indicators"]["fte"] >= 1.5
    assert client.get(url, headers=api_token(matrix.ROLE_LEAD, year_of_a["b"])).status_code == 403
    assert (
        client.get(url, headers=api_token(matrix.ROLE_CASEWORKER, year_of_a["a"])).status_code
        == 403
    )
    assert client.get(url, headers=api_token(matrix.ROLE_REVIEWER)).status_code == 200
    assert client.get("/api/v1/statistics/annual", headers=lead).status_code == 400


def test_referral_statistics_page_exports_api_and_county(
    app: Flask, year_of_a: dict[str, Any], api_token: Any
) -> None:
    from openpyxl import load_workbook

    lead = sign_in(app.test_client(), year_of_a["lead"])
    with count_statements(app) as statements:
        page = lead.get("/statistics/referrals/?year=2025&quarter=2")
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    html = page.get_data(as_text=True)
    assert "Jobcenter" in html and "Angebot wahrgenommen: 1" in html and "Nicht erfasst: 1" in html
    api = (
        app.test_client()
        .get(
            "/api/v1/statistics/referrals?year=2025&quarter=2",
            headers=api_token(matrix.ROLE_LEAD, year_of_a["a"]),
        )
        .get_json()
    )
    assert api["total"] == 3
    assert [(p["partner"], p["referrals"]) for p in api["by_partner"]] == [
        ("Jobcenter", 2),
        ("=Praxis Dr. Formel", 1),
    ]
    assert {c["code"]: c["referrals"] for c in api["by_category"]} == {
        "public_authority": 2,
        "health": 1,
    }
    assert {o["code"]: o["referrals"] for o in api["by_outcome"]} == {
        "taken_up": 1,
        "none": 1,
        "not_taken_up": 1,
    }
    assert api["by_topic"] == [
        {"code": "work", "label": api["by_topic"][0]["label"], "referrals": 3}
    ]
    csv_resp = lead.get("/statistics/referrals/export/csv?year=2025&quarter=2")
    assert csv_resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(csv_resp.get_data().decode("utf-8-sig")), delimiter=";"))
    assert ["Jobcenter", rows[3][1], "2"] == rows[3][:3]
    assert rows[4][0] == "'=Praxis Dr. Formel"  # formula-safe
    xlsx = load_workbook(
        io.BytesIO(lead.get("/statistics/referrals/export/xlsx?year=2025&quarter=2").data)
    )
    assert xlsx["Vermittlungen"]["A4"].value == "Jobcenter"
    # the county: across providers, aggregates and the number per provider
    county = (
        app.test_client()
        .get(
            "/api/v1/statistics/referrals?year=2025&quarter=2",
            headers=api_token(matrix.ROLE_REVIEWER),
        )
        .get_json()
    )
    assert county["total"] == 4 and county["scope"] == "county"
    per_provider = {p["organisation"]: p["referrals"] for p in county["by_provider"]}
    assert per_provider["Träger A"] == 3 and per_provider["Träger B"] == 1
    assert "person_id" not in str(county)
    other = app.test_client().get(
        f"/api/v1/statistics/referrals?year=2025&quarter=2&organisation_id={year_of_a['b']}",
        headers=api_token(matrix.ROLE_LEAD, year_of_a["a"]),
    )
    assert other.status_code == 403


def test_annual_evaluation_counts_cooperation_and_training(
    app: Flask, year_of_a: dict[str, Any]
) -> None:
    """The annual talk sees the year's cooperation work and staff training (§7)."""
    import datetime as dt
    from decimal import Decimal

    from app.extensions import db
    from app.models import Meeting, StaffTraining, WorkingGroup
    from app.services.statistics.annual import annual_evaluation

    with app.app_context():
        group = WorkingGroup(
            organisation_id=year_of_a["a"], name="Fachkreis Migration", active=True
        )
        db.session.add(group)
        for day in (dt.date(2025, 3, 4), dt.date(2025, 9, 9), dt.date(2026, 1, 8)):
            db.session.add(
                Meeting(organisation_id=year_of_a["a"], working_group=group, date=day, topics="T")
            )
        db.session.add(
            StaffTraining(
                organisation_id=year_of_a["a"],
                user_id=year_of_a["cw"],
                date=dt.date(2025, 5, 6),
                title="Traumasensible Beratung",
                hours=Decimal("7.5"),
            )
        )
        db.session.commit()
        ev = annual_evaluation(year_of_a["a"], 2025)
    assert ev["cooperation"]["meetings"] == 2 and ev["cooperation"]["working_groups"] == 1
    assert ev["training"]["trainings"] == 1 and ev["training"]["training_hours"] == 7.5
    lead = sign_in(app.test_client(), year_of_a["lead"])
    with count_statements(app) as statements:
        html = lead.get("/annual-evaluation/?year=2025").get_data(as_text=True)
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    assert 'id="annual-cooperation"' in html and "1 (7,5)" in html

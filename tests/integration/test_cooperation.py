"""The work a real database: cooperation records, staff, partner lists (services and pages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.security import matrix


def _coop(factory: Any, org: Any, year: int) -> None:
    from app.extensions import db
    from app.models import Meeting, Project, Volunteer, WorkingGroup

    group = WorkingGroup(organisation_id=org.id, name="Fachkreis Migration", active=True)
    other_group = WorkingGroup(organisation_id=org.id, name="AK Wohnen", active=True)
    db.session.add_all([group, other_group])
    for day, grp in (
        (dt.date(year, 2, 1), group),
        (dt.date(year, 5, 1), group),
        (dt.date(year, 5, 2), other_group),
        (dt.date(year - 1, 12, 31), group),  # last year
    ):
        db.session.add(Meeting(organisation_id=org.id, working_group=grp, date=day, topics="T"))
    db.session.add_all(
        [
            Project(
                organisation_id=org.id,
                name="Sprachcafé",
                kind="encounter",
                starts_on=dt.date(year - 1, 6, 1),
                participant_count=12,
            ),
            Project(
                organisation_id=org.id,
                name="Radwerkstatt",
                kind="project",
                starts_on=dt.date(year, 3, 1),
                ends_on=dt.date(year, 4, 30),
                participant_count=5,
            ),
            Project(
                organisation_id=org.id,
                name="Altprojekt",
                kind="project",
                starts_on=dt.date(year - 2, 1, 1),
                ends_on=dt.date(year - 1, 1, 1),
                participant_count=99,
            ),
            Volunteer(organisation_id=org.id, first_name="Gisela", last_name="H"),
            Volunteer(
                organisation_id=org.id,
                first_name="Karim",
                last_name="N",
                active_until=dt.date(year - 1, 5, 1),  # left before the year
            ),
        ]
    )
    db.session.commit()


def test_cooperation_figures_of_a_year_and_a_quarter(app: Flask, factory: Any) -> None:
    """Meetings held, groups met, projects and encounters running, participants, volunteers."""
    from app.services.cooperation import cooperation_figures, cooperation_figures_period

    org, other = factory.make_org(), factory.make_org()
    _coop(factory, org, 2026)
    _coop(factory, other, 2026)
    assert cooperation_figures(org.id, 2026) == {
        "meetings": 3,
        "working_groups": 2,
        "projects": 1,
        "encounters": 1,
        "participants": 17,
        "active_volunteers": 1,
    }
    q2 = cooperation_figures_period(org.id, dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert (q2["meetings"], q2["working_groups"], q2["projects"]) == (2, 2, 1)
    assert cooperation_figures(org.id, 2020)["meetings"] == 0


def test_caseload_and_training_summary(app: Flask, factory: Any) -> None:
    """Persons present per caseworker against 80 × FTE; trainings and supervision per year."""
    from app.extensions import db
    from app.models import StaffSupervision, StaffTraining
    from app.services.staff import caseload_per_caseworker, training_summary

    org = factory.make_org()
    # named so that the order by name does not depend on the factory's running number
    half = factory.make_user(
        matrix.ROLE_CASEWORKER, org, fte=Decimal("0.5"), first_name="Anna", last_name="Aa"
    )
    full = factory.make_user(matrix.ROLE_CASEWORKER, org, fte=1, first_name="Berta", last_name="Bb")
    for _ in range(3):
        factory.make_person(org, caseworker_id=half.id)
    factory.make_person(org, caseworker_id=full.id, moved_away_on=dt.date(2020, 1, 1))
    factory.make_person(org)
    rows = {r.user_id: r for r in caseload_per_caseworker(org.id)}
    assert rows[half.id].persons == 3 and rows[half.id].capacity == 40.0
    assert rows[full.id].persons == 0
    assert rows[None].persons == 1
    db.session.add_all(
        [
            StaffTraining(
                organisation_id=org.id, user_id=half.id, date=dt.date(2026, 3, 1),
                title="Asylrecht", hours=Decimal("7.5"),
            ),
            StaffTraining(
                organisation_id=org.id, user_id=half.id, date=dt.date(2026, 9, 1),
                title="Traumasensible Beratung", hours=Decimal("4"),
            ),
            StaffTraining(
                organisation_id=org.id, user_id=full.id, date=dt.date(2025, 9, 1),
                title="Vorjahr", hours=Decimal("8"),
            ),
            StaffSupervision(
                organisation_id=org.id, user_id=full.id, date=dt.date(2026, 2, 2),
                kind="team", hours=Decimal("2"),
            ),
        ]
    )  # fmt: skip
    db.session.commit()
    summary = training_summary(org.id, 2026)
    assert summary["totals"] == {
        "trainings": 2,
        "training_hours": 11.5,
        "supervisions": 1,
        "supervision_hours": 2.0,
    }
    assert [s["user_id"] for s in summary["staff"]] == [half.id, full.id]


def test_provider_documents_a_meeting_others_cannot_see_it(
    app: Flask, factory: Any, login_as: Any
) -> None:
    """A caseworker records a meeting; another provider and the county admin cannot open it."""
    from app.extensions import db
    from app.models import Meeting, WorkingGroup

    org, other = factory.make_org(), factory.make_org()
    partner = factory.make_partner(name="Jobcenter Musterkreis")
    group = WorkingGroup(organisation_id=org.id, name="Fachkreis Migration", active=True)
    db.session.add(group)
    db.session.commit()
    group_id, partner_id = group.id, partner.id
    client = login_as(matrix.ROLE_CASEWORKER, org)
    resp = client.post(
        "/meetingview/add",
        data={
            "working_group_id": str(group_id),
            "date": "03.02.2026",
            "partners": "Jobcenter Musterkreis",  # typed (the partner search), not an id
            "topics": "Wohnungsmarkt",
            "agreements": "Sprechstunde im Rathaus",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.organisation_id == org.id and meeting.date == dt.date(2026, 2, 3)
    assert [p.id for p in meeting.partners] == [partner_id]
    form = client.get(f"/meetingview/edit/{meeting.id}").get_data(as_text=True)
    assert (
        'value="Jobcenter Musterkreis"' in form and "<option" not in form.split("partners")[1][:300]
    )
    bad = client.post(
        f"/meetingview/edit/{meeting.id}",
        data={"working_group_id": str(group_id), "date": "03.02.2026", "topics": "Wohnungsmarkt",
              "partners": "Jobcenter Musterkreis; Unbekannter Partner"},
    )  # fmt: skip
    assert "Unbekannter Partner" in bad.get_data(as_text=True)
    page = client.get("/meetingview/list/").get_data(as_text=True)
    assert "03.02.2026" in page and "Wohnungsmarkt" in page

    stranger = login_as(matrix.ROLE_LEAD, other)
    assert "Wohnungsmarkt" not in stranger.get("/meetingview/list/").get_data(as_text=True)
    assert stranger.get(f"/meetingview/show/{meeting.id}").status_code in (302, 404)
    # a foreign working group cannot be chosen
    resp = stranger.post(
        "/meetingview/add",
        data={"working_group_id": str(group_id), "date": "03.02.2026", "topics": "x"},
    )
    assert db.session.scalar(select(Meeting.id).where(Meeting.topics == "x")) is None
    county = login_as(matrix.ROLE_COUNTY_ADMIN, factory.make_org(kind="county"))
    assert county.get("/meetingview/list/").status_code in (302, 403)


def test_quarter_page_shows_the_cooperation_counts(app: Flask, factory: Any, login_as: Any) -> None:
    """The quarterly report page shows meetings, projects and volunteers, also to the county."""
    org = factory.make_org()
    _coop(factory, org, 2026)
    lead = login_as(matrix.ROLE_LEAD, org)
    page = lead.get("/statistics/?year=2026&quarter=2").get_data(as_text=True)
    assert 'id="cooperation-table"' in page
    assert "Sitzungen von Arbeitskreisen" in page
    reviewer = login_as(matrix.ROLE_REVIEWER, factory.make_org(kind="county"))
    page = reviewer.get(f"/statistics/?organisation_id={org.id}&year=2026&quarter=2").get_data(
        as_text=True
    )
    assert 'id="cooperation-link"' in page  # the county page links (statement budget)
    page = reviewer.get(
        f"/cooperation-figures/?organisation_id={org.id}&year=2026&quarter=2"
    ).get_data(as_text=True)
    assert 'id="cooperation-table"' in page and "Aktive Ehrenamtliche" in page
    assert '<td data-cooperation="0">2</td>' in page  # two meetings in the second quarter
    other = factory.make_org()
    stranger = login_as(matrix.ROLE_LEAD, other)
    url = f"/cooperation-figures/?organisation_id={org.id}&year=2026&quarter=2"
    assert stranger.get(url).status_code == 403


def test_lead_records_training_only_for_own_staff(app: Flask, factory: Any, login_as: Any) -> None:
    """Trägerleitung edits staff records of the own provider; caseworkers cannot."""
    from app.extensions import db
    from app.models import StaffTraining

    org, other = factory.make_org(), factory.make_org()
    worker = factory.make_user(matrix.ROLE_CASEWORKER, org, last_name="Kaya")
    foreign = factory.make_user(matrix.ROLE_CASEWORKER, other)
    worker_id, foreign_id = worker.id, foreign.id
    lead = login_as(matrix.ROLE_LEAD, org)
    form = lead.get("/stafftrainingview/add").get_data(as_text=True)
    assert "Kaya" in form and foreign.last_name not in form
    data = {"date": "12.03.2026", "title": "Aufenthaltsrecht", "hours": "7,5"}
    assert (
        lead.post("/stafftrainingview/add", data={**data, "user": str(worker_id)}).status_code
        == 302
    )
    lead.post("/stafftrainingview/add", data={**data, "user": str(foreign_id), "title": "X"})
    rows = db.session.execute(select(StaffTraining.user_id, StaffTraining.hours)).all()
    assert rows == [(worker_id, Decimal("7.5"))]
    overview = lead.get("/staff/?year=2026").get_data(as_text=True)
    assert 'id="training-summary"' in overview and "7,5" in overview
    assert 'id="caseload-table"' in lead.get("/").get_data(as_text=True)
    caseworker = login_as(matrix.ROLE_CASEWORKER, org)
    assert caseworker.get("/stafftrainingview/list/").status_code in (302, 403)
    assert caseworker.get("/staff/").status_code in (302, 403)


def test_partner_directory_per_category_and_area_as_pdf(
    app: Flask, factory: Any, login_as: Any
) -> None:
    """Doctors in one area with their languages, on screen and as a PDF for the client."""
    factory.make_partner(
        name="Praxis Dr. Yilmaz", category="health", postcode="14542", city="Werder",
        languages="Deutsch, Türkisch", barrier_free=True,
    )  # fmt: skip
    factory.make_partner(name="Praxis Fern", category="health", postcode="99999", city="Weit")
    factory.make_partner(name="Jobcenter", category="public_authority", city="Werder")
    client = login_as(matrix.ROLE_CASEWORKER, factory.make_org())
    page = client.get("/partnerdirectory/?category=health&area=Werder").get_data(as_text=True)
    # (the partner types of the filter form name "Jobcenter" too: the rows are what counts)
    assert "Praxis Dr. Yilmaz" in page and "Praxis Fern" not in page
    assert "<strong>Jobcenter</strong>" not in page
    assert "Gesundheit" in page and "Türkisch" in page
    pdf = client.get("/partnerdirectory/pdf?category=health&area=145")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.mimetype == "application/pdf"


def test_partner_category_comes_from_the_catalogue(
    app: Flask, factory: Any, login_as: Any, api_token: Any
) -> None:
    """The partner form offers the catalogue; the API refuses an unknown category."""
    admin_org = factory.make_org(kind="county")
    admin = login_as(matrix.ROLE_COUNTY_ADMIN, admin_org)
    form = admin.get("/networkpartnerview/add").get_data(as_text=True)
    assert 'value="health"' in form and "Gesundheit" in form
    headers = api_token(matrix.ROLE_COUNTY_ADMIN, admin_org)
    bad = admin.post(
        "/api/v1/networkpartner/", json={"name": "X", "category": "arzt"}, headers=headers
    )
    assert bad.status_code == 422
    ok = admin.post(
        "/api/v1/networkpartner/",
        json={"name": "Y", "category": "health", "barrier_free": True},
        headers=headers,
    )
    assert ok.status_code == 201, ok.get_data(as_text=True)

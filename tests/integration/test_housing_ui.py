"""UI pages of the Sozialbericht, the move procedure and the CV (German, scoped, logged)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from app.models import AccessLog, MoveProcedure, Person, SocialReport
from app.security import matrix
from app.services.catalogues import catalogue_file
from tests.unit.test_social_report import pdf_text

CODES = [e["code"] for e in catalogue_file()["social_report_criterion"]]


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    from tests import factories as f

    with app.app_context():
        org_a = f.make_org("Träger A")
        org_b = f.make_org("Träger B")
        a = f.make_person(org_a, first_name="Amal", last_name="Haddad", benefit_basis="sgb2")
        b = f.make_person(org_b, first_name="Olena", last_name="Shevchenko")
        return {
            "org_a": f.id_of(org_a),
            "org_b": f.id_of(org_b),
            "a": f.id_of(a),
            "b": f.id_of(b),
        }


def _form(**extra: str) -> dict[str, str]:
    data = {f"criterion_{code}": f"Text zu {code}" for code in CODES}
    data.update({"recommendation": "Der Umzug wird befürwortet.", "action": "save"})
    data.update(extra)
    return data


def _db(app: Any) -> Any:
    from app.extensions import db

    return db


def test_write_finalise_and_download_report(app: Any, login_as: Any, world: dict[str, Any]) -> None:
    """A caseworker creates, edits and finalises a report; a final one cannot be saved again."""
    client = login_as(matrix.ROLE_CASEWORKER, world["org_a"])
    page = client.get("/sozialbericht/neu?q=Hadd")
    assert page.status_code == 200 and "Haddad" in page.get_data(as_text=True)
    assert "Shevchenko" not in client.get("/sozialbericht/neu?q=Shev").get_data(as_text=True)
    resp = client.post("/sozialbericht/neu", data={"person_id": world["a"]})
    assert resp.status_code == 302
    edit_url = resp.headers["Location"]
    html = client.get(edit_url).get_data(as_text=True)
    assert "Kenntnisse der deutschen Sprache" in html and "Hausordnung: Mülltrennung" in html
    rid = int(edit_url.rstrip("/").split("/")[-2])

    # bad input: an over-long text keeps the input and shows a German message at the field
    too_long = "x" * 20001
    resp = client.post(edit_url, data=_form(criterion_daily_structure=too_long))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "zu lang" in body and "Text zu money_management" in body

    resp = client.post(edit_url, data=_form(action="finalise"))
    assert resp.status_code == 302 and f"/sozialbericht/{rid}" in resp.headers["Location"]
    with app.app_context():
        report = _db(app).session.get(SocialReport, rid)
        assert report.status == "final" and report.sha256
        before = (report.recommendation, dict(report.assessments), report.version)

    resp = client.post(edit_url, data=_form(recommendation="Geändert"))
    assert resp.status_code == 302
    assert "kann nicht geändert werden" in client.get(resp.headers["Location"]).get_data(
        as_text=True
    )
    with app.app_context():
        report = _db(app).session.get(SocialReport, rid)
        assert (report.recommendation, dict(report.assessments), report.version) == before

    show = client.get(f"/sozialbericht/{rid}").get_data(as_text=True)
    assert "Endfassung" in show and "SHA-256" in show and "Neue Version anlegen" in show
    pdf = client.get(f"/sozialbericht/{rid}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "Der Umzug wird befürwortet." in pdf_text(pdf.data)
    assert client.get(f"/sozialbericht/{rid}/docx").status_code == 200

    resp = client.post(f"/sozialbericht/{rid}/neue-version")
    assert resp.status_code == 302
    with app.app_context():
        numbers = _db(app).session.scalars(select(SocialReport.number)).all()
        assert sorted(numbers) == [1, 2]
        details = (
            _db(app)
            .session.scalars(select(AccessLog.detail).where(AccessLog.action == "document"))
            .all()
        )
        assert len(details) == 2


def test_move_procedure_pages_and_order(app: Any, login_as: Any, world: dict[str, Any]) -> None:
    """The SGB II track is started and walked in order; a wrong step gets a German message."""
    client = login_as(matrix.ROLE_CASEWORKER, world["org_a"])
    housing = client.get(f"/wohnen/person/{world['a']}").get_data(as_text=True)
    assert "Umzugsverfahren beginnen" in housing and "Lebenslauf als PDF" in housing
    resp = client.post(f"/umzug/neu/{world['a']}", data={"track": "sgb2"})
    assert resp.status_code == 302
    pid = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/umzug/{pid}").get_data(as_text=True)
    assert "Wohnungsangebot beim Jobcenter eingereicht" in page and "Energieversorger" in page
    today = dt.date.today().isoformat()
    resp = client.post(f"/umzug/{pid}/schritt", data={"code": "lease", "done_on": today})
    assert resp.status_code == 200 and "der Reihe nach" in resp.get_data(as_text=True)
    resp = client.post(f"/umzug/{pid}/schritt", data={"code": "flat_search", "done_on": "kaputt"})
    assert "gültiges Datum" in resp.get_data(as_text=True)
    for code in ("flat_search", "offer_to_jobcenter", "cost_assurance", "lease", "registrations"):
        resp = client.post(
            f"/umzug/{pid}/schritt",
            data={"code": code, "done_on": today, "responsible": "Jobcenter", "note": code},
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)
    page = client.get(f"/umzug/{pid}").get_data(as_text=True)
    assert "abgeschlossen (eingezogen)" in page and "Ende der Beratung" in page
    with app.app_context():
        person = _db(app).session.get(Person, world["a"])
        assert person.moved_in_own_housing_on == dt.date.today()
        assert _db(app).session.get(MoveProcedure, pid).status == "done"
    listing = client.get("/moveprocedurelistview/list/")
    assert listing.status_code == 200 and "Haddad" in listing.get_data(as_text=True)


def test_other_provider_gets_404_and_no_trace(
    app: Any, login_as: Any, world: dict[str, Any]
) -> None:
    """Another provider's report, procedure, housing page and CV are not found; nothing logged."""
    owner = login_as(matrix.ROLE_CASEWORKER, world["org_b"])
    rid = int(
        owner.post("/sozialbericht/neu", data={"person_id": world["b"]})
        .headers["Location"]
        .rstrip("/")
        .split("/")[-2]
    )
    pid = int(
        owner.post(f"/umzug/neu/{world['b']}", data={"track": "asylblg"})
        .headers["Location"]
        .rstrip("/")
        .split("/")[-1]
    )
    other = login_as(matrix.ROLE_LEAD, world["org_a"])
    for method, url, data in [
        ("get", f"/sozialbericht/{rid}", None),
        ("get", f"/sozialbericht/{rid}/bearbeiten", None),
        ("post", f"/sozialbericht/{rid}/bearbeiten", _form()),
        ("post", f"/sozialbericht/{rid}/abschliessen", None),
        ("get", f"/sozialbericht/{rid}/pdf", None),
        ("get", f"/sozialbericht/{rid}/docx", None),
        ("post", "/sozialbericht/neu", {"person_id": str(world["b"])}),
        ("get", f"/umzug/{pid}", None),
        ("post", f"/umzug/{pid}/schritt", {"code": "application", "done_on": "2026-01-01"}),
        ("post", f"/umzug/neu/{world['b']}", {"track": "sgb2"}),
        ("get", f"/wohnen/person/{world['b']}", None),
        ("get", f"/lebenslauf/{world['b']}/pdf", None),
        ("get", f"/lebenslauf/{world['b']}/docx", None),
    ]:
        resp = getattr(other, method)(url, data=data)
        assert resp.status_code == 404, (method, url, resp.status_code)
    assert "Shevchenko" not in other.get("/socialreportlistview/list/").get_data(as_text=True)
    with app.app_context():
        db = _db(app)
        assert len(db.session.scalars(select(SocialReport)).all()) == 1
        report = db.session.get(SocialReport, rid)
        assert report.status == "draft" and report.number == 1
        assert len(db.session.scalars(select(MoveProcedure)).all()) == 1
        assert (
            db.session.scalars(select(AccessLog).where(AccessLog.action == "document")).all() == []
        )


def test_reviewer_reads_only(app: Any, login_as: Any, world: dict[str, Any]) -> None:
    """Reviewers may open and download; write pages are forbidden."""
    owner = login_as(matrix.ROLE_CASEWORKER, world["org_a"])
    rid = int(
        owner.post("/sozialbericht/neu", data={"person_id": world["a"]})
        .headers["Location"]
        .rstrip("/")
        .split("/")[-2]
    )
    reviewer = login_as(matrix.ROLE_REVIEWER)
    assert reviewer.get(f"/sozialbericht/{rid}").status_code == 200
    assert reviewer.get(f"/sozialbericht/{rid}/pdf").status_code == 200
    page = reviewer.get(f"/wohnen/person/{world['a']}").get_data(as_text=True)
    assert "Neuen Sozialbericht anlegen" not in page
    for url in (f"/sozialbericht/{rid}/abschliessen", f"/umzug/neu/{world['a']}"):
        resp = reviewer.post(url, data={"track": "sgb2"})
        assert resp.status_code in (302, 403)  # FAB redirects browsers to the login page
        assert "/umzug/" not in resp.headers.get("Location", "")
    with app.app_context():
        report = _db(app).session.get(SocialReport, rid)
        assert report.status == "draft"
        assert _db(app).session.scalars(select(MoveProcedure)).all() == []


def test_hub_section_and_timeline(app: Any, login_as: Any, world: dict[str, Any]) -> None:
    """The case file page section lists versions and progress; the timeline shows events."""
    client = login_as(matrix.ROLE_CASEWORKER, world["org_a"])
    rid = int(
        client.post("/sozialbericht/neu", data={"person_id": world["a"]})
        .headers["Location"]
        .rstrip("/")
        .split("/")[-2]
    )
    client.post(f"/sozialbericht/{rid}/bearbeiten", data=_form(action="finalise"))
    pid = int(
        client.post(f"/umzug/neu/{world['a']}", data={"track": "sgb2"})
        .headers["Location"]
        .rstrip("/")
        .split("/")[-1]
    )
    client.post(f"/umzug/{pid}/schritt", data={"code": "flat_search", "done_on": dt.date.today()})
    from app.views.hub import HUB_SECTIONS

    section = HUB_SECTIONS["housing"]
    assert section.permission == ("can_read", "SocialReport")
    page = client.get(f"/wohnen/person/{world['a']}").get_data(as_text=True)
    assert "Bericht" in page and "Endfassung" in page and "1 von 5 Schritten" in page
    from flask import g

    from app.models import MsaUser
    from app.views.hub import source_events

    with app.test_request_context():
        g.user = _db(app).session.get(MsaUser, client.user_id)
        person = _db(app).session.get(Person, world["a"])
        titles = [e.title for e in source_events("housing", person)]
    assert "Sozialbericht Version 1 abgeschlossen" in titles
    assert any("Wohnungssuche" in t for t in titles)

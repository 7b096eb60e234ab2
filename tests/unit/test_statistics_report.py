"""Quarterly report workflow (R-7.2): submit freezes, county reviews or returns, resubmit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.extensions import db
from app.models import QuarterlyReport
from app.security import matrix
from app.services.statistics import counting as st
from app.services.statistics import quarterly_report as qr

AFTER_Q2 = dt.date(2025, 7, 15)


@pytest.fixture
def setup(factory: Any) -> dict[str, Any]:
    org = factory.make_org("Träger A")
    other = factory.make_org("Träger B")
    county = factory.make_org("Landkreis", kind="county")
    cw = factory.make_user(matrix.ROLE_CASEWORKER, org)
    lead = factory.make_user(matrix.ROLE_LEAD, org)
    other_lead = factory.make_user(matrix.ROLE_LEAD, other)
    reviewer = factory.make_user(matrix.ROLE_REVIEWER, county)
    county_admin = factory.make_user(matrix.ROLE_COUNTY_ADMIN, county)
    person = factory.make_person(org)
    factory.make_note(person, cw, date=dt.date(2025, 5, 5))
    factory.make_note(person, cw, date=dt.date(2025, 6, 5))
    return {
        "org": org.id,
        "person": person,
        "cw": cw,
        "lead": qr.Viewer.of(lead),
        "cw_viewer": qr.Viewer.of(cw),
        "other_lead": qr.Viewer.of(other_lead),
        "reviewer": qr.Viewer.of(reviewer),
        "county_admin": qr.Viewer.of(county_admin),
    }


def test_submitted_report_is_a_frozen_snapshot(setup: dict[str, Any], factory: Any) -> None:
    """A later note dated in the submitted quarter is refused (issue 15); the snapshot holds."""
    from app.services.statistics.periods import ClosedPeriodError

    report = qr.submit_report(setup["org"], 2025, 2, actor=setup["lead"], today=AFTER_Q2)
    assert report.status == "submitted" and report.submitted_by_id == setup["lead"].user_id
    assert report.snapshot["totals"]["individual"] == 2
    with pytest.raises(ClosedPeriodError, match=r"2\. Quartal 2025"):
        factory.make_note(setup["person"], setup["cw"], date=dt.date(2025, 6, 20))
    db.session.rollback()
    factory.make_note(setup["person"], setup["cw"], date=dt.date(2025, 7, 1))  # Q3 is open
    db.session.expire_all()
    frozen = db.session.get(QuarterlyReport, report.id)
    assert frozen.snapshot["totals"]["individual"] == 2
    assert st.quarterly_statistics(setup["org"], 2025, 2)["totals"]["individual"] == 2


def test_one_submission_per_provider_and_quarter(setup: dict[str, Any]) -> None:
    qr.submit_report(setup["org"], 2025, 2, actor=setup["lead"], today=AFTER_Q2)
    with pytest.raises(qr.ReportError, match="bereits eingereicht"):
        qr.submit_report(setup["org"], 2025, 2, actor=setup["lead"], today=AFTER_Q2)
    assert db.session.query(QuarterlyReport).count() == 1


def test_unique_constraint_guards_concurrent_submission(setup: dict[str, Any]) -> None:
    """A second row for the same quarter is refused by the database itself."""
    qr.submit_report(setup["org"], 2025, 2, actor=setup["lead"], today=AFTER_Q2)
    from app.services.errors import unit_of_work

    conflict = qr._conflict("Die Meldung wurde gleichzeitig eingereicht")
    with pytest.raises(qr.ReportError, match="gleichzeitig"), unit_of_work(translate=conflict):
        db.session.add(QuarterlyReport(organisation_id=setup["org"], year=2025, quarter=2))
    assert db.session.query(QuarterlyReport).count() == 1


def test_only_the_own_lead_submits_after_the_quarter(setup: dict[str, Any]) -> None:
    for who in ("cw_viewer", "other_lead", "reviewer"):
        with pytest.raises(qr.ReportForbiddenError):
            qr.submit_report(setup["org"], 2025, 2, actor=setup[who], today=AFTER_Q2)
    with pytest.raises(qr.ReportError, match="nach seinem Ende"):
        qr.submit_report(setup["org"], 2025, 3, actor=setup["lead"], today=AFTER_Q2)
    assert db.session.query(QuarterlyReport).count() == 0


def test_county_reviews_a_submitted_report(setup: dict[str, Any]) -> None:
    report = qr.submit_report(setup["org"], 2025, 2, actor=setup["lead"], today=AFTER_Q2)
    with pytest.raises(qr.ReportForbiddenError):
        qr.review_report(report.id, actor=setup["lead"])
    reviewed = qr.review_report(report.id, actor=setup["reviewer"])
    assert reviewed.status == "reviewed" and reviewed.reviewed_by_id == setup["reviewer"].user_id
    with pytest.raises(qr.ReportError, match="Nur eingereichte"):
        qr.return_report(report.id, "zu spät", actor=setup["reviewer"])
    with pytest.raises(qr.ReportError, match="bereits eingereicht"):
        qr.submit_report(setup["org"], 2025, 2, actor=setup["lead"], today=AFTER_Q2)


def test_returned_report_can_be_resubmitted(setup: dict[str, Any], factory: Any) -> None:
    """The county returns with a comment; the lead corrects and submits a new snapshot."""
    report = qr.submit_report(setup["org"], 2025, 2, actor=setup["lead"], today=AFTER_Q2)
    with pytest.raises(qr.ReportError, match="Kommentar"):
        qr.return_report(report.id, "  ", actor=setup["county_admin"])
    returned = qr.return_report(report.id, "Juni fehlt", actor=setup["county_admin"])
    assert returned.status == "returned" and returned.comment == "Juni fehlt"
    with pytest.raises(qr.ReportError, match="Nur eingereichte"):
        qr.review_report(report.id, actor=setup["reviewer"])
    factory.make_note(setup["person"], setup["cw"], date=dt.date(2025, 6, 20))
    again = qr.submit_report(setup["org"], 2025, 2, actor=setup["lead"], today=AFTER_Q2)
    assert again.id == report.id and again.status == "submitted"
    assert again.snapshot["totals"]["individual"] == 3
    assert qr.review_report(report.id, actor=setup["reviewer"]).status == "reviewed"


def test_allowed_view(setup: dict[str, Any]) -> None:
    """Own provider only; a caseworker sees her own figures; county roles see every provider."""
    org = setup["org"]
    assert qr.allowed_view(setup["lead"], None) == (org, None)
    assert qr.allowed_view(setup["cw_viewer"], None) == (org, setup["cw_viewer"].user_id)
    assert qr.allowed_view(setup["reviewer"], org) == (org, None)
    assert qr.allowed_view(setup["county_admin"], org) == (org, None)
    with pytest.raises(qr.ReportForbiddenError):
        qr.allowed_view(setup["other_lead"], org)
    with pytest.raises(qr.ReportForbiddenError):
        qr.allowed_view(setup["cw_viewer"], org + 1)


def test_transition_table_is_explicit() -> None:
    assert set(qr.TRANSITIONS.items()) == {
        (("draft", "submit"), "submitted"),
        (("returned", "submit"), "submitted"),
        (("submitted", "review"), "reviewed"),
        (("submitted", "return"), "returned"),
    }


def test_demo_reports_submit_the_previous_quarter(app: Any) -> None:
    from app.demo.data import load_demo_data
    from app.demo.statistics import load_demo_reports

    with app.app_context():
        load_demo_data(persons=20, seed=2)
        report = db.session.query(QuarterlyReport).one()
        previous = st.Quarter.of(dt.date.today()).previous()
        assert (report.year, report.quarter, report.status) == (
            previous.year,
            previous.quarter,
            "submitted",
        )
        assert load_demo_reports() == 0  # idempotent

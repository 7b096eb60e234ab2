"""File audits (R-8.4): sample per provider and quarter, findings, answers, logged reads."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import AccessLog, FileAudit, FileAuditItem
from app.security import matrix
from app.services.data_protection import file_audit
from tests import factories as f


@pytest.fixture
def orgs(app: Flask) -> Any:
    with app.app_context():
        a = f.make_org("Caritas FA")
        b = f.make_org("AWO FA")
        ids = [f.make_person(a, assigned_on=dt.date(2025, 1, 1)).id for _ in range(8)]
        f.make_person(a, assigned_on=dt.date(2026, 1, 1))  # assigned after the quarter
        f.make_person(a, moved_away_on=dt.date(2024, 12, 31))  # gone before the quarter
        f.make_person(b)
        reviewer = f.make_user(matrix.ROLE_REVIEWER, None)
        lead_b = f.make_user(matrix.ROLE_LEAD, b)
        return {"a": a.id, "b": b.id, "pool": ids, "reviewer": reviewer.id, "lead_b": lead_b.id}


def test_sample_is_random_within_provider_and_quarter(app: Flask, orgs: Any) -> None:
    with app.app_context():
        reviewer = db.session.get(f.MsaUser, orgs["reviewer"])
        assert file_audit.candidates(orgs["a"], 2025, 2) == orgs["pool"]
        audit = file_audit.draw_sample(reviewer, orgs["a"], 2025, 2, 3, rng=random.Random(1))
        chosen = [i.person_id for i in audit.items]
        assert len(chosen) == 3 and set(chosen) <= set(orgs["pool"])
        with pytest.raises(file_audit.FileAuditError, match="schon eine Stichprobe"):
            file_audit.draw_sample(reviewer, orgs["a"], 2025, 2, 3)
        with pytest.raises(file_audit.FileAuditError, match="Quartal"):
            file_audit.draw_sample(reviewer, orgs["a"], 2025, 5, 3)
        with pytest.raises(file_audit.FileAuditError, match="Stichprobenumfang"):
            file_audit.draw_sample(reviewer, orgs["a"], 2025, 3, 0)
        # the configured size is the default; a small provider gives what it has
        audit = file_audit.draw_sample(reviewer, orgs["b"], 2025, 3)
        assert audit.sample_size == 1
        lead = f.make_user(matrix.ROLE_LEAD, orgs["a"])
        with pytest.raises(file_audit.FileAuditError, match="Nur Prüfer"):
            file_audit.draw_sample(lead, orgs["a"], 2025, 4)


def test_reviewer_records_finding_provider_answers(app: Flask, login_as: Any, orgs: Any) -> None:
    reviewer = login_as(matrix.ROLE_REVIEWER, None)
    resp = reviewer.post(
        "/aktenpruefung/ziehen",
        data={"organisation_id": orgs["a"], "year": 2025, "quarter": 2, "size": 2},
        follow_redirects=True,
    )
    assert resp.status_code == 200
    assert "Stichprobe mit 2 Fallakten gezogen" in resp.get_data(as_text=True)
    with app.app_context():
        item = db.session.scalars(select(FileAuditItem).order_by(FileAuditItem.id)).first()
        item_id, person_id, audit_id = item.id, item.person_id, item.audit_id
    # the reviewer's read of the sampled case file is logged
    assert reviewer.get(f"/aktenpruefung/eintrag/{item_id}").status_code == 200
    bad = reviewer.post(
        f"/aktenpruefung/eintrag/{item_id}/befund",
        data={"rating": "mangel", "finding": ""},
        follow_redirects=True,
    )
    assert "Bitte den Befund beschreiben" in bad.get_data(as_text=True)
    resp = reviewer.post(
        f"/aktenpruefung/eintrag/{item_id}/befund",
        data={"rating": "mangel", "finding": "Zielvereinbarung fehlt"},
        follow_redirects=True,
    )
    assert "Befund gespeichert" in resp.get_data(as_text=True)
    with app.app_context():
        reads = db.session.scalars(
            select(AccessLog).where(AccessLog.person_id == person_id, AccessLog.action == "read")
        ).all()
        assert [r.category for r in reads] == ["aktenpruefung", "aktenpruefung"]

    lead = login_as(matrix.ROLE_LEAD, orgs["a"])
    page = lead.get(f"/aktenpruefung/eintrag/{item_id}").get_data(as_text=True)
    assert "Zielvereinbarung fehlt" in page
    resp = lead.post(
        f"/aktenpruefung/eintrag/{item_id}/antwort",
        data={"response": "Wird nachgeholt"},
        follow_redirects=True,
    )
    assert "Stellungnahme gespeichert" in resp.get_data(as_text=True)
    # the provider cannot record findings
    resp = lead.post(
        f"/aktenpruefung/eintrag/{item_id}/befund",
        data={"rating": "ohne_befund", "finding": ""},
        follow_redirects=True,
    )
    assert "Nur Prüfer" in resp.get_data(as_text=True)
    with app.app_context():
        item = db.session.get(FileAuditItem, item_id)
        assert item.response == "Wird nachgeholt" and item.rating == "mangel"
        # provider reads are not reviewer reads: no extra log rows
        assert (
            len(
                db.session.scalars(
                    select(AccessLog).where(AccessLog.category == "aktenpruefung")
                ).all()
            )
            == 2
        )
    assert lead.get(f"/aktenpruefung/{audit_id}").status_code == 200


def test_other_provider_sees_nothing_and_cannot_answer(
    app: Flask, login_as: Any, orgs: Any
) -> None:
    with app.app_context():
        reviewer = db.session.get(f.MsaUser, orgs["reviewer"])
        audit = file_audit.draw_sample(reviewer, orgs["a"], 2025, 2, 2)
        item = audit.items[0]
        file_audit.record_finding(reviewer, item, "hinweis", "Vermerke knapp")
        audit_id, item_id = audit.id, item.id
    other = login_as(matrix.ROLE_LEAD, orgs["b"])
    assert "Vermerke knapp" not in other.get("/aktenpruefung/").get_data(as_text=True)
    assert other.get(f"/aktenpruefung/{audit_id}").status_code == 404
    assert other.get(f"/aktenpruefung/eintrag/{item_id}").status_code == 404
    resp = other.post(f"/aktenpruefung/eintrag/{item_id}/antwort", data={"response": "x"})
    assert resp.status_code == 404
    with app.app_context():
        assert db.session.get(FileAuditItem, item_id).response is None
        assert db.session.scalar(select(FileAudit.id)) == audit_id
    specialist = login_as(matrix.ROLE_SPECIALIST, orgs["a"])
    assert specialist.get("/aktenpruefung/").status_code in (302, 403)


def test_case_file_section_shows_retention_and_audits(app: Flask, orgs: Any) -> None:
    from app.models import Person
    from app.views.hub import HUB_SECTIONS, run_section

    assert "data_protection" in HUB_SECTIONS
    with app.app_context():
        reviewer = db.session.get(f.MsaUser, orgs["reviewer"])
        audit = file_audit.draw_sample(reviewer, orgs["a"], 2025, 2, 1)
        person_id = audit.items[0].person_id
        person = db.session.get(Person, person_id)
        person.moved_away_on = dt.date(2025, 6, 30)
        db.session.commit()
    with app.test_request_context():
        from flask import g

        g.user = db.session.get(f.MsaUser, orgs["lead_b"])  # another provider: sees no audit
        stand_in = SimpleNamespace(id=person_id, moved_away_on=None)
        assert run_section(HUB_SECTIONS["data_protection"], stand_in)["audits"] == []
    with app.test_request_context():
        from flask import g

        g.user = db.session.get(f.MsaUser, orgs["reviewer"])
        ctx = run_section(HUB_SECTIONS["data_protection"], db.session.get(Person, person_id))
        assert ctx["due_on"] == dt.date(2027, 7, 1)
        assert [(a["label"], a["rating"]) for a in ctx["audits"]] == [
            ("2. Quartal 2025", "Befund offen")
        ]

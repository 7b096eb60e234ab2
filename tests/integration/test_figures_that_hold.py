"""Figures that hold: one answer in UI, API, CLI and exports — before and after the
submission, after refused edits, after ``msa purge-expired`` — and a returned quarter can be
corrected and resubmitted. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from flask import Flask

from app.security import matrix
from app.services.documents.formatting import month_de
from tests.conftest import sign_in

YEAR, Q = 2025, 2
MONTHS = ["2025-04", "2025-05", "2025-06"]
FIGS = ("individual", "group", "education_system", "return_counselling", "case_management")


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """Provider A: two caseworkers, notes in Q1–Q3/2025, a group session, referrals, a case.

    Person ``gone`` moved away on 1.6.2024 (destroyed by the purge from 2.6.2026 on), but was
    counselled in Q2 and Q3/2025 and was in case management from May 2025.
    """
    from app.extensions import db
    from app.models import CaseEvent, CaseManagementCase, ContactNote, GroupSession, Referral
    from tests import factories as f

    with app.app_context():
        a = f.make_org("Träger A")
        county = f.make_org("Landkreis", kind="county")
        cw1 = f.make_user(matrix.ROLE_CASEWORKER, a, username="fk1")
        cw2 = f.make_user(matrix.ROLE_CASEWORKER, a, username="fk2")
        lead = f.make_user(matrix.ROLE_LEAD, a, username="leitung_a")
        reviewer = f.make_user(matrix.ROLE_REVIEWER, county, username="pruefer")
        stays = f.make_person(a)
        gone = f.make_person(a, moved_away_on=dt.date(2024, 6, 1))
        partner = f.make_partner(name="Jobcenter Musterstadt", category="public_authority")
        for day, who, person, kw in (
            (dt.date(2025, 3, 31), cw1, stays, {}),
            (dt.date(2025, 4, 1), cw1, stays, {"education_system": True}),
            (dt.date(2025, 4, 15), cw1, gone, {"kind": "accompaniment"}),
            (dt.date(2025, 5, 20), cw2, gone, {"return_counselling": True}),
            (dt.date(2025, 6, 30), cw2, stays, {}),
            (dt.date(2025, 7, 2), cw1, gone, {"education_system": True}),
        ):
            f.make_note(person, who, date=day, **kw)
        session = GroupSession(
            organisation_id=a.id,
            caseworker_id=cw2.id,
            date=dt.date(2025, 5, 5),
            topic="Schule in Deutschland",
            education_system=True,
        )
        session.participants = [stays, gone]
        db.session.add(session)
        for day, person, outcome in (
            (dt.date(2025, 4, 20), gone, "taken_up"),
            (dt.date(2025, 5, 2), stays, None),
        ):
            db.session.add(
                Referral(
                    organisation_id=a.id,
                    person_id=person.id,
                    partner_id=partner.id,
                    date=day,
                    topic_code="work",
                    outcome=outcome,
                )
            )
        case = CaseManagementCase(
            organisation_id=a.id,
            person_id=gone.id,
            caseworker_id=cw2.id,
            step="assessment",
            opened_on=dt.date(2025, 5, 1),
        )
        db.session.add(case)
        db.session.flush()
        for day, frm, to in (
            (dt.date(2025, 5, 1), None, "first_interview"),
            (dt.date(2025, 5, 12), "first_interview", "assessment"),
        ):
            db.session.add(
                CaseEvent(
                    organisation_id=a.id,
                    person_id=gone.id,
                    case_id=case.id,
                    occurred_on=day,
                    actor_name="fk2",
                    from_step=frm,
                    to_step=to,
                )
            )
        db.session.commit()
        return {
            "a": a.id,
            "cw1": cw1.id,
            "cw2": cw2.id,
            "lead": lead.id,
            "reviewer": reviewer.id,
            "stays": stays.id,
            "gone": gone.id,
            "partner": partner.id,
            "notes_q2": [
                n.id
                for n in db.session.query(ContactNote)
                .filter(ContactNote.date >= dt.date(2025, 4, 1))
                .filter(ContactNote.date <= dt.date(2025, 6, 30))
                .order_by(ContactNote.date)
            ],
        }


EXPECTED_Q2 = {
    ("fk1", "2025-04"): {"individual": 2, "education_system": 1},
    ("fk2", "2025-05"): {
        "individual": 1,
        "group": 1,
        "education_system": 1,
        "return_counselling": 1,
        "case_management": 1,
    },
    ("fk2", "2025-06"): {"individual": 1, "case_management": 1},
}


def _expected() -> dict[tuple[str, str, str], int]:
    out = {(u, m, f): 0 for u in ("fk1", "fk2") for m in MONTHS for f in FIGS}
    for (user, month), figures in EXPECTED_Q2.items():
        for fig, n in figures.items():
            out[(user, month, fig)] = n
    return out


def _from_json(data: dict[str, Any]) -> dict[tuple[str, str, str], int]:
    return {
        (cw["username"], month, fig): int(vals[fig])
        for cw in data["caseworkers"]
        for month, vals in cw["months"].items()
        for fig in FIGS
    }


def _from_table(rows: list[list[Any]]) -> dict[tuple[str, str, str], int]:
    months = {month_de(m): m for m in MONTHS}
    out = {}
    for row in rows:
        if len(row) >= 7 and row[0] not in ("Summe", "Fachkraft") and row[1] in months:
            for fig, value in zip(FIGS, row[2:7], strict=True):
                out[(row[0], months[row[1]], fig)] = int(value)
    return out


def _from_page(html: str) -> dict[tuple[str, str, str], int]:
    return {
        (user, month, fig): int(value)
        for user, month, fig, value in re.findall(
            r'data-figure="([^|"]+)\|([0-9-]+)\|(\w+)">(\d+)<', html
        )
    }


def all_channels(
    app: Flask, ids: dict[str, Any], headers: dict[str, str]
) -> dict[str, dict[tuple[str, str, str], int]]:
    """The figures of A in Q2/2025 from the page, both exports, the REST API and the CLI."""
    from openpyxl import load_workbook

    client = sign_in(app.test_client(), ids["lead"])
    query = f"?organisation_id={ids['a']}&year={YEAR}&quarter={Q}"
    page = client.get("/statistics/" + query)
    assert page.status_code == 200
    csv_resp = client.get("/statistics/export/csv" + query)
    assert csv_resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    csv_rows = list(csv.reader(io.StringIO(csv_resp.get_data().decode("utf-8-sig")), delimiter=";"))
    xlsx = load_workbook(io.BytesIO(client.get("/statistics/export/xlsx" + query).data))
    xlsx_rows = [list(r) for r in xlsx["Anlage 1"].iter_rows(values_only=True)]
    api = app.test_client().get(f"/api/v1/statistics/quarterly{query}", headers=headers)
    assert api.status_code == 200, api.get_data(as_text=True)
    cli = app.test_cli_runner().invoke(
        args=["msa", "statistics", "--organisation", "Träger A", "--year", "2025", "--quarter", "2"]
    )
    assert cli.exit_code == 0, cli.output
    api_json, cli_json = api.get_json(), json.loads(cli.stdout)
    assert api_json["status"] == cli_json["status"]
    assert api_json["snapshot"] == cli_json["snapshot"]
    assert api_json["totals"] == cli_json["totals"]
    page_totals = dict(re.findall(r'data-total="(\w+)">(\d+)<', page.get_data(as_text=True)))
    assert {k: int(v) for k, v in page_totals.items()} == api_json["totals"]
    return {
        "page": _from_page(page.get_data(as_text=True)),
        "csv": _from_table(csv_rows),
        "xlsx": _from_table(xlsx_rows),
        "api": _from_json(api_json),
        "cli": _from_json(cli_json),
        "_status": {"api": api_json["status"], "snapshot": api_json["snapshot"]},  # type: ignore[dict-item]
    }


def assert_one_answer(channels: dict[str, Any], expected: dict[tuple[str, str, str], int]) -> None:
    for name in ("page", "csv", "xlsx", "api", "cli"):
        assert channels[name] == expected, name


def test_one_answer_before_after_submission_refused_edits_and_purge(
    app: Flask, world: dict[str, Any], api_token: Any
) -> None:
    from app.extensions import db
    from app.models import ContactNote, Person, QuarterlyReport

    headers = api_token(matrix.ROLE_LEAD, world["a"])
    expected = _expected()

    # 1. before the submission: live figures, status open
    channels = all_channels(app, world, headers)
    assert channels["_status"] == {"api": "open", "snapshot": False}
    assert_one_answer(channels, expected)

    # 2. the lead submits through the API (same rules as the page's button)
    client = app.test_client()
    resp = client.post(
        "/api/v1/statistics/quarterly/submit",
        json={"organisation_id": world["a"], "year": YEAR, "quarter": Q},
        headers=headers,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["status"] == "submitted" and body["snapshot"] is True and body["submitted_at"]
    again = client.post(
        "/api/v1/statistics/quarterly/submit",
        json={"organisation_id": world["a"], "year": YEAR, "quarter": Q},
        headers=headers,
    )
    assert again.status_code == 409
    channels = all_channels(app, world, headers)
    assert channels["_status"] == {"api": "submitted", "snapshot": True}
    assert_one_answer(channels, expected)
    # a caseworker sees her own row of the snapshot, the same as her live figures were
    own = sign_in(app.test_client(), world["cw1"]).get(f"/statistics/?year={YEAR}&quarter={Q}")
    own_figures = _from_page(own.get_data(as_text=True))
    assert own_figures == {k: v for k, v in expected.items() if k[0] == "fk1"}

    # 3. writes dated in the closed quarter are refused (API 409, UI with a German message)
    note_id = world["notes_q2"][0]
    new_note = {
        "person_id": world["stays"],
        "date": "2025-05-10",
        "kind": "individual",
        "topics": [],
        "summary": "Nachgetragen",
        "education_system": False,
        "return_counselling": False,
    }
    refused = client.post("/api/v1/contactnote/", json=new_note, headers=headers)
    assert refused.status_code == 409, refused.get_data(as_text=True)
    assert "2. Quartal 2025" in refused.get_json()["message"]
    version = client.get(f"/api/v1/contactnote/{note_id}", headers=headers).get_json()["result"][
        "version"
    ]
    put = client.put(
        f"/api/v1/contactnote/{note_id}",
        json={"summary": "geändert", "version": version},
        headers=headers,
    )
    assert put.status_code == 409
    moved_out = client.put(
        f"/api/v1/contactnote/{note_id}",
        json={"date": "2025-07-10", "version": version},
        headers=headers,
    )
    assert moved_out.status_code == 409  # its old date lies in the closed quarter
    # deleting is no correction at all for provider roles: neither the note nor the
    # person with her notes of the closed quarter can be deleted, through API or page
    assert client.delete(f"/api/v1/contactnote/{note_id}", headers=headers).status_code == 405
    gone_person = client.delete(f"/api/v1/person/{world['stays']}", headers=headers)
    assert gone_person.status_code == 405, gone_person.get_data(as_text=True)
    lead_ui = sign_in(app.test_client(), world["lead"])
    lead_ui.post(f"/personview/delete/{world['stays']}", follow_redirects=True)
    with app.app_context():
        from app.models import Person as _Person

        assert db.session.get(_Person, world["stays"]) is not None
    group = client.post(
        "/api/v1/groupsession/",
        json={
            "date": "2025-06-01",
            "topic": "Nachtrag",
            "participant_ids": [world["stays"]],
            "education_system": False,
            "return_counselling": False,
        },
        headers=headers,
    )
    assert group.status_code == 409
    opened = client.post(
        "/api/v1/casemanagement/",
        json={"person_id": world["stays"], "on": "2025-06-15"},
        headers=headers,
    )
    assert opened.status_code == 409 and "abgeschlossen" in opened.get_json()["message"]
    ui = sign_in(app.test_client(), world["cw1"])
    page = ui.post(
        f"/contactnoteview/document/{world['stays']}",
        data={"date": "2025-05-10", "kind": "individual", "summary": "Nachgetragen"},
    )
    assert page.status_code == 409  # refused, the form shown again with the input
    assert "2. Quartal 2025 ist bereits an den Landkreis gemeldet" in page.get_data(as_text=True)
    deleted = ui.post(f"/contactnoteview/delete/{note_id}", follow_redirects=True)
    assert deleted.status_code == 404  # notes are never deleted by provider roles
    with app.app_context():
        assert db.session.get(ContactNote, note_id) is not None
    channels = all_channels(app, world, headers)
    assert_one_answer(channels, expected)

    # 4. the purge destroys ``gone``: every channel keeps the submitted figures, and the live
    #    figures of Q2 and of the open Q3 stay as they were (anonymous retained counts)
    live_before = (
        app.test_client()
        .get(f"/api/v1/statistics/quarterly?year={YEAR}&quarter={Q}&live=true", headers=headers)
        .get_json()["live"]
    )
    q3_before = (
        app.test_client()
        .get(f"/api/v1/statistics/quarterly?year={YEAR}&quarter=3", headers=headers)
        .get_json()
    )
    referrals_before = (
        app.test_client()
        .get(f"/api/v1/statistics/referrals?year={YEAR}&quarter={Q}", headers=headers)
        .get_json()
    )
    result = app.test_cli_runner().invoke(args=["msa", "purge-expired"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(Person, world["gone"]) is None
        assert db.session.query(QuarterlyReport).count() == 1
    channels = all_channels(app, world, headers)
    assert_one_answer(channels, expected)
    after = (
        app.test_client()
        .get(f"/api/v1/statistics/quarterly?year={YEAR}&quarter={Q}&live=true", headers=headers)
        .get_json()
    )
    assert after["live"]["caseworkers"] == live_before["caseworkers"]
    assert after["live"]["totals"] == live_before["totals"]
    q3_after = (
        app.test_client()
        .get(f"/api/v1/statistics/quarterly?year={YEAR}&quarter=3", headers=headers)
        .get_json()
    )
    assert q3_after["caseworkers"] == q3_before["caseworkers"]
    assert q3_after["totals"]["education_system"] == 1
    assert q3_after["totals"]["case_management"] == 1  # the destroyed case still counts
    referrals_after = (
        app.test_client()
        .get(f"/api/v1/statistics/referrals?year={YEAR}&quarter={Q}", headers=headers)
        .get_json()
    )
    assert "by_partner" in referrals_before, referrals_before
    assert referrals_after["by_partner"] == referrals_before["by_partner"]
    assert referrals_after["total"] == 2


def test_returned_quarter_is_corrected_and_resubmitted(
    app: Flask, world: dict[str, Any], api_token: Any
) -> None:
    headers = api_token(matrix.ROLE_LEAD, world["a"])
    client = app.test_client()
    url = "/api/v1/statistics/quarterly/submit"
    body = {"organisation_id": world["a"], "year": YEAR, "quarter": Q}
    assert client.post(url, json=body, headers=headers).status_code == 200
    note = {
        "person_id": world["stays"],
        "date": "2025-06-10",
        "kind": "individual",
        "topics": [],
        "summary": "Nachgetragen",
        "education_system": False,
        "return_counselling": False,
    }
    assert client.post("/api/v1/contactnote/", json=note, headers=headers).status_code == 409
    # the county returns the report: the quarter is open again
    with app.app_context():
        from app.extensions import db
        from app.models import QuarterlyReport

        report_id = db.session.query(QuarterlyReport).one().id
    county = sign_in(app.test_client(), world["reviewer"])
    resp = county.post(
        f"/statistics-review/{report_id}/return", data={"comment": "Juni fehlt ein Vermerk"}
    )
    assert resp.status_code == 302
    data = client.get(f"/api/v1/statistics/quarterly?year={YEAR}&quarter={Q}", headers=headers)
    assert data.get_json()["status"] == "returned" and data.get_json()["snapshot"] is False
    created = client.post("/api/v1/contactnote/", json=note, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    live = client.get(f"/api/v1/statistics/quarterly?year={YEAR}&quarter={Q}", headers=headers)
    assert live.get_json()["totals"]["individual"] == 5
    # resubmitted with a new snapshot
    again = client.post(url, json=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["totals"]["individual"] == 5
    assert again.get_json()["status"] == "submitted"
    assert client.post("/api/v1/contactnote/", json=note, headers=headers).status_code == 409


def test_backdated_transition_counts_in_its_month(
    app: Flask, world: dict[str, Any], api_token: Any
) -> None:
    """A case documented late counts in the month the step happened, not when clicked."""
    headers = api_token(matrix.ROLE_CASEWORKER, world["a"], username="fk_late")
    client = app.test_client()
    opened = client.post(
        "/api/v1/casemanagement/",
        json={"person_id": world["stays"], "on": "2025-08-28"},
        headers=headers,
    )
    assert opened.status_code == 201, opened.get_data(as_text=True)
    case_id = opened.get_json()["id"]
    with app.app_context():
        from app.extensions import db
        from app.models import FirstInterview

        db.session.add(
            FirstInterview(
                organisation_id=world["a"],
                person_id=world["stays"],
                case_id=case_id,
                held_on=dt.date(2025, 8, 28),
                problem_situation="Wohnung, Arbeit",
                motivation="hoch",
                transparency_given=True,
                decision="case_management",
            )
        )
        db.session.commit()
    too_early = client.post(
        f"/api/v1/casemanagement/{case_id}/transition",
        json={"to": "assessment", "on": "2025-08-01"},
        headers=headers,
    )
    assert too_early.status_code == 422 and "vorigen Schritt" in too_early.get_json()["message"]
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    in_future = client.post(
        f"/api/v1/casemanagement/{case_id}/transition",
        json={"to": "assessment", "on": future},
        headers=headers,
    )
    assert in_future.status_code == 422 and "Zukunft" in in_future.get_json()["message"]
    moved = client.post(
        f"/api/v1/casemanagement/{case_id}/transition",
        json={"to": "assessment", "on": "2025-09-03"},
        headers=headers,
    )
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert moved.get_json()["result"]["events"][-1]["on"] == "2025-09-03"
    lead = api_token(matrix.ROLE_LEAD, world["a"])
    q3 = client.get(f"/api/v1/statistics/quarterly?year={YEAR}&quarter=3", headers=lead)
    months = {cw["username"]: cw["months"] for cw in q3.get_json()["caseworkers"]}
    assert months["fk_late"]["2025-08"]["case_management"] == 0
    assert months["fk_late"]["2025-09"]["case_management"] == 1

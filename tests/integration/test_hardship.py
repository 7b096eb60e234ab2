"""Härtefallverfahren through every door: the page form and REST refuse alike, another provider
finds nothing (404), the reviewer only reads; the case file shows the steps, the timeline the
days; the annual figures count each step for the provider that held the person that day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from sqlalchemy import select

from app.extensions import db
from app.models import AccessLog, HardshipProcedure
from app.security import matrix
from tests import factories

D = dt.date


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    with app.app_context():
        org_a = factories.make_org("Träger A")
        org_b = factories.make_org("Träger B")
        a = factories.make_person(org_a, first_name="Amal", last_name="Haddad")
        b = factories.make_person(org_b, first_name="Olena", last_name="Shevchenko")
        return {
            "org_a": factories.id_of(org_a),
            "org_b": factories.id_of(org_b),
            "a": factories.id_of(a),
            "b": factories.id_of(b),
        }


def _count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(HardshipProcedure.id)).all())


def test_page_runs_the_procedure_and_keeps_input_on_refusal(
    app: Flask, login_as: Any, world: dict[str, Any]
) -> None:
    """Begin on the case file, record submission and decision; a refused form keeps the input
    and names the rule in German (422); the case file and the timeline show the steps."""
    client = login_as(matrix.ROLE_CASEWORKER, world["org_a"])
    case_file = client.get(f"/personview/show/{world['a']}").get_data(as_text=True)
    assert "Kein Härtefallverfahren." in case_file
    assert f"/haertefall/neu/{world['a']}" in case_file
    page = client.get(f"/haertefall/neu/{world['a']}").get_data(as_text=True)
    assert "<title>Neues Härtefallverfahren – Haddad, Amal" in page
    resp = client.post(
        f"/haertefall/neu/{world['a']}",
        data={"prepared_on": "01.03.2099", "member": "Diakonie", "note": "mit Kindern"},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "nicht in der Zukunft" in html
    assert 'value="01.03.2099"' in html and 'value="Diakonie"' in html and "mit Kindern" in html
    resp = client.post(
        f"/haertefall/neu/{world['a']}",
        data={"prepared_on": "02.03.2026", "member": "Diakonie", "note": ""},
    )
    assert resp.status_code == 302
    pk = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/haertefall/{pk}").get_data(as_text=True)
    assert "<title>Härtefallverfahren – Haddad, Amal" in page and "Antrag in Vorbereitung" in page
    # a decision before the submission is refused, the typed values stay
    form = {
        "version": "1",
        "prepared_on": "02.03.2026",
        "member": "Diakonie",
        "submitted_on": "",
        "decided_on": "10.04.2026",
        "outcome": "rejected",
        "note": "",
    }
    resp = client.post(f"/haertefall/{pk}", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "erst nach der Einreichung" in html
    assert 'value="10.04.2026"' in html and 'value="rejected" selected' in html
    resp = client.post(f"/haertefall/{pk}", data={**form, "submitted_on": "12.03.2026"})
    assert resp.status_code == 302
    with app.app_context():
        row = db.session.get(HardshipProcedure, pk)
        assert row is not None
        assert (row.submitted_on, row.decided_on, row.outcome) == (
            D(2026, 3, 12),
            D(2026, 4, 10),
            "rejected",
        )
    case_file = client.get(f"/personview/show/{world['a']}").get_data(as_text=True)
    assert "entschieden: kein Härtefallersuchen (abgelehnt)" in case_file
    assert "12.03.2026" in case_file and f"/haertefall/{pk}" in case_file
    assert "Härtefallverfahren bearbeiten" in case_file
    assert "Härtefallverfahren beginnen" in case_file  # decided: a new one may begin
    timeline = client.get(f"/personview/show/{world['a']}").get_data(as_text=True)
    assert "Härtefall: bei der Härtefallkommission eingereicht" in timeline


def test_other_provider_and_reviewer(
    app: Flask, login_as: Any, api_token: Any, client: Any, world: dict[str, Any]
) -> None:
    """Another provider finds nothing (404) on every door; the reviewer reads, never writes."""
    own = api_token(matrix.ROLE_CASEWORKER, world["org_a"])
    resp = client.post(
        "/api/v1/hardship/",
        json={"person_id": world["a"], "prepared_on": "2026-03-02"},
        headers=own,
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    pk = resp.get_json()["id"]
    other = api_token(matrix.ROLE_CASEWORKER, world["org_b"])
    assert client.get(f"/api/v1/hardship/{pk}", headers=other).status_code == 404
    assert client.get("/api/v1/hardship/", headers=other).get_json()["count"] == 0
    body = {"submitted_on": "2026-03-05"}
    assert client.post(f"/api/v1/hardship/{pk}/submit", json=body, headers=other).status_code == 404
    assert (
        client.put(f"/api/v1/hardship/{pk}", json={**body, "version": 1}, headers=other).status_code
        == 404
    )
    resp = client.post(
        "/api/v1/hardship/",
        json={"person_id": world["a"], "prepared_on": "2026-03-02"},
        headers=other,
    )
    assert resp.status_code == 404
    page = login_as(matrix.ROLE_CASEWORKER, world["org_b"])
    assert page.get(f"/haertefall/{pk}").status_code == 404
    assert page.post(f"/haertefall/{pk}", data={"submitted_on": "05.03.2026"}).status_code == 404
    assert page.get(f"/haertefall/neu/{world['a']}").status_code == 404

    reviewer = api_token(matrix.ROLE_REVIEWER)
    resp = client.get(f"/api/v1/hardship/{pk}", headers=reviewer)
    assert resp.status_code == 200 and resp.get_json()["result"]["prepared_on"] == "2026-03-02"
    with app.app_context():
        assert db.session.scalars(
            select(AccessLog.id).where(AccessLog.person_id == world["a"])
        ).first()
    assert (
        client.post(f"/api/v1/hardship/{pk}/submit", json=body, headers=reviewer).status_code == 403
    )
    resp = client.post(
        "/api/v1/hardship/",
        json={"person_id": world["a"], "prepared_on": "2026-03-02"},
        headers=reviewer,
    )
    assert resp.status_code == 403
    reviewer_page = login_as(matrix.ROLE_REVIEWER)
    shown = reviewer_page.get(f"/haertefall/{pk}")
    assert shown.status_code == 200 and 'id="hardship-form"' not in shown.get_data(as_text=True)
    assert reviewer_page.post(
        f"/haertefall/{pk}", data={"submitted_on": "05.03.2026"}
    ).status_code in (
        302,
        403,
    )
    with app.app_context():
        row = db.session.get(HardshipProcedure, pk)
        assert row is not None and row.submitted_on is None
    assert _count(app) == 1


def test_rest_steps_and_refusals_in_the_domain_shape(
    app: Flask, api_token: Any, client: Any, world: dict[str, Any]
) -> None:
    """REST: begin, submit, decide; refusals carry the same keys as the page's verb."""
    headers = api_token(matrix.ROLE_CASEWORKER, world["org_a"])
    resp = client.post(
        "/api/v1/hardship/",
        json={"person_id": world["a"], "prepared_on": "2026-03-02", "member": "Caritas"},
        headers=headers,
    )
    pk = resp.get_json()["id"]
    resp = client.post(
        "/api/v1/hardship/",
        json={"person_id": world["a"], "prepared_on": "2026-03-03"},
        headers=headers,
    )
    assert resp.status_code == 409 and resp.get_json()["key"] == "procedure.open_exists"
    resp = client.post(
        f"/api/v1/hardship/{pk}/decide",
        json={"decided_on": "2026-04-01", "outcome": "request_made"},
        headers=headers,
    )
    assert resp.status_code == 400 and resp.get_json()["key"] == "decided_on.not_submitted"
    resp = client.post(
        f"/api/v1/hardship/{pk}/submit", json={"submitted_on": "2026-03-01"}, headers=headers
    )
    assert resp.get_json()["key"] == "submitted_on.before_prepared"
    resp = client.post(
        f"/api/v1/hardship/{pk}/submit", json={"submitted_on": "10.03.2026"}, headers=headers
    )
    assert resp.status_code == 200 and resp.get_json()["result"]["submitted_on"] == "2026-03-10"
    resp = client.post(
        f"/api/v1/hardship/{pk}/decide",
        json={"decided_on": "2026-04-01", "outcome": "genehmigt"},
        headers=headers,
    )
    assert resp.status_code == 400 and resp.get_json()["key"] == "outcome.unknown"
    resp = client.post(
        f"/api/v1/hardship/{pk}/decide",
        json={"decided_on": "2026-04-01", "outcome": "request_made"},
        headers=headers,
    )
    result = resp.get_json()["result"]
    assert resp.status_code == 200 and result["open"] is False
    assert result["outcome_label"] == "Härtefallersuchen gestellt"
    resp = client.put(f"/api/v1/hardship/{pk}", json={"note": "x"}, headers=headers)
    assert resp.status_code == 400  # version required
    resp = client.put(f"/api/v1/hardship/{pk}", json={"note": "x", "version": 1}, headers=headers)
    assert resp.status_code == 409 and resp.get_json()["key"] == "version.conflict"
    resp = client.put(
        f"/api/v1/hardship/{pk}",
        json={"note": "Ersuchen an das MIK", "version": result["version"]},
        headers=headers,
    )
    assert resp.status_code == 200 and resp.get_json()["result"]["note"] == "Ersuchen an das MIK"
    listed = client.get(f"/api/v1/hardship/?person_id={world['a']}", headers=headers).get_json()
    assert listed["count"] == 1
    assert client.post("/api/v1/hardship/", data="x", headers=headers).status_code == 400


# ------------------------------------------------------------------ annual figures by holder
def _holder(periods: list[tuple[int, D]], moved: D | None, day: D) -> int | None:
    """The rule restated: the last period begun on or before the day holds the file (the
    receiver on a handover day), until the move-away day inclusive."""
    if moved is not None and day > moved:
        return None
    began = [org for org, start in periods if start <= day]
    return began[-1] if began else None


_day = hs.dates(min_value=D(2024, 11, 1), max_value=D(2026, 2, 28))


def _day_after(draw: Any, first: D, special: list[D], last: D) -> D | None:
    """None, or a day from ``first`` to ``last`` — often one of the ``special`` days (a
    handover, the assignment, the move-away), where the holder changes."""
    candidates = [d for d in special if first <= d <= last]
    options = [hs.none(), hs.dates(min_value=first, max_value=last)]
    if candidates:
        options += [hs.sampled_from(candidates)] * 2
    day: D | None = draw(hs.one_of(*options))
    return day


@hs.composite
def _histories(draw: Any) -> list[dict[str, Any]]:
    persons = []
    for _ in range(draw(hs.integers(min_value=1, max_value=3))):
        assigned = draw(_day)
        handovers = sorted(set(draw(hs.lists(_day, max_size=2))))
        handovers = [d for d in handovers if d > assigned]
        moved = draw(
            hs.one_of(
                hs.none(),
                hs.sampled_from([assigned, *handovers]),
                hs.dates(min_value=max([assigned, *handovers]), max_value=D(2026, 4, 30)),
            )
        )
        if moved is not None and handovers and moved < handovers[-1]:
            moved = None
        special = [assigned, *handovers, *([moved] if moved else [])]
        prepared = draw(hs.one_of(_day, hs.sampled_from(special)))
        submitted = _day_after(draw, prepared, special, D(2026, 4, 30))
        decided = None
        if submitted is not None:
            decided = _day_after(draw, submitted, special, D(2026, 4, 30))
        persons.append(
            {
                "assigned": assigned,
                "handovers": [(d, draw(hs.integers(0, 2))) for d in handovers],
                "moved": moved,
                "prepared": prepared,
                "submitted": submitted,
                "decided": decided,
                "outcome": draw(
                    hs.sampled_from(["request_made", "rejected", "not_accepted", "withdrawn"])
                ),
            }
        )
    return persons


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories=_histories())
def test_annual_figures_count_for_the_holder_of_the_day(
    app: Flask, histories: list[dict[str, Any]]
) -> None:
    """Submitted and decided per outcome in a year, for each provider, equal the rule over the
    custody history — the year view counts what the holder of that day did."""
    from app.services.intake.custody import transfer_custody
    from app.services.statistics.annual import annual_evaluation

    with app.app_context():
        orgs = [factories.make_org().id for _ in range(3)]
        expected = {
            (org, year): {
                "submitted": 0,
                "request_made": 0,
                "rejected": 0,
                "not_accepted": 0,
                "withdrawn": 0,
            }
            for org in orgs
            for year in (2025, 2026)
        }
        for h in histories:
            person = factories.make_person(orgs[0], assigned_on=h["assigned"])
            periods = [(orgs[0], h["assigned"])]
            for day, receiver in h["handovers"]:
                transfer_custody(
                    db.session.connection(),
                    [person.id],
                    to_organisation_id=orgs[receiver],
                    scope="full",
                    handover_id=None,
                    on=day,
                )
                periods.append((orgs[receiver], day))
            db.session.commit()
            if h["moved"] is not None:
                person = db.session.get(type(person), person.id)
                person.moved_away_on = h["moved"]
                db.session.commit()
            db.session.add(
                HardshipProcedure(
                    person_id=person.id,
                    organisation_id=orgs[0],
                    prepared_on=h["prepared"],
                    submitted_on=h["submitted"],
                    decided_on=h["decided"],
                    outcome=h["outcome"] if h["decided"] else None,
                )
            )
            db.session.commit()
            for key, day in (("submitted", h["submitted"]), (h["outcome"], h["decided"])):
                if day is None:
                    continue
                holder = _holder(periods, h["moved"], day)
                if holder is not None and day.year in (2025, 2026):
                    expected[(holder, day.year)][key] += 1

        def check(when: str) -> None:
            for org in orgs:
                for year in (2025, 2026):
                    figures = annual_evaluation(org, year)["hardship"]
                    want = expected[(org, year)]
                    assert figures["submitted"] == want["submitted"], (when, org, year, histories)
                    assert figures["by_outcome"] == {
                        k: v for k, v in want.items() if k != "submitted"
                    }, (when, org, year, histories)
                    assert figures["decided"] == sum(figures["by_outcome"].values())

        check("live")
        # the case files are destroyed: every year of every provider keeps its figures
        from app.models import Person
        from app.services.data_protection.retention import destroy_persons

        destroy_persons(db.session.connection(), [p.id for p in db.session.query(Person)])
        db.session.commit()
        assert db.session.query(HardshipProcedure).count() == 0
        check("after destruction")

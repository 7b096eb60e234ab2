"""Statistics and charts within the statement budget: at most 8 SQL statements per
request, authentication and permissions included, and not one more with more providers.

Also: the batched statements stay scoped — a provider lead never sees another provider's
numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, g

from app.security import matrix
from app.services.statistics import counting as st
from tests import factories
from tests.integration.test_performance import MAX_STATEMENTS, count_statements

CURRENT = st.Quarter.of(dt.date.today())
#: the demo data submit this quarter's reports: its pages show the frozen snapshot
PREVIOUS = CURRENT.previous()


def _q(period: st.Quarter) -> str:
    return f"year={period.year}&quarter={period.quarter}"


def _add_case(org_id: int, cw_id: int, person_id: int, entered: dt.datetime) -> None:
    from app.extensions import db
    from app.models import CaseEvent, CaseManagementCase

    case = CaseManagementCase(
        organisation_id=org_id,
        person_id=person_id,
        caseworker_id=cw_id,
        step="assessment",
        opened_on=entered.date(),
    )
    db.session.add(case)
    db.session.flush()
    db.session.add(
        CaseEvent(
            organisation_id=org_id,
            person_id=person_id,
            case_id=case.id,
            at=entered,
            actor_name="x",
            from_step="first_interview",
            to_step="assessment",
        )
    )
    db.session.commit()


def _add_providers(app: Flask, count: int) -> list[int]:
    """``count`` more providers, each with a caseworker, a person, a note and a case."""
    day = max(CURRENT.start, dt.date.today() - dt.timedelta(days=1))
    ids = []
    with app.app_context():
        for i in range(count):
            org = factories.make_org(f"Zusatzträger {i}")
            cw = factories.make_user(matrix.ROLE_CASEWORKER, org)
            person = factories.make_person(org)
            factories.make_note(person, cw, date=day)
            _add_case(org.id, cw.id, person.id, dt.datetime.combine(day, dt.time(9)))
            ids.append(org.id)
    return ids


@pytest.fixture
def demo(app: Flask) -> dict[str, int]:
    from app.demo.data import PROVIDERS, load_demo_data
    from app.extensions import db
    from app.models import Organisation

    with app.app_context():
        load_demo_data(persons=40)
        org_id = db.session.query(Organisation).filter_by(name=PROVIDERS[0]).one().id
        county = db.session.query(Organisation).filter_by(kind="county").one().id
    return {"org": org_id, "county": county}


def _pages(
    app: Flask, demo: dict[str, int], login_as: Any, api_token: Any
) -> list[tuple[str, Callable[[], Any]]]:
    reviewer = login_as(matrix.ROLE_REVIEWER, demo["county"])
    county_admin = login_as(matrix.ROLE_COUNTY_ADMIN, demo["county"])
    lead = login_as(matrix.ROLE_LEAD, demo["org"])
    caseworker = login_as(matrix.ROLE_CASEWORKER, demo["org"])
    lead_token = api_token(matrix.ROLE_LEAD, demo["org"])
    reviewer_token = api_token(matrix.ROLE_REVIEWER, demo["county"])
    api = app.test_client()
    url = "/api/v1/statistics/quarterly"
    org = f"organisation_id={demo['org']}"
    pages: list[tuple[str, Callable[[], Any]]] = []
    for period in (CURRENT, PREVIOUS):
        q = _q(period)
        pages += [
            (f"charts {q}", lambda q=q: reviewer.get(f"/statistics-review/charts?{q}")),
            (f"charts admin {q}", lambda q=q: county_admin.get(f"/statistics-review/charts?{q}")),
            (f"review {q}", lambda q=q: reviewer.get(f"/statistics-review/?{q}")),
            (f"quarter reviewer {q}", lambda q=q: reviewer.get(f"/statistics/?{q}")),
            (f"quarter reviewer org {q}", lambda q=q: reviewer.get(f"/statistics/?{org}&{q}")),
            (f"quarter lead {q}", lambda q=q: lead.get(f"/statistics/?{q}")),
            (f"quarter caseworker {q}", lambda q=q: caseworker.get(f"/statistics/?{q}")),
            (f"api lead {q}", lambda q=q: api.get(f"{url}?{q}", headers=lead_token)),
            (
                f"api reviewer {q}",
                lambda q=q: api.get(f"{url}?{org}&{q}", headers=reviewer_token),
            ),
        ]
    return pages


def _measure(app: Flask, pages: list[tuple[str, Callable[[], Any]]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, request in pages:
        with count_statements(app) as statements:
            resp = request()
        assert resp.status_code == 200, (name, resp.status_code)
        counts[name] = len(statements)
        assert len(statements) <= MAX_STATEMENTS, (name, statements)
    return counts


def test_statistics_pages_within_budget_and_constant_in_providers(
    app: Flask, demo: dict[str, int], login_as: Any, api_token: Any
) -> None:
    pages = _pages(app, demo, login_as, api_token)
    before = _measure(app, pages)
    added = _add_providers(app, 3)
    after = _measure(app, pages)
    assert after == before
    # the new providers are on the charts (the page really covers them)
    html = pages[0][1]().get_data(as_text=True)
    assert all(f"Zusatzträger {i}" in html for i in range(3)), added


def test_charts_statement_count_does_not_grow_with_months_of_data(
    app: Flask, demo: dict[str, int], login_as: Any
) -> None:
    """Older quarters (other months, other indicator periods) cost the same statements."""
    reviewer = login_as(matrix.ROLE_REVIEWER, demo["county"])
    counts = set()
    period = CURRENT
    for _ in range(5):
        with count_statements(app) as statements:
            assert reviewer.get(f"/statistics-review/charts?{_q(period)}").status_code == 200
        counts.add(len(statements))
        period = period.previous()
    assert len(counts) == 1 and max(counts) <= MAX_STATEMENTS, counts


@pytest.fixture
def two_providers(app: Flask) -> dict[str, int]:
    """Providers A and B, each with a note and a case in case management this quarter."""
    a_id, b_id = _add_providers(app, 2)
    with app.app_context():
        from app.extensions import db
        from app.models import ContactNote, MsaUser, Person

        cw_a = db.session.query(MsaUser).filter_by(organisation_id=a_id).one().id
        cw_b = db.session.query(MsaUser).filter_by(organisation_id=b_id).one().id
        # B has more notes than A: any leak would show
        note_b = db.session.query(ContactNote).filter_by(organisation_id=b_id).one()
        person_b = db.session.get(Person, note_b.person_id)
        for _ in range(4):
            factories.make_note(person_b, cw_b, date=note_b.date)
        county = factories.make_org("Landkreis", kind="county").id
    return {"a": a_id, "b": b_id, "cw_a": cw_a, "cw_b": cw_b, "county": county}


def test_lead_of_a_never_sees_b(
    app: Flask, two_providers: dict[str, int], login_as: Any, api_token: Any
) -> None:
    a, b = two_providers["a"], two_providers["b"]
    q = _q(CURRENT)
    lead = login_as(matrix.ROLE_LEAD, a)
    assert lead.get(f"/statistics/?organisation_id={b}&{q}").status_code == 403
    assert lead.get(f"/statistics-review/charts?{q}").status_code == 403
    token = api_token(matrix.ROLE_LEAD, a)
    url = "/api/v1/statistics/quarterly"
    assert app.test_client().get(f"{url}?organisation_id={b}&{q}", headers=token).status_code == 403
    own = app.test_client().get(f"{url}?{q}", headers=token).get_json()
    assert own["organisation_id"] == a
    assert own["totals"]["individual"] == 1 and own["totals"]["case_management"] == 1
    reviewer = api_token(matrix.ROLE_REVIEWER, two_providers["county"])
    other = app.test_client().get(f"{url}?organisation_id={b}&{q}", headers=reviewer).get_json()
    assert other["totals"]["individual"] == 5 and other["totals"]["case_management"] == 1


def test_batched_case_management_counts_the_organisations_asked_for(
    app: Flask, two_providers: dict[str, int]
) -> None:
    """Asked for A and B, the batched statement counts both whoever is signed in: access is
    decided before (a lead may not ask for B, see above), so Prüfer and Kreis-Admin get the
    same figures (the Kreis-Admin once got 0 through the row scope)."""
    from app.extensions import db
    from app.models import MsaUser
    from app.services.statistics.case_management_counts import persons_in_case_management_batch

    a, b = two_providers["a"], two_providers["b"]
    months = [(int(k[:4]), int(k[5:])) for k in CURRENT.months]
    with app.app_context():
        reviewer = factories.make_user(matrix.ROLE_REVIEWER, two_providers["county"]).id
        county_admin = factories.make_user(matrix.ROLE_COUNTY_ADMIN, two_providers["county"]).id
        outside = persons_in_case_management_batch([a, b], months)  # CLI, services: no user
    assert {o for o, *_ in outside} == {a, b}
    for user_id in (reviewer, county_admin):
        with app.test_request_context("/"):
            g.user = db.session.get(MsaUser, user_id)
            assert persons_in_case_management_batch([a, b], months) == outside
            db.session.remove()

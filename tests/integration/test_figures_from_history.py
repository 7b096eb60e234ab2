"""Figures from history: persons present, caseload and FTE of a quarter come from who held a
person when and which FTE each account had then — never from today's state (docs/statistics.md,
"Persons present, caseload and FTE from history").

The counting rule is written once more below (``_model_present``), independently of the SQL, and
compared with the code over generated custody histories.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from app.extensions import db
from app.security import matrix
from tests import factories
from tests.conftest import sign_in

D = dt.date
YEAR_2025 = [(2025, q) for q in (1, 2, 3, 4)]


def _figures(org_id: int, year: int, quarter: int) -> dict[str, Any]:
    from app.services.statistics import counting as st

    stats = st.quarterly_statistics(org_id, year, quarter)
    return {"totals": stats["totals"], "indicators": stats["indicators"]}


def test_past_quarters_hold_after_handover_destruction_fte_change_and_new_account(
    app: Flask,
) -> None:
    """Sender keeps its quarters, receiver gets none of the earlier ones; a destroyed person still
    counts where she was present; a later FTE change or account changes no past quarter."""
    from app.models import MsaUser, Person, StaffFtePeriod
    from app.services.data_protection.retention import destroy_persons
    from app.services.intake.handover import accept_handover, offer_handover
    from app.services.statistics.counting import Quarter

    today = dt.date.today()
    with app.app_context():
        a = factories.make_org("Träger A")
        b = factories.make_org("Träger B")
        cw = factories.make_user(matrix.ROLE_CASEWORKER, a, fte=1, fte_since=D(2024, 1, 1))
        lead_a = factories.make_user(matrix.ROLE_LEAD, a, fte=0)
        lead_b = factories.make_user(matrix.ROLE_LEAD, b, fte=0)
        kept = factories.make_person(a, assigned_on=D(2025, 1, 10), caseworker_id=cw.id)
        handed = factories.make_person(a, assigned_on=D(2025, 1, 10), caseworker_id=cw.id)
        gone = factories.make_person(a, assigned_on=D(2025, 1, 10), moved_away_on=D(2025, 2, 15))
        housed = factories.make_person(
            a, assigned_on=D(2025, 2, 1), moved_in_own_housing_on=D(2025, 3, 15)
        )
        factories.make_note(kept, cw, date=D(2025, 2, 3))
        factories.make_note(handed, cw, date=D(2025, 5, 3))
        a_id, b_id, cw_id = a.id, b.id, cw.id
        gone_id, housed_id = gone.id, housed.id
        before = {(org, q): _figures(org, *q) for org in (a_id, b_id) for q in YEAR_2025}
        assert before[(a_id, (2025, 1))]["indicators"]["persons_present"] == 4
        assert before[(a_id, (2025, 2))]["indicators"]["persons_present"] == 3  # gone moved away
        assert before[(a_id, (2025, 3))]["indicators"]["persons_present"] == 2  # housed ended
        assert before[(a_id, (2025, 1))]["indicators"]["fte"] == 1.0
        assert before[(b_id, (2025, 1))]["indicators"]["persons_present"] == 0

        # a later handover of one person to B
        offer = offer_handover(
            handed.id,
            b_id,
            actor=lead_a,
            scope="full",
            consent_given=True,
            consent_on=today,
            consent_form="written",
        )
        accept_handover(offer.id, actor=db.session.get(MsaUser, lead_b.id))
        # a later destruction of two persons (one whose counselling ended in own housing)
        destroy_persons(db.session.connection(), [gone_id, housed_id])
        db.session.commit()
        # a later FTE change and a later account
        worker = db.session.get(MsaUser, cw_id)
        assert worker is not None
        worker.fte = Decimal("0.5")
        db.session.commit()
        factories.make_user(matrix.ROLE_CASEWORKER, a, fte=1, fte_since=None)

        assert db.session.get(Person, gone_id) is None
        after = {(org, q): _figures(org, *q) for org in (a_id, b_id) for q in YEAR_2025}
        assert after == before
        # the present quarter follows what happened: both held the handed-over person in it
        now = Quarter.of(today)
        assert _figures(b_id, now.year, now.quarter)["indicators"]["persons_present"] == 1
        assert _figures(a_id, now.year, now.quarter)["indicators"]["persons_present"] == 2
        history = db.session.execute(
            db.select(StaffFtePeriod.fte, StaffFtePeriod.valid_from, StaffFtePeriod.valid_to)
            .where(StaffFtePeriod.user_id == cw_id)
            .order_by(StaffFtePeriod.valid_from)
        ).all()
        assert [(Decimal(f), s, e) for f, s, e in history] == [
            (Decimal("1"), D(2024, 1, 1), today - dt.timedelta(days=1)),
            (Decimal("0.5"), today, None),
        ]


def test_fte_of_a_quarter_is_the_fte_each_account_had_then(app: Flask) -> None:
    """Half-time for half of the quarter is a quarter post; an account that left still counts
    for the days it worked; deactivation ends the FTE, reactivation starts it again."""
    from app.extensions import db
    from app.models import MsaUser
    from app.services.staff.fte_history import record_fte
    from app.services.statistics import counting as st

    with app.app_context():
        org = factories.make_org()
        user = factories.make_user(matrix.ROLE_CASEWORKER, org, fte=1, fte_since=D(2024, 1, 1))
        conn = db.session.connection()
        # 1.0 until 14 Feb 2025, then 0.5; inactive from 1 May to 30 Jun; 0.5 again from July
        record_fte(
            conn,
            user.id,
            organisation_id=org.id,
            fte=Decimal("0.5"),
            active=True,
            on=D(2025, 2, 15),
        )
        record_fte(
            conn,
            user.id,
            organisation_id=org.id,
            fte=Decimal("0.5"),
            active=False,
            on=D(2025, 5, 1),
        )
        record_fte(
            conn, user.id, organisation_id=org.id, fte=Decimal("0.5"), active=True, on=D(2025, 7, 1)
        )
        db.session.commit()
        q1 = st.indicators(D(2025, 1, 1), D(2025, 3, 31), [org.id])[org.id]["fte"]
        q2 = st.indicators(D(2025, 4, 1), D(2025, 6, 30), [org.id])[org.id]["fte"]
        q3 = st.indicators(D(2025, 7, 1), D(2025, 9, 30), [org.id])[org.id]["fte"]
        # Q1: 45 days × 1.0 + 45 days × 0.5 over 90 days
        assert q1 == round((45 * 1.0 + 45 * 0.5) / 90, 2)
        assert q2 == round(30 * 0.5 / 91, 2)
        assert q3 == 0.5
        # a change on the same day replaces that day's period
        worker = db.session.get(MsaUser, user.id)
        assert worker is not None
        worker.fte = Decimal("0.75")
        db.session.commit()
        worker.fte = Decimal("0.8")
        db.session.commit()
        assert st.indicators(D(2025, 7, 1), D(2025, 9, 30), [org.id])[org.id]["fte"] == 0.5


def test_specialist_service_note_counts_in_its_own_quarter(app: Flask, api_token: Any) -> None:
    """A note the Fachberatungsdienst writes on a file shared with it counts in its own
    Anlage 1, not in the holder's."""
    from app.models import ContactNote
    from app.services.statistics import counting as st

    today = dt.date.today()
    with app.app_context():
        a = factories.make_org("Träger A").id
        fbd = factories.make_org("Fachberatungsdienst", kind="specialist_service").id
        person = factories.make_person(a, assigned_on=D(2025, 1, 1)).id
    holder = api_token(matrix.ROLE_LEAD, a, fte=0)
    service = api_token(matrix.ROLE_SPECIALIST, fbd, fte=0)
    client = app.test_client()
    shared = client.post(
        f"/api/v1/person/{person}/shares",
        json={
            "organisation_id": fbd,
            "until": (today + dt.timedelta(days=30)).isoformat(),
            "consent_on": today.isoformat(),
        },
        headers=holder,
    )
    assert shared.status_code == 201, shared.get_json()
    note = {
        "person_id": person,
        "date": today.isoformat(),
        "kind": "individual",
        "topics": [],
        "summary": "Beratung zur Gesundheitsversorgung",
        "result": "Termin vereinbart",
        "education_system": False,
        "return_counselling": True,
    }
    resp = client.post("/api/v1/contactnote/", json=note, headers=service)
    assert resp.status_code == 201, resp.get_json()
    with app.app_context():
        written = db.session.execute(db.select(ContactNote.organisation_id)).scalars().all()
        assert written == [fbd]
        now = st.Quarter.of(today)
        own = st.quarterly_statistics(fbd, now.year, now.quarter)
        holder_figures = st.quarterly_statistics(a, now.year, now.quarter)
    assert own["totals"]["individual"] == 1 and own["totals"]["return_counselling"] == 1
    assert [
        c["months"]
        for c in own["caseworkers"]
        if any(m["individual"] for m in c["months"].values())
    ], own
    assert holder_figures["totals"]["individual"] == 0
    assert holder_figures["totals"]["return_counselling"] == 0


_CASELOAD = re.compile(r'data-caseload="(\d+)">(\d+)<')


def test_desk_staff_page_anlage1_and_annual_evaluation_agree_on_caseload(
    app: Flask, api_token: Any
) -> None:
    """One caseload definition: the desk and the staff page show the same persons per
    caseworker (and those without one), summing to Anlage 1's and the annual evaluation's
    persons present."""
    from app.services.staff.figures import caseload_per_caseworker
    from app.services.statistics import counting as st

    today = dt.date.today()
    now = st.Quarter.of(today)
    with app.app_context():
        org = factories.make_org("Träger A")
        cw1 = factories.make_user(matrix.ROLE_CASEWORKER, org, fte=1)
        cw2 = factories.make_user(matrix.ROLE_CASEWORKER, org, fte=Decimal("0.5"))
        lead = factories.make_user(matrix.ROLE_LEAD, org, fte=0)
        early = D(2024, 1, 1)
        for worker in (cw1, cw1, cw2, None):
            factories.make_person(
                org, assigned_on=early, caseworker_id=worker.id if worker else None
            )
        # not present: moved away before the quarter; counselling ended a year ago
        factories.make_person(
            org, assigned_on=early, moved_away_on=D(2024, 6, 1), caseworker_id=cw1.id
        )
        factories.make_person(
            org,
            assigned_on=early,
            caseworker_id=cw2.id,
            moved_in_own_housing_on=today - relativedelta(years=1),
        )
        ids = {"org": org.id, "lead": lead.id, "cw1": cw1.id, "cw2": cw2.id}
        service_rows = caseload_per_caseworker(ids["org"], now.start, now.end)
        anlage1 = st.quarterly_statistics(ids["org"], now.year, now.quarter)["indicators"]
    client = sign_in(app.test_client(), ids["lead"])
    desk = {int(u): int(n) for u, n in _CASELOAD.findall(client.get("/").get_data(as_text=True))}
    staff_html = client.get("/staff/").get_data(as_text=True)
    staff = {int(u): int(n) for u, n in _CASELOAD.findall(staff_html)}
    expected = {ids["cw1"]: 2, ids["cw2"]: 1, 0: 1}
    assert desk == expected
    assert staff == expected
    assert "ohne zuständige Fachkraft" in staff_html
    assert {(r.user_id or 0): r.persons for r in service_rows} == expected
    assert anlage1["persons_present"] == sum(expected.values())
    reviewer = api_token(matrix.ROLE_REVIEWER, None, fte=0)
    annual = app.test_client().get(
        f"/api/v1/statistics/annual?organisation_id={ids['org']}&year={now.year}",
        headers=reviewer,
    )
    assert annual.status_code == 200, annual.get_json()
    row = next(q for q in annual.get_json()["quarters"] if q["quarter"] == now.quarter)
    assert row["indicators"]["persons_present"] == sum(expected.values())
    assert row["indicators"]["fte"] == anlage1["fte"] == 1.5


def test_county_admin_and_reviewer_see_the_same_figures(app: Flask, api_token: Any) -> None:
    """Persons in case management (and every other figure) are the same for the Kreis-Admin
    and the Prüfer."""
    from app.models import CaseEvent, CaseManagementCase
    from app.services.statistics.counting import Quarter

    today = dt.date.today()
    now = Quarter.of(today)
    with app.app_context():
        county = factories.make_org("Landkreis", kind="county").id
        org = factories.make_org("Träger A")
        cw = factories.make_user(matrix.ROLE_CASEWORKER, org)
        person = factories.make_person(org, assigned_on=D(2025, 1, 1), caseworker_id=cw.id)
        factories.make_note(person, cw, date=today)
        case = CaseManagementCase(
            organisation_id=org.id,
            person_id=person.id,
            caseworker_id=cw.id,
            step="assessment",
            opened_on=now.start,
        )
        db.session.add(case)
        db.session.flush()
        db.session.add(
            CaseEvent(
                organisation_id=org.id,
                person_id=person.id,
                case_id=case.id,
                at=dt.datetime.combine(now.start, dt.time(10)),
                occurred_on=now.start,
                actor_name="x",
                from_step="first_interview",
                to_step="assessment",
            )
        )
        db.session.commit()
        org_id = org.id
    answers = []
    for role in (matrix.ROLE_REVIEWER, matrix.ROLE_COUNTY_ADMIN):
        headers = api_token(role, county, fte=0)
        client = app.test_client()
        quarterly = client.get(
            f"/api/v1/statistics/quarterly?organisation_id={org_id}&year={now.year}"
            f"&quarter={now.quarter}",
            headers=headers,
        )
        annual = client.get(
            f"/api/v1/statistics/annual?organisation_id={org_id}&year={now.year}",
            headers=headers,
        )
        assert quarterly.status_code == 200 and annual.status_code == 200, role
        q, y = quarterly.get_json(), annual.get_json()
        answers.append((q["caseworkers"], q["totals"], q["indicators"], y["quarters"]))
    assert answers[0] == answers[1]
    assert answers[0][1]["case_management"] == 1
    assert answers[0][1]["individual"] == 1


# --- the counting rule once more, independently, over generated custody histories ----------


def _model_present(
    periods: list[tuple[int, dt.date, dt.date | None]],
    own_housing: dt.date | None,
    asylblg: bool,
    org: int,
    start: dt.date,
    end: dt.date,
) -> int:
    """Persons present: each custody period of ``org`` that shares a day with the quarter,
    while counselling still ran on the quarter's first day (it ends 3 months after moving into
    own housing, except under the AsylbLG)."""
    if own_housing is not None and not asylblg and own_housing + relativedelta(months=3) <= start:
        return 0
    return sum(
        1
        for holder, began, ended in periods
        if holder == org and began <= end and (ended is None or ended >= start)
    )


_day = hs.dates(min_value=D(2024, 10, 1), max_value=D(2025, 12, 31))


@hs.composite
def _histories(draw: Any) -> list[dict[str, Any]]:
    persons = []
    for _ in range(draw(hs.integers(min_value=1, max_value=4))):
        assigned = draw(hs.one_of(hs.none(), _day))
        steps = sorted(set(draw(hs.lists(_day, max_size=3)))) if assigned else []
        steps = [d for d in steps if d > assigned] if assigned else []
        receivers = [draw(hs.integers(min_value=0, max_value=2)) for _ in steps]
        last = steps[-1] if steps else assigned
        moved = draw(hs.one_of(hs.none(), _day)) if last else None
        if moved is not None and last is not None and moved < last:
            moved = None
        persons.append(
            {
                "assigned": assigned,
                "handovers": list(zip(steps, receivers, strict=True)),
                "moved": moved,
                "own": draw(hs.one_of(hs.none(), _day)),
                "asylblg": draw(hs.booleans()),
                "destroy": moved is not None and draw(hs.booleans()),
            }
        )
    return persons


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories=_histories())
def test_persons_present_follow_the_custody_history(
    app: Flask, histories: list[dict[str, Any]]
) -> None:
    """Persons present per organisation and quarter equal the rule over the history, before
    and after the destruction of the moved-away persons."""
    from app.models import Person
    from app.services.data_protection.retention import destroy_persons
    from app.services.intake.custody import transfer_custody
    from app.services.staff.figures import caseload_per_caseworker
    from app.services.statistics import counting as st

    today = dt.date.today()
    quarters = [st.Quarter(2025, q) for q in (1, 2, 3, 4)] + [st.Quarter.of(today)]
    spans = [(q.start, q.end) for q in quarters]
    with app.app_context():
        orgs = [factories.make_org().id for _ in range(3)]
        expected: dict[tuple[int, int], int] = {}
        destroy = []
        for h in histories:
            person = factories.make_person(
                orgs[0],
                assigned_on=h["assigned"],
                moved_in_own_housing_on=h["own"],
                benefit_basis="asylblg_3" if h["asylblg"] else "sgb2",
            )
            began = h["assigned"] or today
            holder = orgs[0]
            periods: list[tuple[int, dt.date, dt.date | None]] = []
            for day, receiver in h["handovers"]:
                periods.append((holder, began, day))
                holder, began = orgs[receiver], day
                transfer_custody(
                    db.session.connection(),
                    [person.id],
                    to_organisation_id=holder,
                    scope="full",
                    handover_id=None,
                    on=day,
                )
            db.session.commit()
            if h["moved"] is not None:
                row = db.session.get(Person, person.id)
                assert row is not None
                row.moved_away_on = h["moved"]
                db.session.commit()
            periods.append((holder, began, h["moved"]))
            for org in orgs:
                for i, (start, end) in enumerate(spans):
                    expected[(org, i)] = expected.get((org, i), 0) + _model_present(
                        periods, h["own"], h["asylblg"], org, start, end
                    )
            if h["destroy"]:
                destroy.append(person.id)

        def counted() -> dict[tuple[int, int], int]:
            figures = st.indicators_for_periods(spans, orgs)
            return {
                (org, i): figures[i][org]["persons_present"]
                for org in orgs
                for i in range(len(spans))
            }

        assert counted() == expected
        destroy_persons(db.session.connection(), destroy)
        db.session.commit()
        assert counted() == expected
        # the caseload rows (desk, staff page) of the same days sum to the same persons
        for org in orgs:
            for i, (start, end) in enumerate(spans):
                rows = caseload_per_caseworker(org, start, end)
                assert sum(r.persons for r in rows) == expected[(org, i)]


def _model_fte(
    changes: list[tuple[dt.date, Decimal | None]], start: dt.date, end: dt.date
) -> float:
    """The FTE an account had on each day of the quarter (the last change on or before that
    day; None: inactive), averaged over the quarter's days."""
    total = Decimal(0)
    day = start
    while day <= end:
        had = [fte for since, fte in changes if since <= day]
        total += (had[-1] or 0) if had else 0
        day += dt.timedelta(days=1)
    return round(float(total / ((end - start).days + 1)), 2)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=hs.lists(
        hs.tuples(
            _day,
            hs.one_of(hs.none(), hs.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal("1")])),
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda c: c[0],
    )
)
def test_fte_of_a_quarter_follows_the_fte_history(
    app: Flask, changes: list[tuple[dt.date, Decimal | None]]
) -> None:
    """FTE per quarter equals the rule over generated histories of changes (None: inactive)."""
    from app.services.staff.fte_history import record_fte
    from app.services.statistics import counting as st

    changes = sorted(changes)
    quarters = [st.Quarter(2025, q) for q in (1, 2, 3, 4)]
    with app.app_context():
        org = factories.make_org().id
        user = factories.make_user(matrix.ROLE_CASEWORKER, org, fte=0, fte_since=None).id
        conn = db.session.connection()
        record_fte(conn, user, organisation_id=org, fte=None, active=False, on=D(2000, 1, 1))
        for day, fte in changes:
            record_fte(conn, user, organisation_id=org, fte=fte, active=fte is not None, on=day)
        db.session.commit()
        figures = st.indicators_for_periods([(q.start, q.end) for q in quarters], [org])
    for q, per_org in zip(quarters, figures, strict=True):
        assert per_org[org]["fte"] == _model_fte(changes, q.start, q.end), q


def _periods(app: Flask, username: str) -> list[tuple[Decimal, int, dt.date, dt.date | None]]:
    from app.models import MsaUser, StaffFtePeriod

    with app.app_context():
        rows = db.session.execute(
            db.select(
                StaffFtePeriod.fte,
                StaffFtePeriod.organisation_id,
                StaffFtePeriod.valid_from,
                StaffFtePeriod.valid_to,
            )
            .join(MsaUser, MsaUser.id == StaffFtePeriod.user_id)
            .where(MsaUser.username == username)
            .order_by(StaffFtePeriod.id)
        ).all()
        return [(Decimal(f), o, s, e) for f, o, s, e in rows]


def test_every_door_that_writes_an_fte_keeps_the_history(app: Flask) -> None:
    """``msa create-user``, the lead's team page (create, deactivate, reactivate) and the user
    form all leave the FTE history true: from today, nothing before."""
    from app.models import MsaUser

    today = dt.date.today()
    with app.app_context():
        org = factories.make_org("Träger A")
        county = factories.make_org("Landkreis", kind="county")
        lead = factories.make_user(matrix.ROLE_LEAD, org, fte=0)
        admin = factories.make_user(matrix.ROLE_COUNTY_ADMIN, county, fte=0)
        org_id, lead_id, admin_id = org.id, lead.id, admin.id
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "msa",
            "create-user",
            "cli.fachkraft",
            "--role",
            matrix.ROLE_CASEWORKER,
            "--organisation",
            "Träger A",
            "--fte",
            "0.75",
        ],
        env={"MSA_PASSWORD": "Ein-langes-Passwort-2026!"},
    )
    assert result.exit_code == 0, result.output
    assert _periods(app, "cli.fachkraft") == [(Decimal("0.75"), org_id, today, None)]

    client = sign_in(app.test_client(), lead_id)
    resp = client.post(
        "/team/neu",
        data={
            "username": "team.fachkraft",
            "first_name": "Nora",
            "last_name": "Neu",
            "email": "nora@test.invalid",
            "fte": "0.5",
            "password": "Ein-langes-Passwort-2026!",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert _periods(app, "team.fachkraft") == [(Decimal("0.5"), org_id, today, None)]
    with app.app_context():
        new_id = db.session.scalars(
            db.select(MsaUser.id).where(MsaUser.username == "team.fachkraft")
        ).one()
    # deactivated on the day it was made: no FTE at all that day; reactivated: again from today
    assert client.post(f"/team/{new_id}/aktiv", data={"aktiv": "0"}).status_code == 302
    assert _periods(app, "team.fachkraft") == []
    assert client.post(f"/team/{new_id}/aktiv", data={"aktiv": "1"}).status_code == 302
    assert _periods(app, "team.fachkraft") == [(Decimal("0.5"), org_id, today, None)]

    # the user form (Kreis-Admin): a changed FTE replaces today's period
    with app.app_context():
        user = db.session.get(MsaUser, new_id)
        assert user is not None
        data = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.username,
            "email": user.email,
            "active": "y",
            "organisation": str(org_id),
            "fte": "0.8",
            "roles": [str(r.id) for r in user.roles],
        }
    admin_client = sign_in(app.test_client(), admin_id)
    resp = admin_client.post(f"/users/edit/{new_id}", data=data, follow_redirects=True)
    assert resp.status_code == 200
    assert _periods(app, "team.fachkraft") == [(Decimal("0.8"), org_id, today, None)]


def test_statistics_count_the_workflow_step_of_the_decision_for_case_management() -> None:
    """The statistics name the assessment step themselves (no import circle); it is the
    workflow's step."""
    from app.services.case_management.workflow import ASSESSMENT, STEPS
    from app.services.statistics.case_management_counts import ASSESSMENT as COUNTED

    assert COUNTED == ASSESSMENT and COUNTED in STEPS

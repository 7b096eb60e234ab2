"""The monthly Anlage-1 counts restated in Python over generated notes and group sessions.

``monthly_counts`` groups per organisation, day and caseworker in the database first and takes
the month of the daily rows (docs/statistics.md, "Speed"); these tests compare it — and the
annual evaluation's live quarters built on it — with the counting rules written once more,
independently, over notes on month and quarter boundaries, several per day and caseworker,
of every kind and with every flag.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from app.extensions import db
from app.models import ContactNote, GroupSession
from app.security import matrix
from tests import factories

D = dt.date
FIGURES = ("individual", "group", "education_system", "return_counselling")
# days on and around month and quarter boundaries of 2025, and a few in between
DAYS = sorted(
    {D(2024, 12, 31), D(2026, 1, 1)}
    | {D(2025, m, 1) for m in range(1, 13)}
    | {D(2025, m, 1) - dt.timedelta(days=1) for m in range(2, 13)}
    | {D(2025, m, 15) for m in (2, 5, 8, 11)}
    | {D(2025, 12, 31)}
)
KINDS = ("individual", "accompaniment", "group")

_record = hs.fixed_dictionaries(
    {
        "org": hs.integers(0, 1),
        "cw": hs.integers(0, 2),
        "day": hs.sampled_from(DAYS),
        "kind": hs.sampled_from(KINDS),
        "edu": hs.booleans(),
        "ret": hs.booleans(),
    }
)


def _model(
    notes: list[dict[str, Any]], sessions: list[dict[str, Any]], orgs: list[int], cws: list[int]
) -> dict[tuple[int, int, str], dict[str, int]]:
    """The rules of docs/statistics.md per organisation, caseworker and month of 2025."""
    out: dict[tuple[int, int, str], dict[str, int]] = {}
    for rows, counted in ((notes, "individual"), (sessions, "group")):
        for r in rows:
            if r["day"].year != 2025 or (counted == "individual" and r["kind"] == "group"):
                continue  # outside the year; a person's own record of a group session
            key = (orgs[r["org"]], cws[r["cw"]], f"{r['day'].year}-{r['day'].month:02d}")
            figures = out.setdefault(key, dict.fromkeys(FIGURES, 0))
            figures[counted] += 1
            figures["education_system"] += int(r["edu"])
            figures["return_counselling"] += int(r["ret"])
    return out


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    notes=hs.lists(_record, max_size=40),
    sessions=hs.lists(_record, max_size=12),
)
def test_monthly_counts_and_annual_quarters_follow_the_rules(
    app: Flask, notes: list[dict[str, Any]], sessions: list[dict[str, Any]]
) -> None:
    from app.services.statistics import counting as st
    from app.services.statistics.annual import annual_evaluation

    start, end = D(2025, 1, 1), D(2025, 12, 31)
    with app.app_context():
        orgs = [factories.make_org().id for _ in range(2)]
        cws = [factories.make_user(matrix.ROLE_CASEWORKER, orgs[0]).id for _ in range(3)]
        persons = [factories.make_person(org) for org in orgs]
        for r in notes:
            db.session.add(
                ContactNote(
                    organisation_id=orgs[r["org"]],
                    person_id=persons[r["org"]].id,
                    caseworker_id=cws[r["cw"]],
                    date=r["day"],
                    kind=r["kind"],
                    summary="Beratung",
                    education_system=r["edu"],
                    return_counselling=r["ret"],
                )
            )
        for r in sessions:
            db.session.add(
                GroupSession(
                    organisation_id=orgs[r["org"]],
                    caseworker_id=cws[r["cw"]],
                    date=r["day"],
                    topic="Gruppe",
                    education_system=r["edu"],
                    return_counselling=r["ret"],
                )
            )
        db.session.commit()
        expected = _model(notes, sessions, orgs, cws)

        def counted(
            rows: list[tuple[int, int, str, dict[str, int]]],
        ) -> dict[tuple[int, int, str], dict[str, int]]:
            out = {}
            for org, cw, key, figures in rows:
                if org in orgs:
                    assert figures["case_management"] == 0
                    out[(org, cw, key)] = {f: figures[f] for f in FIGURES}
            return out

        assert counted(st.monthly_counts(start, end, orgs)) == expected
        assert counted(st.monthly_counts(start, end, None)) == expected
        only = {k: v for k, v in expected.items() if k[1] == cws[1]}
        assert counted(st.monthly_counts(start, end, orgs, cws[1])) == only
        # the annual evaluation's live quarters and year (no report submitted: all live)
        for org in orgs:
            ev = annual_evaluation(org, 2025)
            for row in ev["quarters"]:
                assert not row["snapshot"]
                months = st.Quarter(2025, row["quarter"]).months
                for f in FIGURES:
                    want = sum(
                        v[f] for (o, _cw, key), v in expected.items() if o == org and key in months
                    )
                    assert row["totals"][f] == want, (row["quarter"], f)
            for f in FIGURES:
                assert ev["totals"][f] == sum(v[f] for k, v in expected.items() if k[0] == org)

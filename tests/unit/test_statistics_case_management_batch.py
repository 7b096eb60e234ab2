"""The batched count of persons in case management equals the single-month count.

Cases that enter the assessment or close exactly on month boundaries, a case that went back to
the assessment, a person with two cases, a case that never entered the assessment, two
caseworkers and two providers; months across a year end and a leap February.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.extensions import db
from app.models import CaseEvent, CaseManagementCase
from app.security import matrix
from app.services.statistics import counting as st
from app.services.statistics.case_management_counts import (
    persons_in_case_management,
    persons_in_case_management_batch,
)

T = dt.datetime
D = dt.date
#: December 2027 to April 2028: a year end and the leap February 2028
MONTHS = [(2027, 11), (2027, 12), (2028, 1), (2028, 2), (2028, 3), (2028, 4)]


def _case(
    org: Any, cw: Any, person: Any, events: list[tuple[dt.datetime, str]], closed: D | None
) -> None:
    case = CaseManagementCase(
        organisation_id=org.id,
        person_id=person.id,
        caseworker_id=cw.id,
        step="closed" if closed else events[-1][1],
        opened_on=D(2027, 10, 1),
        closed_on=closed,
    )
    db.session.add(case)
    db.session.flush()
    for at, to in events:
        db.session.add(
            CaseEvent(
                organisation_id=org.id,
                person_id=person.id,
                case_id=case.id,
                at=at,
                actor_name="x",
                from_step="first_interview",
                to_step=to,
            )
        )


@pytest.fixture
def cases(factory: Any) -> dict[str, int]:
    f = factory
    a, b = f.make_org("Träger A"), f.make_org("Träger B")
    cw1 = f.make_user(matrix.ROLE_CASEWORKER, a)
    cw2 = f.make_user(matrix.ROLE_CASEWORKER, a)
    cwb = f.make_user(matrix.ROLE_CASEWORKER, b)
    p = [f.make_person(a) for _ in range(8)]
    pb = f.make_person(b)
    # entered on the last second of December → counts from December
    _case(a, cw1, p[0], [(T(2027, 12, 31, 23, 59, 59), "assessment")], None)
    # recorded at the very end of 31 January: the step happened on a January day (the figures
    # counts by the domain date ``occurred_on``, here taken from ``at``) → counts from January
    _case(a, cw1, p[1], [(T(2028, 1, 31, 23, 59, 59, 999999), "assessment")], None)
    # entered at midnight on 1 February, closed on 1 March → February and March
    _case(a, cw1, p[2], [(T(2028, 2, 1), "assessment")], D(2028, 3, 1))
    # closed on the last day of February → not in March
    _case(a, cw2, p[3], [(T(2027, 11, 30, 12), "assessment")], D(2028, 2, 29))
    # occasion-based help only: never counted
    _case(a, cw2, p[4], [(T(2027, 11, 2), "occasion_based")], None)
    # went back to the assessment later: the first entry counts
    _case(
        a,
        cw2,
        p[5],
        [(T(2028, 1, 10), "assessment"), (T(2028, 3, 5), "assessment")],
        None,
    )
    # the same person twice with one caseworker (closed and reopened): counted once a month
    _case(a, cw1, p[6], [(T(2027, 12, 1), "assessment")], D(2028, 1, 15))
    _case(a, cw1, p[6], [(T(2028, 1, 20), "assessment")], None)
    # the same person with the other caseworker as well: once per caseworker
    _case(a, cw2, p[6], [(T(2028, 2, 10), "assessment")], D(2028, 4, 30))
    # closed before it ever entered the assessment window
    _case(a, cw2, p[7], [(T(2027, 10, 5), "assessment")], D(2027, 10, 31))
    # provider B
    _case(b, cwb, pb, [(T(2028, 3, 31, 23, 59, 59), "assessment")], None)
    db.session.commit()
    return {"a": a.id, "b": b.id, "cw1": cw1.id, "cw2": cw2.id, "cwb": cwb.id}


def test_batch_equals_single_month_function(cases: dict[str, int]) -> None:
    orgs = [cases["a"], cases["b"]]
    batch = persons_in_case_management_batch(orgs, MONTHS)
    for org in orgs:
        for year, month in MONTHS:
            single = persons_in_case_management(org, year, month)
            from_batch = {
                cw: n for (o, cw, y, m), n in batch.items() if (o, y, m) == (org, year, month)
            }
            assert from_batch == single, (org, year, month)
    assert all(key[0] in orgs and key[2:] in MONTHS for key in batch)


def test_batch_is_hand_counted(cases: dict[str, int]) -> None:
    a, cw1, cw2 = cases["a"], cases["cw1"], cases["cw2"]
    batch = persons_in_case_management_batch([a, cases["b"]], MONTHS)

    def month(y: int, m: int) -> dict[int, int]:
        return {cw: n for (o, cw, yy, mm), n in batch.items() if (o, yy, mm) == (a, y, m)}

    assert month(2027, 11) == {cw2: 1}  # p3
    assert month(2027, 12) == {cw1: 2, cw2: 1}  # p0, p6 | p3
    assert month(2028, 1) == {cw1: 3, cw2: 2}  # p0, p1, p6 (both cases) | p3, p5
    assert month(2028, 2) == {cw1: 4, cw2: 3}  # p0, p1, p2, p6 | p3, p5, p6
    assert month(2028, 3) == {cw1: 4, cw2: 2}  # p0, p1, p2 (closed 1.3.), p6 | p5, p6
    assert month(2028, 4) == {cw1: 3, cw2: 2}  # p0, p1, p6 | p5, p6 (closed 30.4.)
    assert batch[(cases["b"], cases["cwb"], 2028, 3)] == 1
    assert (cases["b"], cases["cwb"], 2028, 2) not in batch


def test_only_requested_organisations_and_months(cases: dict[str, int]) -> None:
    batch = persons_in_case_management_batch([cases["b"]], [(2028, 4), (2028, 3)])
    assert batch == {
        (cases["b"], cases["cwb"], 2028, 3): 1,
        (cases["b"], cases["cwb"], 2028, 4): 1,
    }
    assert persons_in_case_management_batch([], MONTHS) == {}
    assert persons_in_case_management_batch([cases["a"]], []) == {}


def test_quarter_figures_equal_the_per_month_counter(cases: dict[str, int]) -> None:
    """Anlage 1 (one statement) shows per month what the per-month counter counts, and the
    quarter the highest month — with no hook to register (a path without the views counts
    the same)."""
    stats = st.quarterly_statistics(cases["a"], 2028, 1)
    for month in (1, 2, 3):
        per_month = persons_in_case_management(cases["a"], 2028, month)
        shown = sum(
            c["months"][f"2028-{month:02d}"]["case_management"] for c in stats["caseworkers"]
        )
        assert shown == sum(per_month.values())
    only_b = st.quarterly_statistics(cases["a"], 2028, 1, caseworker_id=cases["cw2"])
    assert stats["totals"]["case_management"] == 7
    assert only_b["totals"]["case_management"] == 3
    assert not hasattr(st, "use_case_management_counter")

"""Anlage-1 figures and indicators (R-7.1, R-7.3) against a hand-computed quarter (Q2/2025).

Scenario (docs/statistics.md, "Beispiel"): provider A with caseworkers cw1, cw2 and a lead;
caseworker "mover" worked for A and moved to provider B; a person of A is deleted later.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert

from app.extensions import db
from app.models import GroupSession, IntegrationCourse, Person, group_participant
from app.security import matrix
from app.services.statistics import counting as st
from app.services.statistics import exports

D = dt.date


def _session(org: Any, caseworker: Any, day: dt.date, people: list[Any], **flags: bool) -> None:
    gs = GroupSession(
        organisation_id=org.id,
        caseworker_id=caseworker.id,
        date=day,
        topic="Schule in Deutschland",
        **flags,
    )
    db.session.add(gs)
    db.session.flush()
    db.session.execute(
        insert(group_participant), [{"group_session_id": gs.id, "person_id": p.id} for p in people]
    )
    db.session.commit()


@pytest.fixture
def scenario(factory: Any) -> dict[str, Any]:
    f = factory
    a = f.make_org("Träger A")
    b = f.make_org("Träger B")
    cw1 = f.make_user(matrix.ROLE_CASEWORKER, a, username="a_cw1", fte=1)
    cw2 = f.make_user(matrix.ROLE_CASEWORKER, a, username="b_cw2", fte=Decimal("0.5"))
    lead = f.make_user(matrix.ROLE_LEAD, a, username="lead_a", fte=Decimal("0.5"))
    mover = f.make_user(matrix.ROLE_CASEWORKER, a, username="c_mover", fte=1)
    early = D(2025, 1, 2)  # assigned before the quarter
    pa1 = f.make_person(a, assigned_on=early, moved_in_own_housing_on=D(2025, 3, 31))
    pa2 = f.make_person(a, assigned_on=early, moved_in_own_housing_on=D(2025, 4, 10))
    pdel = f.make_person(a, assigned_on=early)
    pb1 = f.make_person(b, assigned_on=early)
    f.make_person(a, assigned_on=early, moved_away_on=D(2025, 6, 1))  # present until 1 June
    f.make_person(a, assigned_on=D(2025, 7, 5))  # assigned after the quarter
    # counselling ended 2025-06-01: present in the quarter's first two months
    f.make_person(a, assigned_on=early, moved_in_own_housing_on=D(2025, 3, 1))
    # counselling ended before the quarter (own housing more than 3 months before it)
    f.make_person(a, assigned_on=early, moved_in_own_housing_on=D(2024, 12, 31))
    f.make_person(a)  # file opened today, without assignment date: not present in 2025
    # notes of A
    f.make_note(pa1, cw1, date=D(2025, 3, 31))  # Q1: outside
    f.make_note(pa1, cw1, date=D(2025, 4, 1))  # first day of the quarter
    f.make_note(pa1, cw1, date=D(2025, 4, 15), kind="accompaniment", education_system=True)
    f.make_note(pa2, cw1, date=D(2025, 6, 30), return_counselling=True)  # last day
    f.make_note(pa2, cw1, date=D(2025, 7, 1))  # Q3: outside
    f.make_note(pa1, cw2, date=D(2025, 5, 10), kind="group", education_system=True)  # not counted
    f.make_note(pa1, mover, date=D(2025, 5, 20))  # counts for A although mover is in B today
    f.make_note(pdel, cw2, date=D(2025, 5, 2))  # gone once the person is deleted
    # the caseworker changes provider
    mover.organisation_id = b.id
    db.session.commit()
    f.make_note(pb1, mover, date=D(2025, 6, 5))  # counts for B
    # group sessions: counted once, for the session's organisation, whoever takes part
    _session(a, cw2, D(2025, 5, 15), [pa1, pa2, pb1], education_system=True)
    _session(b, mover, D(2025, 6, 10), [pa1, pb1])
    _session(a, cw2, D(2025, 4, 30), [pa2], return_counselling=True)
    # integration courses
    for person, end, done in ((pa1, D(2025, 6, 30), True), (pa2, D(2025, 7, 1), True)):
        db.session.add(
            IntegrationCourse(
                organisation_id=a.id, person_id=person.id, course="ik", end_on=end, completed=done
            )
        )
    db.session.add(
        IntegrationCourse(organisation_id=a.id, person_id=pa2.id, course="ik", end_on=D(2025, 5, 1))
    )
    db.session.commit()
    return {"a": a.id, "b": b.id, "pdel": pdel.id, "lead": lead.id, "cw1": cw1.id}


def _months(stats: dict[str, Any], username: str) -> dict[str, dict[str, int]]:
    return next(c["months"] for c in stats["caseworkers"] if c["username"] == username)


def z(**kw: int) -> dict[str, int]:
    return {**dict.fromkeys(st.FIGURES, 0), **kw}


def test_figures_per_caseworker_and_month_are_hand_counted(scenario: dict[str, Any]) -> None:
    """Quarter boundaries, accompaniments, flags, group sessions once, mover counts for A."""
    stats = st.quarterly_statistics(scenario["a"], 2025, 2)
    assert [c["username"] for c in stats["caseworkers"]] == ["a_cw1", "b_cw2", "c_mover"]
    assert _months(stats, "a_cw1") == {
        "2025-04": z(individual=2, education_system=1),
        "2025-05": z(),
        "2025-06": z(individual=1, return_counselling=1),
    }
    assert _months(stats, "b_cw2") == {
        "2025-04": z(group=1, return_counselling=1),
        "2025-05": z(individual=1, group=1, education_system=1),
        "2025-06": z(),
    }
    assert _months(stats, "c_mover") == {
        "2025-04": z(),
        "2025-05": z(individual=1),
        "2025-06": z(),
    }
    assert stats["totals"] == z(individual=5, group=2, education_system=2, return_counselling=2)
    assert stats["totals_by_month"]["2025-05"] == z(individual=2, group=1, education_system=1)


def test_other_provider_counts_its_own_notes_and_sessions(scenario: dict[str, Any]) -> None:
    """B gets the mover's later note and B's session with a participant of A — once."""
    stats = st.quarterly_statistics(scenario["b"], 2025, 2)
    assert [c["username"] for c in stats["caseworkers"]] == ["c_mover"]
    assert _months(stats, "c_mover")["2025-06"] == z(individual=1, group=1)
    assert stats["totals"] == z(individual=1, group=1)


def test_deleted_person_leaves_live_figures(scenario: dict[str, Any]) -> None:
    """Deleting a person removes her notes from figures not yet submitted (documented)."""
    db.session.delete(db.session.get(Person, scenario["pdel"]))
    db.session.commit()
    stats = st.quarterly_statistics(scenario["a"], 2025, 2)
    assert _months(stats, "b_cw2")["2025-05"] == z(group=1, education_system=1)
    assert stats["totals"]["individual"] == 4
    assert stats["indicators"]["persons_present"] == 4  # a deletion by hand is no destruction


def test_indicators_are_hand_counted(scenario: dict[str, Any]) -> None:
    """Completed course ending in the quarter, one move into own housing, caseload per FTE."""
    ind = st.quarterly_statistics(scenario["a"], 2025, 2)["indicators"]
    # present in the quarter (custody period overlapping it, counselling not ended before it):
    # pa1 (own housing 31.03.), pa2, pdel, the person who moved away on 1 June and the one
    # whose counselling ended on 1 June
    assert ind == {
        "completed_courses": 1,
        "own_housing": 1,
        "persons_present": 5,
        # cw1 1.0 + cw2 0.5 + lead 0.5 + the mover 1.0: she moved to B only after the quarter
        "fte": 3.0,
        "caseload_per_fte": 1.7,
        "above_ratio": False,
    }


def test_caseload_above_ratio_is_flagged(factory: Any) -> None:
    org = factory.make_org()
    factory.make_user(matrix.ROLE_CASEWORKER, org, fte=Decimal("0.02"))
    factory.make_person(org, assigned_on=D(2025, 1, 1))
    factory.make_person(org, assigned_on=D(2025, 1, 1))
    ind = st.quarterly_statistics(org.id, 2025, 2)["indicators"]
    assert ind["caseload_per_fte"] == 100.0 and ind["above_ratio"] is True


def test_caseworker_restriction_shows_only_own_figures(scenario: dict[str, Any]) -> None:
    stats = st.quarterly_statistics(scenario["a"], 2025, 2, caseworker_id=scenario["cw1"])
    assert [c["username"] for c in stats["caseworkers"]] == ["a_cw1"]
    assert stats["totals"] == z(individual=3, education_system=1, return_counselling=1)


def test_no_cases_no_persons_in_case_management(scenario: dict[str, Any]) -> None:
    """Without any case in case management the figure is 0 (counted by a plain call)."""
    assert st.quarterly_statistics(scenario["a"], 2025, 2)["totals"]["case_management"] == 0


def test_staff_without_contacts_appear_with_zeros(factory: Any) -> None:
    org = factory.make_org()
    factory.make_user(matrix.ROLE_CASEWORKER, org, username="ruhig")
    stats = st.quarterly_statistics(org.id, 2025, 1)
    assert stats["caseworkers"] == [
        {
            "username": "ruhig",
            "name": stats["caseworkers"][0]["name"],
            "months": {"2025-01": z(), "2025-02": z(), "2025-03": z()},
        }
    ]


def test_quarter_validation() -> None:
    assert st.Quarter(2025, 4).end == D(2025, 12, 31)
    assert st.Quarter(2025, 1).previous() == st.Quarter(2024, 4)
    assert st.Quarter.of(D(2026, 11, 25)) == st.Quarter(2026, 4)
    with pytest.raises(st.StatisticsError, match="Quartal"):
        st.Quarter(2025, 5)


def test_csv_is_safe_against_formula_injection(factory: Any) -> None:
    org = factory.make_org()
    factory.make_user(matrix.ROLE_CASEWORKER, org, username="=1+2")
    text = exports.to_csv(st.quarterly_statistics(org.id, 2025, 1))
    assert "\r\n'=1+2;Jan 2025;" in text
    assert "\r\n=" not in text
    for bad in ("+1", "-1", "@SUM(A1)", "=1"):
        assert exports.safe_cell(bad) == "'" + bad
    assert exports.safe_cell(5) == 5 and exports.safe_cell("Summe") == "Summe"


def test_xlsx_export_holds_the_figures(scenario: dict[str, Any]) -> None:
    import io

    from openpyxl import load_workbook

    stats = st.quarterly_statistics(scenario["a"], 2025, 2)
    wb = load_workbook(io.BytesIO(exports.to_xlsx(stats)))
    rows = list(wb["Anlage 1"].iter_rows(values_only=True))
    assert rows[-1][:4] == ("Summe", "Quartal", 5, 2)
    assert ("Abgeschlossene Integrationskurse", 1) in list(
        wb["Indikatoren"].iter_rows(values_only=True)
    )


def test_pdf_export(scenario: dict[str, Any]) -> None:
    import io

    from pypdf import PdfReader

    pdf = exports.to_pdf(st.quarterly_statistics(scenario["a"], 2025, 2), "Eingereicht")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Anlage 1" in text and "Träger A" in text and "Eingereicht" in text


def _rightmost_text(pdf: bytes) -> tuple[float, float]:
    """Return (largest x where text starts, page width) over all pages of a PDF."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    xs: list[float] = []
    for page in reader.pages:

        def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
            if text.strip():
                xs.append(float(tm[4]) * float(cm[0]) + float(cm[4]))

        page.extract_text(visitor_text=visit)
    return max(xs), float(reader.pages[0].mediabox.width)


def test_pdf_shows_every_column_within_the_page(scenario: dict[str, Any]) -> None:
    """The last column (persons in case management) is on the page, not cut off;
    months read "Apr 2025", decimals have a comma."""
    import io

    from pypdf import PdfReader

    stats = st.quarterly_statistics(scenario["a"], 2025, 2)
    stats["indicators"]["caseload_per_fte"] = 12.5
    pdf = exports.to_pdf(stats, "Eingereicht")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Case Manage" in text and "Apr 2025" in text and "2025-04" not in text
    assert "12,5" in text and "12.5" not in text
    rightmost, width = _rightmost_text(pdf)
    # the right page margin is 20 mm (56.7 pt): every cell starts well inside it (before the
    # fix the last column started at 532 pt and its figures ran past the margin)
    assert rightmost < width - 56.7 - 10, (rightmost, width)

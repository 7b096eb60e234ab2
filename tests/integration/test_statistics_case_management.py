"""Anlage 1 counts persons in case management from the explicit workflow."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from app.security import matrix
from tests import factories


def test_persons_in_case_management_counted_per_month(app: Flask) -> None:
    """A case counts from the month it entered the assessment until it is closed."""
    from app.extensions import db
    from app.models import CaseEvent, CaseManagementCase, Person
    from app.services.statistics import counting as st
    from app.services.statistics.case_management_counts import persons_in_case_management

    with app.app_context():
        org = factories.make_org()
        cw = factories.make_user(matrix.ROLE_CASEWORKER, org)
        persons = [factories.make_person(org) for _ in range(3)]
        cases = []
        for i, person in enumerate(persons):
            case = CaseManagementCase(
                organisation_id=org.id,
                person_id=person.id,
                caseworker_id=cw.id,
                step="assessment" if i < 2 else "occasion_based",
                opened_on=dt.date(2026, 1, 10),
                closed_on=dt.date(2026, 2, 20) if i == 1 else None,
            )
            db.session.add(case)
            db.session.flush()
            cases.append(case)
            to = "assessment" if i < 2 else "occasion_based"
            db.session.add(
                CaseEvent(
                    organisation_id=org.id,
                    person_id=person.id,
                    case_id=case.id,
                    at=dt.datetime(2026, 1, 15, 10),
                    actor_name="x",
                    from_step="first_interview",
                    to_step=to,
                )
            )
        db.session.commit()
        assert persons_in_case_management(org.id, 2025, 12) == {}
        assert persons_in_case_management(org.id, 2026, 1) == {cw.id: 2}
        assert persons_in_case_management(org.id, 2026, 2) == {cw.id: 2}
        assert persons_in_case_management(org.id, 2026, 3) == {cw.id: 1}
        stats = st.quarterly_statistics(org.id, 2026, 1)
        assert stats["totals"]["case_management"] == 2
        assert Person.query.count() == 3

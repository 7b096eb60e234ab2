"""Destruction covers what every capability stores about a person (reports, cases, notes)."""

from __future__ import annotations

import datetime as dt

import time_machine
from flask import Flask

from app.extensions import db
from app.security import matrix
from tests import factories
from tests.integration.test_retention import _occurrences

NAME = "Zwetschgenbaum"


def test_purge_removes_finalised_report_case_and_notes(app: Flask) -> None:
    """A finalised (otherwise immutable) Sozialbericht and a CM case go with the person."""
    from app.models import CaseManagementCase, ContactNote, Person, SocialReport
    from app.services.case_management import workflow as case_workflow
    from app.services.data_protection import retention
    from app.services.housing import social_report

    with app.app_context():
        org = factories.make_org()
        cw = factories.make_user(matrix.ROLE_CASEWORKER, org)
        person = factories.make_person(
            org, last_name=NAME, moved_away_on=dt.date(2023, 1, 10), assigned_on=dt.date(2021, 1, 1)
        )
        factories.make_note(person, cw, summary=f"Gespräch mit Familie {NAME}")
        codes = [code for code, _ in social_report.criteria()]
        report = social_report.create_draft(
            person,
            author=cw,
            assessments=dict.fromkeys(codes, f"Einschätzung {NAME}"),
            recommendation=f"Auszug von {NAME} empfohlen",
        )
        social_report.finalise(report, author=cw)
        case_workflow.open_case(person, actor=cw)
        assert db.session.query(SocialReport).count() == 1
        assert _occurrences(NAME) >= 3
        with time_machine.travel(dt.datetime(2025, 1, 12, 12, 0), tick=False):
            retention.purge_expired(actor="test")
        assert db.session.query(Person).count() == 0
        assert db.session.query(SocialReport).count() == 0
        assert db.session.query(CaseManagementCase).count() == 0
        assert db.session.query(ContactNote).count() == 0
        assert _occurrences(NAME) == 0

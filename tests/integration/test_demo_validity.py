"""Demo data passes the portal's own rules and loads with ``--organisation``."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from app.security import matrix
from tests import factories


def test_demo_persons_pass_the_portals_own_validation(app: Flask) -> None:
    """No move-away before the assignment, no own housing before it, no note, referral,
    follow-up or group session after the move-away (found by the attack run)."""
    from app.demo.data import load_demo_data
    from app.extensions import db
    from app.models import (
        CaseEvent,
        CaseManagementCase,
        ContactNote,
        FollowUp,
        GroupSession,
        Person,
        Referral,
        group_participant,
    )
    from app.services.casefile.persons import validate_person

    with app.app_context():
        load_demo_data(persons=300, seed=3)
        persons = db.session.scalars(select(Person)).all()
        moved = [p for p in persons if p.moved_away_on is not None]
        assert moved, "the demo has case files due for destruction"
        for p in persons:
            data = {c.key: getattr(p, c.key) for c in Person.__table__.columns}
            assert validate_person(data) == {}, (p.id, validate_person(data))
        ids = [p.id for p in moved]
        by_id = {p.id: p.moved_away_on for p in moved}
        for model in (ContactNote, Referral):
            for pid, day in db.session.execute(
                select(model.person_id, model.date).where(model.person_id.in_(ids))
            ):
                assert day <= by_id[pid], (model.__name__, pid, day)
        assert not db.session.scalar(
            select(func.count()).select_from(FollowUp).where(FollowUp.person_id.in_(ids))
        )
        for pid, day in db.session.execute(
            select(group_participant.c.person_id, GroupSession.date)
            .join(GroupSession, GroupSession.id == group_participant.c.group_session_id)
            .where(group_participant.c.person_id.in_(ids))
        ):
            assert day <= by_id[pid]
        assert not db.session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .join(CaseManagementCase, CaseManagementCase.id == CaseEvent.case_id)
            .where(CaseManagementCase.person_id.in_(ids))
        )


def test_uniform_rows_of_a_bulk_insert() -> None:
    """'A value is required for bind parameter certificate': rows of one INSERT differ."""
    from app.demo.casefile import uniform_rows

    rows = uniform_rows([{"a": 1}, {"a": 2, "certificate": "telc"}])
    assert rows == [{"a": 1, "certificate": None}, {"a": 2, "certificate": "telc"}]


def test_demo_data_for_one_organisation_with_many_language_rows(app: Flask) -> None:
    """``msa demo-data --persons N --organisation X`` past one bulk chunk (5,000 rows)."""
    with app.app_context():
        org = factories.make_org("Träger X")
        factories.make_user(matrix.ROLE_CASEWORKER, org)
    result = app.test_cli_runner().invoke(
        args=["msa", "demo-data", "--persons", "3000", "--organisation", "Träger X"]
    )
    assert result.exit_code == 0, result.output
    assert "Personen: 3000" in result.output


def test_demo_partners_keep_their_catalogue_category(app: Flask) -> None:
    """Authorities are authorities, doctors health: each demo partner keeps its catalogue code."""
    from sqlalchemy import select

    from app.demo.data import PARTNERS, load_demo_data
    from app.extensions import db
    from app.models import NetworkPartner
    from app.services.catalogues import valid_codes

    with app.app_context():
        load_demo_data(persons=10, seed=3)
        stored = dict(
            db.session.execute(select(NetworkPartner.name, NetworkPartner.category)).all()
        )
        codes = valid_codes("partner_category")
    assert {name: category for name, category, *_ in PARTNERS} == stored
    assert set(stored.values()) <= codes and len(set(stored.values())) > 3

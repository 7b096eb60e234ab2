"""The kept bundle statement (``app.services.bundle``: built once per shape, values bound).

A kept statement must give exactly what a statement built for the request gives — for every
person shape, every role, a person seen through a share — with another person's values never
left behind, the row scope of the organisation asking, and no statement more on the page.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import inspect, select

from app.extensions import db
from app.security import matrix
from app.services import bundle as bundle_module
from app.services.bundle import Bundle
from tests import factories
from tests.integration.test_performance import MAX_STATEMENTS, count_statements

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _cold_cache() -> Any:
    bundle_module.clear_cache()
    yield
    bundle_module.clear_cache()


def _plain(value: Any) -> Any:
    """A comparable form of a bundle result: instances by their column values."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    state = inspect(value, raiseerr=False)
    if state is not None and getattr(state, "mapper", None) is not None:
        return (
            type(value).__name__,
            {
                a.key: getattr(value, a.key)
                for a in state.mapper.column_attrs
                if a.key in value.__dict__
            },
        )
    return value


def _case_file_bundle(person: Any) -> Bundle:
    """The bundle of the case file page (its own reads, every section, every source)."""
    from app.views import hub
    from app.views.casefile.persons import _casefile_queries

    bundle = Bundle()
    bundle.update(_casefile_queries(person))
    hub.add_queries(bundle, person, hub.sections())
    return bundle


def _kept_and_fresh(app: Flask, user_id: int, person_id: int) -> tuple[Any, Any, bool]:
    """(kept result, fresh result, whether the kept run used a shape already kept)."""
    from app.models import MsaUser, Person

    with app.test_request_context():
        g.user = db.session.get(MsaUser, user_id)
        # read past the scope: the bundle must hide what the asker may not see (the page
        # itself would answer 404 before)
        person = db.session.execute(
            select(Person).where(Person.id == person_id).execution_options(msa_unscoped=True)
        ).scalar_one()
        known = len(bundle_module._SHAPES)
        kept = _case_file_bundle(person).run()
        hit = len(bundle_module._SHAPES) == known
        fresh = _case_file_bundle(person)._run_fresh(unscoped=False)
        db.session.remove()
    return _plain(kept), _plain(fresh), hit


def _rich_person(org: Any, worker: Any, last_name: str, notes: int) -> int:
    """A person with an accommodation, a caseworker, a household, notes, follow-ups, records."""
    from app.models import Accommodation, Employment, PersonLanguage
    from app.models.organisation import AccommodationKind

    person = factories.make_person(org, last_name=last_name)
    home = Accommodation(
        name=f"Unterkunft {last_name}", kind=AccommodationKind.shared_accommodation, capacity=40
    )
    db.session.add(home)
    db.session.flush()
    person.accommodation_id = home.id
    person.caseworker_id = factories.id_of(worker)
    for i in range(notes):
        factories.make_note(
            person,
            worker,
            summary=f"{last_name} Vermerk {i}",
            date=TODAY - dt.timedelta(days=i),
        )
        factories.make_follow_up(person, worker, title=f"{last_name} WV {i}")
    db.session.add_all(
        [
            PersonLanguage(person_id=person.id, organisation_id=org.id, language="ar", level="C1"),
            Employment(
                person_id=person.id,
                organisation_id=org.id,
                employer=f"Betrieb {last_name}",
                start_on=dt.date(2024, 1, 1),
            ),
        ]
    )
    db.session.commit()
    return factories.id_of(person)


def test_kept_statement_equals_the_fresh_one_for_shapes_roles_and_shares(app: Flask) -> None:
    from app.models import MsaUser
    from app.services.intake.sharing import share_person

    with app.app_context():
        own, other = factories.make_org("Eigener Träger"), factories.make_org("Anderer Träger")
        fbd = factories.make_org("FBD Bündel", kind="specialist_service")
        worker = factories.make_user(matrix.ROLE_CASEWORKER, own)
        other_worker = factories.make_user(matrix.ROLE_CASEWORKER, other)
        reviewer = factories.make_user(matrix.ROLE_REVIEWER, None)
        specialist = factories.make_user(matrix.ROLE_SPECIALIST, fbd)
        empty = factories.id_of(factories.make_person(own, last_name="Leer"))
        rich_a = _rich_person(own, worker, "Amini", 25)
        rich_b = _rich_person(own, worker, "Bakr", 3)
        foreign = _rich_person(other, other_worker, "Celik", 4)
        shared = _rich_person(own, worker, "Darwish", 5)
        ids = {
            "worker": worker.id,
            "other": other_worker.id,
            "reviewer": reviewer.id,
            "specialist": specialist.id,
        }
    with app.test_request_context():
        g.user = db.session.get(MsaUser, ids["worker"])
        share_person(
            shared,
            factories.id_of(fbd),
            actor=g.user,
            until=TODAY + dt.timedelta(days=30),
            consent_on=TODAY,
        )
        db.session.remove()
    with app.test_request_context():
        # the share recipient writes on the file too (its own row, stamped with the period)
        from app.models import Person

        g.user = db.session.get(MsaUser, ids["specialist"])
        factories.make_note(
            db.session.get(Person, shared), g.user, summary="Darwish Vermerk des FBD"
        )
        db.session.commit()
        db.session.remove()

    cases = [
        ("worker", empty),
        ("worker", rich_a),
        ("worker", rich_b),  # the same shape as rich_a: a hit, with Bakr's values
        ("worker", shared),
        ("worker", foreign),  # another provider's person: nothing of it
        ("other", foreign),
        ("other", rich_a),
        ("reviewer", rich_a),
        ("reviewer", foreign),
        ("specialist", shared),
        ("specialist", rich_a),  # not shared with the FBD: nothing
    ]
    hits = 0
    for who, person_id in cases:
        for _ in range(2):  # a miss (or a hit of another person's shape), then a hit
            kept, fresh, hit = _kept_and_fresh(app, ids[who], person_id)
            assert kept == fresh, (who, person_id)
            hits += hit
    assert hits >= len(cases)  # the second run of each case was served by a kept statement

    def texts(who: str, person_id: int) -> str:
        return repr(_kept_and_fresh(app, ids[who], person_id)[0])

    assert "Bakr Vermerk 0" in texts("worker", rich_b)
    assert "Amini" not in texts("worker", rich_b)  # no value of the shape's first person
    # (the accommodation is the county's, not the provider's: its name is no case content)
    assert "Celik Vermerk" not in texts("worker", foreign)
    assert "Betrieb Celik" not in texts("worker", foreign)
    assert "Celik Vermerk 0" in texts("other", foreign)
    assert "Amini Vermerk" not in texts("other", rich_a)
    assert "Celik Vermerk 0" in texts("reviewer", foreign)
    seen = texts("specialist", shared)
    assert "Darwish Vermerk 0" in seen and "Darwish Vermerk des FBD" in seen
    assert "Darwish Vermerk des FBD" in texts("worker", shared)
    assert "Amini Vermerk" not in texts("specialist", rich_a)


def test_parameters_of_every_kind_are_bound_per_run(app: Flask) -> None:
    """IN lists of another length, LIMIT, dates: each run binds its own values."""
    from app.models import FollowUp

    with app.app_context():
        org = factories.make_org()
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        person = factories.make_person(org)
        for i in range(6):
            factories.make_follow_up(person, worker, due_on=TODAY + dt.timedelta(days=i))
        due = dict(db.session.execute(select(FollowUp.id, FollowUp.due_on)).tuples().all())
        all_ids = sorted(due)

        def run(ids: list[int], limit: int, after: dt.date) -> tuple[Any, Any]:
            def make() -> Bundle:
                b = Bundle()
                b.add(
                    "rows",
                    select(FollowUp.id, FollowUp.due_on)
                    .where(FollowUp.id.in_(ids), FollowUp.due_on >= after)
                    .order_by(FollowUp.id)
                    .limit(limit),
                )
                b.add("count", select(FollowUp.id).where(FollowUp.id == ids[0]))
                return b

            return make().run(), make()._run_fresh(unscoped=False)

        for ids, limit, after in (
            (all_ids[:2], 5, TODAY),
            (all_ids, 3, TODAY + dt.timedelta(days=1)),
            (all_ids[3:], 10, TODAY),
            (all_ids[1:2], 1, TODAY - dt.timedelta(days=1)),
        ):
            kept, fresh = run(ids, limit, after)
            assert kept == fresh
            expected = [i for i in ids if due[i] >= after][:limit]
            assert [r.id for r in kept["rows"]] == expected
            assert kept["count"] == [ids[0]]
        assert len(bundle_module._SHAPES) == 1  # one shape, four runs


def _page(client: Any, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.sub(r'(csrf_token" value="|nonce=")[^"]+', "", html)


def test_page_is_the_same_and_costs_no_statement_more(
    app: Flask, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        org = factories.make_org()
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        pid = _rich_person(org, worker, "Haddad", 30)
        org_id = factories.id_of(org)
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    path = f"/personview/show/{pid}"
    client.get(path)  # warm-up: templates, catalogues
    bundle_module.clear_cache()
    with count_statements(app) as cold:
        first = _page(client, path)
    with count_statements(app) as warm:
        kept = _page(client, path)
    assert len(bundle_module._SHAPES) == 1
    assert len(warm) == len(cold) <= MAX_STATEMENTS, (cold, warm)
    assert "Haddad Vermerk 0" in kept and "Unterkunft Haddad" in kept
    monkeypatch.setattr(Bundle, "run", lambda self, unscoped=False: self._run_fresh(unscoped))
    with count_statements(app) as fresh_statements:
        fresh = _page(client, path)
    assert kept == first == fresh
    assert len(fresh_statements) == len(warm)

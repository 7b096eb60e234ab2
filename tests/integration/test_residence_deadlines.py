"""Residence deadlines: a follow-up N weeks before the residence document ends, created when
the date is set, moved when it changes, removed when it is cleared — on every write path."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from app.models import FollowUp, MsaUser, Person
from app.security import matrix
from app.services.casefile import residence_deadlines as rd

TODAY = dt.date.today()


def _db() -> Any:
    from app.extensions import db

    return db


def _deadlines(person_id: int) -> list[tuple[dt.date, str, dt.date | None, int]]:
    rows = _db().session.scalars(
        select(FollowUp)
        .where(FollowUp.person_id == person_id, FollowUp.source == rd.SOURCE)
        .order_by(FollowUp.id)
    )
    return [(f.due_on, f.title, f.done_on, f.assignee_id) for f in rows]


#: (end of validity in days from today, weeks ahead) → due in days from today, written by hand
DUE_CASES = [
    (100, 6, 58),
    (42, 6, 0),
    (41, 6, 0),
    (10, 6, 0),
    (-5, 6, 0),
    (100, 2, 86),
    (100, 0, 100),
]


@pytest.mark.parametrize(("ends", "weeks", "due"), DUE_CASES)
def test_due_day_rule(ends: int, weeks: int, due: int) -> None:
    day = TODAY + dt.timedelta(days=ends)
    assert rd.due_on(day, TODAY, weeks) == TODAY + dt.timedelta(days=due)


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    from tests import factories as f

    with app.app_context():
        org_a = f.make_org("Träger A")
        org_b = f.make_org("Träger B")
        worker = f.make_user(matrix.ROLE_CASEWORKER, org_a)
        return {"org_a": f.id_of(org_a), "org_b": f.id_of(org_b), "worker": worker.id}


def test_created_moved_done_and_removed(app: Any, world: dict[str, Any]) -> None:
    from app.services.casefile.follow_ups import complete_follow_up
    from tests import factories as f

    end = TODAY + dt.timedelta(days=120)
    with app.app_context():
        person = f.make_person(
            world["org_a"], caseworker_id=world["worker"], residence_valid_until=end
        )
        pid = person.id
        title = (
            f"Aufenthaltsdokument gültig bis {end:%d.%m.%Y}: Verlängerung bzw. Folgedokument klären"
        )
        assert _deadlines(pid) == [(end - dt.timedelta(weeks=6), title, None, world["worker"])]
        first_id = _db().session.scalars(select(FollowUp.id).where(FollowUp.person_id == pid)).one()
        # the date changes: the same follow-up moves
        later = TODAY + dt.timedelta(days=300)
        person = _db().session.get(Person, pid)
        person.residence_valid_until = later
        _db().session.commit()
        rows = _deadlines(pid)
        assert len(rows) == 1 and rows[0][0] == later - dt.timedelta(weeks=6)
        assert f"{later:%d.%m.%Y}" in rows[0][1]
        assert (
            _db().session.scalars(select(FollowUp.id).where(FollowUp.person_id == pid)).one()
            == first_id
        )
        # other changes leave it alone
        person = _db().session.get(Person, pid)
        person.phone = "0151 123"
        _db().session.commit()
        assert len(_deadlines(pid)) == 1
        # done; a renewed document brings a new one, the done one stays
        follow_up = _db().session.get(FollowUp, first_id)
        complete_follow_up(follow_up, actor=_db().session.get(MsaUser, world["worker"]))
        renewed = TODAY + dt.timedelta(days=20)
        person = _db().session.get(Person, pid)
        person.residence_valid_until = renewed
        _db().session.commit()
        rows = _deadlines(pid)
        assert len(rows) == 2 and rows[0][2] == TODAY and rows[1][2] is None
        assert rows[1][0] == TODAY  # less than six weeks left: due today
        # cleared: the open one goes, the done one stays
        person = _db().session.get(Person, pid)
        person.residence_valid_until = None
        _db().session.commit()
        rows = _deadlines(pid)
        assert len(rows) == 1 and rows[0][2] == TODAY


def test_setting_and_nobody_to_remind(app: Any, world: dict[str, Any]) -> None:
    from tests import factories as f

    end = TODAY + dt.timedelta(days=100)
    old = app.config.get("RESIDENCE_DEADLINE_WEEKS")
    app.config["RESIDENCE_DEADLINE_WEEKS"] = 2
    try:
        with app.app_context():
            person = f.make_person(
                world["org_a"], caseworker_id=world["worker"], residence_valid_until=end
            )
            assert _deadlines(person.id)[0][0] == end - dt.timedelta(weeks=2)
            # no caseworker and no signed-in user of the provider: no follow-up
            orphan = f.make_person(world["org_a"], residence_valid_until=end)
            assert _deadlines(orphan.id) == []
    finally:
        app.config["RESIDENCE_DEADLINE_WEEKS"] = old


def test_rest_door_and_other_provider(app: Any, api_token: Any, world: dict[str, Any]) -> None:
    """PUT /api/v1/person/<id> with a new end date moves the follow-up; without a caseworker
    the caller is reminded; another provider's caller is refused and nothing changes."""
    from tests import factories as f

    with app.app_context():
        person = f.make_person(world["org_a"])
        pid = person.id
    headers = api_token(matrix.ROLE_CASEWORKER, world["org_a"])
    client = app.test_client()
    end = TODAY + dt.timedelta(days=90)
    resp = client.put(
        f"/api/v1/person/{pid}",
        json={"residence_valid_until": end.isoformat(), "version": 1},
        headers=headers,
    )
    assert resp.status_code == 200, resp.get_json()
    with app.app_context():
        rows = _deadlines(pid)
        assert len(rows) == 1 and rows[0][0] == end - dt.timedelta(weeks=6)
        caller = rows[0][3]
        assert caller != world["worker"]
    other = api_token(matrix.ROLE_CASEWORKER, world["org_b"])
    resp = client.put(
        f"/api/v1/person/{pid}",
        json={"residence_valid_until": (end + dt.timedelta(days=9)).isoformat(), "version": 2},
        headers=other,
    )
    assert resp.status_code == 404
    with app.app_context():
        assert _deadlines(pid)[0][0] == end - dt.timedelta(weeks=6)

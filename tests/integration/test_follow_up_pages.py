"""Meine Wiedervorlagen and the team's overdue list by page: every open follow-up reachable,
the totals of the whole list, the page size and the statements bounded, whatever the count."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Flask

from app.security import matrix
from tests import factories as f
from tests.integration.test_performance import MAX_PAGE_BYTES, MAX_STATEMENTS, count_statements

TODAY = dt.date.today()


def _world(app: Flask, n: int) -> tuple[int, int, dict[int, dt.date]]:
    """A caseworker with ``n`` open follow-ups spread from 200 days ago to 100 days ahead (a
    fifth due today) and one done; return (user id, org id, due day by follow-up id)."""
    from app.extensions import db
    from app.models import FollowUp

    with app.app_context():
        org = f.make_org()
        worker = f.make_user(matrix.ROLE_CASEWORKER, org)
        person = f.make_person(org, caseworker_id=worker.id)
        rows = [
            FollowUp(
                organisation_id=org.id,
                person_id=person.id,
                assignee_id=worker.id,
                due_on=TODAY if i % 5 == 0 else TODAY + dt.timedelta(days=(i * 37) % 300 - 200),
                title=f"Wiedervorlage {i}",
            )
            for i in range(n)
        ]
        done = FollowUp(
            organisation_id=org.id,
            person_id=person.id,
            assignee_id=worker.id,
            due_on=TODAY,
            title="erledigt",
            done_on=TODAY,
        )
        db.session.add_all([*rows, done])
        db.session.commit()
        return worker.id, org.id, {r.id: r.due_on for r in rows}


def test_buckets_by_page_cover_every_open_follow_up_once(app: Flask) -> None:
    from app.services.casefile.contacts import my_open_follow_ups

    user_id, _org, due = _world(app, 230)
    expected = {
        "overdue": sum(1 for d in due.values() if d < TODAY),
        "today": sum(1 for d in due.values() if d == TODAY),
        "upcoming": sum(1 for d in due.values() if d > TODAY),
    }
    with app.app_context():
        first = my_open_follow_ups(user_id, page=0, page_size=100)
        assert first.totals == expected and first.pages == 3
        seen: list[int] = []
        order: list[tuple[dt.date, int]] = []
        for page in range(first.pages):
            b = my_open_follow_ups(user_id, page=page, page_size=100)
            for bucket, rule in (
                (b.overdue, lambda d: d < TODAY),
                (b.today, lambda d: d == TODAY),
                (b.upcoming, lambda d: d > TODAY),
            ):
                assert all(rule(fu.due_on) for fu in bucket)
            rows = [*b.overdue, *b.today, *b.upcoming]
            assert len(rows) == (100 if page < 2 else 30)
            seen += [fu.id for fu in rows]
            order += [(fu.due_on, fu.id) for fu in rows]
        assert sorted(seen) == sorted(due) and len(seen) == len(set(seen))
        assert order == sorted(order)
        # a page past the end shows the last one
        assert my_open_follow_ups(user_id, page=9, page_size=100).page == 2


def test_page_shows_totals_pager_within_budget(app: Flask, login_as: Any) -> None:
    from tests.conftest import sign_in

    user_id, _org, due = _world(app, 230)
    client = sign_in(app.test_client(), user_id)
    client.get("/myfollowupview/list/")
    with count_statements(app) as statements:
        resp = client.get("/myfollowupview/list/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert len(statements) <= MAX_STATEMENTS, statements
    assert len(resp.data) < MAX_PAGE_BYTES
    overdue = sum(1 for d in due.values() if d < TODAY)
    assert re.search(rf'überfällig <span class="badge">{overdue}</span>', html)
    assert "Seite 1 von 3" in html and "nächste Seite" in html
    assert html.count('action="/myfollowupview/done/') == 100
    last = client.get("/myfollowupview/list/?page=3").get_data(as_text=True)
    assert "Seite 3 von 3" in last and "vorherige Seite" in last
    assert last.count('action="/myfollowupview/done/') == 30
    assert "Auf einer anderen Seite dieser Liste." in last  # the overdue ones were on page 1


def test_team_overdue_by_page(app: Flask, login_as: Any) -> None:
    user_id, org_id, due = _world(app, 230)
    overdue = sum(1 for d in due.values() if d < TODAY)
    lead = login_as(matrix.ROLE_LEAD, org_id)
    html = lead.get("/myfollowupview/list/?team=ueberfaellig").get_data(as_text=True)
    assert re.search(rf'überfällig <span class="badge">{overdue}</span>', html)
    pages = -(-overdue // 100)
    rows = html.count('class="msa-due-overdue"')
    assert rows == min(100, overdue)
    if pages > 1:
        assert f"Seite 1 von {pages}" in html
        assert "team=ueberfaellig" in html.split("nächste Seite")[0].rsplit("href", 1)[1]

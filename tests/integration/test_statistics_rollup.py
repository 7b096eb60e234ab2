"""The charts' rollup: same figures as live SQL, used only while fresh."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from app.security import matrix
from tests import factories
from tests.integration.test_performance import MAX_STATEMENTS, count_statements


def _dashboard(app: Flask, user_id: int) -> dict[str, Any]:
    from flask import g

    from app.extensions import db
    from app.models import MsaUser
    from app.services.statistics import charts

    today = dt.date.today()
    with app.test_request_context("/"):
        g.user = db.session.get(MsaUser, user_id)
        return charts.reviewer_dashboard(today.year, (today.month - 1) // 3 + 1)


def test_rollup_gives_the_live_figures_and_only_while_fresh(app: Flask) -> None:
    from app.demo.data import load_demo_data
    from app.extensions import db
    from app.models import StatisticsRollupState
    from app.services.statistics import rollup as statistics_rollup

    with app.app_context():
        load_demo_data(persons=60)
        reviewer = factories.id_of(factories.make_user(matrix.ROLE_REVIEWER))
    live = _dashboard(app, reviewer)
    assert live["rollup_refreshed_at"] is None
    with app.app_context():
        result = statistics_rollup.refresh()
        assert result.month_rows > 0 and result.topic_rows > 0
    rolled = _dashboard(app, reviewer)
    assert rolled["rollup_refreshed_at"] is not None
    # identical charts: every SVG and table
    assert [c["table"] for c in rolled["charts"]] == [c["table"] for c in live["charts"]]
    assert [c["svg"] for c in rolled["charts"]] == [c["svg"] for c in live["charts"]]
    assert sum(sum(v for v in row[1]) for row in live["charts"][0]["table"]["rows"]) > 0

    # a note written after the refresh shows up only after the next refresh …
    with app.app_context():
        org = factories.make_org()
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        factories.make_note(factories.make_person(org), worker, date=dt.date.today())
    assert _dashboard(app, reviewer)["charts"][0]["table"] == rolled["charts"][0]["table"]
    # … or at once when the rollup is too old (live again)
    with app.app_context():
        state = db.session.get(StatisticsRollupState, 1)
        state.refreshed_at -= dt.timedelta(days=2)
        db.session.commit()
    stale = _dashboard(app, reviewer)
    assert stale["rollup_refreshed_at"] is None
    with app.app_context():
        statistics_rollup.refresh()
    again = _dashboard(app, reviewer)
    assert again["rollup_refreshed_at"] is not None
    assert again["charts"][0]["table"] == stale["charts"][0]["table"]
    # switched off: live
    app.config["MSA_STATISTICS_ROLLUP_MAX_AGE"] = 0
    try:
        assert _dashboard(app, reviewer)["rollup_refreshed_at"] is None
    finally:
        app.config.pop("MSA_STATISTICS_ROLLUP_MAX_AGE")


def test_charts_page_with_rollup_stays_within_budget(app: Flask, login_as: Any) -> None:
    from app.demo.data import load_demo_data
    from app.services.statistics import rollup as statistics_rollup

    with app.app_context():
        load_demo_data(persons=30)
        statistics_rollup.refresh()
    client = login_as(matrix.ROLE_REVIEWER)
    client.get("/statistics-review/charts")
    with count_statements(app) as statements:
        resp = client.get("/statistics-review/charts")
    assert resp.status_code == 200
    assert "Voraggregation, Stand" in resp.get_data(as_text=True)
    assert len(statements) <= MAX_STATEMENTS, statements
    assert not any("FROM contact_note" in s for s in statements)  # no live aggregate


def test_refresh_statistics_cli(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["msa", "refresh-statistics", "--months", "13"])
    assert result.exit_code == 0, result.output
    assert "Voraggregation" in result.output
    result = runner.invoke(args=["msa", "refresh-statistics", "--months", "3"])
    assert result.exit_code != 0
    assert "Mindestens 12 Monate" in result.output

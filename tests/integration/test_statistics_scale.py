"""Reviewer pages with many providers (state and national scale): bounded pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from app.security import matrix
from tests import factories


def _providers(app: Flask, n: int) -> list[str]:
    names = []
    with app.app_context():
        for i in range(n):
            org = factories.make_org(f"Träger {i:02d}")
            worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
            person = factories.make_person(org)
            for _ in range(i + 1):  # Träger 07 has the most notes
                factories.make_note(person, worker, date=dt.date.today())
            names.append(f"Träger {i:02d}")
    return names


def test_review_overview_pages_through_many_providers(
    app: Flask, login_as: Any, monkeypatch: Any
) -> None:
    from app.views import statistics as views

    monkeypatch.setattr(views, "OVERVIEW_PAGE_SIZE", 3)
    names = _providers(app, 8)
    client = login_as(matrix.ROLE_REVIEWER)
    first = client.get("/statistics-review/").get_data(as_text=True)
    assert "Träger 00" in first and "Träger 03" not in first
    assert "Seite 1 von 3" in first
    assert "8 Träger:" in first  # the summary counts all providers
    last = client.get("/statistics-review/?page=3").get_data(as_text=True)
    assert "Träger 07" in last and "Träger 00" not in last
    assert client.get("/statistics-review/?page=99").status_code == 200  # clamped
    assert client.get("/statistics-review/?page=x").status_code == 200
    assert len(names) == 8


def test_charts_show_the_largest_providers_when_there_are_many(
    app: Flask, login_as: Any, monkeypatch: Any
) -> None:
    from app.services.statistics import charts

    monkeypatch.setattr(charts, "MAX_BARS", 3)
    _providers(app, 6)
    client = login_as(matrix.ROLE_REVIEWER)
    today = dt.date.today()
    quarter = (today.month - 1) // 3 + 1
    html = client.get(f"/statistics-review/charts?year={today.year}&quarter={quarter}").get_data(
        as_text=True
    )
    assert "die 3 mit den meisten Beratungen von 6 Trägern" in html
    table = html[html.index('id="chart-providers"') :]
    table = table[: table.index("</table>")]
    assert "Träger 05" in table and "Träger 04" in table and "Träger 03" in table
    assert "Träger 00" not in table


def test_charts_with_many_providers_and_one_without_staff_hours(
    app: Flask, login_as: Any, monkeypatch: Any
) -> None:
    """A provider without staff hours has no caseload per FTE: the chart still renders."""
    from app.services.statistics import charts

    monkeypatch.setattr(charts, "MAX_BARS", 3)
    _providers(app, 4)
    with app.app_context():
        org = factories.make_org("Träger ohne Stellen")  # no account, so no FTE
        factories.make_person(org)
    client = login_as(matrix.ROLE_REVIEWER)
    today = dt.date.today()
    quarter = (today.month - 1) // 3 + 1
    reply = client.get(f"/statistics-review/charts?year={today.year}&quarter={quarter}")
    assert reply.status_code == 200
    assert "von 5 Trägern" in reply.get_data(as_text=True)

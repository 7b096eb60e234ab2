"""Quarterly report journey in headless Chromium: lead submits, reviewer sees charts, reviews."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations


def _previous_quarter() -> tuple[int, int]:
    today = dt.date.today()
    q = (today.month - 1) // 3 + 1
    return (today.year - 1, 4) if q == 1 else (today.year, q - 1)


def _block_network(page: Any, base: str, foreign: list[str]) -> None:
    """Abort every request that does not go to the portal itself (no internet)."""

    def handle(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", handle)


def test_lead_submits_reviewer_sees_charts_and_marks_reviewed(
    live_server: str, browser: Any
) -> None:
    year, quarter = _previous_quarter()
    foreign: list[str] = []

    lead_ctx = browser.new_context(locale="de-DE")
    lead = lead_ctx.new_page()
    _block_network(lead, live_server, foreign)
    LoginPage(lead, live_server).login("leitung.diakonie")
    lead.goto(f"{live_server}/statistics/?year={year}&quarter={quarter}")
    assert lead.locator("h1").inner_text() == "Quartalsstatistik (Anlage 1)"
    assert lead.locator("#report-status").get_attribute("data-status") == "draft"
    individual = int(lead.locator('[data-total="individual"]').inner_text())
    assert individual > 0
    violations = axe_violations(lead)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    lead.click("#submit-report")
    lead.wait_for_load_state("networkidle")
    assert lead.locator("#report-status").get_attribute("data-status") == "submitted"
    assert "eingefroren" in lead.content()
    lead_ctx.close()

    ctx = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    _block_network(page, live_server, foreign)
    LoginPage(page, live_server).login("pruefer")
    page.goto(f"{live_server}/statistics-review/charts?year={year}&quarter={quarter}")
    charts = page.locator("svg.msa-chart")
    assert charts.count() == 5
    for i in range(5):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
    bars = page.locator("#chart-providers rect.bar")
    drawn = [bars.nth(i).bounding_box() for i in range(bars.count())]
    assert any(b and b["height"] > 0 for b in drawn)
    assert page.locator("#chart-trend polyline.line").count() == 4
    page.screenshot(path="/tmp/msa-statistics-charts.png", full_page=True)
    violations = axe_violations(page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]

    page.goto(f"{live_server}/statistics-review/?year={year}&quarter={quarter}")
    row = page.locator("#reports-table tr", has_text="Diakonisches Werk")
    assert "Eingereicht" in row.inner_text()
    row.get_by_role("link").click()
    page.wait_for_load_state("networkidle")
    assert int(page.locator('[data-total="individual"]').inner_text()) == individual
    page.click("#review-report")
    page.wait_for_load_state("networkidle")
    assert page.locator("#report-status").get_attribute("data-status") == "reviewed"
    ctx.close()
    assert foreign == []

"""The accessibility statement and the Leichte-Sprache page in Chromium: reachable from the footer
signed out and signed in, and free of axe-core findings of any impact."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import LoginPage


def _all_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v.get('impact')})" for v in results.response["violations"]]


def test_statement_and_easy_language_from_the_footer(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/login/")
    page.get_by_role("link", name="Barrierefreiheit").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Erklärung zur Barrierefreiheit"
    assert page.title() == "Erklärung zur Barrierefreiheit – MSA-Portal"
    assert "teilweise vereinbar" in page.locator("main").inner_text()
    assert _all_violations(page) == []
    page.screenshot(path="/tmp/msa-accessibility-statement.png", full_page=True)

    page.get_by_role("link", name="Diese Seite in Leichter Sprache").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Das MSA-Portal in Leichter Sprache"
    assert _all_violations(page) == []

    LoginPage(page, live_server).login("fachkraft.caritas")
    page.locator("footer").get_by_role("link", name="Leichte Sprache").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Das MSA-Portal in Leichter Sprache"
    assert _all_violations(page) == []
    page.screenshot(path="/tmp/msa-easy-language.png", full_page=True)

"""A demo user logs in through headless Chromium and sees the German landing page."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations


def test_caseworker_logs_in_and_sees_german_landing_page(live_server: str, page: Any) -> None:
    """The caseworker's start page is German and tells where to begin."""
    LoginPage(page, live_server).login("fachkraft.caritas")
    assert page.locator("h1").inner_text() == "Willkommen im MSA-Portal"
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("link", name="Personen").first.is_visible()
    assert page.get_by_role("link", name="Meine Wiedervorlagen").first.is_visible()
    page.screenshot(path="/tmp/msa-landing.png")


def test_wrong_password_stays_on_login(live_server: str, page: Any) -> None:
    LoginPage(page, live_server).login("fachkraft.caritas", "falsches-passwort")
    assert "/login" in page.url


def test_login_and_landing_pages_have_no_serious_axe_violations(
    live_server: str, page: Any
) -> None:
    """BITV 2.0: the app's own pages have no serious or critical axe-core violation."""
    page.goto(f"{live_server}/login/")
    login_violations = axe_violations(page)
    LoginPage(page, live_server).login("kreisadmin")
    landing_violations = axe_violations(page)
    assert login_violations == [], [v["id"] for v in login_violations]
    assert landing_violations == [], [v["id"] for v in landing_violations]

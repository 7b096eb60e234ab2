"""The data protection officer previews due case files and searches the access log (browser)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations


def test_dpo_sees_retention_preview_and_log_search(live_server: str, page: Any) -> None:
    LoginPage(page, live_server).login("datenschutz")
    assert page.get_by_role("heading", name="Protokollsuche").is_visible()
    page.goto(f"{live_server}/datenschutz/loeschfristen")
    assert page.locator("h1").inner_text() == "Löschfristen"
    assert "Fällige Fallakten (2)" in page.content()
    page.get_by_role("link", name="Probelauf anzeigen").click()
    page.get_by_text("Im Probelauf wurde nichts gelöscht").wait_for()
    page.wait_for_load_state()
    retention_violations = axe_violations(page)
    page.goto(f"{live_server}/datenschutz/protokoll?person=abc")
    assert "Bitte eine Personen-Nummer" in page.content()
    log_violations = axe_violations(page)
    assert retention_violations == [], [v["id"] for v in retention_violations]
    assert log_violations == [], [v["id"] for v in log_violations]

"""Qualifikation nach §4.2 in headless Chromium (de-DE): the provider lead opens the overview
from the desk, keeps a caseworker's profile (a refused form keeps the input), sees „erfüllt“;
the county sees the counts per provider, no names."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations


def _row(page: Any, name: str) -> Any:
    return page.locator("#qualification-overview tbody tr", has_text=name)


def test_lead_keeps_profile_and_sees_who_meets(live_server: str, page: Any) -> None:
    LoginPage(page, live_server).login("leitung.caritas")
    page.locator("a:visible", has_text="Qualifikation nach §4.2").first.click()
    page.wait_for_load_state("networkidle")
    assert page.title().startswith("Qualifikation nach §4.2")
    row = _row(page, "Fatma Kaya")
    assert "kein Profil" in row.inner_text()
    row.locator("a", has_text="Profil").click()
    page.wait_for_load_state("networkidle")
    assert page.title().startswith("Qualifikationsprofil Fatma Kaya")

    page.select_option("#degree_category", "social_work", force=True)
    page.fill("#degree_title", "B.A. Soziale Arbeit")
    page.fill("#degree_year", "1800")  # refused: the rest stays as typed
    page.fill("#cm_certified_on", "01.03.2020")
    page.fill("#cm_certifier", "DGCC")
    page.select_option("#language_0", "ar", force=True)
    page.select_option("#level_0", "b2", force=True)
    page.select_option("#language_1", "en", force=True)
    page.select_option("#level_1", "a1", force=True)
    for flag in (
        "migration_law",
        "intercultural",
        "conflict_mediation",
        "communication_team",
        "network_knowledge",
        "driving_licence_b",
    ):
        page.check(f"#{flag}")
    page.click("#qualification-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Bitte ein Jahr zwischen 1950 und" in page.content()
    assert page.input_value("#degree_title") == "B.A. Soziale Arbeit"
    assert page.input_value("#cm_certified_on") == "01.03.2020"
    assert page.input_value("#level_0") == "b2"
    assert page.is_checked("#network_knowledge")
    page.screenshot(path="/tmp/msa-qualification-form.png", full_page=True)
    assert axe_violations(page) == []

    page.fill("#degree_year", "2015")
    page.click("#qualification-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Qualifikationsprofil von Fatma Kaya gespeichert" in page.content()
    row = _row(page, "Fatma Kaya")
    assert row.locator("[data-meets]").inner_text().strip() == "erfüllt"
    assert row.locator("[data-item=cm_certificate]").inner_text().split() == ["✓", "erfüllt"]
    assert row.locator("[data-item=pc_skills]").inner_text().split() == ["–", "nicht", "erfüllt"]
    assert "kein Profil" in _row(page, "Jonas Becker").inner_text()
    page.screenshot(path="/tmp/msa-qualification-overview.png", full_page=True)
    assert axe_violations(page) == []

    # the county: counts per provider, no names
    page.goto(f"{live_server}/logout/")
    LoginPage(page, live_server).login("kreisadmin")
    page.goto(f"{live_server}/qualifikation-traeger/")
    assert page.title().startswith("Qualifikation der Träger")
    caritas = page.locator("#qualification-county tbody tr", has_text="Caritasverband")
    assert caritas.locator("[data-meets]").inner_text().strip() == "1"
    assert "Fatma" not in page.content()
    page.screenshot(path="/tmp/msa-qualification-county.png", full_page=True)
    assert axe_violations(page) == []

"""Journey: the county admin imports an assignment list (upload → preview →
confirm); the provider offers a family to another provider, which accepts it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "zuweisungsliste.csv"


def _logout(page: Any, base: str) -> None:
    page.goto(f"{base}/logout/")
    page.wait_for_load_state("load")


def test_import_preview_confirm_then_offer_and_accept(live_server: str, page: Any) -> None:
    page.set_default_timeout(60000)
    # 1. Kreis-Admin: upload, preview (nothing written yet), confirm
    LoginPage(page, live_server).login("kreisadmin")
    page.goto(f"{live_server}/zuweisungen/")
    page.set_input_files("#file", str(SAMPLE))
    page.click("#upload-form button[type=submit]")
    page.wait_for_load_state("load")
    assert "Vorschau" in page.inner_text("h1")
    table = page.inner_text("#preview-table")
    assert "Haddad" in table and "31.02.1992" in table and "Gibt es nicht" in table
    assert "neu" in page.inner_text("#import-summary")
    assert axe_violations(page) == []
    page.click("#confirm-import")
    page.wait_for_load_state("load")
    assert "Import abgeschlossen" in page.content()
    _logout(page, live_server)

    # 2. the provider running the accommodation offers the family to another provider
    diakonie = page.context.browser.new_context(locale="de-DE")
    sender = diakonie.new_page()
    sender.set_default_timeout(60000)
    LoginPage(sender, live_server).login("leitung.diakonie")
    hits = sender.request.get(f"{live_server}/personview/autocomplete?q=Haddad").json()
    mohammed = next(h for h in hits if "Mohammed" in h["label"] and "14.03.1985" in h["label"])
    person_url = f"{live_server}/personview/show/{mohammed['id']}"
    sender.goto(person_url)
    assert "Übergabe anbieten" in sender.content()
    sender.click("#bereich-handover summary")  # the form is folded away until needed
    sender.select_option("#ho-org", label="Caritasverband Musterkreis e.V.")
    sender.select_option("#ho-scope", "full")
    sender.check("#ho-consent")
    sender.fill("#ho-consent-on", "2026-11-30")
    sender.select_option("#ho-consent-form", "written")
    sender.fill("#ho-reason", "Umzug in eine Wohnung der Caritas")
    sender.click("#handover-form button[type=submit]")
    sender.wait_for_load_state("load")
    assert "Angeboten an" in sender.inner_text("#open-offer")

    # 3. the receiving provider's lead accepts from the inbox and opens the file
    LoginPage(page, live_server).login("leitung.caritas")
    page.goto(f"{live_server}/uebergaben/")
    assert "Haddad" in page.inner_text("#incoming")
    assert axe_violations(page) == []
    page.locator("#incoming button", has_text="Annehmen").first.click()
    page.wait_for_load_state("load")
    assert page.url.rstrip("/") == person_url.rstrip("/")
    assert "Haddad" in page.inner_text("h1")

    # 4. the sender no longer sees the file
    response = sender.goto(person_url)
    assert response is not None and response.status == 404
    diakonie.close()


def test_lead_assigns_imported_persons_without_caseworker(live_server: str, page: Any) -> None:
    """After the import above: the lead of the provider running the accommodation finds the
    imported persons on the desk as "ohne zuständige Fachkraft" and assigns a caseworker to
    the chosen ones in one action."""
    page.set_default_timeout(60000)
    LoginPage(page, live_server).login("leitung.diakonie")
    page.goto(f"{live_server}/")
    card = page.inner_text("#desk-unassigned")
    assert "ohne zuständige Fachkraft" in card
    page.click("#desk-unassigned a")
    page.wait_for_load_state("load")
    assert "Personen ohne zuständige Fachkraft" in page.inner_text("h1")
    assert "Müller-Schäfer" in page.inner_text("#unassigned-table")
    before = int(page.inner_text("#unassigned-total").split()[0])
    assert axe_violations(page) == []
    row = page.locator("#unassigned-table tr", has_text="Müller-Schäfer")
    row.locator("input[type=checkbox]").check()
    page.select_option("#caseworker_id", index=1)
    page.click("#assign-button")
    page.wait_for_load_state("load")
    assert "1 Person zugewiesen." in page.content()
    assert int(page.inner_text("#unassigned-total").split()[0]) == before - 1
    if before > 1:
        assert "Müller-Schäfer" not in page.inner_text("#unassigned-table")

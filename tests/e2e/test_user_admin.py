"""Team page of the lead, administration log of the DPO, and no CSP violation (browser)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations


def _csp_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return errors


def test_lead_creates_and_deactivates_a_caseworker_and_the_dpo_finds_it(
    live_server: str, page: Any, browser: Any
) -> None:
    csp = _csp_errors(page)
    LoginPage(page, live_server).login("leitung.caritas")
    page.goto(f"{live_server}/team/")
    assert page.locator("h1").inner_text() == "Mein Team"
    page.fill("#username", "e2e.fachkraft")
    page.fill("#first_name", "Eva")
    page.fill("#last_name", "Ende")
    page.fill("#email", "eva@musterkreis.example")
    page.fill("#password", "Ein-langes-Passwort-2026!")
    page.get_by_role("button", name="Anlegen").click()
    page.get_by_text("Das Konto ist angelegt.").wait_for()
    row = page.locator("#team tr", has_text="e2e.fachkraft")
    row.get_by_role("button", name="Deaktivieren").click()
    page.get_by_text("Das Konto ist deaktiviert.").wait_for()
    assert "deaktiviert" in page.locator("#team tr", has_text="e2e.fachkraft").inner_text()
    violations = axe_violations(page)
    # the group-session search runs from a static file under the CSP
    page.goto(f"{live_server}/groupsessionview/add")
    page.fill("#teilnehmende-suche", "a")
    page.keyboard.type("l")
    page.wait_for_timeout(500)
    assert csp == [], csp
    assert violations == [], [v["id"] for v in violations]

    context = browser.new_context(locale="de-DE")
    dpo = context.new_page()
    LoginPage(dpo, live_server).login("datenschutz")
    dpo.goto(f"{live_server}/verwaltungsprotokoll/?text=e2e.fachkraft")
    table = dpo.locator("#admin-log").inner_text()
    assert "leitung.caritas" in table and "angelegt" in table and "geändert" in table
    assert axe_violations(dpo) == []
    context.close()

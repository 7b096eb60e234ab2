"""Pages of the concept paper in headless Chromium (de-DE): the Kreis-Admin's KdU limits, a flat
offer of the move procedure checked against them, the CV pool of the lead, the partner
directory filtered by partner type and doctors' specialty, and the „consider case management“
hint leading to a prefilled first-interview appointment. Each page is screenshot to /tmp."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations

AREA = "Bad Belzig (E2E)"
LAST_NAME = "Konzepttest"


def _save(page: Any, form: str = "form:not([role=search])") -> None:
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state("networkidle")


def _no_violations(page: Any) -> None:
    found = axe_violations(page)
    assert found == [], [v["id"] for v in found]


def _logout(page: Any, base: str) -> None:
    page.goto(f"{base}/logout/")


def test_kdu_limit_offer_check_and_cv_pool(live_server: str, page: Any) -> None:
    page.set_default_timeout(60000)
    # the Kreis-Admin adds a limit on the KdU page
    LoginPage(page, live_server).login("kreisadmin")
    page.goto(f"{live_server}/kdu-grenzen/")
    assert page.title().startswith("KdU-Grenzen")
    page.click("a:has-text('KdU-Grenze anlegen')")
    page.wait_for_load_state("networkidle")
    page.fill("#area", AREA)
    page.fill("#household_size", "2")
    page.fill("#valid_from", "01.01.2020")
    page.fill("#rent", "450,00")
    page.fill("#heating", "90,50")
    page.fill("#deposit", "900,00")
    page.fill("#furnishing", "1.200,00")
    page.screenshot(path="/tmp/msa-kdu-form.png", full_page=True)
    _no_violations(page)
    _save(page, "#kdu-form")
    assert "gespeichert" in page.content()
    row = page.locator("#kdu-limits tbody tr", has_text=AREA)
    text = row.inner_text()
    assert "450,00 €" in text and "90,50 €" in text and "01.01.2020" in text
    assert "unbefristet" in text
    page.screenshot(path="/tmp/msa-kdu-list.png", full_page=True)
    _no_violations(page)
    _logout(page, live_server)

    # the caseworker enters an employable person, starts a move procedure, records two offers
    LoginPage(page, live_server).login("fachkraft.caritas")
    page.goto(f"{live_server}/personview/add")
    page.fill("#first_name", "Samir")
    page.fill("#last_name", LAST_NAME)
    page.fill("#birth_date", "1990-05-04")
    page.select_option("#nationality", "sy")
    page.check("#employable")
    page.click("#main button[type=submit]")
    page.wait_for_url("**/personview/show/**")
    person_id = int(re.search(r"/personview/show/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.goto(f"{live_server}/wohnen/person/{person_id}")
    page.click("button:has-text('Umzugsverfahren beginnen')")
    page.wait_for_url("**/umzug/**")
    page.fill("#area", AREA)
    page.fill("#household_size", "2")
    page.fill("#rent", "430,00")
    page.fill("#heating", "80,00")
    page.fill("#offer_on", dt.date.today().strftime("%d.%m.%Y"))
    _save(page, "#offer-form")
    result = page.locator("#offer-result").inner_text()
    assert "innerhalb der KdU-Grenzen" in result, result
    assert "450,00 €" in page.locator("#offer-rule").inner_text()
    page.fill("#rent", "520,00")
    _save(page, "#offer-form")
    assert "über den KdU-Grenzen" in page.locator("#offer-result").inner_text()
    page.screenshot(path="/tmp/msa-move-offer.png", full_page=True)
    _no_violations(page)
    _logout(page, live_server)

    # the lead's CV pool lists the new employable person without a CV
    LoginPage(page, live_server).login("leitung.caritas")
    page.goto(f"{live_server}/lebenslauf-pool/")
    assert page.title().startswith("Lebenslauf-Pool")
    pool = page.locator("#cv-pool")
    pages = page.locator("nav[aria-label=Seiten]").inner_text()
    last = int(re.search(r"von (\d+)", pages).group(1))  # type: ignore[union-attr]
    found = False
    for number in range(1, last + 1):
        if number > 1:
            page.goto(f"{live_server}/lebenslauf-pool/?seite={number}")
        row = pool.locator("tbody tr", has_text=LAST_NAME)
        if row.count():
            assert "noch keiner" in row.inner_text()
            found = True
            break
    assert found
    page.goto(f"{live_server}/lebenslauf-pool/")
    page.screenshot(path="/tmp/msa-cv-pool.png", full_page=True)
    _no_violations(page)


def test_partner_directory_by_type_and_specialty(live_server: str, page: Any) -> None:
    page.set_default_timeout(60000)
    LoginPage(page, live_server).login("kreisadmin")
    for name, specialty in (
        ("Praxis E2E Kinderheilkunde", "kinder_jugendmedizin"),
        ("Praxis E2E Allgemeinmedizin", "allgemeinmedizin"),
    ):
        page.goto(f"{live_server}/networkpartnerview/add")
        page.fill("#name", name)
        page.select_option("#category", "health", force=True)
        page.select_option("#partner_type", "arzt", force=True)
        page.select_option("#specialty", specialty, force=True)
        _save(page)
        assert "Fehler" not in page.locator(".alert-danger").all_inner_texts()
    _logout(page, live_server)

    LoginPage(page, live_server).login("fachkraft.caritas")
    page.goto(f"{live_server}/partnerdirectory/")
    page.select_option("#partner_type", "arzt", force=True)
    _save(page, "form.well")
    content = page.content()
    assert "Praxis E2E Kinderheilkunde" in content and "Praxis E2E Allgemeinmedizin" in content
    page.select_option("#specialty", "kinder_jugendmedizin", force=True)
    _save(page, "form.well")
    content = page.content()
    assert "Praxis E2E Kinderheilkunde" in content
    assert "Praxis E2E Allgemeinmedizin" not in content
    assert "Kinder- und Jugendmedizin" in content
    assert page.locator("#specialty").input_value() == "kinder_jugendmedizin"
    pdf = page.locator("#directory-pdf").get_attribute("href") or ""
    assert "partner_type=arzt" in pdf and "specialty=kinder_jugendmedizin" in pdf
    page.screenshot(path="/tmp/msa-partner-directory.png", full_page=True)
    _no_violations(page)


def test_hint_leads_to_a_prefilled_first_interview(live_server: str, page: Any) -> None:
    page.set_default_timeout(60000)
    LoginPage(page, live_server).login("fachkraft.caritas")
    page.goto(f"{live_server}/personview/add")
    page.fill("#first_name", "Rana")
    page.fill("#last_name", "Hinweistest")
    page.fill("#birth_date", "1985-02-03")
    page.select_option("#nationality", "af")
    page.click("#main button[type=submit]")
    page.wait_for_url("**/personview/show/**")
    assert page.locator(".cm-hint").count() == 0
    form = page.locator("#vermerk-formular")
    form.locator("#summary").fill("Wohnung, Aufenthalt und Arzttermine besprochen")
    for topic in ("housing", "legal_authority", "health"):
        form.locator(f"input[name=topics][value={topic}]").check()
    form.locator("#duration_minutes").fill("40")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**#meldungen")
    page.wait_for_load_state("load")
    hint = page.locator(".cm-hint")
    assert "Case Management erwägen" in hint.inner_text()
    page.screenshot(path="/tmp/msa-cm-hint.png", full_page=True)
    page.click("#cm-hint-appointment")
    page.wait_for_load_state("networkidle")
    assert page.input_value("#title") == "Erstgespräch (Case Management)"
    day = page.input_value("#date")
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}", day), day
    assert "Hinweistest" in page.content()
    page.screenshot(path="/tmp/msa-first-interview.png", full_page=True)
    _no_violations(page)
    page.fill("#start_time", "10:00")
    _save(page)
    assert "Hinweistest" in page.content() or "Erstgespräch" in page.content()

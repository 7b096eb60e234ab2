"""A caseworker records a Kita request for a child of her household and finds the child on
"Kinder ohne Platz"; once the child attends, it leaves the list and the desk tile counts one
less (Chromium, German locale)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations

SHOTS = Path("/tmp/msa-children")


def _tile(page: Any) -> int:
    return int(page.locator("#desk-children .msa-desk-number").inner_text().strip())


def _listed_ids(page: Any) -> set[str]:
    return {
        row.get_attribute("data-person") or ""
        for row in page.locator("#kinder-ohne-platz tbody tr").all()
    }


def test_kita_request_then_attending_leaves_the_list(live_server: str, page: Any) -> None:
    page.set_default_timeout(60000)
    LoginPage(page, live_server).login("fachkraft.caritas")
    page.goto(f"{live_server}/")
    before = _tile(page)
    assert before > 0, "die Demo-Daten haben Kinder ohne Platz"
    page.click("#desk-children a")
    page.wait_for_load_state("networkidle")
    assert page.title().startswith("Kinder ohne Platz")
    assert page.locator("#kinder-anzahl").inner_text().startswith(f"{before} ")
    assert not axe_violations(page)
    first = page.locator("#kinder-ohne-platz tbody tr").first
    child_id = first.get_attribute("data-person") or ""
    first.locator("a").click()
    page.wait_for_load_state("networkidle")

    # the case file section: record the Kita request (request day prefilled with today)
    section = page.locator("#bereich-kinder")
    page.click(f"#platz-form-{child_id} summary")
    form = page.locator(f"#platz-form-{child_id} form")
    form.locator("select[name=kind]").select_option("kita")
    form.locator("select[name=type_code]").select_option("kindergarten")
    form.locator("input[name=institution]").fill("Kita Regenbogen")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "gespeichert" in page.locator(".alert").first.inner_text()
    row = page.locator(f"table[data-child='{child_id}'] tbody tr").first
    assert "beantragt" in row.inner_text() and "Kita Regenbogen" in row.inner_text()
    SHOTS.mkdir(exist_ok=True)
    section.screenshot(path=str(SHOTS / "children_section.png"))

    page.goto(f"{live_server}/kinder-ohne-platz/")
    assert child_id in _listed_ids(page) or page.locator("nav a", has_text="weiter").count()
    page.screenshot(path=str(SHOTS / "children_without_place.png"), full_page=True)

    # the child attends: "Stand ändern", state "besucht" from today
    page.goto(f"{live_server}/personview/show/{child_id}")
    page.locator(f"table[data-child='{child_id}'] a", has_text="Stand ändern").first.click()
    page.wait_for_load_state("networkidle")
    page.select_option("select[name=state]", "attending")
    requested = page.locator("input[name=requested_on]").input_value()
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}", requested)
    page.fill("input[name=attending_from]", requested)
    with page.expect_navigation():
        page.click("#main button[type=submit], #main input[type=submit]")
    page.screenshot(path=str(SHOTS / "after_edit.png"), full_page=True)
    assert "besucht" in page.locator(f"table[data-child='{child_id}']").inner_text()

    page.goto(f"{live_server}/kinder-ohne-platz/")
    assert child_id not in _listed_ids(page)
    assert page.locator("#kinder-anzahl").inner_text().startswith(f"{before - 1} ")
    page.goto(f"{live_server}/")
    assert _tile(page) == before - 1

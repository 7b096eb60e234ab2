"""A caseworker switches the portal to English and reads a case file (Chromium, locale en-GB)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LoginPage

SHOTS = Path(os.environ.get("MSA_SCREENSHOTS", "/tmp/msa-screenshots"))  # nosec B108


@pytest.fixture
def english_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(60000)
    yield pg
    context.close()


def test_caseworker_reads_the_case_file_in_english(live_server: str, english_page: Any) -> None:
    page = english_page
    LoginPage(page, live_server).login("fachkraft.caritas")
    page.goto(f"{live_server}/lang/en")
    page.wait_for_load_state("load")

    page.goto(f"{live_server}/personview/list/")
    assert page.locator("h1, h2").first.inner_text()
    page.locator("table tbody tr a[href*='/personview/show/']").first.click()
    page.wait_for_load_state("load")
    main = page.locator("#main").inner_text()
    shown = ("File number", "Date of birth", "Record contact", "Open follow-ups", "Timeline")
    for english in shown:
        assert english in main, english
    for german in ("Aktenzeichen", "Geburtsdatum", "Kontakt dokumentieren", "Wiedervorlagen"):
        assert german not in main, german
    # dates read unambiguously in English ("7 Dec 2026"), never "07.12.2026" beside the labels
    assert re.search(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b", main)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "english-case-file.png"), full_page=True)

    # back to German: the default language is untouched
    page.goto(f"{live_server}/lang/de")
    page.wait_for_load_state("load")
    page.go_back()
    page.reload()
    assert "Aktenzeichen" in page.locator("#main").inner_text()

"""Annual evaluation journey: the lead opens the year view, records the annual talk
and downloads the PDF; the county reviewer sees the same record."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations


def _previous_quarter() -> tuple[int, int]:
    today = dt.date.today()
    q = (today.month - 1) // 3 + 1
    return (today.year - 1, 4) if q == 1 else (today.year, q - 1)


def test_lead_opens_annual_evaluation_records_talk_and_downloads_pdf(
    live_server: str, browser: Any
) -> None:
    from pypdf import PdfReader

    year, quarter = _previous_quarter()
    ctx = browser.new_context(locale="de-DE", accept_downloads=True)
    page = ctx.new_page()
    LoginPage(page, live_server).login("leitung.caritas")
    page.goto(f"{live_server}/annual-evaluation/?year={year}")
    assert page.locator("h1").inner_text() == f"Jahresauswertung {year}"
    rows = page.locator("#annual-quarters tbody tr")
    assert rows.count() == 4
    # the demo lead submitted the previous quarter: the year view shows its snapshot status
    assert "Eingereicht" in rows.nth(quarter - 1).inner_text()
    assert int(page.locator('[data-year-total="individual"]').inner_text()) > 0
    content = page.content()
    for raw in ("None", "True", "False", f"{year}-0"):
        assert raw not in page.locator("#annual-quarters").inner_text(), raw
    assert "Personen je VZÄ" in content
    violations = axe_violations(page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]

    page.fill("#held_on", f"{year}-{3 * quarter:02d}-15")
    page.fill("#participants", "FD 52, FD 61, Trägerleitung Caritas")
    page.fill("#agreements", "Gruppenangebot zur Wohnungssuche ausbauen")
    page.click("#save-talk")
    page.wait_for_load_state("networkidle")
    record = page.locator("#talk-record").inner_text()
    assert f"15.{3 * quarter:02d}.{year}" in record
    assert "Gruppenangebot zur Wohnungssuche ausbauen" in record

    with page.expect_download() as info:
        page.click("#annual-pdf")
    download = info.value
    path = download.path()
    data = open(path, "rb").read()  # noqa: SIM115
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert f"Jahresauswertung {year}" in text
    assert "Gruppenangebot zur Wohnungssuche" in text
    ctx.close()

    county_ctx = browser.new_context(locale="de-DE")
    county = county_ctx.new_page()
    LoginPage(county, live_server).login("pruefer")
    county.goto(f"{live_server}/annual-evaluation/?year={year}")
    county.select_option(
        "#organisation_id",
        label=county.locator("#organisation_id option", has_text="Caritas").first.inner_text(),
    )
    county.click("form[aria-label='Träger und Jahr wählen'] button[type=submit]")
    county.wait_for_load_state("networkidle")
    assert (
        "Gruppenangebot zur Wohnungssuche ausbauen" in county.locator("#talk-record").inner_text()
    )
    county_ctx.close()

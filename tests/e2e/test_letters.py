"""A caseworker records the client's languages, books an appointment with the interpreter flag
prefilled and prints the Arabic appointment slip from the case file's letters section."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations

HINT = "Sprachmittlung: Arabisch; Sprachen: Arabisch, Englisch"


def _pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        out = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", fh.name, "-"], capture_output=True, check=True
        ).stdout.decode()
    return " ".join(re.sub("[\u200c-\u200f\u202a-\u202e\u2066-\u2069]", "", out).split())


def test_languages_prefilled_appointment_and_arabic_slip(live_server: str, page: Any) -> None:
    page.set_default_timeout(60000)  # the CI machine is shared; pages stay fast, startup is not
    LoginPage(page, live_server).login("fachkraft.caritas")
    page.goto(f"{live_server}/personview/list/")
    page.locator("table tbody tr a[href*='/personview/show/']").first.click()
    page.wait_for_url("**/personview/show/**")
    person_id = int(page.url.rstrip("/").split("/")[-1].split("#")[0])

    # the client's languages and interpreter language on the case file
    page.goto(f"{live_server}/personview/edit/{person_id}")
    page.select_option("#languages", ["ar", "en"])
    page.select_option("#interpreter_language", "ar")
    page.click("#main button[type=submit]")
    page.wait_for_url(f"**/personview/show/{person_id}**")
    assert "Arabisch" in page.locator("#profil ~ .row").first.inner_text()

    # a new appointment from the case file: interpreter ticked, the languages next to it
    page.locator("#bereich-appointments a", has_text="Termin anlegen").click()
    page.wait_for_url("**/appointmentview/add**")
    page.wait_for_load_state("load")
    assert page.is_checked("#interpreter_needed")
    assert HINT in page.locator("#main").inner_text()
    page.screenshot(path="/tmp/msa-appointment-form.png", full_page=True)
    violations = axe_violations(page)
    assert violations == [], [v["id"] for v in violations]
    day = dt.date.today() + dt.timedelta(days=9)
    page.fill("#date", day.isoformat())
    page.fill("#start_time", "10:30")
    page.fill("#title", "Beratung Wohnungssuche")
    page.fill("#place", "Beratungsstelle Werder, Raum 2")
    page.click("#main button[type=submit], #main input[type=submit]")
    page.wait_for_url(f"**/personview/show/{person_id}**")
    page.wait_for_load_state("load")

    # the letters section: the new appointment, Arabic preselected (the interpreter language)
    section = page.locator("#bereich-letters")
    section.scroll_into_view_if_needed()
    page.select_option("#letter-appointment-rec", label=f"{day:%d.%m.%Y}, 10:30 Uhr")
    assert page.input_value("#letter-appointment-lang") == "ar"
    section.screenshot(path="/tmp/msa-letters-section.png")
    with page.expect_download() as download:
        section.locator("#letter-appointment button[type=submit]").click()
    path = download.value.path()
    assert path is not None
    data = Path(path).read_bytes()
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    assert "Terminzettel" in text and "Sie haben einen Termin." in text  # German
    # Arabic in logical order (the sentence's full stop may come out at either end)
    assert "بطاقة موعد" in text and "لديك موعد" in text
    assert f"{day:%d.%m.%Y}" in text and "10:30" in text
    assert "سيحضر الموعد مترجم أو مترجمة" in text  # the interpreter is there
    # the same letter as the server answers it: a PDF, named after the person and language
    appointment_id = page.input_value("#letter-appointment-rec")
    resp = page.context.request.get(
        f"{live_server}/schreiben/{person_id}/appointment.pdf"
        f"?lang=ar&appointment_id={appointment_id}"
    )
    assert resp.status == 200
    assert resp.headers["content-type"] == "application/pdf"
    assert "_ar.pdf" in resp.headers["content-disposition"]

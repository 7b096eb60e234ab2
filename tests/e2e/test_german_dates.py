"""German dates in the browser (Chromium, de-DE): typed, pasted, and an impossible one refused.

The rule: a date field shows and takes TT.MM.JJJJ; a pasted ``5.12.26`` or ``2026-12-05`` is
written as ``05.12.2026`` when the field is left; ``31.02.2025`` is refused at the field with a
German message and stays in the field — never emptied, shifted or replaced by today.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.e2e.conftest import LoginPage


def _first_person_id(page: Any, base: str) -> int:
    page.goto(f"{base}/personview/list/")
    href = page.locator("a[href*='/personview/show/']").first.get_attribute("href") or ""
    m = re.search(r"/personview/show/(\d+)", href)
    assert m, href
    return int(m.group(1))


def _paste(page: Any, selector: str, text: str) -> None:
    """Paste ``text`` into the field through the clipboard (Ctrl+V), then leave the field."""
    field = page.locator(selector)
    field.fill("")
    field.focus()
    page.evaluate("t => navigator.clipboard.writeText(t)", text)
    page.keyboard.press("Control+V")
    assert field.input_value() == text  # the browser took the pasted text as it is
    page.keyboard.press("Tab")


def _type(page: Any, selector: str, text: str) -> None:
    field = page.locator(selector)
    field.fill("")
    field.press_sequentially(text)
    page.keyboard.press("Tab")


def test_course_form_takes_typed_and_pasted_german_dates(live_server: str, browser: Any) -> None:
    """The course form: typed 05.12.2026 and pasted 5.12.26 are kept; 31.02.2025 refused, kept."""
    context = browser.new_context(locale="de-DE", permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(60000)
    LoginPage(page, live_server).login("fachkraft.caritas")
    person_id = _first_person_id(page, live_server)

    page.goto(f"{live_server}/integrationcourseview/add?person_id={person_id}")
    start = page.locator("#start_on")
    assert start.get_attribute("type") == "text"
    assert start.get_attribute("inputmode") == "numeric"
    assert start.get_attribute("placeholder") == "TT.MM.JJJJ"
    page.select_option("#course", index=1)
    _type(page, "#start_on", "05.12.2026")
    assert start.input_value() == "05.12.2026"  # not garbled on leaving the field
    _paste(page, "#end_on", "5.12.27")
    assert page.input_value("#end_on") == "05.12.2027"
    page.click("#main button[type=submit], #main input[type=submit]")
    page.wait_for_url(f"**/personview/show/{person_id}**")

    page.goto(f"{live_server}/personview/show/{person_id}")
    edit = page.locator("a[href*='/integrationcourseview/edit/']").last
    page.goto(live_server + (edit.get_attribute("href") or ""))
    assert page.input_value("#start_on") == "05.12.2026"
    assert page.input_value("#end_on") == "05.12.2027"

    _paste(page, "#start_on", "2026-12-06")
    assert page.input_value("#start_on") == "06.12.2026"  # no ISO shown
    _type(page, "#end_on", "31.02.2025")
    assert page.input_value("#end_on") == "31.02.2025"  # no such day: left as typed
    page.click("#main button[type=submit], #main input[type=submit]")
    page.wait_for_load_state("load")
    assert "Den 31.02.2025 gibt es nicht" in page.locator("#main").inner_text()
    assert page.input_value("#end_on") == "31.02.2025"
    context.close()


def test_note_form_takes_german_dates_and_refuses_an_impossible_one(
    live_server: str, browser: Any
) -> None:
    """The contact form of the case file: 31.02.2025 is refused and kept, not saved as today."""
    context = browser.new_context(locale="de-DE", permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(60000)
    LoginPage(page, live_server).login("fachkraft.caritas")
    person_id = _first_person_id(page, live_server)
    page.goto(f"{live_server}/personview/show/{person_id}")

    form = page.locator("#vermerk-formular")
    form.locator("#summary").fill("Datumsprobe: Termin beim Amt")
    form.locator("input[name=topics][value=housing]").check()
    _type(page, "#vermerk-formular #date", "31.02.2025")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "Den 31.02.2025 gibt es nicht" in page.locator("#main").inner_text()
    assert page.input_value("#vermerk-formular #date") == "31.02.2025"
    assert page.input_value("#vermerk-formular #summary") == "Datumsprobe: Termin beim Amt"

    day = dt.date.today() - dt.timedelta(days=1)
    short = f"{day.day}.{day.month}.{day.year % 100:02d}"
    _paste(page, "#vermerk-formular #date", short)
    assert page.input_value("#vermerk-formular #date") == day.strftime("%d.%m.%Y")
    page.locator("#vermerk-formular button[type=submit]").click()
    page.wait_for_url("**#meldungen")
    timeline = page.locator("#zeitstrahl").inner_text()
    assert "Datumsprobe: Termin beim Amt" in timeline
    assert day.strftime("%d.%m.%Y") in timeline

    # the note's edit form: a typed German date is kept, an impossible one refused and kept
    page.goto(f"{live_server}/contactnoteview/list/")
    link = page.locator("a[href*='/contactnoteview/edit/']").first
    page.goto(live_server + (link.get_attribute("href") or ""))
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}", page.input_value("#date"))
    _type(page, "#date", "31.02.2025")
    page.click("#main button[type=submit], #main input[type=submit]")
    page.wait_for_load_state("load")
    assert "Den 31.02.2025 gibt es nicht" in page.locator("#main").inner_text()
    assert page.input_value("#date") == "31.02.2025"
    two_days = dt.date.today() - dt.timedelta(days=2)
    _type(page, "#date", two_days.strftime("%d.%m.%Y"))
    page.click("#main button[type=submit], #main input[type=submit]")
    page.wait_for_load_state("load")
    assert "gibt es nicht" not in page.locator("#main").inner_text()
    context.close()

"""Editing a contact note in the browser (German Chromium): the edit is the note form; a note of
a submitted quarter says so, and a refused save keeps what was typed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.e2e.conftest import LoginPage


def _quarter(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _note_ids_by_quarter(page: Any, base: str) -> dict[tuple[int, int], list[int]]:
    """Note ids of the list page, grouped by the quarter of their date."""
    page.goto(f"{base}/contactnoteview/list/?psize_ContactNoteView=100")
    found: dict[tuple[int, int], list[int]] = {}
    for row in page.locator("table tbody tr").all():
        text = row.inner_text()
        day = re.search(r"(\d\d)\.(\d\d)\.(\d{4})", text)
        link = row.locator("a[href*='/contactnoteview/show/']").first
        if day is None or link.count() == 0:
            continue
        note_id = int((link.get_attribute("href") or "").rstrip("/").rsplit("/", 1)[1])
        when = dt.date(int(day.group(3)), int(day.group(2)), int(day.group(1)))
        found.setdefault(_quarter(when), []).append(note_id)
    return found


def test_edit_a_note_and_a_note_of_the_submitted_quarter(live_server: str, page: Any) -> None:
    LoginPage(page, live_server).login("fachkraft.caritas")
    notes = _note_ids_by_quarter(page, live_server)
    today = dt.date.today()
    running = notes.get(_quarter(today), [])
    first_of_quarter = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    previous = _quarter(first_of_quarter - dt.timedelta(days=1))
    assert running and notes.get(previous), notes.keys()

    # a note of the running quarter: the note form, prefilled; the save names the note
    page.goto(f"{live_server}/contactnoteview/edit/{running[0]}")
    form = page.locator("#vermerk-formular")
    assert form.locator("input[name=topics]").count() > 0  # topics are on the edit form
    assert page.locator(".msa-closed-quarter").count() == 0
    form.locator("#summary").fill("Im Browser geändert: Termin beim Jobcenter vereinbart")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/contactnoteview/show/**")
    page.wait_for_load_state("load")
    body = page.locator("body").inner_text()
    assert re.search(r"Beratungsvermerk vom \d\d\.\d\d\.\d{4} gespeichert", body), body[:500]
    assert "Zeile geändert" not in body
    assert "Im Browser geändert: Termin beim Jobcenter vereinbart" in body

    # a note of the submitted previous quarter: the notice, the link, the input kept
    page.goto(f"{live_server}/contactnoteview/edit/{notes[previous][0]}")
    notice = page.locator(".msa-closed-quarter")
    assert "bereits an den Landkreis gemeldet" in notice.inner_text()
    assert "/statistics/" in (notice.locator("a").get_attribute("href") or "")
    typed = "Nachtrag zum gemeldeten Quartal – darf nicht verloren gehen"
    page.locator("#vermerk-formular #summary").fill(typed)
    page.locator("#vermerk-formular button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "/contactnoteview/edit/" in page.url
    assert page.input_value("#vermerk-formular #summary") == typed
    assert "bereits an den Landkreis gemeldet" in page.locator("body").inner_text()

"""A caseworker enters a person (duplicate warning), documents a contact and sets a follow-up."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations

GROUPS = json.loads(
    (Path(__file__).resolve().parents[2] / "app/data/transliterations.json").read_text("utf-8")
)["groups"]


def _variant(name: str) -> str | None:
    for group in GROUPS:
        lowered = [v.casefold() for v in group]
        if name.casefold() in lowered:
            others = [v for v in group if v.casefold() != name.casefold() and " " not in v]
            return others[0] if others else None
    return None


def _existing_person_with_variant(page: Any, base: str) -> tuple[str, str, str]:
    """Return (first name variant, last name, ISO birth date) of a demo person of the list."""
    page.goto(f"{base}/personview/list/?psize_PersonView=100")
    fallback = None
    for row in page.locator("table tbody tr").all():
        cells = [c.inner_text().strip() for c in row.locator("td").all()]
        idx = next((i for i, c in enumerate(cells) if re.fullmatch(r"\d\d\.\d\d\.\d{4}", c)), None)
        if idx is None or idx < 2:
            continue
        first, last = cells[idx - 1], cells[idx - 2]
        d, m, y = cells[idx].split(".")
        variant = _variant(first)
        if variant:
            return variant, last, f"{y}-{m}-{d}"
        fallback = fallback or (first[0] + first[0].lower() + first[1:], last, f"{y}-{m}-{d}")
    assert fallback, "keine Demo-Person gefunden"
    return fallback


def test_caseworker_enters_person_documents_contact_and_follow_up(
    live_server: str, page: Any
) -> None:
    """Enter a person, confirm the duplicate warning, document a note with a follow-up."""
    page.set_default_timeout(60000)  # the CI machine is shared; pages stay fast, startup is not
    LoginPage(page, live_server).login("fachkraft.caritas")
    first, last, born = _existing_person_with_variant(page, live_server)

    page.goto(f"{live_server}/personview/add")
    page.fill("#first_name", first)
    page.fill("#last_name", last)
    page.fill("#birth_date", born)
    page.select_option("#nationality", "sy")
    page.click("#main button[type=submit]")
    page.wait_for_load_state("load")
    page.locator("#dubletten").wait_for(state="visible")
    assert "Mögliche Dubletten" in page.locator("#dubletten").inner_text()
    assert page.input_value("#first_name") == first
    add_violations = axe_violations(page)
    assert add_violations == [], [v["id"] for v in add_violations]
    page.check("#confirm_duplicate")
    page.click("#main button[type=submit]")
    page.wait_for_url("**/personview/show/**")
    page.wait_for_load_state("load")
    assert first in page.locator("h1").inner_text()
    person_violations = axe_violations(page)
    assert person_violations == [], [v["id"] for v in person_violations]

    form = page.locator("#vermerk-formular")
    form.locator("#summary").fill("Erstgespräch: Wohnungssuche und Kita-Platz besprochen")
    form.locator("input[name=topics][value=housing]").check()
    form.locator("#duration_minutes").fill("45")
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    form.locator("#follow_up_on").fill(due)
    form.locator("#follow_up_title").fill("Kita-Antrag nachhalten")
    # the partner is found through the search (never a list of the whole directory)
    form.locator("#partner-suche").fill("Jobcenter")
    option = page.locator("#partner-liste option").first
    option.wait_for(state="attached")
    form.locator("#partner-suche").fill(option.get_attribute("value") or "")
    assert page.input_value("#partner_id").isdigit()
    form_violations = axe_violations(page)
    assert form_violations == [], [v["id"] for v in form_violations]
    form.locator("button[type=submit]").click()
    page.wait_for_url("**#meldungen")
    page.wait_for_load_state("load")
    # the success message names the note and is in view (not scrolled away to the timeline)
    saved = page.locator("#meldungen .alert-success")
    assert "Beratungsvermerk vom" in saved.inner_text() and "gespeichert" in saved.inner_text()
    assert saved.is_visible()
    box = saved.bounding_box()
    assert box is not None and 0 <= box["y"] < (page.viewport_size or {"height": 720})["height"]
    timeline = page.locator("#zeitstrahl").inner_text()
    assert "Erstgespräch: Wohnungssuche und Kita-Platz besprochen" in timeline
    assert "Wohnen" in timeline or "Themen:" in timeline
    assert "Kita-Antrag nachhalten" in page.locator("#wiedervorlagen").inner_text()
    page.goto(f"{live_server}/referralview/list/")
    assert "Jobcenter Musterkreis" in page.locator("#main").inner_text()

    page.goto(f"{live_server}/myfollowupview/list/")
    upcoming = page.locator("section", has=page.locator("#demnaechst")).inner_text()
    assert "Kita-Antrag nachhalten" in upcoming
    assert last in upcoming

"""E2E: a caseworker runs a Härtefallverfahren from the case file to the commission's decision
in Chromium (German UI): a refused step keeps the input, the case file shows the steps."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations


class HardshipPage:
    """Page object of the Härtefallverfahren page (``/haertefall/<id>``)."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def fill(self, **fields: str) -> None:
        for name, value in fields.items():
            if name == "outcome":
                self.page.select_option("#outcome", label=value)
            else:
                self.page.fill(f"#{name}", value)

    def save(self, label: str = "Speichern") -> None:
        self.page.get_by_role("button", name=label).click()
        self.page.wait_for_load_state("networkidle")

    def step_dates(self) -> list[str]:
        cells = self.page.locator("#hardship-steps tbody tr td:nth-child(3)")
        return [c.inner_text().strip() for c in cells.all()]


def _de(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _case_file_without_procedure(page: Any, base: str) -> str:
    """Open the first case file on which a procedure can begin; return its URL."""
    page.goto(f"{base}/personview/list/")
    hrefs = page.locator("a[href*='/personview/show/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    for href in dict.fromkeys(hrefs):
        page.goto(base + href)
        if page.get_by_role("link", name="Härtefallverfahren beginnen").count():
            return str(page.url)
    raise AssertionError("keine Fallakte ohne offenes Härtefallverfahren")


def test_caseworker_runs_a_hardship_procedure_to_the_decision(live_server: str, page: Any) -> None:
    """Begin → submitted → decision; the decision before the submission is refused first."""
    today = dt.date.today()
    prepared, submitted, decided = (today - dt.timedelta(days=d) for d in (20, 10, 2))
    LoginPage(page, live_server).login("fachkraft.caritas")
    case_file = _case_file_without_procedure(page, live_server)
    page.get_by_role("link", name="Härtefallverfahren beginnen").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith("Neues Härtefallverfahren – ")
    hardship = HardshipPage(page)
    hardship.fill(prepared_on=_de(prepared), member="Flüchtlingsrat Brandenburg")
    hardship.save("Härtefallverfahren anlegen")
    assert page.get_by_text("Härtefallverfahren angelegt.").is_visible()
    assert re.search(r"/haertefall/\d+$", page.url)
    assert page.locator("#hardship-status").inner_text() == "Antrag in Vorbereitung"

    # the commission cannot decide on a request that was never submitted
    hardship.fill(decided_on=_de(decided), outcome="Härtefallersuchen gestellt")
    hardship.save()
    assert page.get_by_text("erst nach der Einreichung").is_visible()
    assert page.input_value("#decided_on") == _de(decided)  # the input stays

    hardship.fill(submitted_on=_de(submitted), note="Eingabe mit Stellungnahme der Schule")
    hardship.save()
    assert page.get_by_text("Härtefallverfahren gespeichert.").is_visible()
    assert (
        page.locator("#hardship-status").inner_text() == "entschieden: Härtefallersuchen gestellt"
    )
    assert hardship.step_dates() == [_de(prepared), _de(submitted), _de(decided)]
    assert axe_violations(page) == []
    page.screenshot(path="/tmp/msa-hardship.png", full_page=True)

    page.goto(case_file)
    section = page.locator(".msa-hardship")
    assert "entschieden: Härtefallersuchen gestellt" in section.inner_text()
    assert _de(submitted) in section.inner_text()
    assert (
        section.get_by_role("link", name=re.compile("Härtefallverfahren bearbeiten")).count() == 1
    )
    timeline = page.locator(".msa-timeline").inner_text()
    assert "Härtefall: Entscheidung der Härtefallkommission" in timeline
    section.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/msa-hardship-casefile.png", full_page=True)

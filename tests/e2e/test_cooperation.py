"""Cooperation in headless Chromium: a provider lead documents a Fachkreis meeting, a project
with volunteers and a caseworker's training; the quarterly report and the staff page count them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations


def _save(page: Any) -> None:
    page.click("form:not([role=search]) button[type=submit]")
    page.wait_for_load_state("networkidle")


def _choose(page: Any, select: str, label: str) -> None:
    """Pick an option of a (select2-enhanced) select by its visible text."""
    values = page.eval_on_selector_all(
        f"{select} option",
        "(opts, label) => opts.filter(o => o.textContent.trim() === label).map(o => o.value)",
        label,
    )
    assert values, (select, label)
    page.select_option(select, values[0], force=True)


def test_lead_documents_meeting_project_volunteers_and_training(
    live_server: str, page: Any
) -> None:
    today = dt.date.today()
    LoginPage(page, live_server).login("leitung.caritas")

    # a working group and one of its meetings with partners
    page.goto(f"{live_server}/workinggroupview/add")
    page.fill("#name", "Fachkreis Migration Nord")
    _save(page)
    page.goto(f"{live_server}/meetingview/add")
    _choose(page, "#working_group_id", "Fachkreis Migration Nord")
    page.fill("#date", today.isoformat())
    page.fill("#partners", "Jobcenter Musterkreis (Musterstadt)")  # as the suggestion reads
    page.fill("#topics", "Wohnungsmarkt und Kita-Plätze")
    page.fill("#agreements", "Gemeinsame Sprechstunde ab März")
    _save(page)
    page.goto(f"{live_server}/meetingview/list/")
    assert "Wohnungsmarkt und Kita-Plätze" in page.content()
    assert today.strftime("%d.%m.%Y") in page.content()

    # a volunteer, and a project with that volunteer
    page.goto(f"{live_server}/volunteerview/add")
    page.fill("#first_name", "Hanna")
    page.fill("#last_name", "Ehrenreich")
    page.fill("#languages", "Deutsch, Arabisch")
    page.fill("#availability", "Mittwochs ab 16 Uhr")
    page.fill("#active_since", today.isoformat())
    _save(page)
    page.goto(f"{live_server}/projectview/add")
    page.fill("#name", "Nähcafé")
    page.select_option("#kind", "encounter")
    page.fill("#starts_on", today.isoformat())
    page.fill("#participant_count", "14")
    _choose(page, "#volunteers", "Hanna Ehrenreich")
    _save(page)
    page.goto(f"{live_server}/projectview/list/")
    assert "Nähcafé" in page.content() and "Begegnungsangebot" in page.content()

    # a further training of a caseworker
    page.goto(f"{live_server}/stafftrainingview/add")
    _choose(page, "#user", "Fatma Kaya")
    page.fill("#date", today.isoformat())
    page.fill("#title", "Traumasensible Beratung")
    page.fill("#hours", "6,5")
    _save(page)
    page.goto(f"{live_server}/staff/?year={today.year}")
    summary = page.locator("#training-summary").inner_text()
    fatma = page.locator("#training-summary tr", has_text="Fatma Kaya").inner_text()
    assert "6,5" in fatma or "14,0" in fatma, summary  # with the demo's training this year
    assert page.locator("#caseload-table").count() == 1

    # the quarterly report counts the cooperation work
    quarter = (today.month - 1) // 3 + 1
    page.goto(f"{live_server}/statistics/?year={today.year}&quarter={quarter}")
    table = page.locator("#cooperation-table")
    assert table.count() == 1
    rows = {
        r.locator("th").inner_text(): int(r.locator("td").inner_text())
        for r in table.locator("tr").all()
    }
    assert rows["Sitzungen von Arbeitskreisen"] >= 1
    assert rows["Begegnungsangebote"] >= 1
    assert rows["Aktive Ehrenamtliche"] >= 1
    violations = axe_violations(page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]

    # the lead's start page shows the caseload against 1:80
    page.goto(f"{live_server}/")
    assert page.locator("#caseload-table").count() == 1

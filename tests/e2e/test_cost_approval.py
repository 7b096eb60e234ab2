"""Kostenübernahme (§3.1.8): a caseworker refers a person under the AsylbLG to a psychosocial
centre; the care cannot start before the social department's approval; the lead sees the
pending approval leave the list."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

from tests.e2e.conftest import DEMO_PASSWORD, LoginPage, axe_violations

SHOTS = Path(os.environ.get("MSA_SCREENSHOTS", "/tmp/msa-e2e-shots"))
PARTNER = "Psychosoziales Zentrum Havelland"


def _de(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _partner_by_the_county(page: Any, base: str) -> None:
    """The Kreis-Admin keeps the directory: a psychosocial centre (REST, as in the API docs)."""
    token = page.request.post(
        f"{base}/api/v1/security/login",
        data={"username": "kreisadmin", "password": DEMO_PASSWORD, "provider": "db"},
    ).json()["access_token"]
    resp = page.request.post(
        f"{base}/api/v1/networkpartner/",
        data={"name": PARTNER, "category": "counselling", "partner_type": "psz"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status in (201, 422), resp.text()  # 422: already there (rerun on one server)


def _pending_rows(page: Any, base: str) -> str:
    page.goto(f"{base}/kostenuebernahmen/")
    return page.locator("#main").inner_text()


def test_care_starts_only_after_the_cost_approval(live_server: str, page: Any) -> None:
    page.set_default_timeout(60000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    _partner_by_the_county(page, live_server)
    today = dt.date.today()
    referred, requested = today - dt.timedelta(days=6), today - dt.timedelta(days=5)
    decided = today - dt.timedelta(days=2)

    # the caseworker enters a person under the AsylbLG and refers her to the centre
    LoginPage(page, live_server).login("fachkraft.caritas")
    page.goto(f"{live_server}/personview/add")
    page.fill("#first_name", "Zhaleh")
    page.fill("#last_name", "Nourbakhsh")
    page.fill("#birth_date", "14.03.1988")
    page.select_option("#benefit_basis", "asylblg_basic")
    page.click("#main button[type=submit]")
    page.wait_for_url("**/personview/show/**")
    person_url = page.url.split("#")[0]
    form = page.locator("#vermerk-formular")
    form.locator("#date").fill(_de(referred))
    form.locator("#summary").fill("Belastungsstörung; Vermittlung an das PSZ besprochen")
    form.locator("input[name=topics][value=health]").check()
    form.locator("#partner-suche").fill("Psychosoziales Zentrum")
    option = page.locator("#partner-liste option").first
    option.wait_for(state="attached")
    form.locator("#partner-suche").fill(option.get_attribute("value") or "")
    assert page.input_value("#partner_id").isdigit()
    form.locator("button[type=submit]").click()
    page.wait_for_url("**#meldungen")
    section = page.locator("#vermittlungen").inner_text()
    assert PARTNER in section and "Kostenübernahme nötig – noch nicht beantragt" in section

    # recording the start without an approval is refused, with the input kept
    page.locator("#vermittlungen a").first.click()
    page.wait_for_url("**/referralview/edit/**")
    edit_url = page.url
    page.select_option("#outcome", "taken_up")
    page.fill("#started_on", _de(today - dt.timedelta(days=1)))
    page.fill("#note", "Erstgespräch im PSZ vereinbart")
    page.click("#main button[type=submit], #main input[type=submit]")
    page.wait_for_load_state("load")
    text = page.locator("#main").inner_text()
    assert "erst beginnen, wenn der Fachdienst Soziales und Wohnen die Kosten" in text
    assert page.input_value("#started_on") == _de(today - dt.timedelta(days=1))
    assert page.input_value("#note") == "Erstgespräch im PSZ vereinbart"
    assert page.input_value("#outcome") == "taken_up"
    page.screenshot(path=str(SHOTS / "kostenuebernahme-abgelehnt.png"), full_page=True)
    violations = axe_violations(page)
    assert violations == [], [v["id"] for v in violations]

    # the approval is requested: it is pending on the lead's desk
    page.goto(edit_url)
    page.select_option("#outcome", "pending")
    page.fill("#started_on", "")
    page.select_option("#cost_approval_state", "requested")
    page.fill("#cost_approval_requested_on", _de(requested))
    page.fill("#cost_approval_reference", "50.2-0815/26")
    page.click("#main button[type=submit], #main input[type=submit]")
    page.wait_for_url(re.compile(r".*/referralview/show/\d+"))

    lead_ctx = page.context.browser.new_context(locale="de-DE")
    lead = lead_ctx.new_page()
    lead.set_default_timeout(60000)
    LoginPage(lead, live_server).login("leitung.caritas")
    tile = lead.locator("#desk-cost-approvals")
    before = int(tile.locator(".msa-desk-number").inner_text())
    assert before >= 1
    lead.screenshot(path=str(SHOTS / "kostenuebernahme-schreibtisch.png"), full_page=True)
    tile.locator("a").click()
    lead.wait_for_url("**/kostenuebernahmen/**")
    listed = lead.locator("#main").inner_text()
    assert "Nourbakhsh, Zhaleh" in listed and "50.2-0815/26" in listed
    assert lead.locator("#cost-approvals tbody tr").count() == before
    lead.screenshot(path=str(SHOTS / "kostenuebernahmen-liste.png"), full_page=True)
    violations = axe_violations(lead)
    assert violations == [], [v["id"] for v in violations]

    # the approval is recorded, then the start
    page.goto(edit_url)
    page.select_option("#cost_approval_state", "approved")
    page.fill("#cost_approval_decided_on", _de(decided))
    page.click("#main button[type=submit], #main input[type=submit]")
    page.wait_for_url(re.compile(r".*/referralview/show/\d+"))
    page.goto(edit_url)
    page.select_option("#outcome", "taken_up")
    page.fill("#started_on", _de(today - dt.timedelta(days=1)))
    page.click("#main button[type=submit], #main input[type=submit]")
    page.wait_for_url(re.compile(r".*/referralview/show/\d+"))
    assert "gespeichert" in page.locator(".alert-success").inner_text()
    page.goto(person_url)
    section = page.locator("#vermittlungen").inner_text()
    assert f"Kostenübernahme bewilligt am {_de(decided)} (Az. 50.2-0815/26)" in section
    assert f"Betreuung seit {_de(today - dt.timedelta(days=1))}" in section
    page.locator("#vermittlungen").screenshot(path=str(SHOTS / "kostenuebernahme-fallakte.png"))

    # the lead sees it leave the pending list
    lead.goto(f"{live_server}/")
    assert int(lead.locator("#desk-cost-approvals .msa-desk-number").inner_text()) == before - 1
    assert "Nourbakhsh" not in _pending_rows(lead, live_server)
    lead_ctx.close()

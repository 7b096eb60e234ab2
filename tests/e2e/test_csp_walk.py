"""The main pages of every role run under the CSP without a single violation (browser): no
inline style, no inline script, nothing from elsewhere — the CSP allows none of them."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import LoginPage

#: accounts of the demo data (README.md), one per role that works in the portal
ROLES = ("fachkraft.caritas", "leitung.caritas", "fachberatung", "pruefer", "datenschutz", "admin")
#: links not to follow: sign-out, language switch, downloads and feeds
SKIP = re.compile(r"logout|/lang/|/api/|\.ics|/pdf|/docx|/xlsx|/csv|export|download")
#: first links of a list page into a record (show, edit, case file pages)
DETAIL = (
    "a[href*='/show/'], a[href*='/edit/'], a[href*='/fallakte/'], a[href*='/akte/'], "
    "a[href*='/fall/'], a[href*='/wohnen/']"
)


def _visit(page: Any, url: str) -> int:
    """Open ``url``; open the first select2 box and date picker of a form (FAB's widgets draw
    their dropdowns only then); return how many widgets were opened."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    opened = 0
    for selector in (".select2-selection", ".appbuilder_date input, .appbuilder_datetime input"):
        widget = page.locator(selector).first
        if widget.count() and widget.is_visible():
            widget.click()
            page.wait_for_timeout(200)
            page.keyboard.press("Escape")
            opened += 1
    return opened


def test_main_pages_of_every_role_have_no_csp_violation(live_server: str, browser: Any) -> None:
    """Every menu page of each role, and the first records linked from them, render without a
    message "Refused to apply inline style" (or any other CSP refusal) in the console."""
    violations: list[str] = []
    visited = widgets = 0
    for username in ROLES:
        context = browser.new_context(locale="de-DE")
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on(
            "console",
            lambda msg, page=page: (
                violations.append(f"{page.url}: {msg.text[:200]}")
                if "Content Security Policy" in msg.text
                else None
            ),
        )
        LoginPage(page, live_server).login(username)
        menu = page.eval_on_selector_all(
            ".navbar a[href^='/']", "els => els.map(e => e.getAttribute('href'))"
        )
        pages = [h for h in dict.fromkeys(menu) if not SKIP.search(h)]
        details: list[str] = []
        for href in pages:
            widgets += _visit(page, live_server + href)
            visited += 1
            links = page.eval_on_selector_all(
                DETAIL, "els => els.slice(0, 2).map(e => e.getAttribute('href'))"
            )
            details += [link for link in links if link.startswith("/") and not SKIP.search(link)]
        for href in list(dict.fromkeys(details))[:12]:
            widgets += _visit(page, live_server + href)
            visited += 1
        context.close()
    assert visited > 40, visited  # the walk reached the pages, not only the sign-in
    assert widgets > 0  # and opened FAB's select2 boxes on the forms
    assert violations == [], "\n".join(violations)

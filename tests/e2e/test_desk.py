"""The caseworker's desk in the browser (issue 16): find a person by a transliterated name from
any page in ≤ 2 interactions, document a contact in ≤ 5 interactions plus the text; every page
of every role without serious, critical or moderate axe findings."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import LoginPage
from tests.e2e.test_casefile import _variant

IMPACTS = {"serious", "critical", "moderate"}
ACCOUNTS = ["fachkraft.caritas", "leitung.caritas", "pruefer", "kreisadmin", "datenschutz"]


def axe_findings(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target'] if v.get('nodes') else ''}"
        for v in results.response["violations"]
        if v.get("impact") in IMPACTS
    ]


class Interactions:
    """Counts what a user does: a click, a choice, Enter — typing text is not counted."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.count = 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)

    def type_and_pick(self, selector: str, text: str, label_part: str) -> None:
        """Type into a search field and pick the suggestion containing ``label_part``."""
        field = self.page.locator(selector)
        field.fill(text)
        options = self.page.locator(f"#{field.get_attribute('list')} option")
        options.first.wait_for(state="attached")
        values = [o.get_attribute("value") or "" for o in options.all()]
        choice = next(v for v in values if label_part in v)
        self.count += 1  # choosing the suggestion
        with self.page.expect_navigation():
            field.fill(choice)


def _demo_person(page: Any, base: str) -> tuple[str, str, str]:
    """(first name, last name, spelling variant of the first name) of a demo person."""
    page.goto(f"{base}/personview/list/?psize_PersonView=100")
    for row in page.locator("table tbody tr").all():
        cells = [c.inner_text().strip() for c in row.locator("td").all()]
        idx = next((i for i, c in enumerate(cells) if re.fullmatch(r"\d\d\.\d\d\.\d{4}", c)), None)
        if idx is None or idx < 2:
            continue
        first, last = cells[idx - 1], cells[idx - 2]
        variant = _variant(first)
        if variant:
            return first, last, variant
    pytest.fail("keine Demo-Person mit Schreibvariante")


def test_find_by_variant_and_document_in_few_interactions(live_server: str, page: Any) -> None:
    page.set_default_timeout(60000)
    LoginPage(page, live_server).login("fachkraft.caritas")
    first, last, variant = _demo_person(page, live_server)
    # start anywhere: the follow-ups page
    page.goto(f"{live_server}/myfollowupview/list/")
    act = Interactions(page)
    # 1–2: type the misspelled/transliterated name into the top bar, pick the suggestion
    act.type_and_pick("#top-suche", f"{variant} {last[:4]}", f"{last}, {first} (")
    assert act.count <= 2, act.count
    assert first in page.locator("h1").inner_text()
    # Enter instead of a suggestion shows the result list
    # document: the text, one topic, save (the form is on the case file page)
    form = page.locator("#vermerk-formular")
    form.locator("#summary").fill("Telefonat: Termin beim Jobcenter vorbereitet")
    act.count += 1
    form.locator("input[name=topics]").first.check()
    act.count += 1
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert act.count <= 5, act.count
    assert (
        "Telefonat: Termin beim Jobcenter vorbereitet" in page.locator("#zeitstrahl").inner_text()
    )


def test_enter_shows_the_result_list(live_server: str, page: Any) -> None:
    page.set_default_timeout(60000)
    LoginPage(page, live_server).login("fachkraft.caritas")
    first, last, variant = _demo_person(page, live_server)
    page.goto(f"{live_server}/")
    page.fill("#top-suche", variant)
    with page.expect_navigation():
        page.press("#top-suche", "Enter")
    assert "/personview/search" in page.url
    assert last in page.locator("#main table").inner_text()


def _same_site_links(page: Any, base: str, selector: str) -> list[str]:
    host = urlparse(base).netloc
    seen: list[str] = []
    for a in page.locator(selector).all():
        href = a.get_attribute("href") or ""
        if not href or href.startswith(("#", "javascript", "mailto")):
            continue
        url = href if href.startswith("http") else base + href
        parsed = urlparse(url)
        if parsed.netloc != host or "logout" in url or "/lang/" in url or "/api/" in url:
            continue
        if re.search(r"\.(pdf|docx|xlsx|csv|json|ics)(\?|$)|/download/|/export", parsed.path):
            continue  # documents, not pages
        url = url.split("#")[0]
        if url not in seen:
            seen.append(url)
    return seen


def _menu_urls(page: Any, base: str) -> list[str]:
    """Same-site GET links of the menu and the landing page (each once)."""
    return _same_site_links(page, base, "nav a[href], .navbar a[href], #main a[href]")[:40]


#: Python values and FAB's empty choice as the browser renders them
_RAW_SHOWN = re.compile(r"__None|(?<![\w-])(?:None|True|False)(?![\w-])")

#: the pages behind a list: a record, its form, a new one (one of each kind per list)
_BEHIND = re.compile(r"/(show|edit)/\d+|/add(\?|$)")


def _pages_behind(page: Any, base: str, lists: list[str]) -> list[str]:
    """Per page of the menu: the first record page, edit form and add form linked from it."""
    found: list[str] = []
    for url in lists:
        resp = page.goto(url)
        if resp is None or resp.status >= 400:
            continue
        kinds: set[str] = set()
        for link in _same_site_links(page, base, "#main a[href]"):
            m = _BEHIND.search(urlparse(link).path + ("?" if "?" in link else ""))
            if not m:
                continue
            kind = urlparse(link).path.split("/")[1] + "/" + (m.group(1) or "add")
            if kind not in kinds and link not in found:
                kinds.add(kind)
                found.append(link)
    return found


@pytest.mark.parametrize("account", ACCOUNTS)
def test_axe_finds_nothing_serious_critical_or_moderate(
    live_server: str, page: Any, account: str
) -> None:
    """Every page of the role: the menu, the landing page, and the records and forms behind
    every list (first of each kind), plus a case file, a note and the search result list."""
    page.set_default_timeout(60000)
    LoginPage(page, live_server).login(account)
    page.goto(f"{live_server}/")
    urls = [f"{live_server}/", *_menu_urls(page, live_server)]
    if account in ("fachkraft.caritas", "leitung.caritas", "pruefer"):
        # the working pages behind the lists: a case file, a note, the search result list
        page.goto(f"{live_server}/personview/list/")
        person = page.locator("table tbody a[href*='/personview/show/']").first
        urls.append(live_server + (person.get_attribute("href") or "/"))
        page.goto(urls[-1])
        note = page.locator("#zeitstrahl a[href*='/contactnoteview/show/']").first
        if note.count():
            urls.append(live_server + (note.get_attribute("href") or "/"))
        urls.append(f"{live_server}/personview/search?q=ha")
    urls += [u for u in _pages_behind(page, live_server, list(urls)) if u not in urls]
    problems = []
    checked = 0
    for url in urls:
        resp = page.goto(url)
        if resp is None or resp.status >= 400:
            continue
        page.wait_for_load_state("load")
        checked += 1
        found = axe_findings(page)
        # what the browser shows, including what scripts render (select2 boxes, suggestions)
        shown = page.inner_text("body")
        found += [f"Rohwert {m!r} sichtbar" for m in set(_RAW_SHOWN.findall(shown))]
        if found:
            problems.append(f"{url}: " + "; ".join(sorted(set(found))[:6]))
    assert checked >= 5, urls
    assert not problems, f"{len(problems)} von {checked} Seiten:\n" + "\n".join(problems)


def test_focus_on_the_first_error_after_a_failed_save(live_server: str, page: Any) -> None:
    page.set_default_timeout(60000)
    LoginPage(page, live_server).login("fachkraft.caritas")
    page.goto(f"{live_server}/personview/list/")
    page.locator("table tbody a[href*='/personview/show/']").first.click()
    page.wait_for_load_state("load")
    with page.expect_navigation():
        page.locator("#vermerk-formular button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "summary"

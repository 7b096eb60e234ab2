"""The caseworker's desk in the browser (issue 16): find a person by a transliterated name from
any page in ≤ 2 interactions, document a contact in ≤ 5 interactions plus the text; every page
of every role without any axe finding, whatever its impact."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.conftest import LoginPage
from tests.e2e.test_casefile import _variant

#: every role of the matrix (the demo accounts)
ALL_ACCOUNTS = [
    "admin",
    "kreisadmin",
    "pruefer",
    "leitung.caritas",
    "fachkraft.caritas",
    "fachberatung",
    "datenschutz",
]


def axe_findings(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target'] if v.get('nodes') else ''}"
        for v in results.response["violations"]
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
    for href in page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))"):
        href = href or ""
        if not href or href.startswith(("#", "javascript", "mailto")):
            continue
        url = href if href.startswith("http") else base + href
        parsed = urlparse(url)
        if parsed.netloc != host or "logout" in url or "/lang/" in url or "/api/" in url:
            continue
        if re.search(
            r"\.(pdf|docx|xlsx|csv|json|ics)(\?|$)|/(pdf|docx|cv)$|/download/|/export", parsed.path
        ):
            continue  # documents, not pages
        if re.search(r"/(delete|action)/|/action_post", parsed.path):
            continue  # these act on a record
        url = url.split("#")[0]
        if url not in seen:
            seen.append(url)
    return seen


#: Python values and FAB's empty choice as the browser renders them
_RAW_SHOWN = re.compile(r"__None|(?<![\w-])(?:None|True|False)(?![\w-])")

#: every page of a role, one of each URL pattern (ids and query values left out), at most
AXE_PAGES = 70


#: query keys of a list's sort order and page: the same page of another order
_LIST_STATE = ("_oc_", "_od_", "page_", "psize_")


def _pattern(url: str) -> tuple[str, tuple[str, ...]]:
    parts = urlparse(url)
    path = re.sub(r"/\d+(?=/|$|\.)", "/<id>", parts.path)
    keys = {k for k, _ in parse_qsl(parts.query, True) if not k.startswith(_LIST_STATE)}
    return path, tuple(sorted(keys))


def _walk(page: Any, base: str) -> list[str]:
    """The pages of the signed-in role reachable from the landing page, one per pattern."""
    queue, seen, pages = [f"{base}/"], {_pattern(f"{base}/")}, []
    while queue and len(pages) < AXE_PAGES:
        url = queue.pop(0)
        try:
            resp = page.goto(url)
        except PlaywrightError:  # a document download, not a page
            continue
        if (
            resp is None
            or resp.status >= 400
            or "text/html" not in resp.headers.get("content-type", "")
        ):
            continue
        pages.append(url)
        for link in _same_site_links(page, base, "a[href]"):
            key = _pattern(link)
            if key not in seen:
                seen.add(key)
                queue.append(link)
    return pages


@pytest.mark.parametrize("account", ALL_ACCOUNTS)
def test_axe_finds_nothing_on_any_page_of_the_role(
    live_server: str, page: Any, account: str
) -> None:
    """Every page of the role — the menu, the landing page, the lists and the records and
    forms behind them (one page of each URL pattern), the page of a refused request — has no
    axe violation of any impact and no raw value on screen."""
    page.set_default_timeout(60000)
    LoginPage(page, live_server).login(account)
    urls = _walk(page, live_server)
    problems = []
    checked = 0
    # the refused and the missing page (a page the role may not open, a record not there)
    for url in [*urls, f"{live_server}/roles/list/", f"{live_server}/personview/show/999999"]:
        page.goto(url)
        page.wait_for_load_state("load")
        checked += 1
        found = axe_findings(page)
        # what the browser shows, including what scripts render (select2 boxes, suggestions)
        shown = page.inner_text("body")
        found += [f"Rohwert {m!r} sichtbar" for m in set(_RAW_SHOWN.findall(shown))]
        if found:
            problems.append(f"{url}: " + "; ".join(sorted(set(found))[:6]))
    assert checked >= 5, urls
    if account in ("fachkraft.caritas", "leitung.caritas", "pruefer"):
        assert any("/personview/show/" in u for u in urls), urls  # records, not only menus
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

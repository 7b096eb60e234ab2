"""Every page its own German ``<title>``: walk EVERY GET page of every role.

The same walk as the page-text walk (``test_page_text_walk``: demo data, real ids, the demo
accounts, the Admin as well). Every HTML page answering 200 must

- have a ``<title>`` that names the page, not only the portal ("MSA-Portal");
- show no English title of Flask-AppBuilder ("List …", "Show …", "Edit …");
- on a page that shows one record (an id in the path) have a title that no page of another
  type has — the record's page is not titled like its list.
"""

from __future__ import annotations

import html as html_lib
import re

import pytest
from flask import Flask

from app.security import matrix
from tests.integration.test_page_statement_walk import ACCOUNTS, _clients_for, _load, _urls

_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_RECORD = re.compile(r"/\d+(?:/|$|\?)")
_ENGLISH = re.compile(r"^(List|Show|Edit|Add|Delete) [A-Z]")

#: routes the walk cannot fill with a valid argument
NOT_WALKABLE = {"UserStatsChartView.chart"}

#: the walk's roles and the Admin
ROLES = {**ACCOUNTS, "admin": ("admin", matrix.ROLE_ADMIN)}


def page_titles(app: Flask, role_key: str) -> list[tuple[str, str, str]]:
    """(endpoint, url, title) of every HTML page the role opens with 200."""
    focus = _load(app)
    browser, _api = _clients_for(app, ROLES[role_key][0])
    out = []
    for endpoint, url in _urls(app, focus):
        if url.startswith("/api/"):
            continue
        resp = browser.get(url)
        # FAB's user statistics chart takes the index of its grouping, the walk fills in a name
        assert resp.status_code < 500 or endpoint in NOT_WALKABLE, (url, resp.status_code)
        if resp.status_code != 200 or "text/html" not in resp.headers.get("Content-Type", ""):
            continue
        m = _TITLE.search(resp.get_data(as_text=True))
        title = " ".join(html_lib.unescape(m.group(1)).split()) if m else ""
        out.append((endpoint, url, title))
    return out


def title_problems(pages: list[tuple[str, str, str]]) -> list[str]:
    problems = []
    by_title: dict[str, set[str]] = {}
    for endpoint, _url, title in pages:
        by_title.setdefault(title, set()).add(endpoint)
    for endpoint, url, title in pages:
        name = title.removesuffix("MSA-Portal").rstrip(" –")
        if not name:
            problems.append(f"{url} [{endpoint}]: Titel nur {title!r}")
            continue
        if _ENGLISH.match(name):
            problems.append(f"{url} [{endpoint}]: englischer Titel {title!r}")
        if _RECORD.search(url):
            others = by_title[title] - {endpoint}
            if others:
                problems.append(
                    f"{url} [{endpoint}]: Datensatzseite heißt wie {sorted(others)}: {title!r}"
                )
    return problems


@pytest.mark.parametrize("role_key", list(ROLES))
def test_every_page_of_the_role_has_its_own_title(app: Flask, role_key: str) -> None:
    pages = page_titles(app, role_key)
    assert len(pages) >= 10, pages
    problems = title_problems(pages)
    assert not problems, f"{len(problems)} Seiten ({role_key}):\n" + "\n".join(problems)


def test_the_title_rules_catch_what_they_should() -> None:
    """The rules themselves, on a made-up walk."""
    pages = [
        ("A.list", "/a/list/", "Partner – MSA-Portal"),
        ("A.show", "/a/show/1", "Partner – MSA-Portal"),
        ("B.index", "/b/", "MSA-Portal"),
        ("C.show", "/c/show/2", "Show Employment – MSA-Portal"),
        ("D.show", "/d/show/3", "Fallakte Haddad, Samir – MSA-Portal"),
    ]
    found = title_problems(pages)
    assert len(found) == 3, found
    assert any("/a/show/1" in p and "heißt wie" in p for p in found)
    assert any("/b/" in p and "nur" in p for p in found)
    assert any("/c/show/2" in p and "englisch" in p for p in found)

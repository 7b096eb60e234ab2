"""Links that lead somewhere: every link and form action shown answers 200 for the role.

For each of the seven roles (demo accounts, demo data) the checker starts on the landing page
and follows every same-site link it finds — menu pages, lists, the records behind them, their
forms — up to ``PER_PATTERN`` pages per URL pattern (ids and query values left out), so record
pages are reached without walking every record. Every link shown on a page it read must answer
200, or redirect to a page answering 200; a form's action must do the same for GET forms, and
for POST forms the role must hold the permission of the view behind it. A link the role may not
follow must not be shown.

The links in the reminder e-mail and in the calendar feed are checked the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.conftest import sign_in
from tests.integration.test_page_statement_walk import _load

#: role key -> demo account: the seven roles of the matrix
ROLES = {
    "admin": "admin",
    "kreisadmin": "kreisadmin",
    "pruefer": "pruefer",
    "leitung": "leitung.caritas",
    "fachkraft": "fachkraft.caritas",
    "fachberatung": "fachberatung",
    "datenschutz": "datenschutz",
}

#: pages read per URL pattern (path with ids replaced, names of the query parameters)
PER_PATTERN = 3
#: distinct links checked per URL pattern (the rest of a list's rows are of the same kind)
CHECKS_PER_PATTERN = 6
#: pages read per role at most (the walk stays fast)
MAX_PAGES = 200

#: links that are not pages: sign-out and language switch (they act on the session)
_NOT_FOLLOWED = re.compile(r"^/(logout|lang)/")
#: endpoints requested by no link check (they change data on GET); their permission is checked
_ACTING = (".delete", ".action")


class _Links(HTMLParser):
    """Collect ``a[href]`` and ``form[action]`` (with method) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str | None, str]] = []
        self.shown: int = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        elif tag == "form" and a.get("id") != "delete_form":
            # FAB's delete form gets its action per row from a script (the row's delete link)
            self.forms.append((a.get("action"), (a.get("method") or "get").lower()))


def _same_site(base: str, href: str) -> str | None:
    """The path and query of a same-site page link, None for anchors, mail, other sites."""
    href = href.strip()
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    path = parts.path or "/"
    if path.startswith(("/static/", "/appbuilder/static")) or _NOT_FOLLOWED.match(path):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


#: query keys of a list's sort order and page: the same page of another order
_LIST_STATE = ("_oc_", "_od_", "page_", "psize_")


def pattern(url: str) -> tuple[str, tuple[str, ...]]:
    """A URL's pattern: ids replaced, query values left out."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$|\.)", "/<id>", parts.path)
    keys = tuple(
        sorted(
            {
                re.sub(r"\d+", "<n>", k)
                for k, _ in parse_qsl(parts.query, True)
                if not k.startswith(_LIST_STATE)
            }
        )
    )
    return path, keys


class Checker:
    """One role's walk: the pages read, the links found and what each answered."""

    def __init__(self, app: Flask, client: FlaskClient, user_id: int) -> None:
        self.app = app
        self.client = client
        self.user_id = user_id
        self.status: dict[str, str] = {}  # url -> "ok" or the problem
        self.shown_on: dict[str, str] = {}  # url -> first page it was shown on
        self.read: list[str] = []
        self.per_pattern: dict[tuple[str, tuple[str, ...]], int] = defaultdict(int)
        self.checked: dict[tuple[str, tuple[str, ...]], set[str]] = defaultdict(set)

    # -- answering ----------------------------------------------------------------------
    def _endpoint(self, url: str, method: str = "GET") -> tuple[str, dict[str, Any]] | None:
        adapter = self.app.url_map.bind("localhost")
        parts = urlsplit(url)
        try:
            return adapter.match(parts.path, method=method)
        except (NotFound, MethodNotAllowed):
            return None

    def _may(self, endpoint: str, args: dict[str, Any]) -> bool:
        """Does the role hold the permission FAB checks for ``endpoint``?"""
        from flask import g
        from flask_login import login_user

        from app.extensions import db
        from app.models import MsaUser

        view_name, _, method = endpoint.partition(".")
        views = {type(v).__name__: v for v in self.app.appbuilder.baseviews}  # type: ignore[attr-defined]
        view = views.get(view_name)
        if view is None:
            return True  # not a view of FAB: its own guard answers when followed
        if method == "action_post":
            return True  # FAB checks the permission of the action chosen on the page
        if not hasattr(getattr(view, method, None), "_permission_name"):
            return True  # no FAB permission check (e.g. the own second factor): its own guard
        if method == "action":
            permission = view.get_action_permission_name(args["name"])
        else:
            permission = "can_" + view.method_permission_name.get(method, method)
        with self.app.test_request_context():
            user = db.session.get(MsaUser, self.user_id)
            login_user(user)
            g.user = user
            sm = self.app.appbuilder.sm  # type: ignore[attr-defined]
            return bool(sm.has_access(permission, view.class_permission_name))

    def answer(self, url: str, method: str = "get") -> str:
        """ "ok", or why following ``url`` (a link, or a form posting there) fails."""
        key = f"{method.upper()} {url}"
        if key in self.status:
            return self.status[key]
        result = "ok"
        if method == "post" or url.split("?")[0].endswith(tuple(f"/{a[1:]}" for a in _ACTING)):
            match = self._endpoint(url, "POST" if method == "post" else "GET")
            if match is None:
                result = "keine Route"
            elif not self._may(*match):
                result = f"ohne Berechtigung ({match[0]})"
        else:
            match = self._endpoint(url)
            if match is not None and match[0].endswith(_ACTING):
                result = "ok" if self._may(*match) else f"ohne Berechtigung ({match[0]})"
            else:
                resp = self.client.get(url)
                hops = 0
                while resp.status_code in (301, 302, 303, 307, 308) and hops < 5:
                    target = _same_site(url, resp.headers["Location"])
                    if target is None:
                        break
                    resp = self.client.get(target)
                    hops += 1
                if resp.status_code != 200:
                    result = f"Status {resp.status_code}"
                elif "/login/" in resp.request.path:
                    result = "zur Anmeldung umgeleitet"
        self.status[key] = result
        return result

    # -- walking ------------------------------------------------------------------------
    def walk(self, start: str = "/") -> list[str]:
        queue = [start]
        queued = {start}
        problems: dict[str, list[str]] = defaultdict(list)
        while queue and len(self.read) < MAX_PAGES:
            url = queue.pop(0)
            key = pattern(url)
            if self.per_pattern[key] >= PER_PATTERN:
                continue
            match = self._endpoint(url)
            if match is not None and match[0].endswith(_ACTING):
                continue
            resp = self.client.get(url, follow_redirects=True)
            if resp.status_code != 200 or "text/html" not in resp.content_type:
                continue
            self.per_pattern[key] += 1
            self.read.append(url)
            parser = _Links()
            parser.feed(resp.get_data(as_text=True))
            for href in parser.links:
                target = _same_site(url, href)
                if target is None:
                    continue
                kind = self.checked[pattern(target)]
                if target not in kind and len(kind) >= CHECKS_PER_PATTERN:
                    continue  # enough links of this kind answered
                kind.add(target)
                why = self.answer(target)
                if why != "ok":
                    problems[f"Link {target}: {why}"].append(url)
                elif target not in queued:
                    queued.add(target)
                    queue.append(target)
            for action, method in parser.forms:
                target = _same_site(url, action) if action else url
                if target is None:
                    continue
                if method == "get":
                    target = target.split("?")[0]
                why = self.answer(target, method)
                if why != "ok":
                    problems[f"Formular {method.upper()} {target}: {why}"].append(url)
        return [
            f"{what} – gezeigt auf {len(pages)} Seiten, z. B. {pages[0]}"
            for what, pages in sorted(problems.items())
        ]


def _user_id(app: Flask, username: str) -> int:
    from app.extensions import db
    from app.models import MsaUser

    with app.app_context():
        return int(db.session.scalars(select(MsaUser.id).where(MsaUser.username == username)).one())


@pytest.mark.parametrize("role_key", list(ROLES))
def test_every_link_shown_answers_for_the_role(app: Flask, role_key: str) -> None:
    _load(app)
    user_id = _user_id(app, ROLES[role_key])
    client = sign_in(app.test_client(), user_id)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    checker = Checker(app, client, user_id)
    problems = checker.walk()
    # the walk reached the records behind the lists, not only the menu
    assert len(checker.read) >= 5, checker.read
    if role_key in ("fachkraft", "leitung", "pruefer"):
        assert any(re.search(r"/personview/show/\d+", u) for u in checker.read), checker.read
    print(f"{role_key}: {len(checker.read)} Seiten gelesen, {len(checker.status)} Ziele")
    assert not problems, f"{len(problems)} Links ({role_key}):\n" + "\n".join(problems)


def test_links_in_the_reminder_mail_and_the_calendar_feed_answer(app: Flask) -> None:
    """The digest's links and the feed's event links open pages of the caseworker."""
    from app.extensions import db
    from app.models import Appointment, MsaUser
    from app.services.calendar.feed import ical_feed
    from app.services.reminders.digest import collect_digests, render_digest

    _load(app)
    user_id = _user_id(app, ROLES["fachkraft"])
    today = dt.date.today()
    with app.app_context():
        user = db.session.get(MsaUser, user_id)
        assert user is not None
        user.email, user.reminder_digest = "fatma.kaya@caritas.example", True
        db.session.add(
            Appointment(
                organisation_id=user.organisation_id,
                owner_id=user.id,
                date=today,
                start_time=dt.time(10, 0),
                title="Begleitung Ausländerbehörde",
            )
        )
        db.session.commit()
        digests = [d for d in collect_digests(today, "http://localhost") if d.user_id == user_id]
        assert digests, "keine Erinnerung für die Fachkraft"
        mail = render_digest(digests[0], today)[1]
        feed = ical_feed(user, "http://localhost", today=today)
    feed_text = feed
    links = re.findall(r"http://localhost(/\S*)", mail)
    links += re.findall(r"http://localhost(/\S*)", feed_text.replace("\r\n ", ""))
    assert any("/appointmentview/" in u or "appointment" in u for u in links), feed_text
    client = sign_in(app.test_client(), user_id)
    checker = Checker(app, client, user_id)
    problems = [f"{u}: {checker.answer(u)}" for u in links if checker.answer(u) != "ok"]
    assert len(links) >= 3, links
    assert not problems, problems


# -- the landing tiles --------------------------------------------------------------------
_CARD = re.compile(r'<div class="panel[^"]*msa-desk-card">(.*?)</div>\s*</div>', re.S)
_NUMBER = re.compile(r'<p class="msa-desk-number">(\d+)</p>')
_HREF = re.compile(r'<a href="([^"]+)"')


def tiles(page: str) -> list[tuple[int, str]]:
    """(number, link) of each landing tile that shows a number."""
    out = []
    for card in _CARD.findall(page):
        number, href = _NUMBER.search(card), _HREF.search(card)
        if number:
            assert href, f"Kachel ohne Link: {card}"
            out.append((int(number.group(1)), html_unescape(href.group(1))))
    return out


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def rows_shown(client: FlaskClient, link: str) -> int:
    """The rows of the list a tile opens: the section its anchor names, else the page's table
    (all pages of a FAB list: the page size raised to the largest choice)."""
    url, _, anchor = link.partition("#")
    if "personview/list" in url:
        url += ("&" if "?" in url else "?") + "psize_PersonView=100"
    resp = client.get(url)
    assert resp.status_code == 200, (link, resp.status_code)
    page = resp.get_data(as_text=True)
    if anchor:
        start = page.index(f'id="{anchor}"')
        page = page[start : page.find("</section>", start)]
    if "<table" not in page:
        return 0
    table = page[page.index("<table") : page.index("</table>")]
    # the rows with cells: data rows, not the header row
    return sum("<td" in row for row in table.split("<tr")[1:])


@pytest.mark.parametrize("role_key", list(ROLES))
def test_every_landing_tile_opens_the_list_it_counts(app: Flask, role_key: str) -> None:
    """The number on a tile is the number of rows of the list behind its link."""
    _load(app)
    user_id = _user_id(app, ROLES[role_key])
    client = sign_in(app.test_client(), user_id)
    page = client.get("/").get_data(as_text=True)
    found = tiles(page)
    if role_key in ("fachkraft", "leitung", "fachberatung", "pruefer", "kreisadmin"):
        assert found, f"keine Kachel auf der Startseite ({role_key})"
    wrong = [(n, link, rows_shown(client, link)) for n, link in found]
    wrong = [w for w in wrong if w[0] != w[2]]
    assert not wrong, f"Kachel-Zahl ≠ Zeilen der Liste (Zahl, Link, Zeilen): {wrong}"
    if role_key == "fachkraft":
        assert any(n for n, _ in found), found  # the demo desk is not empty
    if role_key in ("fachkraft", "leitung"):
        # the open cases by step add up to "Meine Fälle"
        steps = re.findall(r"<li>[^<]*: <strong>(\d+)</strong></li>", page)
        mine = client.get("/casemanagement/mine/").get_data(as_text=True)
        assert sum(map(int, steps)) == mine.count('href="/casemanagement/case/'), steps

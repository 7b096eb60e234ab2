"""The navigation menu is rendered once per permission set and locale, and stays correct.

The expected menu is modelled from the permission tables directly (an entry shows when the
user's roles hold ``menu_access`` on it), independently of the permission check the app uses.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import text

from app import menu_cache
from app.security import matrix
from tests.integration.test_performance import count_statements

_ENTRY = re.compile(r'<a tabindex="-1" href="([^"]*)">')


def _menu_hrefs(html: str) -> set[str]:
    """The entries of the left navigation (not the language and account menus on the right)."""
    start = html.index('<ul class="nav navbar-nav">')
    return set(_ENTRY.findall(html[start : html.index("navbar-right", start)]))


def _expected(app: Flask, role: str) -> set[str]:
    """Hrefs of the menu entries whose ``menu_access`` the role holds (plain SQL)."""
    from app.extensions import db

    with app.test_request_context():
        names = {
            name
            for (name,) in db.session.execute(
                text(
                    "SELECT vm.name FROM ab_permission_view_role pvr "
                    "JOIN ab_role r ON r.id = pvr.role_id "
                    "JOIN ab_permission_view pv ON pv.id = pvr.permission_view_id "
                    "JOIN ab_permission p ON p.id = pv.permission_id "
                    "JOIN ab_view_menu vm ON vm.id = pv.view_menu_id "
                    "WHERE r.name = :r AND p.name = 'menu_access'"
                ),
                {"r": role},
            )
        }
        hrefs = set()
        for top in app.appbuilder.menu.get_list():  # type: ignore[attr-defined]
            for item in top.childs or [top]:
                if item and item.name != "-" and item.name in names and top.name in names:
                    hrefs.add(item.get_url())
        return hrefs


def _entry_of(app: Flask, href: str) -> Any:
    with app.test_request_context():
        for top in app.appbuilder.menu.get_list():  # type: ignore[attr-defined]
            for item in top.childs or [top]:
                if item and item.name != "-" and item.get_url() == href:
                    return item.name
    raise AssertionError(href)


def test_two_roles_get_their_own_menus_and_a_permission_change_shows(
    app: Flask, login_as: Any
) -> None:
    from app.extensions import db

    with app.app_context():
        from tests import factories

        org = factories.make_org()
    menu_cache.clear()
    worker = login_as(matrix.ROLE_CASEWORKER, org)
    reviewer = login_as(matrix.ROLE_REVIEWER)
    worker_menu = _menu_hrefs(worker.get("/").get_data(as_text=True))
    reviewer_menu = _menu_hrefs(reviewer.get("/").get_data(as_text=True))
    assert worker_menu == _expected(app, matrix.ROLE_CASEWORKER)
    assert reviewer_menu == _expected(app, matrix.ROLE_REVIEWER)
    assert worker_menu != reviewer_menu
    # the second caseworker page comes from the cache: same menu, no further entry or statement
    with count_statements(app) as first:
        worker.get("/")
    kept = len(menu_cache._MENUS)
    assert kept >= 2
    with count_statements(app) as again:
        html = worker.get("/").get_data(as_text=True)
    assert _menu_hrefs(html) == worker_menu
    assert len(again) == len(first)
    assert len(menu_cache._MENUS) == kept

    # a permission taken away disappears from the next page, and comes back
    href = sorted(worker_menu)[0]
    name = _entry_of(app, href)
    with app.app_context():
        sm = app.appbuilder.sm  # type: ignore[attr-defined]
        role = sm.find_role(matrix.ROLE_CASEWORKER)
        pv = sm.find_permission_view_menu("menu_access", name)
        sm.del_permission_role(role, pv)
    try:
        changed = _menu_hrefs(worker.get("/").get_data(as_text=True))
        assert href not in changed
        assert changed == _expected(app, matrix.ROLE_CASEWORKER)
        assert _menu_hrefs(reviewer.get("/").get_data(as_text=True)) == reviewer_menu
    finally:
        with app.app_context():
            sm = app.appbuilder.sm  # type: ignore[attr-defined]
            sm.add_permission_role(
                sm.find_role(matrix.ROLE_CASEWORKER),
                sm.find_permission_view_menu("menu_access", name),
            )
            db.session.commit()
    assert _menu_hrefs(worker.get("/").get_data(as_text=True)) == worker_menu

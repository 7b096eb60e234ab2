"""The navigation menu, rendered once per permission set and locale per process.

Building the menu walks every entry and asks the permission check for each; about half of a
page's template time went there. What the menu shows depends only on the user's permissions
(``menu_access`` per entry), the locale of the labels and the application root of the links, so
the rendered HTML is kept under exactly that key. The permission set is read per request anyway
(one statement, app.security.manager): a changed permission or role gives a new key, in every
worker, with nothing to invalidate. The cache is small and bounded (a few role combinations).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

#: rendered menus per (permissions, locale, application root); cleared when it grows past this
MAX_ENTRIES = 64
_MENUS: dict[tuple[Any, ...], Markup] = {}


def _key() -> tuple[Any, ...]:
    sm = current_app.appbuilder.sm  # type: ignore[attr-defined]
    user = current_user if current_user.is_authenticated else None
    return (sm._permission_set(user), str(get_locale()), request.script_root)


def cached_menu() -> Markup:
    """The menu entries (``<li>`` items) of the current user, from the cache when known."""
    key = _key()
    html = _MENUS.get(key)
    if html is None:
        html = Markup(  # noqa: S704  # nosec B704 - rendered by the autoescaping template
            render_template(
                "appbuilder/_navbar_menu_items.html",
                menu=current_app.appbuilder.menu,  # type: ignore[attr-defined]
            )
        )
        if len(_MENUS) >= MAX_ENTRIES:
            _MENUS.clear()
        _MENUS[key] = html
    return html


def clear() -> None:
    """Forget every rendered menu (menu entries changed at runtime, tests)."""
    _MENUS.clear()

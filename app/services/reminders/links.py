"""Paths of portal pages for texts that leave a request: e-mails, calendar feeds.

Built from the app's URL map (not typed by hand), so a link in a reminder or a feed leads to
the page the route serves today; it needs an application context, no request.
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def page_path(endpoint: str, **values: Any) -> str:
    """The path of ``endpoint`` with ``values`` (e.g. ``/myfollowupview/list/``)."""
    return str(current_app.url_map.bind("localhost").build(endpoint, values))

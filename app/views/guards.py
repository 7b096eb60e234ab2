"""Request guards for FAB's generic ModelView routes that answer 500 on bad input.

Found by the cross-provider route walk (tests/integration/test_scoping_matrix.py):
- ``/<view>/action/<name>/<pk>`` and ``/<view>/action_post`` with an action the view does not
  have crash in FAB (``None.func``) → 404;
- ``/<view>/download/<filename>`` needs ``UPLOAD_FOLDER``; the portal stores no uploads → 404;
- ``/<view>/list/?_flt_<i>_<col>=`` with a filter index the column does not have → 400.
"""

from __future__ import annotations

import re

from flask import Flask, abort, current_app, request
from flask_appbuilder import AppBuilder, ModelView

_FILTER_ARG = re.compile(r"_flt_(\d)_(.*)")


def _view_of(appbuilder: AppBuilder, endpoint: str) -> ModelView | None:
    name = endpoint.split(".", 1)[0]
    for view in appbuilder.baseviews:
        if isinstance(view, ModelView) and type(view).__name__ == name:
            return view
    return None


def register(appbuilder: AppBuilder) -> None:
    """Install the guards on the app of ``appbuilder``."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    @app.before_request
    def _guard_model_view_routes() -> None:
        endpoint = request.endpoint or ""
        method = endpoint.rsplit(".", 1)[-1]
        if method not in ("action", "action_post", "download", "list"):
            return
        view = _view_of(appbuilder, endpoint)
        if view is None:
            return
        if method == "download" and not app.config.get("UPLOAD_FOLDER"):
            abort(404)
        if method == "action":
            name = (request.view_args or {}).get("name")
            if name not in view.actions:
                abort(404)
        if method == "action_post" and request.form.get("action") not in view.actions:
            abort(404)
        if method == "list":
            all_filters = view._filters._all_filters
            for arg in request.args:
                match = _FILTER_ARG.fullmatch(arg)
                if not match:
                    continue
                index, column = int(match.group(1)), match.group(2)
                if column in all_filters and index >= len(all_filters[column]):
                    abort(400)

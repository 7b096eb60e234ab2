"""Lebenslauf-Pool page: employable persons without a CV or with one older than six months."""

from __future__ import annotations

from typing import Any

from flask import abort, g, request
from flask_appbuilder import BaseView, expose, has_access

from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.housing import cv_pool

PAGE_SIZE = 50


class CvPoolView(BaseView):
    """Lebenslauf-Pool — paged, scoped to the own provider; „nur meine“ for the caseworker."""

    route_base = "/lebenslauf-pool"
    class_permission_name = matrix.CV_POOL
    method_permission_name = READ_WRITE_METHODS
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> Any:
        """The pool, persons without any CV first."""
        raw = request.args.get("seite") or "1"
        if not raw.isdigit() or len(raw) > 6:
            abort(400)
        page = max(int(raw), 1)
        mine = request.args.get("meine") == "1"
        user = g.get("user")
        rows, total = cv_pool.pool_page(
            page - 1, PAGE_SIZE, caseworker_id=user.id if mine and user is not None else None
        )
        return self.render_template(
            "housing/cv_pool.html",
            rows=rows,
            total=total,
            page=page,
            pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            mine=mine,
            months=cv_pool.MAX_AGE_MONTHS,
            title="Lebenslauf-Pool",
        )

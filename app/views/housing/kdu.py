"""KdU limits: the Kreis-Admin's list and form (/kdu-grenzen) and the check (/api/v1/kdu/check).

The rules live in app/services/housing/kdu.py; these views only translate requests. The
limits belong to the county (no provider scoping: they are the same for every provider); the
page is the Kreis-Admin's (resource ``KduLimit``), the check is open to whoever works on a move
procedure (resource ``MoveProcedure``, read).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect, safe
from werkzeug.wrappers import Response

from app.dates import DateError, de_date, parse_date
from app.extensions import db
from app.models import KduLimit
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.housing import kdu
from app.views.housing.common import _user

PAGE_SIZE = 50


def _form_of(limit: KduLimit) -> dict[str, str]:
    """The form values of a stored limit (German dates and amounts)."""

    def amount(value: Any) -> str:
        return "" if value is None else kdu.euro(value).removesuffix(" €")

    return {
        "area": limit.area,
        "household_size": str(limit.household_size),
        "valid_from": de_date(limit.valid_from),
        "valid_to": de_date(limit.valid_to, empty=""),
        "rent": amount(limit.rent),
        "heating": amount(limit.heating),
        "deposit": amount(limit.deposit),
        "furnishing": amount(limit.furnishing),
    }


class KduLimitView(BaseView):
    """KdU-Grenzen — list (paged) and form of the county's limits."""

    route_base = "/kdu-grenzen"
    class_permission_name = matrix.KDU_LIMIT
    method_permission_name = READ_WRITE_METHODS
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> Any:
        """All limits: area, household size, validity and amounts."""
        raw = request.args.get("seite") or "1"
        if not raw.isdigit() or len(raw) > 6:
            abort(400)
        page = max(int(raw), 1)
        rows, total = kdu.limits_page(page - 1, PAGE_SIZE)
        return self.render_template(
            "housing/kdu_list.html",
            rows=rows,
            total=total,
            page=page,
            pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            euro=kdu.euro,
            title="KdU-Grenzen",
        )

    def _form(self, limit: KduLimit | None, form: dict[str, str], errors: dict[str, str]) -> Any:
        return self.render_template(
            "housing/kdu_form.html",
            limit=limit,
            form=form,
            errors=errors,
            labels=kdu.LABELS,
            title="KdU-Grenze ändern" if limit else "KdU-Grenze anlegen",
        )

    def _save(self, limit: KduLimit | None) -> Any:
        form = {name: request.form.get(name, "") for name in kdu.FIELDS}
        try:
            saved = kdu.save_limit(form, actor=_user(), limit=limit)
        except kdu.KduError as exc:
            db.session.rollback()
            errors = {field: " ".join(msgs) for field, msgs in exc.errors.items()}
            flash("Die KdU-Grenze wurde nicht gespeichert. " + exc.message, "danger")
            return self._form(limit, form, errors), 422
        flash(f"KdU-Grenze {saved.area}, {saved.household_size} Pers. gespeichert.", "success")
        return redirect(url_for("KduLimitView.list"))

    @expose("/neu", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """A new limit."""
        if request.method == "POST":
            return self._save(None)
        return self._form(None, {}, {})

    @expose("/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int) -> Any:
        """Change a limit (an offer already checked keeps its result)."""
        limit = db.session.get(KduLimit, pk)
        if limit is None:
            abort(404)
        if request.method == "POST":
            return self._save(limit)
        return self._form(limit, _form_of(limit), {})


class KduCheckApi(BaseApi):
    """REST: /api/v1/kdu/check — is a flat offer within the limits valid on a day?"""

    resource_name = "kdu"
    class_permission_name = matrix.MOVE_PROCEDURE
    method_permission_name = {**READ_WRITE_METHODS, "check": "read"}
    allow_browser_login = False
    openapi_spec_tag = "KdU"

    @expose("/check", methods=["GET"])
    @protect()
    @safe
    def check(self) -> Response:
        """Check ``rent`` and ``heating`` for ``area``, ``household_size`` on the day ``on``."""
        args = request.args
        errors: dict[str, str] = {}
        area = " ".join((args.get("area") or "").split())
        if not area:
            errors["area"] = "Pflichtfeld"
        size: int | None = None
        raw_size = args.get("household_size") or ""
        if raw_size.isdigit() and 1 <= int(raw_size) <= kdu.MAX_HOUSEHOLD:
            size = int(raw_size)
        else:
            errors["household_size"] = "Zahl von 1 bis 30"
        on = None
        try:
            on = parse_date(args.get("on"))
        except DateError as exc:
            errors["on"] = str(exc)
        if on is None and "on" not in errors:
            errors["on"] = "Pflichtfeld (JJJJ-MM-TT)"
        amounts: dict[str, Any] = {}
        for name in ("rent", "heating"):
            try:
                amounts[name] = kdu.parse_amount(args.get(name))
            except ValueError as exc:
                errors[name] = str(exc)
                continue
            if amounts[name] is None:
                errors[name] = "Pflichtfeld (Betrag in Euro)"
        if errors or size is None or on is None:
            return self.response_400(message=errors)
        result = kdu.check(area, size, on, amounts["rent"], amounts["heating"])
        if result is None:
            return self.response_404()
        return self.response(200, **result.as_json())

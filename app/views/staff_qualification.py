"""Qualifikation nach §4.2: the lead's overview and profile form, the county's counts.

The rules live in app/services/staff/qualification.py; these views only translate requests.
The lead sees and keeps the profiles of the own provider's caseworkers (resource
``QualificationProfile``); the Kreis-Admin and the Prüfer see per provider how many
caseworkers meet §4.2 and each item (resource ``QualificationCounty``) — no single profile.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.dates import de_date
from app.extensions import db
from app.models.organisation import MsaUser
from app.models.staff import QualificationProfile
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.catalogues import choices, labels
from app.services.staff import qualification as q

PAGE_SIZE = 50
#: empty language rows the form offers below the recorded ones
EMPTY_LANGUAGE_ROWS = 2


def _page_number() -> int:
    raw = request.args.get("seite") or "1"
    if not raw.isdigit() or len(raw) > 6:
        abort(400)
    return max(int(raw), 1)


def _form_of(profile: QualificationProfile | None) -> dict[str, Any]:
    """The form values of a stored profile (German date)."""
    if profile is None:
        return {"languages": []}
    form: dict[str, Any] = {
        "degree_category": profile.degree_category or "",
        "degree_title": profile.degree_title or "",
        "degree_year": str(profile.degree_year or ""),
        "cm_certified_on": de_date(profile.cm_certified_on, empty=""),
        "cm_certifier": profile.cm_certifier or "",
        "notes": profile.notes or "",
        "languages": list((profile.languages or {}).items()),
    }
    for flag in q.FLAGS:
        form[flag] = bool(getattr(profile, flag))
    return form


def _posted() -> dict[str, Any]:
    """The posted profile: text fields, checkboxes and the language rows."""
    form: dict[str, Any] = {
        name: request.form.get(name, "")
        for name in ("degree_category", "degree_title", "degree_year")
    }
    form.update(
        {name: request.form.get(name, "") for name in ("cm_certified_on", "cm_certifier", "notes")}
    )
    for flag in q.FLAGS:
        form[flag] = request.form.get(flag) == "1"
    rows = []
    for i in range(q.MAX_LANGUAGES + EMPTY_LANGUAGE_ROWS):
        code = request.form.get(f"language_{i}", "")
        level = request.form.get(f"level_{i}", "")
        if code or level:
            rows.append((code, level))
    form["languages"] = rows
    return form


class QualificationView(BaseView):
    """Qualifikation nach §4.2 — the caseworkers of the own provider and their profiles."""

    route_base = "/qualifikation"
    class_permission_name = matrix.QUALIFICATION
    method_permission_name = {**READ_WRITE_METHODS, "profile": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> Any:
        """Per caseworker: the §4.2 items met and whether §4.2 is met as a whole (paged)."""
        page = _page_number()
        org_id = getattr(g.get("user"), "organisation_id", None)
        rows, total = q.overview_page(org_id, page - 1, PAGE_SIZE) if org_id else ([], 0)
        return self.render_template(
            "staff/qualification_overview.html",
            rows=rows,
            total=total,
            page=page,
            pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            items=q.ITEMS,
            title="Qualifikation nach §4.2",
        )

    def _form(
        self, account: MsaUser, form: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Any:
        rows = list(form.get("languages") or [])
        rows += [("", "")] * EMPTY_LANGUAGE_ROWS
        level_labels = labels("cefr_level")
        name = f"{account.first_name} {account.last_name}".strip()
        return (
            self.render_template(
                "staff/qualification_form.html",
                account=account,
                name=name,
                form=form,
                errors=errors,
                language_rows=rows,
                language_choices=choices("language"),
                level_choices=[(code, level_labels.get(code, code)) for code in q.LEVELS],
                categories=q.DEGREE_CATEGORIES,
                flags=q.FLAGS,
                title=f"Qualifikationsprofil {name}",
            ),
            status,
        )

    @expose("/<int:user_id>", methods=["GET", "POST"])
    @has_access
    def profile(self, user_id: int) -> Any:
        """The profile form of one caseworker of the own provider."""
        account = db.session.get(MsaUser, user_id)
        own = getattr(g.get("user"), "organisation_id", None)
        if account is None or own is None or account.organisation_id != own:
            abort(404)
        if request.method != "POST":
            return self._form(account, _form_of(q.profile_of(user_id)), {})
        form = _posted()
        try:
            q.save_profile(user_id, form, actor=g.user)
        except q.QualificationError as exc:
            db.session.rollback()
            if exc.status in (403, 404):
                abort(exc.status)
            errors = {field: " ".join(msgs) for field, msgs in exc.errors.items()}
            flash("Das Qualifikationsprofil wurde nicht gespeichert. " + exc.message, "danger")
            return self._form(account, form, errors, 422)
        flash(
            f"Qualifikationsprofil von {account.first_name} {account.last_name} gespeichert.",
            "success",
        )
        return redirect(url_for("QualificationView.list"))


class QualificationCountyView(BaseView):
    """Qualifikation der Träger — per provider the counts of §4.2 (no single profile)."""

    route_base = "/qualifikation-traeger"
    class_permission_name = matrix.QUALIFICATION_COUNTY
    method_permission_name = READ_WRITE_METHODS
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> Any:
        """Caseworkers, how many meet §4.2 and each item, per provider (paged)."""
        page = _page_number()
        figures = q.county_figures()
        total = len(figures)
        start = (page - 1) * PAGE_SIZE
        return self.render_template(
            "staff/qualification_county.html",
            rows=figures[start : start + PAGE_SIZE],
            total=total,
            page=page,
            pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            items=q.ITEMS,
            title="Qualifikation der Träger nach §4.2",
        )


def register(appbuilder: AppBuilder) -> None:
    """Register the lead's overview (menu "Personal") and the county's (menu "Statistik")."""
    appbuilder.add_view(
        QualificationView,
        matrix.MENU_QUALIFICATION,
        label=_l("Qualifikation nach §4.2"),
        icon="fa-user-check",
        category=matrix.MENU_STAFF,
        category_label=_l("Personal"),
    )
    appbuilder.add_view(
        QualificationCountyView,
        matrix.MENU_QUALIFICATION_COUNTY,
        label=_l("Qualifikation der Träger"),
        icon="fa-user-check",
        category=matrix.MENU_STATISTICS,
        category_label=_l("Statistik"),
    )

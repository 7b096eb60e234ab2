"""Team page of the Trägerleitung and the administration log search."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from wtforms import DecimalField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app import dates
from app.dates import DateError, parse_date
from app.extensions import db
from app.formatting import de_number
from app.models import AdminLogEntry, MsaUser, Organisation
from app.models.organisation import ORGANISATION_KIND_LABELS
from app.security import matrix
from app.security.admin_log import ACTION_LABELS, OBJECT_LABELS
from app.services.organisations import DomainError
from app.services.staff.accounts import create_user, set_active

BERLIN = ZoneInfo("Europe/Berlin")
LOG_PAGE_SIZE = 50
FIELD_LABELS = {
    "username": "Benutzername",
    "first_name": "Vorname",
    "last_name": "Nachname",
    "email": "E-Mail",
    "active": "aktiv",
    "roles": "Rollen",
    "organisation_id": "Organisation",
    "fte": "VZÄ",
    "password": "Passwort",  # nosec B105 (a field label)
    "totp_secret": "Zwei-Faktor-Schlüssel",  # nosec B105 (a field label)
    "totp_enabled": "Zwei-Faktor-Anmeldung",
    "permissions": "Rechte (entzogen / erteilt)",
    "name": "Name",
    "kind": "Art",
    # a refused change (action "refused"): what was asked for and why it was refused
    "_aktion": "Vorhaben",
    "_grund": "Grund der Ablehnung",
}


def berlin(value: dt.datetime) -> str:
    """A stored UTC time as TT.MM.JJJJ HH:MM:SS in Europe/Berlin."""
    return dates.berlin(value).strftime("%d.%m.%Y %H:%M:%S")


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if value is True:
        return "ja"
    if value is False:
        return "nein"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:10]}.{value[5:7]}.{value[0:4]}"
    return str(value)


#: what a right allows, in the words of the screen (FAB's permission names)
PERMISSION_VERBS = {
    "can_read": "lesen",
    "can_write": "schreiben",
    "menu_access": "Menüeintrag",
    "can_list": "auflisten",
    "can_show": "anzeigen",
    "can_add": "anlegen",
    "can_edit": "bearbeiten",
    "can_delete": "löschen",
}
#: FAB resource names of the matrix → German (unknown names are shown as they are)
RESOURCE_LABELS = {
    matrix.ORGANISATION: "Organisationen",
    matrix.ACCOMMODATION: "Unterkünfte",
    matrix.CATALOGUE: "Kataloge",
    matrix.NETWORK_PARTNER: "Netzwerkpartner",
    matrix.PERSON: "Personen",
    matrix.SENSITIVE: "Besondere Kategorien",
    matrix.CASE_FILE_DETAILS: "Angaben der Fallakte",
    matrix.CONTACT_NOTE: "Beratungsvermerke",
    matrix.GROUP_SESSION: "Gruppenberatungen",
    matrix.FOLLOW_UP: "Wiedervorlagen",
    matrix.REFERRAL: "Vermittlungen",
    matrix.ACCESS_LOG: "Zugriffsprotokoll",
    matrix.SOCIAL_REPORT: "Sozialberichte",
    matrix.MOVE_PROCEDURE: "Umzugsverfahren",
    matrix.CASE_MANAGEMENT: "Case Management",
    matrix.SERVICE_GAPS: "Angebotslücken",
    matrix.FILE_AUDIT: "Aktenprüfungen",
    matrix.STATISTICS: "Quartalsstatistik",
    matrix.STATISTICS_REVIEW: "Quartalsmeldungen",
    matrix.ASSIGNMENT_IMPORT: "Zuweisungsimport",
    matrix.HANDOVER: "Übergaben",
    matrix.ADMIN_LOG: "Verwaltungsprotokoll",
    matrix.TEAM: "Mein Team",
    matrix.COOPERATION: "Kooperation",
    matrix.STAFF: "Personal",
    matrix.APPOINTMENT: "Termine",
    matrix.ANNUAL_EVALUATION: "Jahresauswertung",
}
_ORG_KINDS = {kind.value: label for kind, label in ORGANISATION_KIND_LABELS.items()}


def _permission_label(name: Any) -> str:
    """ "can_read Person" → "Personen: lesen"."""
    verb, _sep, resource = str(name).partition(" ")
    return f"{RESOURCE_LABELS.get(resource, resource)}: {PERMISSION_VERBS.get(verb, verb)}"


def _value(key: str, value: Any, org_names: dict[int, str]) -> str:
    """One value of a change in words: names instead of ids, labels instead of codes."""
    if value is None or value == "" or value == []:
        return "–"
    if key == "organisation_id":
        return org_names.get(int(value), f"Organisation Nr. {value}")
    if key == "kind" and value in _ORG_KINDS:
        return _ORG_KINDS[value]
    if key == "fte":
        try:
            return de_number(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    if key == "permissions" and isinstance(value, list):
        return ", ".join(_permission_label(v) for v in value)
    return _shown(value)


def describe_changes(
    raw: str, org_names: dict[int, str] | None = None
) -> list[tuple[str, str, str]]:
    """(field label, old, new) of a log row's JSON changes, for the screen."""
    try:
        changes = json.loads(raw or "{}")
    except ValueError:
        return []
    names = org_names or {}
    return [
        (FIELD_LABELS.get(key, key), _value(key, old, names), _value(key, new, names))
        for key, (old, new) in sorted(changes.items())
    ]


def _organisation_names(rows: list[AdminLogEntry]) -> dict[int, str]:
    """Names of the organisations the changes of ``rows`` name (one statement)."""
    ids: set[int] = set()
    for r in rows:
        try:
            changes = json.loads(r.changes or "{}")
        except ValueError:
            continue
        for value in changes.get("organisation_id") or []:
            if isinstance(value, int):
                ids.add(value)
    if not ids:
        return {}
    query = select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    return {int(org_id): str(name) for org_id, name in db.session.execute(query)}


class AdminLogView(BaseView):
    """Verwaltungsprotokoll — search who changed which account, role, organisation, right."""

    route_base = "/verwaltungsprotokoll"
    class_permission_name = matrix.ADMIN_LOG
    method_permission_name = matrix.READ_WRITE_METHODS
    base_permissions = ["can_read"]
    default_view = "admin_log"

    @expose("/")
    @has_access
    def admin_log(self) -> Any:
        args = request.args
        errors: dict[str, str] = {}
        query = select(AdminLogEntry)
        actor = (args.get("benutzer") or "").strip()
        if actor:
            query = query.where(func.lower(AdminLogEntry.actor_name).contains(actor.lower()))
        text = (args.get("text") or "").strip()
        if text:
            needle = text.lower()
            query = query.where(
                or_(
                    func.lower(AdminLogEntry.object_label).contains(needle),
                    func.lower(AdminLogEntry.changes).contains(needle),
                )
            )
        kind = args.get("art") or ""
        if kind:
            if kind in OBJECT_LABELS:
                query = query.where(AdminLogEntry.object_type == kind)
            else:
                errors["art"] = "Unbekannte Art."
        start = _date(args.get("von") or "", "von", errors)
        end = _date(args.get("bis") or "", "bis", errors)
        if start:
            query = query.where(AdminLogEntry.at >= _utc_midnight(start))
        if end:
            query = query.where(AdminLogEntry.at < _utc_midnight(end + dt.timedelta(days=1)))
        raw_page = args.get("seite") or "1"
        if not raw_page.isdigit() or len(raw_page) > 6:
            abort(400)
        page = max(int(raw_page), 1)
        rows: list[AdminLogEntry] = []
        total = 0
        if not errors:
            total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(
                db.session.scalars(
                    query.order_by(AdminLogEntry.at.desc(), AdminLogEntry.id.desc())
                    .limit(LOG_PAGE_SIZE)
                    .offset((page - 1) * LOG_PAGE_SIZE)
                )
            )
        org_names = _organisation_names(rows)
        return self.render_template(
            "user_admin/admin_log.html",
            title=_l("Verwaltungsprotokoll"),
            rows=[
                {
                    "at": berlin(r.at),
                    "actor": r.actor_name,
                    "action": ACTION_LABELS.get(r.action, r.action),
                    "kind": OBJECT_LABELS.get(r.object_type, r.object_type),
                    "label": r.object_label or "",
                    "changes": describe_changes(r.changes, org_names),
                }
                for r in rows
            ],
            total=total,
            page=page,
            pages=max((total + LOG_PAGE_SIZE - 1) // LOG_PAGE_SIZE, 1),
            errors=errors,
            args=args,
            kinds=OBJECT_LABELS,
        )


def _date(raw: str, key: str, errors: dict[str, str]) -> dt.date | None:
    try:
        return parse_date(raw)
    except DateError as exc:
        errors[key] = exc.message
        return None


def _utc_midnight(day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), tzinfo=BERLIN)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


class TeamMemberForm(FlaskForm):
    """Neue Fachkraft des eigenen Trägers."""

    username = StringField(_l("Benutzername"), validators=[DataRequired(), Length(max=64)])
    first_name = StringField(_l("Vorname"), validators=[DataRequired(), Length(max=64)])
    last_name = StringField(_l("Nachname"), validators=[DataRequired(), Length(max=64)])
    email = EmailField(
        _l("E-Mail"),
        validators=[
            DataRequired(),
            Length(max=320),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Bitte eine E-Mail-Adresse.")),
        ],
    )
    fte = DecimalField(
        _l("VZÄ"), default=1, places=2, validators=[Optional(), NumberRange(min=0, max=1)]
    )
    password = PasswordField(
        _l("Erstes Passwort"),
        validators=[DataRequired(), Length(min=12, message=_l("Mindestens 12 Zeichen."))],
    )


class TeamView(BaseView):
    """Mein Team — the lead creates, deactivates and reactivates caseworker accounts."""

    route_base = "/team"
    class_permission_name = matrix.TEAM
    method_permission_name = matrix.READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]
    default_view = "team"

    def _org_id(self) -> int:
        org_id = getattr(g.user, "organisation_id", None)
        if org_id is None:
            abort(403)
        return int(org_id)

    @expose("/")
    @has_access
    def team(self) -> Any:
        return self._render(TeamMemberForm())

    def _render(self, form: TeamMemberForm) -> Any:
        members = list(
            db.session.scalars(
                select(MsaUser)
                .options(selectinload(MsaUser.roles))
                .where(MsaUser.organisation_id == self._org_id())
                .order_by(MsaUser.last_name, MsaUser.first_name, MsaUser.id)
            )
        )
        return self.render_template(
            "user_admin/team.html",
            title=_l("Mein Team"),
            members=[
                {
                    "id": m.id,
                    "name": f"{m.first_name} {m.last_name}",
                    "username": m.username,
                    "roles": ", ".join(sorted(r.name for r in m.roles)),
                    "active": bool(m.active),
                    "manageable": {r.name for r in m.roles} == {matrix.ROLE_CASEWORKER}
                    and m.id != g.user.id,
                }
                for m in members
            ],
            form=form,
        )

    @expose("/neu", methods=["POST"])
    @has_access
    def team_add(self) -> Any:
        form = TeamMemberForm()
        if not form.validate_on_submit():
            return self._render(form), 400
        org = g.user.organisation
        try:
            create_user(
                form.username.data.strip(),
                form.password.data,
                matrix.ROLE_CASEWORKER,
                organisation=org.name if org is not None else None,
                fte=float(form.fte.data) if form.fte.data is not None else 1.0,
                first_name=form.first_name.data.strip(),
                last_name=form.last_name.data.strip(),
                email=form.email.data.strip(),
                actor=g.user,
            )
        except DomainError as exc:
            form.username.errors = [*form.username.errors, str(exc)]
            return self._render(form), 400
        flash(str(_l("Das Konto ist angelegt.")), "success")
        return redirect(url_for("TeamView.team"))

    @expose("/<int:user_id>/aktiv", methods=["POST"])
    @has_access
    def team_active(self, user_id: int) -> Any:
        wanted = request.form.get("aktiv") == "1"
        try:
            set_active(user_id, wanted, actor=g.user)
        except DomainError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("TeamView.team"))
        flash(
            str(_l("Das Konto ist wieder aktiv.") if wanted else _l("Das Konto ist deaktiviert.")),
            "success",
        )
        return redirect(url_for("TeamView.team"))


def register(appbuilder: AppBuilder) -> None:
    """Register the team page (lead) and the administration log (DPO, Admin)."""
    appbuilder.add_view(
        TeamView,
        matrix.MENU_TEAM,
        label=_l("Mein Team"),
        icon="fa-users",
        category=matrix.MENU_CASE_WORK,
    )
    appbuilder.add_view(
        AdminLogView,
        matrix.MENU_ADMIN_LOG,
        label=_l("Verwaltungsprotokoll"),
        icon="fa-history",
        category=matrix.MENU_DATA_PROTECTION,
    )

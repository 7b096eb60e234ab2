"""Kooperation (R-6.3): working groups and meetings, projects and encounters, volunteers.

Provider roles record them; the county sees only the counts (quarterly report page,
:func:`app.services.cooperation.cooperation_figures`). Volunteers are assigned to activities,
never to a client's file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, g, request
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from app.datamodel import MsaSQLAInterface
from app.dates import de_date
from app.extensions import db
from app.i18n import N_
from app.models.cooperation import PROJECT_KIND_LABELS, Meeting, Project, Volunteer, WorkingGroup
from app.models.organisation import Organisation
from app.security import matrix
from app.services.cooperation import COOPERATION_FIGURE_LABELS, cooperation_figures_period
from app.views.base import ScopedModelView
from app.views.casefile.forms import GermanDateField, GermanIntegerField
from app.views.date_field import DateRequired
from app.views.partners import PartnerSearchField


class JoinedSQLAInterface(MsaSQLAInterface):
    """Loads the given collections with the row in the same statement (edit and show forms).

    A meeting's partners, a project's partners and volunteers: one statement with the row
    instead of one per collection (statement budget); FAB's legacy query de-duplicates rows.
    """

    def __init__(self, obj: Any, *collections: str) -> None:
        super().__init__(obj)
        self.joined = collections

    def apply_all(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        query = super().apply_all(query, *args, **kwargs)
        if kwargs.get("select_columns"):
            return query
        return query.options(*(joinedload(getattr(self.obj, c)) for c in self.joined))


def fmt_date(value: Any) -> str:
    """TT.MM.JJJJ (empty for no date)."""
    return de_date(value, "")


def yes_no(value: Any) -> str:
    """ja / nein instead of True / False."""
    return "ja" if value else "nein"


def _working_group_choices() -> list[tuple[int, str]]:
    """The own organisation's working groups (row-scoped), active ones first."""
    rows = db.session.execute(
        select(WorkingGroup.id, WorkingGroup.name, WorkingGroup.active)
        .order_by(WorkingGroup.active.desc(), WorkingGroup.name, WorkingGroup.id)
        .limit(200)
    ).all()
    return [(wid, name if active else f"{name} (nicht mehr aktiv)") for wid, name, active in rows]


def _names(items: Any) -> str:
    return ", ".join(str(i) for i in items or [])


class WorkingGroupView(ScopedModelView):
    """Arbeitskreise — e.g. the Fachkreis Migration."""

    datamodel = SQLAInterface(WorkingGroup)
    class_permission_name = matrix.COOPERATION
    list_title = _l("Arbeitskreise")
    show_title = _l("Arbeitskreis")
    add_title = _l("Arbeitskreis anlegen")
    edit_title = _l("Arbeitskreis bearbeiten")
    list_columns = ["name", "active"]
    add_columns = edit_columns = show_columns = ["name", "description", "active"]
    search_columns = ["name"]
    order_columns = ["name"]
    base_order = ("name", "asc")
    label_columns = {
        "name": _l("Name"),
        "description": _l("Beschreibung"),
        "active": _l("Aktiv"),
    }
    formatters_columns = {"active": yes_no}


class MeetingView(ScopedModelView):
    """Sitzungen — date, participating partners, topics, agreements."""

    datamodel = JoinedSQLAInterface(Meeting, "partners")
    class_permission_name = matrix.COOPERATION
    list_title = _l("Sitzungen")
    show_title = _l("Sitzung")
    add_title = _l("Sitzung dokumentieren")
    edit_title = _l("Sitzung bearbeiten")
    list_columns = ["date", "working_group", "topics"]
    show_columns = [
        "working_group",
        "date",
        "partners",
        "other_participants",
        "topics",
        "agreements",
    ]
    # the group is chosen by its id from one plain query (FAB's relation select costs two)
    add_columns = edit_columns = ["working_group_id", *show_columns[1:]]
    search_columns = ["date", "topics"]
    order_columns = ["date"]
    base_order = ("date", "desc")
    label_columns = {
        "working_group": _l("Arbeitskreis"),
        "working_group_id": _l("Arbeitskreis"),
        "date": _l("Datum"),
        "partners": _l("Teilnehmende Partner"),
        "other_participants": _l("Weitere Teilnehmende"),
        "topics": _l("Themen"),
        "agreements": _l("Vereinbarungen"),
    }
    formatters_columns = {"date": fmt_date, "partners": _names}
    add_form_extra_fields = edit_form_extra_fields = {
        "working_group_id": SelectField(
            "Arbeitskreis",
            choices=_working_group_choices,
            coerce=int,
            validators=[DataRequired("Bitte einen Arbeitskreis wählen.")],
        ),
        "date": GermanDateField("Datum", validators=[DateRequired()]),
        "partners": PartnerSearchField("Teilnehmende Partner"),
        "topics": TextAreaField("Themen", validators=[DataRequired("Bitte Themen angeben.")]),
    }


class VolunteerView(ScopedModelView):
    """Ehrenamtliche — contact, availability, languages, training; assigned to activities."""

    datamodel = SQLAInterface(Volunteer)
    class_permission_name = matrix.COOPERATION
    list_title = _l("Ehrenamtliche")
    show_title = _l("Ehrenamtliche:r")
    add_title = _l("Ehrenamtliche:n erfassen")
    edit_title = _l("Ehrenamtliche:n bearbeiten")
    list_columns = ["last_name", "first_name", "languages", "availability", "active_until"]
    add_columns = edit_columns = show_columns = [
        "first_name",
        "last_name",
        "phone",
        "email",
        "availability",
        "languages",
        "training",
        "active_since",
        "active_until",
    ]
    search_columns = ["last_name", "first_name", "languages"]
    order_columns = ["last_name", "first_name"]
    base_order = ("last_name", "asc")
    label_columns = {
        "first_name": _l("Vorname"),
        "last_name": _l("Nachname"),
        "phone": _l("Telefon"),
        "email": _l("E-Mail"),
        "availability": _l("Verfügbarkeit"),
        "languages": _l("Sprachen"),
        "training": _l("Erhaltene Schulungen"),
        "active_since": _l("Aktiv seit"),
        "active_until": _l("Aktiv bis"),
    }
    formatters_columns = {"active_since": fmt_date, "active_until": fmt_date}
    add_form_extra_fields = edit_form_extra_fields = {
        "active_since": GermanDateField("Aktiv seit", validators=[Optional()]),
        "active_until": GermanDateField("Aktiv bis", validators=[Optional()]),
    }


class ProjectView(ScopedModelView):
    """Projekte und Begegnungsangebote — period, partners, participant count, volunteers."""

    datamodel = JoinedSQLAInterface(Project, "partners", "volunteers")
    class_permission_name = matrix.COOPERATION
    list_title = _l("Projekte und Begegnungsangebote")
    show_title = _l("Projekt / Begegnungsangebot")
    add_title = _l("Projekt oder Begegnungsangebot anlegen")
    edit_title = _l("Projekt oder Begegnungsangebot bearbeiten")
    list_columns = ["name", "kind", "starts_on", "ends_on", "participant_count"]
    add_columns = edit_columns = show_columns = [
        "name",
        "kind",
        "starts_on",
        "ends_on",
        "participant_count",
        "partners",
        "volunteers",
        "description",
    ]
    search_columns = ["name", "starts_on"]
    order_columns = ["name", "starts_on"]
    base_order = ("starts_on", "desc")
    label_columns = {
        "name": _l("Titel"),
        "kind": _l("Art"),
        "starts_on": _l("Beginn"),
        "ends_on": _l("Ende"),
        "participant_count": _l("Teilnehmende (Anzahl)"),
        "partners": _l("Partner"),
        "volunteers": _l("Ehrenamtliche"),
        "description": _l("Beschreibung"),
    }
    formatters_columns = {
        "starts_on": fmt_date,
        "ends_on": fmt_date,
        "kind": lambda v: PROJECT_KIND_LABELS.get(v, v),
        "partners": _names,
        "volunteers": _names,
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField("Art", choices=list(PROJECT_KIND_LABELS.items())),
        "starts_on": GermanDateField(
            "Beginn", validators=[DateRequired(N_("Bitte Beginn angeben."))]
        ),
        "ends_on": GermanDateField("Ende", validators=[Optional()]),
        "participant_count": GermanIntegerField(
            "Teilnehmende (Anzahl)",
            validators=[Optional(), NumberRange(min=0, message="Nicht negativ.")],
        ),
        "name": StringField("Titel", validators=[DataRequired("Bitte einen Titel angeben.")]),
        "partners": PartnerSearchField("Partner"),
    }


def quarter_figures(org_id: Any, period: Any) -> list[tuple[str, int]] | None:
    """(label, count) of the cooperation work for the quarterly report page, or None.

    Called from ``statistics/_cooperation.html``; the page has already checked that the
    viewer may see ``org_id``'s figures. One statement.
    """
    if not org_id or period is None:
        return None
    start: dt.date = period.start
    end: dt.date = period.end
    figures = cooperation_figures_period(int(org_id), start, end)
    return [(COOPERATION_FIGURE_LABELS[k], v) for k, v in figures.items()]


class CooperationFiguresView(BaseView):
    """Kooperation und Netzwerkarbeit eines Trägers im Quartal — the counts, for the county.

    The quarterly report page shows them inline for the provider; the county's quarter page
    (one statement more: the list of providers) links here to stay within the budget.
    """

    route_base = "/cooperation-figures"
    class_permission_name = matrix.STATISTICS
    method_permission_name = matrix.READ_WRITE_METHODS
    base_permissions = ["can_read"]
    default_view = "cooperation_quarter"

    @expose("/")
    @has_access
    def cooperation_quarter(self) -> Any:
        from app.services.statistics import counting as st
        from app.services.statistics import quarterly_report as qr

        today = dt.date.today()
        default = st.Quarter.of(today).previous()
        try:
            year = int(request.args.get("year") or default.year)
            quarter = int(request.args.get("quarter") or default.quarter)
            raw = request.args.get("organisation_id")
            requested = int(raw) if raw else None
            period = st.Quarter(year, quarter)
            org_id, _caseworker = qr.allowed_view(qr.Viewer.of(g.user), requested)
        except qr.ReportForbiddenError:
            abort(403)
        except qr.ReportError:
            abort(404)
        except (ValueError, st.StatisticsError):
            abort(400)
        name = db.session.scalar(select(Organisation.name).where(Organisation.id == org_id))
        if name is None:
            abort(404)
        return self.render_template(
            "cooperation/quarter.html",
            coop=quarter_figures(org_id, period),
            period=period,
            org_id=org_id,
            organisation=name,
        )


def register(appbuilder: AppBuilder) -> None:
    """Register the cooperation views and the quarterly report's figures."""
    views = (
        (WorkingGroupView, "Arbeitskreise", "fa-people-group"),
        (MeetingView, "Sitzungen", "fa-comments"),
        (ProjectView, "Projekte und Begegnung", "fa-seedling"),
        (VolunteerView, "Ehrenamtliche", "fa-hands-helping"),
    )
    for view, name, icon in views:
        appbuilder.add_view(
            view,
            name,
            label=_l(name),
            icon=icon,
            category=matrix.MENU_COOPERATION,
            category_label=_l("Kooperation"),
        )
    appbuilder.add_view_no_menu(CooperationFiguresView)
    current_app.jinja_env.globals["cooperation_quarter_figures"] = quarter_figures

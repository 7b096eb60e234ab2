"""Personal (§4.2): qualification, further training and supervision of the provider's staff,
kept by the Trägerleitung; caseload per caseworker and the yearly training summary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import g, request
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Optional, ValidationError

from app.extensions import db
from app.models.organisation import MsaUser
from app.models.staff import (
    SUPERVISION_KIND_LABELS,
    StaffQualification,
    StaffSupervision,
    StaffTraining,
)
from app.security import matrix
from app.services.staff import CASELOAD_RATIO, caseload_per_caseworker, training_summary
from app.views.base import ScopedModelView
from app.views.casefile.forms import GermanDateField
from app.views.cooperation import fmt_date
from app.views.date_field import DateRequired


def _own_organisation() -> int | None:
    user = g.get("user")
    return getattr(user, "organisation_id", None)


class HoursField(StringField):
    """Hours as a German decimal (``1,5``)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = str(valuelist[0]).strip().replace(",", ".") if valuelist else ""
        if not raw:
            self.data = None
            return
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            self.data = None
            raise ValueError("Bitte Stunden als Zahl angeben, z. B. 7,5.") from exc
        if value < 0 or value > 1000:
            self.data = None
            raise ValueError("Bitte Stunden zwischen 0 und 1000 angeben.")
        self.data = value

    def _value(self) -> str:
        return "" if self.data is None else str(self.data).replace(".", ",")


def _hours(value: Any) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",")


class _StaffRecordView(ScopedModelView):
    """A record about a staff member of the own organisation (never another's)."""

    class_permission_name = matrix.STAFF
    #: the staff member dropdown lists the own organisation's accounts only
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "user": [["organisation_id", FilterEqualFunction, _own_organisation]]
    }

    def _check_user(self, item: Any) -> None:
        user_id = item.user.id if item.user is not None else item.user_id
        user_org = (
            db.session.scalar(select(MsaUser.organisation_id).where(MsaUser.id == user_id))
            if user_id
            else None
        )
        if user_org is None or user_org != _own_organisation():
            raise ValidationError(
                "Bitte eine Mitarbeiterin oder einen Mitarbeiter Ihres Trägers wählen."
            )

    def pre_add(self, item: Any) -> None:
        self._check_user(item)

    def pre_update(self, item: Any) -> None:
        self._check_user(item)


STAFF_LABELS = {
    "user": _l("Mitarbeiter:in"),
    "date": _l("Datum"),
    "title": _l("Titel"),
    "hours": _l("Stunden"),
    "provider": _l("Anbieter"),
    "kind": _l("Art"),
    "supervisor": _l("Supervisor:in"),
    "obtained_on": _l("Erworben am"),
    "notes": _l("Anmerkungen"),
}


class StaffQualificationView(_StaffRecordView):
    """Qualifikationen — degree or recognition of a staff member."""

    datamodel = SQLAInterface(StaffQualification)
    list_title = _l("Qualifikationen")
    show_title = _l("Qualifikation")
    add_title = _l("Qualifikation erfassen")
    edit_title = _l("Qualifikation bearbeiten")
    list_columns = ["user", "title", "obtained_on"]
    add_columns = edit_columns = show_columns = ["user", "title", "obtained_on", "notes"]
    order_columns = ["title", "obtained_on"]
    label_columns = STAFF_LABELS
    formatters_columns = {"obtained_on": fmt_date}
    add_form_extra_fields = edit_form_extra_fields = {
        "obtained_on": GermanDateField("Erworben am", validators=[Optional()]),
    }


class StaffTrainingView(_StaffRecordView):
    """Fortbildungen — date, title, hours."""

    datamodel = SQLAInterface(StaffTraining)
    list_title = _l("Fortbildungen")
    show_title = _l("Fortbildung")
    add_title = _l("Fortbildung erfassen")
    edit_title = _l("Fortbildung bearbeiten")
    list_columns = ["date", "user", "title", "hours"]
    add_columns = edit_columns = show_columns = ["user", "date", "title", "hours", "provider"]
    search_columns = ["date", "title"]
    order_columns = ["date", "title"]
    base_order = ("date", "desc")
    label_columns = STAFF_LABELS
    formatters_columns = {"date": fmt_date, "hours": _hours}
    add_form_extra_fields = edit_form_extra_fields = {
        "date": GermanDateField("Datum", validators=[DateRequired()]),
        "hours": HoursField("Stunden", validators=[DataRequired("Bitte Stunden angeben.")]),
    }


class StaffSupervisionView(_StaffRecordView):
    """Supervision — sessions per staff member."""

    datamodel = SQLAInterface(StaffSupervision)
    list_title = _l("Supervisionen")
    show_title = _l("Supervisionssitzung")
    add_title = _l("Supervision erfassen")
    edit_title = _l("Supervision bearbeiten")
    list_columns = ["date", "user", "kind", "hours"]
    add_columns = edit_columns = show_columns = ["user", "date", "kind", "hours", "supervisor"]
    search_columns = ["date"]
    order_columns = ["date"]
    base_order = ("date", "desc")
    label_columns = STAFF_LABELS
    formatters_columns = {
        "date": fmt_date,
        "hours": _hours,
        "kind": lambda v: SUPERVISION_KIND_LABELS.get(v, v),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "date": GermanDateField("Datum", validators=[DateRequired()]),
        "kind": SelectField("Art", choices=list(SUPERVISION_KIND_LABELS.items())),
        "hours": HoursField("Stunden", validators=[Optional()]),
    }


class StaffOverviewView(BaseView):
    """Fallzahlen und Fortbildung — caseload per caseworker and the year's training summary."""

    route_base = "/staff"
    class_permission_name = matrix.STAFF
    method_permission_name = matrix.READ_WRITE_METHODS
    base_permissions = ["can_read"]
    default_view = "staff_overview"

    @expose("/")
    @has_access
    def staff_overview(self) -> Any:
        org_id = _own_organisation()
        today = dt.date.today()
        try:
            year = int(request.args.get("year") or today.year)
        except ValueError:
            year = today.year
        year = min(max(year, 2000), today.year + 1)
        caseload = caseload_per_caseworker(org_id) if org_id else []
        summary = training_summary(org_id, year) if org_id else None
        return self.render_template(
            "staff/overview.html",
            caseload=caseload,
            ratio=CASELOAD_RATIO,
            summary=summary,
            year=year,
            years=list(range(today.year, today.year - 6, -1)),
            hours=_hours,
        )


def register(appbuilder: AppBuilder) -> None:
    """Register the staff views (menu "Personal", Trägerleitung)."""
    appbuilder.add_view(
        StaffOverviewView,
        "Fallzahlen und Fortbildung",
        label=_l("Fallzahlen und Fortbildung"),
        icon="fa-users",
        category=matrix.MENU_STAFF,
        category_label=_l("Personal"),
    )
    for view, name, icon in (
        (StaffQualificationView, "Qualifikationen", "fa-graduation-cap"),
        (StaffTrainingView, "Fortbildungen", "fa-chalkboard-teacher"),
        (StaffSupervisionView, "Supervision", "fa-user-friends"),
    ):
        appbuilder.add_view(view, name, label=_l(name), icon=icon, category=matrix.MENU_STAFF)

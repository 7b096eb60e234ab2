"""Termine (§3.1.2): appointments on the case file, the personal calendar, the iCalendar feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from app.extensions import db
from app.models.calendar import Appointment
from app.models.organisation import MsaUser
from app.models.partner import NetworkPartner
from app.models.person import Person
from app.security import matrix
from app.services import calendar as calendar_service
from app.services.calendar.appointments import create_appointment, update_appointment
from app.services.casefile.client_language import interpreter_prefill, language_hint
from app.services.errors import DomainError
from app.services.intake.custody_read import persons_visible_to_organisation
from app.services.reminders import PERMIT_WEEKS
from app.views.base import ScopedModelView
from app.views.casefile.common import _apply_form_errors
from app.views.casefile.domain_edit import DomainEditMixin
from app.views.cooperation import fmt_date, yes_no
from app.views.date_field import TIME_REQUIRED, GermanDateField, GermanTimeField
from app.views.hub import HubSection, register_hub_section
from app.views.partners import PartnerSearchField

#: the personal calendar shows this many days back and ahead
CALENDAR_DAYS_BACK = 7
CALENDAR_DAYS_AHEAD = 56
WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def fmt_time(value: Any) -> str:
    """HH:MM Uhr (local time as entered)."""
    return value.strftime("%H:%M") if value else ""


def _current_user() -> MsaUser:
    user = g.get("user")
    if user is None or not user.is_authenticated:
        abort(403)
    return user  # type: ignore[no-any-return]


def _person_or_404(pk: Any) -> Person:
    try:
        pid = int(pk)
    except (TypeError, ValueError):
        abort(404)
    person = db.session.scalars(select(Person).where(Person.id == pid)).one_or_none()
    if person is None:
        abort(404)
    return person


FIRST_INTERVIEW = "erstgespraech"
FIRST_INTERVIEW_TITLE = "Erstgespräch (Case Management)"


def next_working_day(day: dt.date) -> dt.date:
    """The next day from Monday to Friday after ``day``."""
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


class AppointmentView(DomainEditMixin, ScopedModelView):
    """Termine des Trägers — with a client (from the case file) and/or a partner.

    Both forms are doors to the verbs of :mod:`app.services.calendar.appointments`.
    """

    update_verb = staticmethod(update_appointment)
    record_name = "Termin"

    datamodel = SQLAInterface(Appointment)
    class_permission_name = matrix.APPOINTMENT
    list_title = _l("Termine")
    show_title = _l("Termin")
    add_title = _l("Termin anlegen")
    edit_title = _l("Termin bearbeiten")
    list_columns = ["date", "start_time", "title", "owner", "interpreter_needed"]
    show_columns = [
        "date",
        "start_time",
        "end_time",
        "title",
        "person",
        "partner",
        "place",
        "interpreter_needed",
        "owner",
        "notes",
    ]
    add_columns = edit_columns = [
        "date",
        "start_time",
        "end_time",
        "title",
        "partner",
        "place",
        "interpreter_needed",
        "notes",
    ]
    search_columns = ["date", "title"]
    order_columns = ["date", "start_time"]
    base_order = ("date", "desc")
    label_columns = {
        "date": _l("Datum"),
        "start_time": _l("Beginn"),
        "end_time": _l("Ende"),
        "title": _l("Betreff"),
        "person": _l("Klient:in"),
        "partner": _l("Netzwerkpartner"),
        "place": _l("Ort"),
        "interpreter_needed": _l("Dolmetschung nötig"),
        "owner": _l("Eingetragen für"),
        "notes": _l("Notizen"),
    }
    description_columns = {
        "title": _l("Ohne Namen von Klient:innen – der Betreff erscheint im Kalender-Abo."),
    }
    formatters_columns = {
        "date": fmt_date,
        "start_time": fmt_time,
        "end_time": fmt_time,
        "interpreter_needed": yes_no,
    }
    add_form_extra_fields = edit_form_extra_fields = {
        # InputRequired, not DataRequired: an unreadable date keeps the date field's message
        "date": GermanDateField(
            "Datum", validators=[InputRequired("Bitte ein Datum angeben (TT.MM.JJJJ).")]
        ),
        # InputRequired, not DataRequired: a time the form cannot read keeps the field's message
        "start_time": GermanTimeField("Beginn", validators=[InputRequired(TIME_REQUIRED)]),
        "end_time": GermanTimeField("Ende", validators=[Optional()]),
        "title": StringField("Betreff", validators=[DataRequired("Bitte einen Betreff angeben.")]),
        # lengths are the verb's rules (one German message through every door)
        "place": StringField("Ort"),
        "notes": TextAreaField("Notizen"),
        "interpreter_needed": BooleanField("Dolmetschung nötig"),
        "partner": PartnerSearchField("Netzwerkpartner", single=True),
    }

    def form_changes(self, form: Any) -> dict[str, Any]:
        """The form's fields as the verbs take them (the partner as its id)."""
        values = {name: form[name].data for name in self.edit_columns if name in form}
        partner = values.pop("partner", None)
        values["partner_id"] = partner.id if partner is not None else None
        return values

    def edit_form_hints(self, form: Any, item: Any) -> None:
        """The client's languages next to "interpreter" (the stored flag stays as it is)."""
        if item.person_id is not None and "interpreter_needed" in form:
            person = db.session.scalars(
                select(Person).where(Person.id == item.person_id)
            ).one_or_none()
            form.interpreter_needed.description = language_hint(person)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """A new appointment; with ``?person_id=`` for a client (from the case file)."""
        raw = request.args.get("person_id")
        person = _person_or_404(raw) if raw else None
        form = self.add_form.refresh(request.form if request.method == "POST" else None)
        status = 200
        if request.method == "POST":
            status = 422
            if form.validate():
                try:
                    appointment = create_appointment(
                        actor=_current_user(), person=person, **self.form_changes(form)
                    )
                except DomainError as exc:
                    _apply_form_errors(form, {k: v for k, v in exc.errors.items() if k})
                    flash(f"Termin wurde nicht gespeichert. {exc.message}", "danger")
                else:
                    flash(self.saved_message(appointment), "success")
                    if person is not None:
                        return redirect(url_for("PersonView.show", pk=person.id) + "#termine")
                    return redirect(url_for("CalendarView.mine"))
        title = str(self.add_title)
        if person is not None:
            title += f" – {person.last_name}, {person.first_name}"
        if person is not None:
            # the client's languages next to "interpreter"; a new form starts ticked when
            # the case file names an interpreter language (a default: a sent form keeps
            # what was sent)
            form.interpreter_needed.description = language_hint(person)
            if request.method == "GET":
                form.interpreter_needed.data = interpreter_prefill(person)
        if request.method == "GET" and request.args.get("zweck") == FIRST_INTERVIEW:
            # from the case-management hint: the first interview, prefilled — subject and
            # the next working day; the caseworker adds the time
            form.title.data = form.title.data or FIRST_INTERVIEW_TITLE
            form.date.data = form.date.data or next_working_day(dt.date.today())
        widgets = self._get_add_widget(form=form)
        return self.render_template(self.add_template, title=title, widgets=widgets), status


def section_queries(person: Any) -> dict[str, Any]:
    """The appointments of a person (newest first; run with the case file's other reads)."""
    return {
        "appointments": select(
            Appointment.id,
            Appointment.date,
            Appointment.start_time,
            Appointment.title,
            Appointment.place,
            Appointment.interpreter_needed,
        )
        .where(Appointment.person_id == person.id)
        .order_by(Appointment.date.desc(), Appointment.start_time.desc())
        .limit(20)
    }


def section_context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    """The appointments section of the case file page."""
    today = dt.date.today()
    return {
        "appointments": [
            {
                "id": a.id,
                "date": fmt_date(a.date),
                "time": fmt_time(a.start_time),
                "title": a.title,
                "place": a.place or "",
                "interpreter": a.interpreter_needed,
                "upcoming": a.date >= today,
            }
            for a in data["appointments"]
        ]
    }


class CalendarView(BaseView):
    """Mein Kalender — the own appointments, the feed URL and the reminder settings."""

    route_base = "/calendar"
    class_permission_name = matrix.APPOINTMENT
    method_permission_name = matrix.READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]
    default_view = "mine"

    @expose("/")
    @has_access
    def mine(self) -> Any:
        user = _current_user()
        today = dt.date.today()
        rows = db.session.execute(
            select(Appointment, Person.first_name, Person.last_name, NetworkPartner.name)
            .outerjoin(Person, Person.id == Appointment.person_id)
            .outerjoin(NetworkPartner, NetworkPartner.id == Appointment.partner_id)
            .where(
                Appointment.owner_id == user.id,
                Appointment.date >= today - dt.timedelta(days=CALENDAR_DAYS_BACK),
                Appointment.date <= today + dt.timedelta(days=CALENDAR_DAYS_AHEAD),
                # the same appointments as the feed: none of a person handed over elsewhere
                or_(
                    Appointment.person_id.is_(None),
                    Appointment.person_id.in_(
                        persons_visible_to_organisation(user.organisation_id or 0, on=today)
                    ),
                ),
            )
            .order_by(Appointment.date, Appointment.start_time, Appointment.id)
            .limit(500)
        ).all()
        days: list[dict[str, Any]] = []
        for appt, first, last, partner in rows:
            if not days or days[-1]["date"] != appt.date:
                days.append(
                    {
                        "date": appt.date,
                        "label": f"{WEEKDAYS[appt.date.weekday()]}, {fmt_date(appt.date)}",
                        "today": appt.date == today,
                        "items": [],
                    }
                )
            days[-1]["items"].append(
                {
                    "id": appt.id,
                    "time": fmt_time(appt.start_time)
                    + (f"–{fmt_time(appt.end_time)}" if appt.end_time else ""),
                    "title": appt.title,
                    "person": f"{last}, {first}" if last else "",
                    "person_id": appt.person_id,
                    "partner": partner or "",
                    "place": appt.place or "",
                    "interpreter": appt.interpreter_needed,
                }
            )
        feed_url = (
            url_for("CalendarFeedView.feed", token=user.calendar_token, _external=True)
            if user.calendar_token
            else None
        )
        return self.render_template(
            "calendar/mine.html",
            days=days,
            feed_url=feed_url,
            names=user.calendar_names,
            digest=user.reminder_digest,
            has_email=bool(user.email),
            back=CALENDAR_DAYS_BACK,
            ahead=CALENDAR_DAYS_AHEAD,
        )

    @expose("/settings", methods=["POST"])
    @has_access
    def feed_settings(self) -> Response:
        """Issue or revoke the feed URL, names in titles on/off, the e-mail digest on/off."""
        user = db.session.scalars(select(MsaUser).where(MsaUser.id == _current_user().id)).one()
        action = request.form.get("action", "")
        if action == "issue":
            calendar_service.issue_calendar_token(user)
            flash(
                "Eine neue geheime Kalender-Adresse wurde erzeugt; die alte gilt nicht mehr.",
                "success",
            )
        elif action == "revoke":
            calendar_service.revoke_calendar_token(user)
            flash("Das Kalender-Abo ist abgeschaltet.", "success")
        elif action in ("names_on", "names_off"):
            calendar_service.set_calendar_names(user, action == "names_on")
            flash("Einstellung gespeichert.", "success")
        elif action in ("digest_on", "digest_off"):
            calendar_service.set_reminder_digest(user, action == "digest_on")
            flash("Einstellung gespeichert.", "success")
        else:
            abort(400)
        return redirect(url_for("CalendarView.mine"))

    @expose("/permits")
    @has_access
    def permits(self) -> Any:
        """Persons of the signed-in caseworker whose residence permit expires within 8 weeks."""
        user = _current_user()
        today = dt.date.today()
        rows = db.session.execute(
            select(Person.id, Person.last_name, Person.first_name, Person.residence_valid_until)
            .where(
                Person.caseworker_id == user.id,
                Person.moved_away_on.is_(None),
                Person.residence_valid_until >= today,
                Person.residence_valid_until <= today + dt.timedelta(weeks=PERMIT_WEEKS),
            )
            .order_by(Person.residence_valid_until, Person.id)
            .limit(500)
        ).all()
        return self.render_template(
            "calendar/permits.html",
            rows=[(pid, f"{last}, {first}", fmt_date(until)) for pid, last, first, until in rows],
            weeks=PERMIT_WEEKS,
        )


class CalendarFeedView(BaseView):
    """The iCalendar feed at a secret URL (no sign-in: the token is the key; revocable)."""

    route_base = "/calendar/feed"
    default_view = "feed"

    @expose("/<token>.ics")
    def feed(self, token: str) -> Response:
        user = calendar_service.user_for_token(token)
        if user is None:
            abort(404)
        body = calendar_service.ical_feed(user, request.url_root)
        return Response(
            body,
            mimetype="text/calendar",
            headers={
                "Content-Disposition": 'inline; filename="msa-termine.ics"',
                "Cache-Control": "private, max-age=300",
                "X-Robots-Tag": "noindex",
            },
        )


def register(appbuilder: AppBuilder) -> None:
    """Register the calendar views and the appointments section of the case file."""
    appbuilder.add_view(
        CalendarView,
        "Mein Kalender",
        label=_l("Mein Kalender"),
        icon="fa-calendar",
        category=matrix.MENU_CASE_WORK,
    )
    appbuilder.add_view(
        AppointmentView,
        "Termine",
        label=_l("Termine"),
        icon="fa-calendar-check",
        category=matrix.MENU_CASE_WORK,
    )
    appbuilder.add_view_no_menu(CalendarFeedView)
    register_hub_section(
        HubSection(
            key="appointments",
            title="Termine",
            template="calendar/hub_section.html",
            context=section_context,
            queries=section_queries,
            order=40,
            permission=("can_read", matrix.APPOINTMENT),
        )
    )

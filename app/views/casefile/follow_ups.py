"""Meine Wiedervorlagen (R-3.4) and Vermittlungen an Netzwerkpartner (R-6.2)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField

from app.dates import DateError, parse_date
from app.extensions import db
from app.models import (
    FollowUp,
    Referral,
)
from app.models.contact import COST_APPROVAL_STATES
from app.security import matrix
from app.services.casefile.contacts import my_open_follow_ups, team_overdue_follow_ups
from app.services.casefile.follow_ups import (
    complete_follow_up,
    create_follow_up,
    update_follow_up,
    update_referral,
)
from app.services.casefile.persons import catalogue_choices
from app.services.catalogues import labels
from app.services.errors import DomainError
from app.views.base import ScopedModelView
from app.views.casefile.common import (
    EagerSQLAInterface,
    _current_user,
    _fmt_date,
    _person_or_404,
)
from app.views.casefile.domain_edit import DomainEditMixin
from app.views.casefile.forms import BLANK, GermanDateField


def _label(catalogue: str, code: str | None) -> str:
    """German label of a catalogue code ("–" when empty)."""
    return labels(catalogue).get(code, code) if code else "–"


class MyFollowUpView(DomainEditMixin, ScopedModelView):
    """Meine Wiedervorlagen — open follow-ups of the signed-in user (R-3.4)."""

    datamodel = EagerSQLAInterface(FollowUp, FollowUp.person)
    class_permission_name = matrix.FOLLOW_UP
    list_title = _l("Meine Wiedervorlagen")
    show_title = _l("Wiedervorlage")
    edit_title = _l("Wiedervorlage bearbeiten")
    list_columns = ["due_on", "person", "title"]
    show_columns = ["due_on", "person", "title", "done_on", "source"]
    add_columns = edit_columns = ["due_on", "title"]
    label_columns = {
        "due_on": _l("Fällig am"),
        "person": _l("Person"),
        "title": _l("Betreff"),
        "done_on": _l("Erledigt am"),
        "source": _l("Herkunft"),
    }
    base_order = ("due_on", "asc")
    update_verb = staticmethod(update_follow_up)
    record_name = "Wiedervorlage"
    record_date = "due_on"

    @expose("/list/", methods=["GET"])
    @has_access
    def list(self) -> Any:
        """Overdue, due today and upcoming follow-ups of the current user; with
        ``?team=ueberfaellig`` the lead's view of the team's overdue ones (the landing tile)."""
        user = _current_user()
        page = max(0, request.args.get("page", 1, type=int) - 1)
        if request.args.get("team") == "ueberfaellig" and any(
            r.name == matrix.ROLE_LEAD for r in user.roles
        ):
            team = team_overdue_follow_ups(page=page)
            return self.render_template(
                "casefile/follow_ups.html",
                title="Überfällige Wiedervorlagen im Team",
                team=team,
                fu_page=team.page,
                fu_pages=team.pages,
                fmt_date=_fmt_date,
            )
        buckets = my_open_follow_ups(user.id, page=page)
        return self.render_template(
            "casefile/follow_ups.html",
            title=self.list_title,
            buckets=buckets,
            fu_page=buckets.page,
            fu_pages=buckets.pages,
            fmt_date=_fmt_date,
        )

    @expose("/add", methods=["GET"])
    @has_access
    def add(self) -> Any:
        """Follow-ups are set from the person's page."""
        flash("Wiedervorlagen legen Sie beim Dokumentieren auf der Fallakte an.", "info")
        return redirect(url_for("MyFollowUpView.list"))

    @expose("/new/<int:person_id>", methods=["POST"])
    @has_access
    def new(self, person_id: int) -> Response:
        """Wiedervorlage anlegen — on its own (date + subject) from the case file."""
        person = _person_or_404(person_id)
        try:
            due_on = parse_date(request.form.get("due_on"))
        except DateError as exc:
            flash("Die Wiedervorlage wurde nicht angelegt: " + exc.message, "danger")
            return redirect(url_for("PersonView.show", pk=person_id) + "#wiedervorlagen")
        try:
            create_follow_up(
                person,
                actor=_current_user(),
                due_on=due_on,
                title=request.form.get("title") or "",
            )
        except DomainError as exc:
            db.session.rollback()
            messages = [m for msgs in exc.errors.values() for m in msgs]
            flash("Die Wiedervorlage wurde nicht angelegt: " + " ".join(messages), "danger")
        else:
            flash(f"Wiedervorlage zum {_fmt_date(due_on)} angelegt.", "success")
        return redirect(url_for("PersonView.show", pk=person_id) + "#wiedervorlagen")

    @expose("/done/<int:pk>", methods=["POST"])
    @has_access
    def done(self, pk: int) -> Response:
        """Mark a follow-up as done (POST with CSRF token)."""
        follow_up = db.session.scalars(select(FollowUp).where(FollowUp.id == pk)).one_or_none()
        if follow_up is None:
            abort(404)
        if complete_follow_up(follow_up, actor=_current_user()):
            flash(f"„{follow_up.title}“ ist erledigt.", "success")
        from app.security.redirects import local_target

        return redirect(local_target(request.form.get("next"), url_for("MyFollowUpView.list")))


class ReferralView(DomainEditMixin, ScopedModelView):
    """Vermittlungen an Netzwerkpartner (R-6.2)."""

    datamodel = EagerSQLAInterface(Referral, Referral.person, Referral.partner)
    class_permission_name = matrix.REFERRAL
    list_title = _l("Vermittlungen")
    show_title = _l("Vermittlung")
    edit_title = _l("Vermittlung bearbeiten")
    list_columns = ["date", "person", "partner", "topic_code"]
    search_columns = ["date", "topic_code"]
    # person and partner stay as documented: no select over the whole person table or
    # partner directory (a referral is made from the case file's note form)
    edit_columns = [
        "date",
        "topic_code",
        "note",
        "outcome",
        "started_on",
        "cost_approval_state",
        "cost_approval_requested_on",
        "cost_approval_decided_on",
        "cost_approval_reference",
    ]
    show_columns = ["date", "person", "partner", "topic_code", *edit_columns[2:]]
    # the selects only collect: the verb checks the codes (the same message as REST)
    edit_form_extra_fields = {
        # the topic by its German label, the catalogue code stored (FAB's text field showed
        # the code); a retired topic of the referral stays a choice (edit_form_hints)
        "topic_code": SelectField(
            _l("Thema"),
            choices=lambda: [BLANK, *catalogue_choices("contact_topic")],
            validate_choice=False,
        ),
        "outcome": SelectField(
            _l("Ergebnis der Vermittlung"),
            choices=lambda: [BLANK, *catalogue_choices("referral_outcome")],
            validate_choice=False,
        ),
        "cost_approval_state": SelectField(
            _l("Kostenübernahme (Fachdienst Soziales und Wohnen)"),
            choices=[("", "– keine –"), *COST_APPROVAL_STATES.items()],
            validate_choice=False,
            description=_l(
                "Nur bei Vermittlung in spezifische Einzelfallbetreuung (z. B. Psychosoziales "
                "Zentrum, Frühförderung, Pflegedienst, Psychotherapie) für Leistungsberechtigte "
                "nach dem AsylbLG: die Betreuung beginnt erst nach der Bewilligung."
            ),
        ),
        "started_on": GermanDateField(
            _l("Betreuung begonnen am"),
            description=_l(
                "Leer lassen, solange die Betreuung nicht begonnen hat. Bei „Angebot "
                "wahrgenommen“ ohne Datum gilt bei Kostenübernahme-Fällen der heutige Tag."
            ),
        ),
        "cost_approval_requested_on": GermanDateField(_l("Kostenübernahme beantragt am")),
        "cost_approval_decided_on": GermanDateField(_l("Entschieden am")),
        "cost_approval_reference": StringField(_l("Aktenzeichen des Fachdienstes")),
    }
    formatters_columns = {
        "outcome": lambda code: _label("referral_outcome", code),
        "cost_approval_state": lambda code: COST_APPROVAL_STATES.get(code or "", "–"),
        "topic_code": lambda code: _label("contact_topic", code),
    }
    update_verb = staticmethod(update_referral)
    record_name = "Vermittlung"

    def edit_form_hints(self, form: Any, item: Any) -> None:
        """A topic that is no longer offered (retired) stays shown by its label."""
        if "topic_code" not in form:
            return
        field = form["topic_code"]
        code = field.data
        if code and code not in {value for value, _label_text in field.choices}:
            field.choices = [*field.choices, (code, _label("contact_topic", code))]

    label_columns = {
        "date": _l("Datum"),
        "person": _l("Person"),
        "partner": _l("Netzwerkpartner"),
        "topic_code": _l("Thema"),
        "note": _l("Anmerkung"),
        "outcome": _l("Ergebnis der Vermittlung"),
        "started_on": _l("Betreuung begonnen am"),
        "cost_approval_state": _l("Kostenübernahme"),
        "cost_approval_requested_on": _l("Kostenübernahme beantragt am"),
        "cost_approval_decided_on": _l("Entschieden am"),
        "cost_approval_reference": _l("Aktenzeichen des Fachdienstes"),
    }

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """Referrals are made from the person's page (partner search, no person dropdown)."""
        flash(
            "Bitte öffnen Sie die Fallakte der Person und vermitteln Sie beim Dokumentieren "
            "des Kontakts.",
            "info",
        )
        return redirect(url_for("PersonView.list"))

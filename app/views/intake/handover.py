"""Übergaben: the browser views (inbox, offer, decisions, shares) and the handover REST API."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect, safe

from app.models.intake import CONSENT_NOT_RECORDED, HANDOVER_STATUS_LABELS
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.intake import handover as ho
from app.services.intake import sharing
from app.services.intake.common import IntakeError
from app.views.intake.common import (
    HANDOVER_FORM_KEY,
    INBOX_PAGE_SIZE,
    SHARE_FORM_KEY,
    _body,
    _date,
    _flash_error,
    _id,
    _json_error,
)


class HandoverView(BaseView):
    """Übergaben — inbox of offers, offers sent; offer/accept/decline/withdraw; shares."""

    route_base = "/uebergaben"
    default_view = "inbox"
    class_permission_name = matrix.HANDOVER
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def inbox(self) -> Any:
        """Offers received (name and birth date only) and sent by the own organisation."""
        org_id = g.user.organisation_id
        rows = ho.handovers_of(org_id, limit=INBOX_PAGE_SIZE)
        incoming = [r for r in rows if r.to_organisation_id == org_id and r.status == "offered"]
        outgoing = [r for r in rows if r.from_organisation_id == org_id and r.status == "offered"]
        done = [r for r in rows if r.status != "offered"]
        return self.render_template(
            "intake/inbox.html",
            title="Übergaben",
            incoming=incoming,
            outgoing=outgoing,
            done=done,
        )

    @expose("/anbieten/<int:person_id>", methods=["POST"])
    @has_access
    def offer(self, person_id: int) -> Any:
        """Offer the person's case file to another provider (form on the case file)."""
        form = request.form
        try:
            to_org = int(form.get("to_organisation_id") or 0)
            consent = form.get("consent_given") == "1"
            ho.offer_handover(
                person_id,
                to_org,
                actor=g.user,
                scope=form.get("scope") or "master_data",
                consent_given=consent,
                consent_on=_date(form.get("consent_on")),
                consent_form=form.get("consent_form") or None,
                reason=form.get("reason"),
                include_household=form.get("include_household") == "1",
                consent_letter_language=form.get("consent_letter_language") or None,
                consent_letter_on=_date(form.get("consent_letter_on")),
            )
        except IntakeError as exc:
            if exc.status == 404:
                abort(404)
            _flash_error(exc)
        except ValueError:
            flash("Bitte eine empfangende Organisation wählen.", "danger")
        else:
            flash("Die Übergabe wurde angeboten.", "success")
            return redirect(url_for("PersonView.show", pk=person_id))
        # refused: the case file shows the form open again, with what was entered
        session[HANDOVER_FORM_KEY] = {
            key: form.get(key, "")
            for key in (
                "to_organisation_id",
                "scope",
                "reason",
                "consent_given",
                "consent_on",
                "consent_form",
                "include_household",
                "consent_letter_language",
                "consent_letter_on",
            )
        }
        return redirect(url_for("PersonView.show", pk=person_id) + "#bereich-handover")

    def _decide(self, pk: int, verb: str) -> Any:
        reason = request.form.get("reason")
        try:
            if verb == "accept":
                handover = ho.accept_handover(pk, actor=g.user, reason=reason)
                flash(
                    "Die Übergabe wurde angenommen; die Fallakte gehört jetzt Ihrem Träger.",
                    "success",
                )
                return redirect(url_for("PersonView.show", pk=handover.person_id))
            if verb == "decline":
                ho.decline_handover(pk, actor=g.user, reason=reason)
                flash("Die Übergabe wurde abgelehnt.", "info")
            else:
                handover = ho.withdraw_handover(pk, actor=g.user, reason=reason)
                flash("Das Übergabeangebot wurde zurückgezogen.", "info")
                return redirect(url_for("PersonView.show", pk=handover.person_id))
        except IntakeError as exc:
            if exc.status == 404:
                abort(404)
            _flash_error(exc)
        return redirect(url_for("HandoverView.inbox"))

    @expose("/<int:pk>/annehmen", methods=["POST"])
    @has_access
    def accept(self, pk: int) -> Any:
        return self._decide(pk, "accept")

    @expose("/<int:pk>/ablehnen", methods=["POST"])
    @has_access
    def decline(self, pk: int) -> Any:
        return self._decide(pk, "decline")

    @expose("/<int:pk>/zurueckziehen", methods=["POST"])
    @has_access
    def withdraw(self, pk: int) -> Any:
        return self._decide(pk, "withdraw")

    @expose("/freigabe/<int:person_id>", methods=["POST"])
    @has_access
    def share(self, person_id: int) -> Any:
        """Share the case file with the specialist service (or a provider) until a date."""
        form = request.form
        try:
            sharing.share_person(
                person_id,
                int(form.get("organisation_id") or 0),
                actor=g.user,
                until=_date(form.get("until")),
                consent_on=_date(form.get("consent_on")),
                note=form.get("note"),
                consent_letter_language=form.get("consent_letter_language") or None,
                consent_letter_on=_date(form.get("consent_letter_on")),
            )
        except IntakeError as exc:
            if exc.status == 404:
                abort(404)
            _flash_error(exc)
        except ValueError:
            flash("Bitte eine Organisation wählen.", "danger")
        else:
            flash("Die Fallakte wurde freigegeben.", "success")
            return redirect(url_for("PersonView.show", pk=person_id))
        # refused: the case file shows the share form again with what was entered
        session[SHARE_FORM_KEY] = {
            key: form.get(key, "")
            for key in (
                "organisation_id",
                "until",
                "consent_on",
                "consent_letter_language",
                "consent_letter_on",
            )
        }
        return redirect(url_for("PersonView.show", pk=person_id) + "#bereich-handover")

    @expose("/freigabe/<int:person_id>/<int:org_id>/beenden", methods=["POST"])
    @has_access
    def end_share(self, person_id: int, org_id: int) -> Any:
        """End a share now."""
        try:
            sharing.end_share(person_id, org_id, actor=g.user)
        except IntakeError as exc:
            if exc.status == 404:
                abort(404)
            _flash_error(exc)
        else:
            flash("Die Freigabe wurde beendet.", "info")
        return redirect(url_for("PersonView.show", pk=person_id))


class HandoverApi(BaseApi):
    """``/api/v1/handover/`` — offers of case files between providers (INTERFACES.md)."""

    resource_name = "handover"
    class_permission_name = matrix.HANDOVER
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]
    allow_browser_login = False
    openapi_spec_tag = "Übergabe"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def handover_list(self) -> Response:
        """Offers sent or received by the caller's organisation, newest first.
        ---
        get:
          summary: Übergaben der eigenen Organisation
          parameters:
          - {in: query, name: status, schema: {type: string}}
          - {in: query, name: page, schema: {type: integer}}
          responses:
            200: {description: "{result: [...]}"}
        """
        status = request.args.get("status") or None
        if status is not None and status not in HANDOVER_STATUS_LABELS:
            return self.response_400(message="Unbekannter Status.")
        try:
            page = int(request.args.get("page", 0))
        except ValueError:
            return self.response_400(message="page muss eine Zahl sein.")
        if not 0 <= page <= 100000:
            return self.response_400(message="page muss zwischen 0 und 100000 liegen.")
        rows = ho.handovers_of(
            g.user.organisation_id,
            status=status,
            limit=INBOX_PAGE_SIZE,
            offset=page * INBOX_PAGE_SIZE,
        )
        return self.response(200, result=[r.as_json() for r in rows])

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def handover_post(self) -> Response:
        """Offer a person's case file to another provider.
        ---
        post:
          summary: Übergabe anbieten
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    person_id: {type: integer}
                    to_organisation_id: {type: integer}
                    scope: {type: string, enum: [full, master_data]}
                    consent_given: {type: boolean}
                    consent_on: {type: string, format: date}
                    consent_form:
                      type: string
                      enum: [written, oral, not_recorded]
                      default: not_recorded
                    reason: {type: string}
                    include_household: {type: boolean}
                    consent_letter_language:
                      type: string
                      nullable: true
                      description: the consent letter handed out (de or a letter language)
                    consent_letter_on:
                      type: string
                      format: date
                      nullable: true
                      description: the day it was handed out (default consent_on)
          responses:
            201: {description: "{id, status}"}
            400: {description: Ungültige Angaben}
            404: {description: Person nicht gefunden}
            409: {description: Es gibt schon ein offenes Angebot}
        """
        body = _body()
        if body is None:
            return self.response_400(message="Erwartet wird ein JSON-Objekt.")
        allowed = {
            "person_id",
            "to_organisation_id",
            "scope",
            "consent_given",
            "consent_on",
            "consent_form",
            "reason",
            "include_household",
            "consent_letter_language",
            "consent_letter_on",
        }
        unknown = sorted(set(body) - allowed)
        if unknown:
            return self.response_400(message=f"Unbekannte Felder: {', '.join(unknown)}")
        person_id, to_org = body.get("person_id"), body.get("to_organisation_id")
        if not _id(person_id) or not _id(to_org):
            return self.response_400(
                message="person_id und to_organisation_id sind Pflicht (Zahlen)."
            )
        for flag in ("consent_given", "include_household"):
            if flag in body and not isinstance(body[flag], bool):
                return self.response_400(message=f"{flag} muss true oder false sein.")
        reason = body.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 5000):
            return self.response_400(message="reason muss ein Text sein (höchstens 5000 Zeichen).")
        scope = body.get("scope", "master_data")
        consent_form = body.get("consent_form")
        letter_language = body.get("consent_letter_language")
        if (
            not isinstance(scope, str)
            or (consent_form is not None and not isinstance(consent_form, str))
            or (letter_language is not None and not isinstance(letter_language, str))
        ):
            return self.response_400(
                message="scope, consent_form und consent_letter_language sind Texte."
            )
        try:
            handover = ho.offer_handover(
                person_id,
                to_org,
                actor=g.user,
                scope=scope,
                consent_given=bool(body.get("consent_given", False)),
                consent_on=_date(body.get("consent_on")),
                # optional (added to the documented request): "nicht angegeben" when absent
                consent_form=CONSENT_NOT_RECORDED if consent_form is None else consent_form,
                reason=reason,
                include_household=bool(body.get("include_household", False)),
                # optional: the consent letter handed out (language, day; default: consent_on)
                consent_letter_language=letter_language,
                consent_letter_on=_date(body.get("consent_letter_on")),
            )
        except IntakeError as exc:
            return _json_error(self, exc)
        return self.response(201, id=handover.id, status=handover.status)

    def _decide(self, pk: int, verb: str) -> Response:
        body = request.get_json(silent=True) if request.data else {}
        if not isinstance(body, dict):
            return self.response_400(message="Erwartet wird ein JSON-Objekt.")
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            return self.response_400(message="reason muss ein Text sein.")
        try:
            if verb == "accept":
                handover = ho.accept_handover(pk, actor=g.user, reason=reason)
            elif verb == "decline":
                handover = ho.decline_handover(pk, actor=g.user, reason=reason)
            else:
                handover = ho.withdraw_handover(pk, actor=g.user, reason=reason)
        except IntakeError as exc:
            return _json_error(self, exc)
        return self.response(200, id=handover.id, status=handover.status)

    @expose("/<int:pk>/accept", methods=["POST"])
    @protect()
    @safe
    def accept(self, pk: int) -> Response:
        """Accept an offer (receiving organisation).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: "{id, status: accepted}"}
            403: {description: Nicht die empfangende Organisation}
            404: {description: Nicht gefunden}
            409: {description: Nicht mehr offen}
        """
        return self._decide(pk, "accept")

    @expose("/<int:pk>/decline", methods=["POST"])
    @protect()
    @safe
    def decline(self, pk: int) -> Response:
        """Decline an offer with a reason (receiving organisation).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: "{id, status: declined}"}
            400: {description: Grund fehlt}
            403: {description: Nicht die empfangende Organisation}
            404: {description: Nicht gefunden}
            409: {description: Nicht mehr offen}
        """
        return self._decide(pk, "decline")

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @safe
    def withdraw(self, pk: int) -> Response:
        """Withdraw an offer until it is accepted (sending organisation).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: "{id, status: withdrawn}"}
            403: {description: Nicht die anbietende Organisation}
            404: {description: Nicht gefunden}
            409: {description: Nicht mehr offen}
        """
        return self._decide(pk, "withdraw")

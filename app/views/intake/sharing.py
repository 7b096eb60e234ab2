"""Freigaben: the shares REST API of a case file."""

from __future__ import annotations

from flask import Response, g
from flask_appbuilder import expose
from flask_appbuilder.api import BaseApi, protect, safe
from sqlalchemy import select

from app.extensions import db
from app.models import Person
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.intake import sharing
from app.services.intake.common import IntakeError
from app.views.intake.common import _body, _date, _id, _json_error


class PersonShareApi(BaseApi):
    """``/api/v1/person/<id>/shares`` — shares of a case file (INTERFACES.md)."""

    resource_name = "person"
    class_permission_name = matrix.PERSON
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]
    allow_browser_login = False
    openapi_spec_tag = "Freigabe"

    @staticmethod
    def _visible(pk: int) -> bool:
        # a scoped SELECT: the caller must see the person
        return db.session.scalar(select(Person.id).where(Person.id == pk)) is not None

    @expose("/<int:pk>/shares", methods=["GET"])
    @protect()
    @safe
    def shares_get(self, pk: int) -> Response:
        """Shares of a person.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: "{result: [{organisation_id, organisation, until, active}]}"}
            404: {description: Person nicht gefunden}
        """
        if not self._visible(pk):
            return self.response(404, message="Die Person wurde nicht gefunden.")
        return self.response(200, result=[s.as_json() for s in sharing.shares_of(pk)])

    @expose("/<int:pk>/shares", methods=["POST"])
    @protect()
    @safe
    def shares_post(self, pk: int) -> Response:
        """Share a person's case file with an organisation until a date (owner only).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    organisation_id: {type: integer}
                    until: {type: string, format: date}
                    consent_on: {type: string, format: date}
                    note: {type: string}
                    consent_letter_language: {type: string, nullable: true}
                    consent_letter_on: {type: string, format: date, nullable: true}
          responses:
            201: {description: "{organisation_id, until, consent_on, active}"}
            400: {description: Ungültige Angaben}
            403: {description: Nicht der Träger der Fallakte}
            404: {description: Person nicht gefunden}
        """
        body = _body()
        if body is None:
            return self.response_400(message="Erwartet wird ein JSON-Objekt.")
        allowed = {"organisation_id", "until", "consent_on", "note"}
        allowed |= {"consent_letter_language", "consent_letter_on"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            return self.response_400(message=f"Unbekannte Felder: {', '.join(unknown)}")
        org_id = body.get("organisation_id")
        note = body.get("note")
        if not _id(org_id) or (note is not None and not isinstance(note, str)):
            return self.response_400(message="organisation_id ist Pflicht (Zahl).")
        letter_language = body.get("consent_letter_language")
        if letter_language is not None and not isinstance(letter_language, str):
            return self.response_400(message="consent_letter_language ist ein Text.")
        if not self._visible(pk):
            return self.response(404, message="Die Person wurde nicht gefunden.")
        try:
            share = sharing.share_person(
                pk,
                org_id,
                actor=g.user,
                until=_date(body.get("until")),
                consent_on=_date(body.get("consent_on")),
                note=note,
                consent_letter_language=letter_language,
                consent_letter_on=_date(body.get("consent_letter_on")),
            )
        except IntakeError as exc:
            return _json_error(self, exc)
        return self.response(
            201,
            organisation_id=share.organisation_id,
            until=share.until.isoformat() if share.until else None,
            consent_on=share.consent_on.isoformat(),
            consent_letter_language=share.consent_letter_language,
            consent_letter_on=(
                share.consent_letter_on.isoformat() if share.consent_letter_on else None
            ),
            active=True,
        )

    @expose("/<int:pk>/shares/<int:org_id>", methods=["DELETE"])
    @protect()
    @safe
    def shares_delete(self, pk: int, org_id: int) -> Response:
        """End the share of a person with an organisation (owner only).
        ---
        delete:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: org_id, required: true, schema: {type: integer}}
          responses:
            200: {description: beendet}
            403: {description: Nicht der Träger der Fallakte}
            404: {description: Keine solche Freigabe}
        """
        if not self._visible(pk):
            return self.response(404, message="Die Person wurde nicht gefunden.")
        try:
            sharing.end_share(pk, org_id, actor=g.user)
        except IntakeError as exc:
            return _json_error(self, exc)
        return self.response(200, message="Die Freigabe wurde beendet.")

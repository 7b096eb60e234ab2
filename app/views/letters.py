"""Schreiben an Klientinnen und Klienten: bilingual letters from the case file and the REST API.

Page: the section "Schreiben" of the case file offers each kind with its record (appointment,
handover, receiving organisation) and the language; ``/schreiben/<person>/<kind>.pdf?lang=``
answers the PDF. REST: ``GET /api/v1/person/<id>/letters/<kind>.pdf?lang=<code>`` (404 outside
the caller's scope, 400 for an unknown kind or language). Both need write access to the case
file (the reviewer reads files but writes no letters); every letter printed is access-logged.
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, g, request, send_file
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect, safe
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.models import Appointment, Handover, Organisation
from app.models.organisation import OrganisationKind
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.documents import letters
from app.services.documents.letter_data import LetterNotFoundError, letter_pdf
from app.views.hub import HubSection, register_hub_section


def _organisation_id() -> int | None:
    user = g.get("user")
    return getattr(user, "organisation_id", None)


def _send(person_id: int, kind: str) -> tuple[int, Any]:
    lang = (request.args.get("lang") or "de").strip()
    try:
        result = letter_pdf(person_id, kind, lang, request.args, _organisation_id())
    except letters.LetterError as exc:
        return 400, str(exc)
    except LetterNotFoundError:
        return 404, None
    return 200, send_file(
        io.BytesIO(result.data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=result.filename,
        max_age=0,
    )


class LetterView(BaseView):
    """Schreiben als PDF aus der Fallakte."""

    route_base = "/schreiben"
    class_permission_name = matrix.PERSON
    method_permission_name = READ_WRITE_METHODS
    default_view = "letter"

    @expose("/<int:person_id>/<kind>.pdf")
    @has_access
    def letter(self, person_id: int, kind: str) -> Response:
        status, body = _send(person_id, kind)
        if status != 200:
            abort(status, description=body)
        response: Response = body
        return response


class LetterApi(BaseApi):
    """REST: /api/v1/person/<id>/letters/<kind>.pdf — a bilingual letter to the client."""

    resource_name = "person"
    class_permission_name = matrix.PERSON
    method_permission_name = READ_WRITE_METHODS
    allow_browser_login = False
    openapi_spec_tag = "Schreiben"

    @expose("/<int:pk>/letters/<kind>.pdf", methods=["GET"])
    @protect()
    @safe
    def letter(self, pk: int, kind: str) -> Response:
        """Download a letter to the client (German and, where reviewed, the client's language).
        ---
        get:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          - in: path
            name: kind
            schema:
              type: string
              enum: [appointment, consent_handover, consent_sharing, move_papers, counselling_end]
          - in: query
            name: lang
            schema: {type: string}
          - in: query
            name: appointment_id
            schema: {type: integer}
          - in: query
            name: handover_id
            schema: {type: integer}
          - in: query
            name: organisation_id
            schema: {type: integer}
          - in: query
            name: to_organisation_id
            description: consent_handover before the offer is sent (without handover_id)
            schema: {type: integer}
          - in: query
            name: scope
            schema: {type: string, enum: [master_data, full], default: master_data}
          - in: query
            name: include_household
            schema: {type: boolean, default: false}
          responses:
            200:
              description: the letter as PDF
              content:
                application/pdf: {}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
        """
        status, body = _send(pk, kind)
        if status == 400:
            return self.response_400(message=body)
        if status == 404:
            return self.response_404()
        response: Response = body
        return response


# -- the case file's section "Schreiben" ---------------------------------------------------------


def _queries(person: Any) -> dict[str, Any]:
    org_id = _organisation_id()
    return {
        "appointments": select(Appointment.id, Appointment.date, Appointment.start_time)
        .where(Appointment.person_id == person.id)
        .order_by(Appointment.date.desc(), Appointment.id.desc())
        .limit(10),
        "handovers": select(Handover.id, Handover.to_organisation_id, Handover.status)
        .where(
            Handover.person_id == person.id,
            (Handover.from_organisation_id == org_id) | (Handover.to_organisation_id == org_id),
        )
        .order_by(Handover.id.desc())
        .limit(5),
        "receivers": select(Organisation.id, Organisation.name, Organisation.kind)
        .where(Organisation.kind != OrganisationKind.county, Organisation.id != org_id)
        .order_by(Organisation.kind, Organisation.name)
        .limit(50),
    }


def _context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    names = {row.id: row.name for row in data.get("receivers", [])}
    return {
        "appointments": data.get("appointments", []),
        "handovers": [
            (row.id, names.get(row.to_organisation_id, "einen anderen Träger"), row.status)
            for row in data.get("handovers", [])
        ],
        "receivers": data.get("receivers", []),
        "languages": letters.language_choices(),
        # consent to a share is collected by the holder before sharing (not by a recipient)
        "holder": person.organisation_id == _organisation_id(),
        "preferred": letters.preferred_language(
            [person.interpreter_language, *(person.languages or [])]
        ),
        "kinds": letters.KINDS,
    }


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view_no_menu(LetterView())
    appbuilder.add_api(LetterApi)
    register_hub_section(
        HubSection(
            key="letters",
            title="Schreiben an die Klientin / den Klienten",
            template="casefile/letters_section.html",
            context=_context,
            queries=_queries,
            order=180,
            permission=("can_write", matrix.PERSON),
            wide=True,
        )
    )

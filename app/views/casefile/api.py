"""REST resource of the case files (INTERFACES.md): person — and the special categories of a
person.

Reads use FAB's ModelRestApi (row scoping applies automatically, see app.security.scoping).
Writes go through the person's verbs (app.services.casefile.persons: ``create_person``,
``update_person``); refusals answer in the one shape of domain errors
(app/views/casefile/record_api.py), PUT needs the ``version`` it read (409 otherwise).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, g, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import protect
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from app.dates import parse_date
from app.extensions import db
from app.models import Person, PersonSensitive
from app.models.person import counselling_end
from app.security import duplicate_throttle, matrix
from app.security.scoping import current_scope
from app.services.casefile import persons as person_service
from app.services.data_protection.access_log import log_accesses
from app.services.errors import DomainError
from app.services.record_payloads import MSG_CONFLICT, FieldSpec, PayloadError
from app.views.casefile.child_place_api import ChildPlaceApi
from app.views.casefile.record_api import (
    MSG_CHECK_THROTTLED,
    MSG_FORBIDDEN,
    MSG_NOT_FOUND,
    VerbRecordApi,
    _is_reviewer,
)

SENSITIVE_FIELDS = (
    "health",
    "addiction_in_family",
    "religion",
    "biographical_events",
    "criminal_proceedings",
)


#: the fields of a person in answers and writes (the verb's fields)
PERSON_FIELDS = list(person_service.PERSON_FIELDS)


class PersonApi(VerbRecordApi):
    """REST: /api/v1/person/ — case files of the caller's provider (R-2.1)."""

    resource_name = "person"
    datamodel = SQLAInterface(Person)
    class_permission_name = matrix.PERSON
    versioned = True
    read_log_category = "case_file"
    list_columns = ["id", *PERSON_FIELDS, "version"]
    show_columns = ["id", *PERSON_FIELDS, "version", "created_at", "updated_at"]
    add_columns = edit_columns = PERSON_FIELDS
    search_columns = [
        "first_name",
        "last_name",
        "birth_date",
        "file_number",
        "moved_away_on",
        "nationality",
        "household_id",
        "employable",
    ]
    order_columns = ["last_name", "first_name", "birth_date", "id"]
    base_order = ("last_name", "asc")

    #: every field but the flag goes to the verb as sent: it reads dates (app/dates.py),
    #: checks limits, catalogues and links with its keys
    RAW_FIELDS = tuple(f for f in PERSON_FIELDS if f != "employable")

    def add_specs(self) -> dict[str, FieldSpec]:
        """Shapes only; every rule of a person is app.services.casefile.persons'."""
        return {"employable": FieldSpec("bool")}

    def create(self, data: dict[str, Any], within: Any) -> Any:
        return person_service.create_person(data, actor=g.user, channel="API", within=within)

    def update(self, item: Any, data: dict[str, Any]) -> Any:
        version = data.pop("version")
        return person_service.update_person(
            item, actor=g.user, changes=data, version=version, channel="API"
        )

    @expose("/search", methods=["GET"])
    @protect()
    @safe
    def search(self) -> Response:
        """Personensuche: the same matching as the search field of the UI.
        ---
        get:
          parameters:
          - in: query
            schema:
              type: string
            name: q
            description: any part of first or last name (transliteration- and
              diacritics-tolerant), file number or birth date (TT.MM.JJJJ)
          responses:
            200:
              description: result — a list of id, first_name, last_name, birth_date and
                file_number of at most 50 visible persons, best first
            401:
              $ref: '#/components/responses/401'
        """
        from app.services.casefile.search import search_persons

        q = (request.args.get("q") or "").strip()[:200]
        hits = search_persons(q)
        result = [h.as_json() for h in hits]
        if _is_reviewer() and hits:
            log_accesses([(h.id, "read", "case_file", "API Personensuche") for h in hits])
        return self.response(200, result=result)

    def post_headless(self) -> Response:
        """Create a person — 409 with the candidates when it may exist already.

        The body is checked by the verb's rules first; only a valid body reaches the duplicate
        check (``before_verb``), so that an invalid one cannot probe it."""
        payload = request.get_json(silent=True)
        g.msa_confirm_new = False
        if isinstance(payload, dict) and "confirm_new" in payload:
            confirm = payload.pop("confirm_new")  # the cached JSON: the create below reads it
            if not isinstance(confirm, bool):
                return self._refused(
                    DomainError(
                        "Erwartet wird true oder false.",
                        field="confirm_new",
                        key="confirm_new.format",
                    )
                )
            g.msa_confirm_new = confirm
        return super().post_headless()

    def before_verb(self, data: dict[str, Any]) -> Response | None:
        """The verb's checks (nothing written), then the duplicate check unless confirmed."""
        values = person_service.check_person(data, organisation_id=g.user.organisation_id)
        if g.get("msa_confirm_new"):
            return None
        return self._duplicates(values["first_name"], values["last_name"], values["birth_date"])

    def _duplicates(self, first: str, last: str, birth_date: dt.date) -> Response | None:
        """The duplicate check (R-2.6): throttled per account, every check access-logged."""
        from app.services.casefile.duplicates import find_duplicates
        from app.services.intake.duplicates import (
            known_elsewhere,
            log_check,
            log_refused_check,
            provider_names,
        )

        if not duplicate_throttle.allow(g.user):
            log_refused_check("API")
            return self._error(429, MSG_CHECK_THROTTLED)
        own = find_duplicates(first, last, birth_date)
        scope = current_scope()
        others = known_elsewhere(
            first, last, birth_date, organisation_id=scope.organisation_id if scope else None
        )
        candidates: list[dict[str, Any]] = [
            {
                "id": d.id,
                "first_name": d.first_name,
                "last_name": d.last_name,
                "birth_date": d.birth_date.isoformat(),
                "file_number": d.file_number,
                "score": d.score,
                "reasons": list(d.reasons),
            }
            for d in own
        ]
        candidates += [{"organisation": name} for name in provider_names(others)]
        names = ", ".join(provider_names(others))
        log_check(others, "API", own_hits=len(own))
        if not own and not others:
            return None
        message = (
            f"Die Person ist bereits bei {names} bekannt; fragen Sie dort eine Übergabe an. "
            if others
            else "Möglicherweise gibt es diese Person schon "
            "(gleiches Geburtsdatum, ähnlicher Name). "
        ) + 'Wenn es eine andere Person ist, senden Sie "confirm_new": true.'
        return self.response(409, message=message, candidates=candidates)

    def finish_row(self, row: dict[str, Any]) -> None:
        """``counselling_ends_on``: 3 months after moving into own housing (R-2.3)."""
        moved_in = row.get("moved_in_own_housing_on")
        if "moved_in_own_housing_on" not in row:
            return
        ends = None
        if isinstance(moved_in, str):
            end = counselling_end(parse_date(moved_in), row.get("benefit_basis"))
            ends = end.isoformat() if end else None
        row["counselling_ends_on"] = ends

    # -- special categories (R-2.2) ----------------------------------------------------------
    def _sensitive_person(self, pk: int, permission: str) -> tuple[Any, Response | None]:
        if not current_app.appbuilder.sm.has_access(permission, matrix.SENSITIVE):
            return None, self._error(403, MSG_FORBIDDEN)
        person = self.datamodel.get(pk, self._base_filters)
        if person is None:
            return None, self._error(404, MSG_NOT_FOUND)
        return person, None

    @staticmethod
    def _sensitive_dump(row: PersonSensitive | None) -> dict[str, Any]:
        out: dict[str, Any] = {f: getattr(row, f) if row else None for f in SENSITIVE_FIELDS}
        out["version"] = row.version if row else None
        return out

    @expose("/<int:pk>/sensitive", methods=["GET"])
    @protect()
    @safe
    def sensitive_get(self, pk: int) -> Response:
        """Special categories of one person; every read is logged.
        ---
        get:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: health, addiction_in_family, religion, biographical_events,
                criminal_proceedings, version
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        person, error = self._sensitive_person(pk, "can_read")
        if error is not None:
            return error
        from app.services.casefile.sensitive import log_sensitive_read, read_sensitive

        result = self._sensitive_dump(read_sensitive(person.id))
        log_sensitive_read(person.id, channel="API")  # after the dump: the commit expires rows
        return self.response(200, id=person.id, result=result)

    @expose("/<int:pk>/sensitive", methods=["PUT"])
    @protect()
    @safe
    def sensitive_put(self, pk: int) -> Response:
        """Change the special categories of one person (``version`` required once they exist).
        ---
        put:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: changed
            400:
              $ref: '#/components/responses/400'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              description: changed by someone else since it was read
        """
        person, error = self._sensitive_person(pk, "can_write")
        if error is not None:
            return error
        from app.services.casefile.sensitive import SensitiveConflictError, save_sensitive

        payload = request.get_json(silent=True)
        try:
            row = save_sensitive(person.id, payload, channel="API")
        except PayloadError as exc:
            db.session.rollback()
            return self._error(400, exc.errors)
        except (SensitiveConflictError, StaleDataError):
            db.session.rollback()
            return self._error(409, MSG_CONFLICT)
        return self.response(200, id=person.id, result=self._sensitive_dump(row))


APIS = (PersonApi, ChildPlaceApi)


def register(appbuilder: AppBuilder) -> None:
    """Register the case-record REST resources."""
    for api in APIS:
        appbuilder.add_api(api)

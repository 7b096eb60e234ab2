"""REST resources of the case records (INTERFACES.md): person, contact note, group session,
referral, follow-up — and the special categories of a person.

Reads use FAB's ModelRestApi (row scoping applies automatically, see app.security.scoping).
Writes do not use FAB's schema loading: every POST/PUT payload is checked field by field in
app.services.record_payloads (no mass assignment, catalogue codes, related ids of the caller's
scope only), the organisation is taken from the user or the person, and PUT of a versioned
record needs the ``version`` it read (409 otherwise).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from flask import current_app, g, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import protect
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from app.dates import parse_date
from app.extensions import db
from app.models import (
    Accommodation,
    Household,
    MsaUser,
    Person,
    PersonSensitive,
)
from app.models.base import utcnow
from app.models.person import counselling_end
from app.security import duplicate_throttle, matrix
from app.security.scoping import ScopeViolationError, current_scope
from app.services.data_protection.access_log import log_access, log_accesses
from app.services.record_payloads import (
    MSG_CONFLICT,
    MSG_NOT_JSON,
    MSG_REF,
    FieldSpec,
    PayloadError,
    clean,
)
from app.services.statistics.periods import ClosedPeriodError
from app.views.base import MsaModelRestApi

MSG_NOT_FOUND = "Der Datensatz wurde nicht gefunden."
MSG_FORBIDDEN = "Keine Berechtigung für diese Aktion."
MSG_SCOPE = "Ein verknüpfter Datensatz ist nicht zugänglich – es wurde nichts gespeichert."
MSG_INTEGRITY = "Der Datensatz widerspricht vorhandenen Daten – es wurde nichts gespeichert."
MSG_CHECK_THROTTLED = duplicate_throttle.MESSAGE

SENSITIVE_FIELDS = (
    "health",
    "addiction_in_family",
    "religion",
    "biographical_events",
    "criminal_proceedings",
)


def _is_reviewer() -> bool:
    user = g.get("user")
    return bool(user) and any(r.name == matrix.ROLE_REVIEWER for r in getattr(user, "roles", []))


def _own_org_user_ids(ids: list[int]) -> set[int]:
    """Return the ids among ``ids`` of active users of the caller's organisation."""
    scope = current_scope()
    if scope is None or scope.organisation_id is None or not ids:
        return set()
    rows = db.session.execute(
        select(MsaUser.id).where(
            MsaUser.id.in_(ids), MsaUser.organisation_id == scope.organisation_id
        )
    ).scalars()
    return set(rows)


class CaseRecordApi(MsaModelRestApi):
    """Common write path of the case-record resources.

    No DELETE (issue 16): case records are corrected by PUT (with version history), a person
    who left gets ``moved_away_on``; only the retention procedure destroys case files.
    """

    exclude_route_methods = {"delete"}

    #: record carries ``version`` (PUT must send it)
    versioned: ClassVar[bool] = False
    #: log reads by reviewers (Prüfer) in the access log under this category
    read_log_category: ClassVar[str | None] = None
    page_size = 25
    max_page_size = 100

    # -- specification of writable fields ---------------------------------------------------
    def add_specs(self) -> dict[str, FieldSpec]:
        raise NotImplementedError

    def edit_specs(self) -> dict[str, FieldSpec]:
        specs = dict(self.add_specs())
        specs.pop("person_id", None)  # a record never moves to another person
        return specs

    def apply(self, item: Any, data: dict[str, Any], *, created: bool) -> None:
        """Copy checked values onto the model (subclasses handle lists and defaults)."""
        for key, value in data.items():
            setattr(item, key, value)

    def check(self, item: Any, data: dict[str, Any]) -> dict[str, str]:
        """Cross-field checks after ``apply`` (field → German message)."""
        return {}

    # -- serialisation extras ----------------------------------------------------------------
    def extras(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Additional response fields per id (one query for all ids, never one per row)."""
        return {}

    def finish_row(self, row: dict[str, Any]) -> None:
        """Derived fields computed from a dumped row (no query)."""

    def pre_get(self, data: dict[str, Any]) -> None:
        result = data.get("result")
        if isinstance(result, dict):
            result.update(self.extras([int(data["id"])]).get(int(data["id"]), {}))
            self.finish_row(result)
            self._log_reviewer_reads([result], [int(data["id"])])

    def pre_get_list(self, data: dict[str, Any]) -> None:
        ids = [int(i) for i in data.get("ids", [])]
        extras = self.extras(ids)
        for pk, row in zip(ids, data.get("result", []), strict=False):
            row.setdefault("id", pk)
            row.update(extras.get(pk, {}))
            self.finish_row(row)
        self._log_reviewer_reads(data.get("result", []), ids)

    def _log_reviewer_reads(self, rows: list[dict[str, Any]], ids: list[int]) -> None:
        if self.read_log_category is None or not _is_reviewer() or not ids:
            return
        log_accesses(
            [
                (
                    pk if self.datamodel.obj is Person else row.get("person_id"),
                    "read",
                    self.read_log_category,
                    f"API {self.resource_name} {pk}",
                )
                for pk, row in zip(ids, rows, strict=False)
            ]
        )

    def _dump(self, item: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.show_model_schema.dump(item, many=False)
        result["id"] = item.id
        result.update(self.extras([item.id]).get(item.id, {}))
        self.finish_row(result)
        return result

    def _error(self, code: int, message: Any) -> Response:
        return self.response(code, message=message)

    # -- writes ------------------------------------------------------------------------------
    def _commit(self) -> Response | None:
        """Commit the write (refusals as in :meth:`_write`)."""
        return self._write(db.session.commit)

    def _write(self, step: Any) -> Response | None:
        """Run ``flush`` or ``commit``: refusals of the scope, a closed quarter, the version and
        the integrity roll back and answer 400/409 with the German message."""
        try:
            step()
        except ScopeViolationError:
            db.session.rollback()
            return self._error(400, MSG_SCOPE)
        except ClosedPeriodError as exc:
            db.session.rollback()
            return self._error(409, exc.message)
        except StaleDataError:
            db.session.rollback()
            return self._error(409, MSG_CONFLICT)
        except IntegrityError:
            db.session.rollback()
            return self._error(400, MSG_INTEGRITY)
        return None

    def before_create(self, item: Any) -> Response | None:
        """Hook after the body was validated, before the row is written (a refusal reply)."""
        return None

    def after_write(self, item: Any, action: str) -> None:
        """Hook after a successful create/update (access log of persons)."""

    def created_body(self, item: Any) -> dict[str, Any]:
        return self._dump(item)

    def _flush(self) -> Response | None:
        """Flush the write: refusals come here, before the reply is built."""
        return self._write(db.session.flush)

    def post_headless(self) -> Response:
        """Create; the reply is built before the commit, so that nothing after the commit can
        turn a committed create into an error; ``Idempotency-Key`` makes retries safe."""
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self._error(400, MSG_NOT_JSON)
        key, fp, early = self.idempotency_begin()
        if early is not None:
            return early
        try:
            try:
                data = clean(payload, self.add_specs(), partial=False)
            except PayloadError as exc:
                return self._error(400, exc.errors)
            item = self.datamodel.obj()
            self.apply(item, data, created=True)
            problems = self.check(item, data)
            if problems:
                return self._error(400, problems)
            refused = self.before_create(item)
            if refused is not None:
                return refused
            db.session.add(item)
            failed = self._flush()
            if failed is not None:
                return failed
            body = self._dump(item)
            self.after_write(item, "create")  # access log in the same transaction
            self.idempotency_remember(key, fp, item)
            failed = self._commit()
            if failed is not None:
                return self.idempotency_race(key, fp) or failed
            return self.response(201, id=body["id"], result=body)
        finally:
            self.idempotency_end(key)

    def put_headless(self, pk: Any) -> Response:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self._error(404, MSG_NOT_FOUND)
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self._error(400, MSG_NOT_JSON)
        try:
            data = clean(payload, self.edit_specs(), partial=True, versioned=self.versioned)
        except PayloadError as exc:
            return self._error(400, exc.errors)
        if self.versioned and data.pop("version") != item.version:
            db.session.rollback()
            return self._error(409, MSG_CONFLICT)
        touched = bool(data)
        self.apply(item, data, created=False)
        if touched and hasattr(item, "updated_at"):
            # child rows (topics, participants) count as a change of the record: new version
            item.updated_at = utcnow()
        problems = self.check(item, data)
        if problems:
            db.session.rollback()
            return self._error(400, problems)
        failed = self._flush()
        if failed is not None:
            return failed
        body = self._dump(item)
        self.after_write(item, "update")  # access log in the same transaction
        failed = self._commit()
        if failed is not None:
            return failed
        return self.response(200, id=body["id"], result=body)

    def delete_headless(self, pk: Any) -> Response:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self._error(404, MSG_NOT_FOUND)
        person_id = item.id if isinstance(item, Person) else None
        db.session.delete(item)
        failed = self._commit()
        if failed is not None:
            return failed
        if person_id is not None:
            log_access(person_id, "delete", detail="API")
        return self.response(200, message="Gelöscht.")


def _person_specs() -> dict[str, FieldSpec]:
    return {
        "file_number": FieldSpec("str", max_len=32),
        "first_name": FieldSpec("str", required=True, max_len=100),
        "last_name": FieldSpec("str", required=True, max_len=100),
        "first_name_original": FieldSpec("str", max_len=200),
        "last_name_original": FieldSpec("str", max_len=200),
        "birth_date": FieldSpec("date", required=True, past_only=True),
        "sex": FieldSpec("code", catalogue="sex"),
        "nationality": FieldSpec("code", catalogue="nationality"),
        "languages_spoken": FieldSpec("str", max_len=300),
        "phone": FieldSpec("str", max_len=50),
        "email": FieldSpec("str", max_len=200, email=True),
        "residence_status": FieldSpec("code", catalogue="residence_status"),
        "residence_legal_basis": FieldSpec("str", max_len=100),
        "residence_valid_until": FieldSpec("date"),
        "procedure_stage": FieldSpec("code", catalogue="procedure_stage"),
        "benefit_basis": FieldSpec("code", catalogue="benefit_basis"),
        "family_status": FieldSpec("code", catalogue="marital_status"),
        "household_id": FieldSpec("ref", model=Household),
        "household_role": FieldSpec("str", max_len=64),
        "accommodation_id": FieldSpec("ref", model=Accommodation),
        "private_interests": FieldSpec("text", max_len=5000),
        "employable": FieldSpec("bool"),
        "assigned_on": FieldSpec("date"),
        "moved_in_own_housing_on": FieldSpec("date"),
        "moved_away_on": FieldSpec("date"),
        "caseworker_id": FieldSpec("int"),
    }


PERSON_FIELDS = list(_person_specs())


class PersonApi(CaseRecordApi):
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

    def add_specs(self) -> dict[str, FieldSpec]:
        return _person_specs()

    @expose("/search", methods=["GET"])
    @protect()
    @safe
    def search(self) -> Response:
        """Personensuche: the same matching as the search field of the UI (issue 16).
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
        """Create a person — 409 with the candidates when it may exist already (issue 14).

        The body is validated first; only a valid body reaches the duplicate check
        (``before_create``), so that an invalid one cannot probe it."""
        payload = request.get_json(silent=True)
        g.msa_confirm_new = False
        if isinstance(payload, dict) and "confirm_new" in payload:
            confirm = payload.pop("confirm_new")  # the cached JSON: the create below reads it
            if not isinstance(confirm, bool):
                return self._error(400, {"confirm_new": "Erwartet wird true oder false."})
            g.msa_confirm_new = confirm
        return super().post_headless()

    def before_create(self, item: Any) -> Response | None:
        if g.get("msa_confirm_new"):
            return None
        if item in db.session:  # the check commits its log row: never the unchecked person
            db.session.expunge(item)
        return self._duplicates(item.first_name, item.last_name, item.birth_date)

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

    def check(self, item: Any, data: dict[str, Any]) -> dict[str, str]:
        problems: dict[str, str] = {}
        cw = data.get("caseworker_id")
        if cw is not None and not _own_org_user_ids([cw]):
            problems["caseworker_id"] = MSG_REF.format(value=cw)
        if item.moved_away_on and item.assigned_on and item.moved_away_on < item.assigned_on:
            problems["moved_away_on"] = "Der Wegzug kann nicht vor der Zuweisung liegen."
        return problems

    def apply(self, item: Any, data: dict[str, Any], *, created: bool) -> None:
        super().apply(item, data, created=created)
        if created and item.caseworker_id is None:
            # the caller is the responsible caseworker unless another one is named (issue 16)
            item.caseworker_id = g.user.id

    def after_write(self, item: Any, action: str) -> None:
        log_access(item.id, action, detail="API", commit=False)

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


APIS = (PersonApi,)


def register(appbuilder: AppBuilder) -> None:
    """Register the case-record REST resources."""
    for api in APIS:
        appbuilder.add_api(api)

"""The write path shared by the case-record REST resources (INTERFACES.md).

:class:`CaseRecordApi`: reads through FAB's ModelRestApi (row scoping applies automatically, see
app.security.scoping), reviewer reads access-logged, no DELETE. :class:`VerbRecordApi`: a record
written only through its domain verbs — the API checks the shapes of the fields, the verb every
rule; every refusal answers in the one shape of domain errors
``{"message", "field", "key", "errors", "keys"}`` with the verb's status (:func:`refusal_body`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import g, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Person
from app.security import duplicate_throttle, matrix
from app.services.data_protection.access_log import log_accesses
from app.services.errors import DomainError, Problem
from app.services.record_payloads import (
    MSG_CONFLICT,
    MSG_NOT_JSON,
    FieldSpec,
    PayloadError,
    clean,
)
from app.views.base import MsaModelRestApi

MSG_NOT_FOUND = "Der Datensatz wurde nicht gefunden."
MSG_FORBIDDEN = "Keine Berechtigung für diese Aktion."
MSG_SCOPE = "Ein verknüpfter Datensatz ist nicht zugänglich – es wurde nichts gespeichert."
MSG_INTEGRITY = "Der Datensatz widerspricht vorhandenen Daten – es wurde nichts gespeichert."
MSG_CHECK_THROTTLED = duplicate_throttle.MESSAGE


def _is_reviewer() -> bool:
    user = g.get("user")
    return bool(user) and any(r.name == matrix.ROLE_REVIEWER for r in getattr(user, "roles", []))


class CaseRecordApi(MsaModelRestApi):
    """Common read path of the case-record resources (writes: :class:`VerbRecordApi`).

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


def refusal_body(exc: DomainError | PayloadError) -> DomainError:
    """A refusal as a domain error: a payload's shape error gets the key ``<field>.format``."""
    if isinstance(exc, DomainError):
        return exc
    return DomainError(
        problems=[
            Problem(name, f"{name}.format", str(msg if isinstance(msg, str) else msg[0]))
            for name, msg in exc.errors.items()
        ]
    )


class VerbRecordApi(CaseRecordApi):
    """A case record written only through its domain verbs: the API checks the shapes of the
    fields (``add_specs``), the verb every rule; refusals answer in the one shape of domain
    errors ``{"message", "field", "key", "errors"}`` with the verb's status."""

    #: fields handed to the verb as sent: the verb checks them, with its keys
    RAW_FIELDS: ClassVar[tuple[str, ...]] = ()

    def create(self, data: dict[str, Any], within: Any) -> Any:
        raise NotImplementedError

    def update(self, item: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _values(self, payload: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        raw = {k: payload.pop(k) for k in self.RAW_FIELDS if k in payload}
        specs = self.add_specs() if not partial else self.edit_specs()
        data = clean(payload, specs, partial=partial, versioned=partial and self.versioned)
        for name, value in raw.items():
            if name == "topics":
                if not (isinstance(value, list) and all(isinstance(t, str) for t in value)):
                    raise PayloadError({name: "Bitte eine Liste von Themen-Codes angeben."})
            elif name == "languages":
                if value is not None and not (
                    isinstance(value, list) and all(isinstance(t, str) for t in value)
                ):
                    raise PayloadError({name: "Bitte eine Liste von Sprachcodes angeben."})
            elif name.endswith("_id") or name == "duration_minutes":
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise PayloadError({name: "Bitte eine ganze Zahl angeben."})
            elif value is not None and not isinstance(value, str):
                raise PayloadError({name: "Bitte einen Text angeben."})
        data.update(raw)
        return data

    def _refused(self, exc: DomainError | PayloadError) -> Response:
        """A refusal in the one shape of domain errors: ``message``, ``field``, ``key``."""
        error = refusal_body(exc)
        return self.response(error.status, **error.as_json(), **getattr(error, "extra", {}))

    def before_verb(self, data: dict[str, Any]) -> Response | None:
        """Hook after the shapes were checked, before the create verb (a refusal reply)."""
        return None

    def post_headless(self) -> Response:
        """Create through the record's verb (the reply is built inside its transaction)."""
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self._error(400, MSG_NOT_JSON)
        key, fp, early = self.idempotency_begin()
        if early is not None:
            return early
        try:
            try:
                data = self._values(dict(payload), partial=False)
                early = self.before_verb(data)
            except (PayloadError, DomainError) as exc:
                return self._refused(exc)
            if early is not None:
                return early
            body: dict[str, Any] = {}

            def within(item: Any) -> None:
                body.update(self._dump(item))
                self.idempotency_remember(key, fp, item)

            try:
                self.create(data, within)
            except DomainError as exc:
                return self._refused(exc)
            except IntegrityError:
                return self.idempotency_race(key, fp) or self._error(400, MSG_INTEGRITY)
            return self.response(201, id=body["id"], result=body)
        finally:
            self.idempotency_end(key)

    def put_headless(self, pk: Any) -> Response:
        """Change through the record's verb."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self._error(404, MSG_NOT_FOUND)
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self._error(400, MSG_NOT_JSON)
        try:
            data = self._values(dict(payload), partial=True)
        except PayloadError as exc:
            return self._refused(exc)
        try:
            self.update(item, data)
        except DomainError as exc:
            return self._refused(exc)
        except StaleDataError:
            db.session.rollback()
            return self._error(409, MSG_CONFLICT)
        body = self._dump(item)
        return self.response(200, id=body["id"], result=body)

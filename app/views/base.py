"""Base views: German defaults, the read/write permission mapping, no organisation in forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, g, redirect, request, url_for
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.forms import FieldConverter
from flask_appbuilder.models.sqla import filters as fab_filters
from flask_appbuilder.widgets import ListWidget
from werkzeug.wrappers import Response

from app.datamodel import (
    fast_datamodel,
    german_blank_choices,
    limit_related_choices,
    optional_checkboxes,
)
from app.dates import DateError, de_date, parse_date
from app.security.matrix import READ_WRITE_METHODS
from app.views.date_field import GermanDateField, GermanDateInput

#: Columns that a request may never set: taken from the user or the system.
PROTECTED_COLUMNS = ("organisation", "organisation_id", "version", "created_at", "updated_at")


_fab_get_action_permission_name = ModelView.get_action_permission_name


def _safe_get_action_permission_name(self: Any, name: str) -> str:
    """An unknown action name is a 404, not a 500 (FAB 5.3 looks it up without a check)."""
    if name not in self.actions:
        abort(404)
    return _fab_get_action_permission_name(self, name)  # type: ignore[no-any-return]


# Applies to FAB's own security views (users, roles, groups, permissions) as well.
ModelView.get_action_permission_name = _safe_get_action_permission_name  # type: ignore[method-assign]

# One date widget on every form: every Date column of a generated add/edit form is the German
# date field (TT.MM.JJJJ in and out, impossible dates refused, input kept), not FAB's date
# picker with its ISO text.
FieldConverter.conversion_table = tuple(
    ("is_date", GermanDateField, GermanDateInput) if marker == "is_date" else (marker, f, w)
    for marker, f, w in FieldConverter.conversion_table
)

_fab_set_value_to_type = fab_filters.set_value_to_type


def _german_set_value_to_type(datamodel: Any, column_name: str, value: Any) -> Any:
    """A search filter's date is read by app/dates.py (FAB's reads 05.12.2026 as 12 May)."""
    if datamodel.is_date(column_name) and not isinstance(value, dt.date):
        try:
            return parse_date(value)
        except DateError:
            return None
    return _fab_set_value_to_type(datamodel, column_name, value)


fab_filters.set_value_to_type = _german_set_value_to_type


def record_label(item: Any) -> str:
    """The name of a record in a page title: its person's name, else its name or title."""
    if item is None:
        return ""
    person = getattr(item, "person", None)
    full_name = getattr(person, "full_name", None)
    if isinstance(full_name, str) and full_name:
        return full_name
    user = getattr(item, "user", None)
    if getattr(user, "last_name", None):
        return f"{user.first_name} {user.last_name}".strip()
    for attr in ("name", "title", "full_name", "username"):
        value = getattr(item, attr, None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


class MsaListWidget(ListWidget):
    """FAB's list table, with URLs and texts built once per page instead of once per row."""

    template = "msa/widgets/list.html"


class MsaModelView(ModelView):
    """ModelView with resource permissions ``can_read`` / ``can_write``.

    Lists: capped count, eager-loaded related columns, bounded search-form choices
    (``MsaSQLAInterface``, ``limit_related_choices``; docs/performance.md).
    """

    method_permission_name = READ_WRITE_METHODS
    page_size = 25
    list_widget: Any = MsaListWidget

    def __init__(self, **kwargs: Any) -> None:
        if getattr(self, "datamodel", None) is not None:
            cols = self.list_columns or [
                c for c in self.datamodel.get_columns_list() if not self.datamodel.is_pk(c)
            ]
            self.datamodel = fast_datamodel(
                self.datamodel, list(cols), getattr(self, "undeferred_columns", ())
            )
        super().__init__(**kwargs)

    # -- after saving: a message that names the record, back to the list -----------------------
    @property
    def add_row_message(self) -> str:  # type: ignore[override]
        return str(g.get("msa_saved_message") or f"{self.show_title} gespeichert.")

    @property
    def edit_row_message(self) -> str:  # type: ignore[override]
        return str(g.get("msa_saved_message") or f"{self.show_title} gespeichert.")

    def saved_message(self, item: Any) -> str:
        """ "Fortbildung vom 05.12.2026 – Lena Leitner gespeichert." """
        day = getattr(item, "date", None)
        label = record_label(item)
        text = str(self.show_title)
        if isinstance(day, dt.date):
            text += f" vom {de_date(day)}"
        if label:
            text += f" – {label}"
        return f"{text} gespeichert."

    def post_add(self, item: Any) -> None:
        g.msa_saved_message = self.saved_message(item)

    def post_update(self, item: Any) -> None:
        g.msa_saved_message = self.saved_message(item)

    def _back_to_list(self) -> Response:
        endpoint = f"{type(self).__name__}.list"
        if endpoint in current_app.view_functions:
            return redirect(url_for(endpoint))
        return super().post_add_redirect()  # type: ignore[no-any-return]

    def post_add_redirect(self) -> Response:
        """After saving a new record: its list (FAB's page history often led to "/")."""
        return self._back_to_list()

    def post_edit_redirect(self) -> Response:
        """After saving a change: the list the record belongs to."""
        return self._back_to_list()

    def render_template(self, template: str, **kwargs: Any) -> Any:
        """FAB's show and edit pages are titled with their record ("Termin – Mehmet Yıldız")."""
        if template in (self.show_template, self.edit_template) and kwargs.get("title") in (
            self.show_title,
            self.edit_title,
        ):
            pk = kwargs.get("pk", (request.view_args or {}).get("pk"))
            label = self.record_label(pk) if pk is not None else ""
            if label:
                kwargs["title"] = f"{kwargs['title']} – {label}"
        return super().render_template(template, **kwargs)

    def record_label(self, pk: Any) -> str:
        """What names the record in the page title: its person, else its name or title.

        The row is taken from the session (FAB has just loaded it): no further statement.
        """
        from app.extensions import db

        try:
            item = db.session.get(self.datamodel.obj, int(pk))
        except (TypeError, ValueError):
            return ""
        return record_label(item)

    def _init_forms(self) -> None:
        super()._init_forms()
        limit_related_choices(self.search_form, self.datamodel)
        for form in (self.add_form, self.edit_form, self.search_form):
            german_blank_choices(form)
        for form in (self.add_form, self.edit_form):
            optional_checkboxes(form)


#: the routes a read-only list view does not have (no destructive buttons)
READ_ONLY_ROUTES = {"add", "edit", "delete", "download", "action", "action_post"}


class ScopedModelView(MsaModelView):
    """View of provider-scoped rows: the row filter comes from app.security.scoping.

    The organisation is never a form field; it is taken from the user or the person.
    Case records are never deleted from a page: corrections are edits with history,
    a person who left is marked as moved away, destruction only through retention — so the
    ``delete`` route does not exist (no trash icon, no confirmation dialog).
    """

    base_permissions = ["can_read", "can_write"]
    exclude_route_methods = {"delete"}


class MsaModelRestApi(ModelRestApi):
    """REST API with resource permissions ``can_read`` / ``can_write``."""

    method_permission_name = READ_WRITE_METHODS
    allow_browser_login = False

    def _get_field_info(self, field: Any, filter_rel_field: Any, *args: Any, **kwargs: Any) -> Any:
        """``_info`` of a field: an empty description stays empty.

        FAB translates ``""`` with gettext, which returns the catalogue's header
        ("Project-Id-Version: …") as the field's description.
        """
        ret = super()._get_field_info(field, filter_rel_field, *args, **kwargs)
        for key, names in (
            ("description", self.description_columns),
            ("label", self.label_columns),
        ):
            if not (names or {}).get(field.name):
                ret[key] = ""
        return ret

    def __init__(self, **kwargs: Any) -> None:
        if getattr(self, "datamodel", None) is not None:
            self.datamodel = fast_datamodel(self.datamodel, list(self.list_columns or []))
        super().__init__(**kwargs)

    # -- exactly-once creates (Idempotency-Key) ----------------------------------------
    def created_body(self, item: Any) -> dict[str, Any]:
        """The ``result`` of a 201 reply (built before the commit, and for a replay)."""
        body: dict[str, Any] = self.add_model_schema.dump(item, many=False)
        return body

    def idempotency_begin(self) -> tuple[str | None, str, Response | None]:
        """(key, request fingerprint, early reply): a replay of an earlier create, a refusal of a
        malformed or reused key, or None to go on and create."""
        from flask import g, request

        from app.services.reliability import idempotency

        try:
            key = idempotency.parse_key(request.headers.get(idempotency.HEADER))
        except idempotency.BadIdempotencyKeyError as exc:
            return None, "", self.response_400(message=str(exc))
        fp = idempotency.fingerprint(request.method, request.path, request.get_data())
        if key is None:
            return None, fp, None
        done = idempotency.lookup(int(g.user.id), key)
        if done is not None:
            return key, fp, self.idempotency_replay(done, fp)
        if not idempotency.acquire(int(g.user.id), key):
            return key, fp, self.response(409, message=MSG_KEY_BUSY)
        return key, fp, None

    def idempotency_replay(self, done: Any, fp: str) -> Response:
        """Answer a retry with what the first request with this key created."""
        if done.fingerprint != fp:
            return self.response_422(message=MSG_KEY_REUSED)
        item = (
            self.datamodel.get(done.object_id, self._base_filters)
            if done.object_id is not None
            else None
        )
        if item is None:
            return self.response(409, message=MSG_KEY_GONE)
        reply = self.response(201, id=done.object_id, result=self.created_body(item))
        reply.headers["Idempotent-Replayed"] = "true"
        return reply

    def idempotency_remember(self, key: str | None, fp: str, item: Any) -> None:
        """Store the key in the create's own transaction (call after the flush, before commit)."""
        from flask import g

        from app.services.reliability import idempotency

        if key is not None:
            idempotency.remember(int(g.user.id), key, fp, self.resource_name, item.id)

    def idempotency_end(self, key: str | None) -> None:
        from flask import g

        from app.services.reliability import idempotency

        if key is not None:
            idempotency.release(int(g.user.id), key)

    def idempotency_race(self, key: str | None, fp: str) -> Response | None:
        """After an IntegrityError: the same key was committed by a concurrent request."""
        from flask import g

        from app.services.reliability import idempotency

        if key is None:
            return None
        done = idempotency.lookup(int(g.user.id), key)
        return None if done is None else self.idempotency_replay(done, fp)

    def post_headless(self) -> Response:
        """FAB's create, with the reply built before the commit and an optional idempotency key.

        A failure after the commit can no longer turn a committed create into an error reply:
        nothing touches the database between the commit and the 201.
        """
        from flask import request
        from marshmallow import ValidationError
        from sqlalchemy.exc import IntegrityError

        from app.extensions import db
        from app.services.errors import unit_of_work

        if not request.is_json:
            return self.response_400(message="Die Anfrage muss JSON sein.")
        key, fp, early = self.idempotency_begin()
        if early is not None:
            return early
        try:
            try:
                item = self.add_model_schema.load(request.json)
            except ValidationError as err:
                return self.response_422(message=err.messages)
            self.pre_add(item)
            try:
                with unit_of_work():
                    db.session.add(item)
                    db.session.flush()
                    body = self.created_body(item)
                    pk = self.datamodel.get_pk_value(item)
                    self.idempotency_remember(key, fp, item)
            except IntegrityError:  # rolled back by the unit of work
                return self.idempotency_race(key, fp) or self.response_422(
                    message="Der Datensatz widerspricht vorhandenen Daten – es wurde nichts "
                    "gespeichert."
                )
            return self.response(201, id=pk, result=body)
        finally:
            self.idempotency_end(key)


MSG_KEY_BUSY = "Eine Anfrage mit diesem Idempotency-Key wird gerade bearbeitet."
MSG_KEY_REUSED = "Dieser Idempotency-Key wurde schon für eine andere Anfrage verwendet."
MSG_KEY_GONE = (
    "Die Anfrage mit diesem Idempotency-Key wurde bereits ausgeführt; der angelegte Datensatz "
    "ist nicht mehr vorhanden."
)

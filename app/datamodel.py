"""FAB's data interface as MSA lists use it: capped counts, indexed "starts with" search,
eager-loaded list relations, limited related choices (docs/performance.md).

Shared by the views (app/views/base.py) and the security manager's user views
(app/security/manager.py), so it lives below both.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from flask import current_app, has_app_context
from flask_appbuilder.models.sqla import filters as sqla_filters
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import Time, asc, desc, func
from sqlalchemy.orm import selectinload, undefer


class CappedCount(int):
    """A row count that stopped at the cap: shown as "mehr als 10.000" (docs/performance.md)."""

    def __html__(self) -> str:
        return "mehr als " + f"{int(self) - 1:,}".replace(",", ".")

    def __str__(self) -> str:
        return self.__html__()


def _count_cap() -> int:
    if has_app_context():
        return int(current_app.config.get("LIST_COUNT_CAP") or 0)
    return 0


def _related_limit() -> int:
    if has_app_context():
        return int(current_app.config.get("RELATED_CHOICES_LIMIT") or 50)
    return 50


def lower_key(column: Any) -> Any:
    """``lower(col)`` as the search key: in byte order (COLLATE "C") on PostgreSQL.

    One B-tree index on ``(lower(last_name) COLLATE "C", id)`` (migration 0009) then serves
    both the prefix condition (``LIKE 'hadd%'`` is a range in byte order, whatever the
    database's collation) and the order of the hits, so a search stops after one page of
    index entries — flat from a county to the whole country. Umlauts sort after "z" in this
    order; SQLite compares lower-case text as it is.
    """
    from app.extensions import db

    key: Any = func.lower(column)
    if db.session.get_bind().dialect.name == "postgresql":
        key = key.collate("C")
    return key


class FilterStartsWithIndexed(sqla_filters.FilterStartsWith):
    """ "Beginnt mit" as ``lower(col) LIKE 'hadd%'`` instead of FAB's ``col ILIKE 'hadd%'``.

    With ILIKE and the list ordered by ``last_name``, PostgreSQL walked the whole name index
    of all providers in order, filtering row by row (a reviewer's search); see
    :func:`lower_key`. Same matches as ILIKE for German names; ``%`` and ``_`` in the input
    are taken literally.
    """

    def apply(self, query: Any, value: Any) -> Any:
        query, field = sqla_filters.get_field_setup_query(query, self.model, self.column_name)
        prefix = str(value).lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return query.filter(lower_key(field).like(prefix + "%", escape="\\"))


#: columns with an active "starts with" search in the query being built (see apply_order_by)
_PREFIX_SEARCH: ContextVar[frozenset[str]] = ContextVar("msa_prefix_search", default=frozenset())


class MsaFilterConverter(sqla_filters.SQLAFilterConverter):
    """FAB's filters, with the index-friendly "starts with" for text columns."""

    conversion_table = (
        *(
            (
                kind,
                [
                    FilterStartsWithIndexed if f is sqla_filters.FilterStartsWith else f
                    for f in filters
                ],
            )
            for kind, filters in sqla_filters.SQLAFilterConverter.conversion_table
        ),
        # FAB has no filters for a time of day (an appointment's start): without this entry it
        # logs "Filter type not supported" at every start, CLI commands included
        (
            "is_time",
            [
                sqla_filters.FilterEqual,
                sqla_filters.FilterGreater,
                sqla_filters.FilterSmaller,
                sqla_filters.FilterNotEqual,
            ],
        ),
    )


class MsaSQLAInterface(SQLAInterface):
    """FAB's SQLAlchemy interface without its two list-page costs (docs/performance.md).

    - FAB counts with ``SELECT count(*) FROM (SELECT <all columns> …)``; here the count reads
      only primary keys and stops at ``LIST_COUNT_CAP`` + 1 rows (``CappedCount``), so no page
      view counts millions of rows; 0 disables the cap (plain count of primary keys).
    - FAB loads many-to-one / many-to-many values of list columns lazily, one query per row;
      here ``eager_relations`` (set by the view from its list columns) are loaded with
      ``selectinload`` — one statement per relation, whatever the page size.
    """

    eager_relations: tuple[str, ...] = ()
    #: deferred column properties the list shows (e.g. an accommodation's occupancy): loaded in
    #: the list's statement instead of one statement per row
    undeferred: tuple[str, ...] = ()
    filter_converter_class = MsaFilterConverter

    def is_time(self, col_name: str) -> bool:
        """A time-of-day column (FAB knows dates and datetimes only)."""
        column = self.list_columns.get(col_name)
        return column is not None and isinstance(getattr(column, "type", None), Time)

    def apply_order_by(
        self, query: Any, order_column: str, order_direction: str, *args: Any, **kwargs: Any
    ) -> Any:
        """Order a "starts with" search by its key ``lower(col)``, then id (:func:`lower_key`).

        Ordered by the plain column, PostgreSQL walks the column's B-tree index in order and
        filters row by row, hoping to meet 25 hits early (LIMIT) — for "Hadd…" that is half
        the person table of all providers. Ordered by the search key, the index on
        ``(lower(last_name) COLLATE "C", id)`` yields the first page of hits directly.
        """
        if (
            order_column
            and order_column in _PREFIX_SEARCH.get()
            and hasattr(self.obj, order_column)
        ):
            column = getattr(self.obj, order_column)
            direction = asc if order_direction == "asc" else desc
            pk = getattr(self.obj, self.get_pk_name())
            return query.order_by(direction(lower_key(column)), direction(pk))
        return super().apply_order_by(query, order_column, order_direction, *args, **kwargs)

    def query_count(self, query: Any, filters: Any = None, select_columns: Any = None) -> int:
        inner = self._apply_inner_all(
            query, filters, select_columns=select_columns, aliases_mapping={}
        )
        pk = getattr(self.obj, self.get_pk_name())
        inner = inner.with_entities(pk).order_by(None)
        cap = _count_cap()
        if cap > 0:
            limited = inner.limit(cap + 1).subquery()
            count = int(self.session.query(func.count()).select_from(limited).scalar() or 0)
            return CappedCount(count) if count > cap else count
        return int(inner.with_entities(func.count(pk)).scalar() or 0)

    def apply_all(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        filters = args[0] if args else kwargs.get("filters")
        searched = {
            f.column_name
            for f in getattr(filters, "filters", [])
            if isinstance(f, FilterStartsWithIndexed)
        }
        token = _PREFIX_SEARCH.set(frozenset(searched))
        try:
            query = super().apply_all(query, *args, **kwargs)
        finally:
            _PREFIX_SEARCH.reset(token)
        if self.eager_relations and not kwargs.get("select_columns"):
            query = query.options(
                *(selectinload(getattr(self.obj, rel)) for rel in self.eager_relations)
            )
        if self.undeferred and not kwargs.get("select_columns"):
            query = query.options(*(undefer(getattr(self.obj, c)) for c in self.undeferred))
        return query


def fast_datamodel(
    datamodel: Any, columns: list[str] | None, undeferred: tuple[str, ...] = ()
) -> MsaSQLAInterface:
    """Return an ``MsaSQLAInterface`` for the view's model, eager-loading list relations."""
    if isinstance(datamodel, MsaSQLAInterface):
        fast = datamodel
    else:
        fast = MsaSQLAInterface(datamodel.obj, datamodel._session)
    rels = []
    for col in columns or []:
        if "." in col or col not in fast.list_properties:
            continue
        if fast.is_relation_many_to_one(col) or fast.is_relation_many_to_many(col):
            rels.append(col)
    fast.eager_relations = tuple(rels)
    fast.undeferred = undeferred
    return fast


def _limited_choices(datamodel: Any, col_name: str) -> Any:
    """Query function for a related-record choice list: at most RELATED_CHOICES_LIMIT rows."""

    def _query() -> list[Any]:
        related = datamodel.get_related_interface(col_name)
        model = related.obj
        pk = getattr(model, related.get_pk_name())
        return list(datamodel.session.query(model).order_by(pk).limit(_related_limit()).all())

    return _query


#: the empty choice of an optional related select (FAB's is blank, select2 shows "__None")
BLANK_CHOICE = "– keine Angabe –"


def german_blank_choices(form_class: Any) -> None:
    """Give every optional related select of ``form_class`` a German empty choice."""
    from wtforms.fields.core import UnboundField

    if form_class is None:
        return
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if isinstance(unbound, UnboundField) and unbound.kwargs.get("allow_blank"):
            unbound.kwargs["blank_text"] = BLANK_CHOICE


def limit_related_choices(form_class: Any, datamodel: Any) -> None:
    """Make every related-record select of ``form_class`` load a bounded number of rows.

    FAB 5.3 builds search forms with ``GeneralModelConverter.create_form``; relation columns
    become ``QuerySelectField``s whose ``query_func`` loads the whole related table
    (``forms.py: _get_related_query_func``) each time the search widget renders — on every list
    page. Filtering by a related record still works through the URL (``_flt_0_person=<id>``).
    """
    from wtforms.fields.core import UnboundField

    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if isinstance(unbound, UnboundField) and "query_func" in unbound.kwargs:
            unbound.kwargs["query_func"] = _limited_choices(datamodel, name)


def optional_checkboxes(form_class: Any) -> None:
    """Make no yes/no checkbox of ``form_class`` required.

    FAB gives the field of a NOT NULL column a required validator; for a checkbox that means
    „must be ticked“ — a partner without barrier-free access, an inactive catalogue entry
    could not be saved. Unticked is a valid answer („nein“).
    """
    from wtforms.fields import BooleanField
    from wtforms.fields.core import UnboundField
    from wtforms.validators import DataRequired, InputRequired

    if form_class is None:
        return
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if not isinstance(unbound, UnboundField) or not issubclass(
            unbound.field_class, BooleanField
        ):
            continue
        validators = unbound.kwargs.get("validators") or []
        kept = [v for v in validators if not isinstance(v, DataRequired | InputRequired)]
        if len(kept) != len(validators):
            unbound.kwargs["validators"] = kept

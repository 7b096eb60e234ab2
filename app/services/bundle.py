"""Many small reads in ONE SQL statement (at most 8 statements per page).

A page like the case file shows a dozen short lists (languages, degrees, follow-ups, the
timeline, the sections of other capabilities). Each is a tiny indexed query; the cost is the
round trip and the ORM work per statement, not the database. ``Bundle`` sends them together:

    SELECT (SELECT json_agg(json_build_array(s.c1, s.c2, …)) FROM (<query 1>) AS s) AS k1,
           (SELECT …                                        FROM (<query 2>) AS s) AS k2, …

(``json_group_array``/``json_array`` on SQLite), and turns each JSON row back into what the
query would have returned: values converted by their column types, and for a mapped entity a
**detached, read-only** instance (not in the session: no lazy loads, never flushed).

Row scoping (``app.security.scoping``) applies as for any ORM select: the loader criteria of
the current provider reach every entity inside the scalar subqueries.

Only plain columns travel: deferred and binary columns of an entity are left out (a stored PDF
never leaves the database for a list). Relationships of the returned instances are not loaded;
:func:`attach` sets a collection from rows of the same bundle.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import threading
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Integer,
    LargeBinary,
    Numeric,
    Time,
    bindparam,
    func,
)
from sqlalchemy import (
    column as sa_column,
)
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Mapper, attributes
from sqlalchemy.orm import class_mapper as _class_mapper
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import replacement_traverse
from sqlalchemy.types import TypeDecorator, TypeEngine

from app.extensions import db
from app.security.scoping import scope_criteria


class Bundle:
    """Collect ORM selects under keys; :meth:`run` executes them as one statement."""

    def __init__(self) -> None:
        self._queries: dict[str, Select[Any]] = {}

    def add(self, key: str, statement: Any) -> None:
        """Add a select of entities and/or columns (with where, joins, order, limit)."""
        if key in self._queries:
            raise ValueError(f"Schlüssel doppelt im Bündel: {key}")
        self._queries[key] = statement

    def update(self, queries: dict[str, Any]) -> None:
        for key, statement in queries.items():
            self.add(key, statement)

    def __len__(self) -> int:
        return len(self._queries)

    def run(self, *, unscoped: bool = False) -> dict[str, list[Any]]:
        """Execute all queries in one statement; return key → list of results.

        A result is an instance when the query selects one entity, a value when it selects
        one column, and a named tuple otherwise (like ``Result.scalars()`` / ``Result.all()``).

        The statement is built once per shape (see :class:`_Shape`) and kept; a later run of
        the same shape binds only the values of its queries' parameters.
        """
        if not self._queries:
            return {}
        session = db.session
        dialect = session.get_bind().dialect.name
        if unscoped:  # callers with a reason of their own (Art. 15 export of the DPO)
            scope_key: tuple[Any, ...] = ("unscoped",)
            criteria: Callable[[], Any] | None = None
        else:
            scope_key, criteria = scope_criteria(session())
        keys: list[Any] = [dialect, scope_key]
        binds: list[list[BindParameter[Any]]] = []
        for name, stmt in self._queries.items():
            cache_key = stmt._generate_cache_key()
            if cache_key is None:  # not cacheable (a construct without a cache key)
                return self._run_fresh(unscoped)
            keys.append((name, cache_key.key))
            binds.append(list(cache_key.bindparams))
        shape_key = tuple(keys)
        shape = _SHAPES.get(shape_key)
        if shape is None:
            shape = _Shape.build(self._queries, binds, dialect, criteria)
            if shape is None:  # a parameter the shape cannot name: never bind a stale one
                return self._run_fresh(unscoped)
            _SHAPES.put(shape_key, shape)
        params = {
            f"b{i}_{j}": bind.effective_value
            for i, query_binds in enumerate(binds)
            for j, bind in enumerate(query_binds)
        }
        row = session.execute(shape.statement, params, execution_options=_KEPT_OPTIONS).one()
        return {
            key: plan.decode(value)
            for (key, plan), value in zip(shape.plans.items(), row, strict=True)
        }

    def _run_fresh(self, unscoped: bool) -> dict[str, list[Any]]:
        """Build and execute the statement of this run only (scoped by the session's hook)."""
        plans = {key: _Plan(stmt) for key, stmt in self._queries.items()}
        statement = _outer(plans, db.session.get_bind().dialect.name)
        if unscoped:
            statement = statement.execution_options(msa_unscoped=True)
        row = db.session.execute(statement).one()
        return {
            key: plan.decode(value) for (key, plan), value in zip(plans.items(), row, strict=True)
        }


#: the kept statement carries its row scope already (``scope_criteria``)
_KEPT_OPTIONS = {"msa_unscoped": True}


def _outer(plans: dict[str, _Plan], dialect: str) -> Select[Any]:
    columns = [plan.aggregate(dialect).label(f"b{i}") for i, plan in enumerate(plans.values())]
    return sa_select(*columns)


class _Shape:
    """The statement of one bundle shape, kept between requests.

    A shape is the dialect, the row scope (``scope_criteria``: mode, organisation, plain or
    full condition) and every query's key and SQLAlchemy cache key (its structure without the
    values of its parameters). Every parameter of the queries is renamed ``b<query>_<n>`` in
    the order of the query's cache key, so a later run of an equal query binds its own values
    by name: the per-request work is the small queries' cache keys and a dict of values — no
    subqueries, aggregates, ORM compilation or cache key of the large statement (which
    SQLAlchemy memoises on the kept object).
    """

    __slots__ = ("plans", "statement")

    def __init__(self, plans: dict[str, _Plan], statement: Select[Any]) -> None:
        self.plans = plans
        self.statement = statement

    @classmethod
    def build(
        cls,
        queries: dict[str, Select[Any]],
        binds: list[list[BindParameter[Any]]],
        dialect: str,
        criteria: Callable[[], Any] | None,
    ) -> _Shape | None:
        named: dict[str, Select[Any]] = {}
        expected: set[str] = set()
        for i, (key, stmt) in enumerate(queries.items()):
            names: dict[int, BindParameter[Any]] = {}
            for j, bind in enumerate(binds[i]):
                if id(bind) not in names:  # a parameter used twice keeps its first name
                    names[id(bind)] = _renamed(bind, f"b{i}_{j}")
                    expected.add(f"b{i}_{j}")
            named[key] = cast("Select[Any]", replacement_traverse(stmt, {}, _renamer(names)))
        plans = {key: _Plan(stmt) for key, stmt in named.items()}
        statement = _outer(plans, dialect)
        # every parameter of the queries must now be one of the named ones, else a later run
        # would execute a value of this one: then nothing is kept
        check = statement._generate_cache_key()
        if check is None or {b.key for b in check.bindparams} != expected:
            return None
        if criteria is not None:
            # the row scope's own parameter (the organisation) is fixed by the shape's key
            statement = statement.options(criteria())
        return cls(plans, statement)


def _renamer(names: dict[int, BindParameter[Any]]) -> Callable[..., Any]:
    """The replacement of ``replacement_traverse``: a parameter by its named copy."""

    def rename(element: Any, **_kw: Any) -> Any:
        return names.get(id(element)) if isinstance(element, BindParameter) else None

    return rename


def _renamed(bind: BindParameter[Any], name: str) -> BindParameter[Any]:
    return bindparam(
        name,
        bind.effective_value,
        type_=bind.type,
        expanding=bind.expanding,
        literal_execute=bind.literal_execute,
        unique=False,
    )


class _ShapeCache:
    """A small LRU of kept bundle statements (per process; shapes × organisations)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], _Shape] = OrderedDict()
        self._lock = threading.Lock()  # threaded servers: one LRU per process

    def get(self, key: tuple[Any, ...]) -> _Shape | None:
        with self._lock:
            shape = self._entries.get(key)
            if shape is not None:
                self._entries.move_to_end(key)
            return shape

    def put(self, key: tuple[Any, ...], shape: _Shape) -> None:
        with self._lock:
            self._entries[key] = shape
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


#: kept bundle statements per process: the case file's shape holds ≈ 0.75 MB (its 37 queries,
#: their plans and the statement), so at most ≈ 25 MB per worker; a shape pushed out is built
#: again on its next run (the cost before keeping)
SHAPE_CACHE_SIZE = 32
_SHAPES = _ShapeCache(SHAPE_CACHE_SIZE)


def clear_cache() -> None:
    """Forget every kept bundle statement (tests)."""
    _SHAPES.clear()


def attach(instance: Any, key: str, values: Iterable[Any]) -> None:
    """Set a relationship collection of a bundled instance without loading or history."""
    attributes.set_committed_value(instance, key, list(values))


# --------------------------------------------------------------------------- internals
class _Part:
    """One column description of a query: an entity (several columns) or one column."""

    def __init__(self, mapper: Mapper[Any] | None, keys: list[str], types: list[TypeEngine[Any]]):
        self.mapper = mapper
        self.keys = keys
        self.types = types


def _plain_columns(mapper: Mapper[Any]) -> list[tuple[str, Any]]:
    out = []
    for prop in mapper.column_attrs:
        if prop.deferred or len(prop.columns) != 1:
            continue
        column = prop.columns[0]
        if isinstance(_base_type(column.type), LargeBinary):
            continue
        out.append((prop.key, getattr(mapper.class_, prop.key)))
    return out


class _Plan:
    def __init__(self, statement: Select[Any]) -> None:
        self.parts: list[_Part] = []
        selected: list[Any] = []
        for desc in statement.column_descriptions:
            entity = desc.get("entity")
            expr = desc.get("expr")
            if entity is not None and expr is entity:
                mapper = _class_mapper(entity)
                cols = _plain_columns(mapper)
                self.parts.append(
                    _Part(
                        mapper, [k for k, _ in cols], [c.property.columns[0].type for _, c in cols]
                    )
                )
                selected.extend(c for _, c in cols)
            else:
                self.parts.append(_Part(None, [desc.get("name") or ""], [desc["type"]]))
                selected.append(expr)
        self.single = len(self.parts) == 1
        # rows of several parts: tuples with attribute access by column name (like ``Row``)
        self.row_type = _row_type(
            tuple(desc.get("name") or "_" for desc in statement.column_descriptions)
        )
        # the columns labelled c0, c1 …: the aggregate names them without building the
        # subquery's column collection (a third of the bundle's Python time on the case file)
        self.width = len(selected)
        self.subquery = statement.with_only_columns(
            *(expr.label(f"c{i}") for i, expr in enumerate(selected)),
            maintain_column_froms=True,
        ).subquery()

    def aggregate(self, dialect: str) -> Any:
        cols: list[Any] = [sa_column(f"c{i}") for i in range(self.width)]
        if dialect == "postgresql":
            if len(cols) > 100:  # PostgreSQL functions take at most 100 arguments
                raise ValueError("Bundle: höchstens 100 Spalten je Abfrage unter PostgreSQL")
            row = func.json_build_array(*cols)
            agg: Any = func.coalesce(func.json_agg(row), func.json_build_array())
        else:
            row = func.json_array(*cols)
            agg = func.json_group_array(func.json(row))
        return sa_select(agg).select_from(self.subquery).scalar_subquery()

    def decode(self, value: Any) -> list[Any]:
        rows = json.loads(value) if isinstance(value, str | bytes) else (value or [])
        out = []
        for raw in rows:
            pos = 0
            items = []
            for part in self.parts:
                width = len(part.keys)
                values = [
                    _decode(v, t) for v, t in zip(raw[pos : pos + width], part.types, strict=True)
                ]
                pos += width
                if part.mapper is None:
                    items.append(values[0])
                else:
                    items.append(_instance(part.mapper, part.keys, values))
            out.append(items[0] if self.single else self.row_type(*items))
        return out


@lru_cache(maxsize=512)
def _row_type(names: tuple[str, ...]) -> Any:
    """The row class of a query's columns (``namedtuple`` builds a class: once per shape)."""
    return namedtuple("BundleRow", names, rename=True)


def _instance(mapper: Mapper[Any], keys: list[str], values: list[Any]) -> Any:
    obj = mapper.class_manager.new_instance()
    for key, val in zip(keys, values, strict=True):
        attributes.set_committed_value(obj, key, val)
    return obj


def _base_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    return type_.impl_instance if isinstance(type_, TypeDecorator) else type_


def _decode(value: Any, type_: TypeEngine[Any]) -> Any:
    if value is None:
        return None
    base = _base_type(type_)
    result: Any = value
    if isinstance(base, DateTime):
        result = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    elif isinstance(base, Date):
        result = dt.date.fromisoformat(str(value)[:10])
    elif isinstance(base, Time):
        result = value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value)[:8])
    elif isinstance(base, Boolean):
        result = bool(value)
    elif isinstance(base, Enum) and base.enum_class is not None:
        cls: type[enum.Enum] = base.enum_class
        result = cls[value] if value in cls.__members__ else cls(value)
    elif isinstance(base, Numeric) and not isinstance(base, Integer):
        result = decimal.Decimal(str(value)) if base.asdecimal else float(value)
    elif isinstance(base, JSON):
        result = json.loads(value) if isinstance(value, str) else value
    elif isinstance(base, Integer):
        result = int(value)
    if isinstance(type_, TypeDecorator):
        result = type_.process_result_value(result, db.session.get_bind().dialect)
    return result

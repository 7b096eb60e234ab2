"""Provider row scoping — one mechanism for every read and write.

Reads: a ``do_orm_execute`` hook adds ``with_loader_criteria`` for every model that mixes in
``OrgScoped`` to every ORM SELECT made during a request — lists, detail pages, form
dropdowns, search filters, actions, REST endpoints, exports and documents alike. A view cannot
forget it because no view applies it.

Writes: a ``before_flush`` hook takes the organisation from the signed-in user (or from the
person a record hangs off), never from the request; refuses to move a row to another
organisation; and refuses foreign keys that point at rows the user cannot see.

Outside a request (CLI, services in tests) no scope applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from flask import g, has_request_context
from sqlalchemy import and_, event, false, func, inspect, or_, select, union_all
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.elements import ColumnElement

from app.models.base import OrgScoped, PersonOwned
from app.security.matrix import COUNTY_WIDE_ROLES


class ScopeViolationError(Exception):
    """A write that would touch another organisation's records."""


@dataclass(frozen=True)
class Scope:
    """What the current user may see: ``all``, one ``org`` (plus shares), or ``none``."""

    mode: Literal["all", "org", "none"]
    organisation_id: int | None = None
    user_id: int | None = None
    role_names: frozenset[str] = frozenset()


NO_SCOPE = Scope("none")


def scope_for_user(user: Any) -> Scope:
    """Return the scope of a user object (FAB user or anonymous)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_SCOPE
    roles = frozenset(r.name for r in getattr(user, "roles", []))
    if roles & COUNTY_WIDE_ROLES:
        return Scope("all", getattr(user, "organisation_id", None), user.id, roles)
    org_id = getattr(user, "organisation_id", None)
    if org_id is None:
        return Scope("none", None, user.id, roles)
    return Scope("org", org_id, user.id, roles)


def current_scope() -> Scope | None:
    """Return the scope of the request's user, or None outside a request (no filtering)."""
    if not has_request_context():
        return None
    cached = g.get("_msa_scope")
    if cached is not None:
        return cached
    if g.get("_msa_scope_resolving"):
        return NO_SCOPE
    g._msa_scope_resolving = True
    try:
        user = g.get("user")
        if user is None:
            from flask_login import current_user

            user = current_user
        scope = scope_for_user(user)
    finally:
        g._msa_scope_resolving = False
    if scope.mode != "none" or scope.user_id is not None:
        g._msa_scope = scope
    return scope


def reset_scope() -> None:
    """Forget the cached scope (after login or logout within one request)."""
    if has_request_context():
        g.pop("_msa_scope", None)


def visible_organisation_ids(organisation_ids: Iterable[int]) -> list[int]:
    """Return those of ``organisation_ids`` whose rows the current user may see (no query).

    For statements that run unscoped (``msa_unscoped``) and aggregate per organisation: county
    roles (and code outside a request) see every organisation, a provider user only the own,
    a user without organisation none. Persons shared with a provider count for the organisation
    that owns them, so shares add no organisation here.
    """
    ids = list(organisation_ids)
    scope = current_scope()
    if scope is None or scope.mode == "all":
        return ids
    if scope.mode == "none" or scope.organisation_id is None:
        return []
    return [i for i in ids if i == scope.organisation_id]


def active_share() -> ColumnElement[bool]:
    """Condition of a share that has not ended: no end date, or its last day not passed."""
    from app.models.person import PersonShare

    return or_(PersonShare.until.is_(None), PersonShare.until >= func.current_date())


def scope_clause(cls: Any, org_id: int) -> ColumnElement[bool]:
    """Return the visibility condition of model ``cls`` for organisation ``org_id``.

    Shares (``PersonShare``, until their end date) add the shared persons and their records.
    Handovers (issue 14): the receiving organisation owns the person (``organisation_id``);
    records documented before stay with the organisation that wrote them (statistics count
    them there), so the sender's are hidden from the sender after acceptance and shown to the
    receiver when the scope was ``full``.
    """
    from app.models.intake import Handover
    from app.models.person import Person, PersonShare

    shared = select(PersonShare.person_id).where(
        PersonShare.organisation_id == org_id, active_share()
    )
    if cls is Person:
        return or_(cls.organisation_id == org_id, cls.id.in_(shared))
    if issubclass(cls, PersonOwned):
        handed_away = select(Handover.person_id).where(
            Handover.from_organisation_id == org_id, Handover.sender_hidden.is_(True)
        )
        received = select(Handover.person_id).where(
            Handover.to_organisation_id == org_id, Handover.receiver_full.is_(True)
        )
        return or_(
            and_(cls.organisation_id == org_id, cls.person_id.not_in(handed_away)),
            cls.person_id.in_(shared),
            cls.person_id.in_(received),
        )
    return cls.organisation_id == org_id


_SHARED_KEY = "_msa_shared_person_ids"


def _shared_person_ids(session: Session, org_id: int) -> list[int]:
    """Persons shared with ``org_id`` or moved by a handover from or to it — read once per
    request (one short indexed query); empty means the plain ``organisation_id`` condition."""
    from app.models.intake import Handover
    from app.models.person import PersonShare

    cache: dict[int, list[int]] = g.setdefault(_SHARED_KEY, {})
    if org_id not in cache:
        stmt = union_all(
            select(PersonShare.person_id).where(
                PersonShare.organisation_id == org_id, active_share()
            ),
            select(Handover.person_id).where(
                Handover.from_organisation_id == org_id, Handover.sender_hidden.is_(True)
            ),
            select(Handover.person_id).where(
                Handover.to_organisation_id == org_id, Handover.receiver_full.is_(True)
            ),
        )
        cache[org_id] = list(session.execute(stmt.execution_options(msa_unscoped=True)).scalars())
    return cache[org_id]


@event.listens_for(Session, "after_flush")
def _forget_shared_ids(session: Session, flush_context: Any) -> None:
    from app.models.person import PersonShare

    if not has_request_context() or _SHARED_KEY not in g:
        return
    from app.models.intake import Handover

    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    if any(isinstance(obj, (PersonShare, Handover)) for obj in changed):
        g.pop(_SHARED_KEY, None)


def _criteria_for(scope: Scope, session: Session | None = None) -> Any:
    if scope.mode == "none" or scope.organisation_id is None:
        return with_loader_criteria(
            OrgScoped, lambda cls: false(), include_aliases=True, track_closure_variables=False
        )
    org_id = scope.organisation_id
    if session is not None and has_request_context():
        ids = _shared_person_ids(session, org_id)
        if not ids:
            # nothing shared with this organisation (the usual case): the plain condition,
            # which the (organisation_id, …) indexes serve
            return with_loader_criteria(
                OrgScoped, lambda cls: cls.organisation_id == org_id, include_aliases=True
            )
    return with_loader_criteria(
        OrgScoped, lambda cls: scope_clause(cls, org_id), include_aliases=True
    )


@event.listens_for(Session, "do_orm_execute")
def _apply_scope(state: ORMExecuteState) -> None:
    if not state.is_select or state.execution_options.get("msa_unscoped", False):
        return
    # An aggregate over a subquery has no mappers of its own: it is scoped too (the criteria
    # reach the entities inside the subquery), else it would count other providers' rows.
    mappers = state.all_mappers
    if mappers and all(_is_security_model(m.class_) for m in mappers):
        return  # users, roles, permissions: never scoped (and loading them resolves the scope)
    scope = current_scope()
    if scope is None or scope.mode == "all":
        return
    state.statement = state.statement.options(_criteria_for(scope, state.session))


def _is_security_model(cls: type) -> bool:
    from app.models.organisation import MsaUser

    return cls is MsaUser or cls.__module__.startswith("flask_appbuilder.security")


def _visible_org(session: Session, model: Any, pk: Any) -> tuple[bool, int | None]:
    """Return (visible, organisation_id) of row ``pk`` under the current scope.

    Always a SELECT (scoped by ``_apply_scope``), never ``session.get``: the identity map
    may hold rows loaded without scope earlier in the same session.
    """
    row = session.execute(select(model.id, model.organisation_id).where(model.id == pk)).first()
    if row is None:
        return False, None
    return True, row[1]


def _check_visible(session: Session, model: Any, pk: Any) -> None:
    if pk is None:
        return
    if not _visible_org(session, model, pk)[0]:
        raise ScopeViolationError(f"{model.__name__} {pk} ist nicht sichtbar")


def _scoped_fk_targets(obj: Any) -> list[tuple[str, Any]]:
    """Return (attribute, target model) of foreign keys pointing at scoped tables."""
    from app.models.base import OrgScoped as _Scoped

    mapper = inspect(type(obj))
    registry = {m.local_table.name: m.class_ for m in mapper.registry.mappers}
    out: list[tuple[str, Any]] = []
    for attr in mapper.column_attrs:
        for column in attr.columns:
            for fk in getattr(column, "foreign_keys", ()):
                target = registry.get(fk.column.table.name)
                if (
                    target is not None
                    and isinstance(target, type)
                    and issubclass(target, _Scoped)
                    and attr.key != "organisation_id"
                ):
                    out.append((attr.key, target))
    return out


@event.listens_for(Session, "before_flush")
def _enforce_scope_on_write(session: Session, flush_context: Any, instances: Any) -> None:
    scope = current_scope()
    if scope is None or scope.mode == "all":
        return
    from app.models.person import Person

    for obj in list(session.new):
        if not isinstance(obj, OrgScoped):
            continue
        if scope.mode == "none" or scope.organisation_id is None:
            raise ScopeViolationError("Keine Organisation zugeordnet")
        if isinstance(obj, PersonOwned):
            person: Any = getattr(obj, "person", None)
            if person is not None and person in session.new:
                # a person created in the same flush: its organisation is set above
                if person.organisation_id is None:
                    person.organisation_id = scope.organisation_id
                org_id = person.organisation_id
            else:
                person_id = obj.person_id if obj.person_id else getattr(person, "id", None)
                visible, org_id = (
                    _visible_org(session, Person, person_id) if person_id else (False, None)
                )
                if not visible:
                    raise ScopeViolationError("Person ist nicht sichtbar")
            obj.organisation_id = org_id
        else:
            obj.organisation_id = scope.organisation_id
        for key, target in _scoped_fk_targets(obj):
            if key == "person_id" and isinstance(obj, PersonOwned):
                continue
            _check_visible(session, target, getattr(obj, key))
    for obj in list(session.dirty):
        if not isinstance(obj, OrgScoped) or not session.is_modified(obj):
            continue
        if scope.mode == "none":
            raise ScopeViolationError("Keine Organisation zugeordnet")
        state = inspect(obj)
        if state.attrs.organisation_id.history.has_changes():
            raise ScopeViolationError(
                "Die Organisation eines Datensatzes kann nicht geändert werden"
            )
        for key, target in _scoped_fk_targets(obj):
            if state.attrs[key].history.has_changes():
                _check_visible(session, target, getattr(obj, key))
    for obj in list(session.deleted):
        if isinstance(obj, OrgScoped) and scope.mode == "none":
            raise ScopeViolationError("Keine Organisation zugeordnet")


def forget_shares() -> None:
    """Forget the per-request list of shared and handed-over persons (after a bulk write)."""
    if has_request_context():
        g.pop(_SHARED_KEY, None)

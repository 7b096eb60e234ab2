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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from flask import g, has_request_context
from sqlalchemy import and_, event, false, func, inspect, or_, select, union_all
from sqlalchemy.orm import ORMExecuteState, Session, aliased, with_loader_criteria
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


def _held_by(org_id: int) -> Any:
    """Persons whose current custody is with ``org_id``."""
    from app.models.custody import CustodyPeriod

    return select(CustodyPeriod.person_id).where(
        CustodyPeriod.organisation_id == org_id, CustodyPeriod.current.is_(True)
    )


def _shared_with(org_id: int) -> Any:
    """Persons shared with ``org_id`` by their holder, the share still running."""
    from app.models.person import PersonShare

    return select(PersonShare.person_id).where(
        PersonShare.organisation_id == org_id, active_share()
    )


def released(cls: Any) -> ColumnElement[bool]:
    """Condition: row of ``cls`` released to the person's current holder (and its shares).

    The current custody period sees back to ``visible_from_seq``: every row written in one of
    those periods (by the holder or its share recipients) and every row written by one of
    those periods' holders (what each could see when it released the file). A ``master_data``
    handover starts a new horizon, so nothing written before it is released.
    """
    from app.models.custody import CustodyPeriod

    cur = aliased(CustodyPeriod)
    period = aliased(CustodyPeriod)
    return (
        select(period.id)
        .where(
            cur.person_id == cls.person_id,
            cur.current.is_(True),
            period.person_id == cur.person_id,
            period.seq >= cur.visible_from_seq,
            or_(
                period.organisation_id == cls.organisation_id,
                period.id == cls.custody_period_id,
            ),
        )
        .exists()
    )


def scope_clause(cls: Any, org_id: int) -> ColumnElement[bool]:
    """Return the visibility condition of model ``cls`` for organisation ``org_id``.

    The rule (docs/security.md, "Who sees a record"): the person (master data) is seen by its
    current holder and by the organisations it is shared with. A person-owned row is seen by
    an organisation that may see the person, when it wrote the row or the row was released
    to the current holder (``released``). A former holder sees nothing of the person; its own
    rows stay for its figures. Other organisation-owned rows: the own organisation only.
    """
    from app.models.person import Person

    if cls is Person:
        return or_(cls.organisation_id == org_id, cls.id.in_(_shared_with(org_id)))
    if issubclass(cls, PersonOwned):
        involved = _involved(org_id)
        return or_(
            and_(cls.organisation_id == org_id, cls.person_id.not_in(involved)),
            and_(
                cls.person_id.in_(involved),
                or_(cls.person_id.in_(_held_by(org_id)), cls.person_id.in_(_shared_with(org_id))),
                or_(cls.organisation_id == org_id, released(cls)),
            ),
        )
    return cls.organisation_id == org_id


def _involved(org_id: int) -> Any:
    """Persons whose file ``org_id`` shares or shared, was shared, handed over or received —
    the only persons with rows of other writers for it, or rows of its own it may no longer
    see. Every other person-owned row of ``org_id`` is visible by the plain condition."""
    from app.models.custody import CustodyPeriod
    from app.models.intake import Handover
    from app.models.person import PersonShare

    return union_all(
        select(PersonShare.person_id).where(PersonShare.organisation_id == org_id),
        select(PersonShare.person_id).where(PersonShare.person_id.in_(_held_by(org_id))),
        select(Handover.person_id).where(
            Handover.status == "accepted",
            or_(Handover.from_organisation_id == org_id, Handover.to_organisation_id == org_id),
        ),
        # a destroyed person's periods have no person (NOT IN must never meet a NULL)
        select(CustodyPeriod.person_id).where(
            CustodyPeriod.organisation_id == org_id,
            CustodyPeriod.current.is_(False),
            CustodyPeriod.person_id.is_not(None),
        ),
    )


_SHARED_KEY = "_msa_shared_person_ids"


def _shared_person_ids(session: Session, org_id: int) -> list[int]:
    """Persons ``org_id`` is involved with beyond plain ownership (``_involved``) — read once
    per request (one short indexed query); empty means the plain ``organisation_id``
    condition, which the (organisation_id, …) indexes serve."""
    cache: dict[int, list[int]] = g.setdefault(_SHARED_KEY, {})
    if org_id not in cache:
        stmt = select(_involved(org_id).subquery().c[0].label("involved_person_id")).limit(1)
        cache[org_id] = list(session.execute(stmt.execution_options(msa_unscoped=True)).scalars())
    return cache[org_id]


@event.listens_for(Session, "after_flush")
def _forget_shared_ids(session: Session, flush_context: Any) -> None:
    from app.models.person import PersonShare

    if not has_request_context() or _SHARED_KEY not in g:
        return
    from app.models.custody import CustodyPeriod
    from app.models.intake import Handover

    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    if any(isinstance(obj, (PersonShare, Handover, CustodyPeriod)) for obj in changed):
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


def scope_criteria(session: Session) -> tuple[tuple[Any, ...], Callable[[], Any] | None]:
    """The row scope ``_apply_scope`` adds to a select of this moment: (key, option maker).

    For a statement built once and kept (``app.services.bundle``): the key names everything
    the option depends on — the scope's mode, the organisation and whether it is involved in
    shares or handovers (the plain or the full condition) — so a kept statement carrying the
    option is used again only under the same key. The maker gives the hook's own option
    (``_criteria_for``); a statement that carries it runs with ``msa_unscoped`` so that the
    hook does not add it a second time. ``None``: the hook adds nothing.
    """
    scope = current_scope()
    if scope is None:
        return ("outside",), None
    if scope.mode == "all":
        return ("all",), None

    def option() -> Any:
        return _criteria_for(scope, session)

    if scope.mode == "none" or scope.organisation_id is None:
        return ("none",), option
    involved = bool(has_request_context() and _shared_person_ids(session, scope.organisation_id))
    return ("org", scope.organisation_id, involved), option


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
                holder = person.organisation_id
            else:
                person_id = obj.person_id if obj.person_id else getattr(person, "id", None)
                visible, holder = (
                    _visible_org(session, Person, person_id) if person_id else (False, None)
                )
                if not visible:
                    raise ScopeViolationError("Person ist nicht sichtbar")
            # the row belongs to its writer: the holder, or the organisation the file is
            # shared with (its own figures, its own special categories); a share recipient's
            # row is stamped with the custody period whose share allowed it
            obj.organisation_id = scope.organisation_id
            if holder != scope.organisation_id:
                obj.__dict__["_msa_stamp_period"] = True
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


@event.listens_for(Session, "before_flush")
def _stamp_custody_period(session: Session, flush_context: Any, instances: Any) -> None:
    """Stamp a share recipient's new row with the custody period it is written in.

    The holder's own rows need no stamp: a holder sees what it wrote, and the holders after it
    see it exactly when they see what that holder wrote (``released``)."""
    rows = [
        obj
        for obj in session.new
        if isinstance(obj, PersonOwned)
        and obj.__dict__.get("_msa_stamp_period")
        and obj.custody_period_id is None
        and obj.person_id
    ]
    if not rows:
        return
    from app.services.intake.custody import current_period_ids

    periods = current_period_ids(session.connection(), sorted({obj.person_id for obj in rows}))
    for obj in rows:
        obj.custody_period_id = periods.get(obj.person_id)


def forget_shares() -> None:
    """Forget the per-request list of shared and handed-over persons (after a bulk write)."""
    if has_request_context():
        g.pop(_SHARED_KEY, None)

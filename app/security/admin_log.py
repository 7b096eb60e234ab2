"""Administration log (Verwaltungsprotokoll) and the backstop of the role-granting rules.

One pair of session hooks sees every change of an account, a role, an organisation or a
permission, whichever path made it (FAB's user administration, the team page, a REST API, the
CLI, the directory sign-in):

* ``before_flush`` computes what changed (old and new value; passwords and TOTP secrets only as
  "geändert"), refuses the change when the acting user may not make it
  (:mod:`app.security.granting`), and refuses any update or deletion of a log row
  (append-only);
* ``after_flush_postexec`` writes one log row per changed object into the same transaction —
  the change and its log row are committed together or not at all.

The actor is the signed-in user of the request; outside a request (CLI, ``msa init``) it is
whatever :func:`acting_as` set, by default ``system``. Sign-in itself (FAB updates
``last_login``; a directory sign-in syncs roles from groups) runs without a signed-in user and
is logged as ``Anmeldung``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import enum
import json
from collections.abc import Iterator
from typing import Any

from flask import g, has_app_context, has_request_context
from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, ViewMenu
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.models.admin_log import AdminLogEntry
from app.models.organisation import MsaUser, Organisation
from app.security.granting import Account, GrantRefusedError, check_change

#: account fields that change on every sign-in or are bookkeeping: never logged, never checked
IGNORED_USER_FIELDS = frozenset(
    {
        "last_login",
        "login_count",
        "fail_login_count",
        "changed_on",
        "changed_by_fk",
        "changed_by",
        "created_on",
        "created_by_fk",
        "created_by",
        "totp_last_step",
        "session_epoch",
    }
)
#: fields logged as "geändert" without value
SECRET_FIELDS = frozenset({"password", "totp_secret", "calendar_token"})
#: fields a user may change on the own account (profile, password, second factor)
SELF_SERVICE_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "email",
        "password",
        "totp_secret",
        "totp_enabled",
        # "Mein Kalender" — feed token, names in the feed, the e-mail digest
        "calendar_token",
        "calendar_names",
        "reminder_digest",
    }
)
CHANGED = "geändert"
_PENDING = "_msa_admin_log_pending"
_ACTOR_KEY = "_msa_admin_actor"

OBJECT_LABELS = {
    "user": "Benutzerkonto",
    "role": "Rolle",
    "organisation": "Organisation",
    "permission": "Recht",
}
ACTION_LABELS = {
    "create": "angelegt",
    "update": "geändert",
    "delete": "gelöscht",
    "refused": "verweigert",
}
_REFUSALS = "_msa_admin_refusals"


class AdminLogAppendOnlyError(Exception):
    """A row of the administration log was to be changed or deleted."""


@contextlib.contextmanager
def acting_as(user: Any = None, name: str | None = None) -> Iterator[None]:
    """Make ``user`` (rules apply) or just ``name`` (trusted operator) the actor (CLI)."""
    previous = g.get(_ACTOR_KEY)
    setattr(g, _ACTOR_KEY, (user, name or getattr(user, "username", None) or "system"))
    try:
        yield
    finally:
        setattr(g, _ACTOR_KEY, previous)


def _actor() -> tuple[Any, str, int | None]:
    """(user whose rules apply or None, name for the log, id)."""
    if has_request_context():
        user = g.get("user")
        if user is not None and getattr(user, "is_authenticated", False):
            return user, str(user.username), int(user.id)
        if g.get(_ACTOR_KEY) is None:
            return None, "Anmeldung", None
    if has_app_context():
        explicit = g.get(_ACTOR_KEY)
        if explicit is not None:
            user, name = explicit
            return user, name, getattr(user, "id", None)
    return None, "system", None


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _pv_label(pv: Any) -> str:
    return f"{getattr(pv.permission, 'name', '?')} {getattr(pv.view_menu, 'name', '?')}"


def _column_changes(obj: Any, ignored: frozenset[str]) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in ignored:
            continue
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new and state.persistent:
            continue
        if attr.key in SECRET_FIELDS:
            changes[attr.key] = [None, CHANGED]
        else:
            changes[attr.key] = [_plain(old), _plain(new)]
    return changes


def _passive_history(obj: Any, key: str) -> Any:
    """History of a relationship without loading it (an unloaded one cannot have changed):
    signing in (FAB counts ``last_login``) must not cost a SELECT of the roles."""
    from sqlalchemy.orm.attributes import get_history
    from sqlalchemy.orm.base import PassiveFlag

    return get_history(obj, key, passive=PassiveFlag.PASSIVE_NO_INITIALIZE)


def _collection_change(obj: Any, key: str, label: Any) -> tuple[list[Any], list[Any]] | None:
    hist = _passive_history(obj, key)
    if not hist.added and not hist.deleted:
        return None
    before = [*hist.unchanged, *hist.deleted]
    after = [*hist.unchanged, *hist.added]
    return sorted(label(x) for x in before), sorted(label(x) for x in after)


def _org_kind(session: Session, org_id: int | None) -> str | None:
    if org_id is None:
        return None
    with session.no_autoflush:
        org = session.get(Organisation, org_id)
    return None if org is None else _plain(org.kind)


def _user_states(session: Session, user: Any) -> tuple[Account | None, Account | None]:
    """(state before, state after) of an account, as the granting rules see it."""
    state = inspect(user)
    roles_hist = state.attrs["roles"].history
    roles_now = frozenset(r.name for r in (user.roles or []))
    roles_before = frozenset(r.name for r in [*roles_hist.unchanged, *roles_hist.deleted])
    org_hist = state.attrs["organisation"].history
    if org_hist.added or org_hist.deleted:
        org_after = user.organisation.id if user.organisation is not None else None
        org_before_obj = org_hist.deleted[0] if org_hist.deleted else None
        org_before = org_before_obj.id if org_before_obj is not None else None
    else:
        id_hist = state.attrs["organisation_id"].history
        org_after = user.organisation_id
        org_before = id_hist.deleted[0] if id_hist.deleted else user.organisation_id
    if not roles_hist.has_changes():
        roles_before = roles_now
    after = Account(user.id, roles_now, org_after, _org_kind(session, org_after))
    before = Account(user.id, roles_before, org_before, _org_kind(session, org_before))
    if state.pending or state.transient:
        return None, after
    if state.deleted or user in session.deleted:
        return before, None
    return before, after


def _committed_account(session: Session, user: Any) -> Account:
    """The account as stored: an actor editing itself must not act with the roles it is
    about to give itself (``g.user`` is the same object as the edited row)."""
    state = inspect(user)
    if state.transient or state.pending:
        return Account.of(user)
    before, _after = _user_states(session, user)
    return before if before is not None else Account.of(user)


def _user_entry(session: Session, user: Any, action: str, actor: Any) -> dict[str, Any] | None:
    if action == "delete":
        changes: dict[str, list[Any]] = {}
    else:
        changes = _column_changes(user, IGNORED_USER_FIELDS | {"organisation_id"})
        roles = _collection_change(user, "roles", lambda r: r.name)
        if roles is not None:
            changes["roles"] = [roles[0], roles[1]]
        org_hist = _passive_history(user, "organisation")
        org_changed = bool(org_hist.added or org_hist.deleted) or (
            inspect(user).attrs["organisation_id"].history.has_changes()
        )
        if action == "update" and not changes and not org_changed:
            return None
        before, after = _user_states(session, user)
        if before is None or after is None or before.organisation_id != after.organisation_id:
            old_id = None if before is None else before.organisation_id
            new_id = None if after is None else after.organisation_id
            if old_id != new_id:
                changes["organisation_id"] = [old_id, new_id]
        if action == "update" and not changes:
            return None
    if actor is not None:
        actor_account = _committed_account(session, actor)
        self_service = (
            action == "update"
            and getattr(user, "id", None) == actor_account.id
            and set(changes) <= SELF_SERVICE_FIELDS
        )
        if not self_service:
            before, after = _user_states(session, user)
            if action == "delete":
                before, after = (before or after), None
            try:
                check_change(actor_account, before, after)
            except GrantRefusedError as exc:
                _note_refusal(action, "user", user.id, user.username, changes, exc)
                raise
    return {"object_type": "user", "label": getattr(user, "username", None), "changes": changes}


def _role_entry(role: Any, action: str) -> dict[str, Any] | None:
    changes = {} if action == "delete" else _column_changes(role, frozenset())
    if action != "delete":
        perms = _collection_change(role, "permissions", _pv_label)
        if perms is not None:
            removed = sorted(set(perms[0]) - set(perms[1]))
            added = sorted(set(perms[1]) - set(perms[0]))
            changes["permissions"] = [removed, added]
        if action == "update" and not changes:
            return None
    return {"object_type": "role", "label": role.name, "changes": changes}


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in [*session.dirty, *session.deleted]:
        if isinstance(obj, AdminLogEntry) and (
            obj in session.deleted or session.is_modified(obj, include_collections=False)
        ):
            raise AdminLogAppendOnlyError("Das Verwaltungsprotokoll kann nicht geändert werden.")
    watched = (MsaUser, Role, Organisation, PermissionView)
    candidates = [
        *(("create", o) for o in session.new if isinstance(o, watched)),
        *(("update", o) for o in session.dirty if isinstance(o, watched)),
        *(("delete", o) for o in session.deleted if isinstance(o, watched)),
    ]
    if not candidates:
        return
    actor, _name, _id = _actor()
    pending = session.info.setdefault(_PENDING, [])
    with session.no_autoflush:
        for action, obj in candidates:
            if action == "update" and not session.is_modified(obj):
                continue
            entry: dict[str, Any] | None
            if isinstance(obj, MsaUser):
                entry = _user_entry(session, obj, action, actor)
            elif isinstance(obj, Role):
                entry = _role_entry(obj, action)
            elif isinstance(obj, Organisation):
                changes = {} if action == "delete" else _column_changes(obj, frozenset())
                if "kind" in changes and action == "update":
                    _check_kind_change(session, obj, changes, actor)
                entry = {"object_type": "organisation", "label": obj.name, "changes": changes}
                if action == "update" and not changes:
                    entry = None
            else:
                if action == "update":
                    continue
                entry = {"object_type": "permission", "label": _pv_label(obj), "changes": {}}
            if entry is not None:
                entry["action"] = action
                entry["obj"] = obj
                pending.append(entry)


def _after_flush_postexec(session: Session, _context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    _actor_user, name, actor_id = _actor()
    for entry in pending:
        obj = entry["obj"]
        session.add(
            AdminLogEntry(
                actor_id=actor_id,
                actor_name=name[:128],
                action=entry["action"],
                object_type=entry["object_type"],
                object_id=getattr(obj, "id", None),
                object_label=(str(entry["label"]) if entry["label"] is not None else None),
                changes=json.dumps(entry["changes"], ensure_ascii=False, sort_keys=True),
            )
        )


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def install() -> None:
    """Install the hooks on every session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush_postexec", _after_flush_postexec)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))


install()

__all__ = [
    "ACTION_LABELS",
    "OBJECT_LABELS",
    "AdminLogAppendOnlyError",
    "GrantRefusedError",
    "Permission",
    "ViewMenu",
    "acting_as",
    "install",
]


def check_user(user: Any, action: str) -> None:
    """Raise :class:`GrantRefusedError` unless the acting user may make this change of ``user``
    (a refusal is logged)."""
    from app.extensions import db

    actor, _name, _id = _actor()
    try:
        with db.session.no_autoflush:
            _user_entry(db.session, user, action, actor)
    except GrantRefusedError:
        write_refusals()
        raise


def _check_kind_change(
    session: Session, org: Any, changes: dict[str, list[Any]], actor: Any
) -> None:
    """Changing an organisation's kind changes every account in it: each account must stay
    one the actor may manage and its roles must fit the new kind (a Kreis-Admin must not
    turn a provider full of accounts it made into the county organisation)."""
    old_kind, new_kind = changes["kind"]
    users = session.scalars(select(MsaUser.id).where(MsaUser.organisation_id == org.id)).all()
    acting = None if actor is None else _committed_account(session, actor)
    for user_id in users:
        user = session.get(MsaUser, user_id)
        if user is None:
            continue
        roles = frozenset(r.name for r in user.roles or [])
        before = Account(user.id, roles, org.id, old_kind)
        after = Account(user.id, roles, org.id, new_kind)
        try:
            if acting is not None:
                check_change(acting, before, after)
            else:
                from app.security.granting import fit_problem

                problem = fit_problem(roles, new_kind)
                if problem:
                    raise GrantRefusedError(problem)
        except GrantRefusedError as exc:
            message = f"Die Art kann nicht geändert werden (Konto {user.username}): {exc}"
            _note_refusal("update", "organisation", org.id, org.name, changes, message)
            raise GrantRefusedError(message) from exc


def check_organisation(org: Any) -> None:
    """Raise :class:`GrantRefusedError` unless the acting user may change ``org`` so (its
    kind decides which roles its accounts may hold); a refusal is logged."""
    from app.extensions import db

    actor, _name, _id = _actor()
    try:
        with db.session.no_autoflush:
            changes = _column_changes(org, frozenset())
            if "kind" in changes and inspect(org).persistent:
                _check_kind_change(db.session, org, changes, actor)
    except GrantRefusedError:
        write_refusals()
        raise


def _note_refusal(
    action: str,
    object_type: str,
    object_id: Any,
    label: Any,
    changes: dict[str, list[Any]],
    reason: Any,
) -> None:
    """Remember a refused change; :func:`write_refusals` logs it after the rollback."""
    if not has_app_context():
        return
    pending = g.get(_REFUSALS)
    if pending is None:
        pending = []
        setattr(g, _REFUSALS, pending)
    pending.append(
        {
            "object_type": object_type,
            "object_id": object_id,
            "label": None if label is None else str(label),
            "changes": {
                "_aktion": [None, ACTION_LABELS.get(action, action)],
                "_grund": [None, str(reason)],
                **changes,
            },
        }
    )


def write_refusals() -> int:
    """Roll back the refused change and log every noted refusal (``verweigert``); return how
    many. A refusal that the flush hook noted is written by the caller that caught it (the
    error handler, a service, or the request's end)."""
    from app.extensions import db

    pending = g.pop(_REFUSALS, None) if has_app_context() else None
    if not pending:
        return 0
    _actor_user, name, actor_id = _actor()
    db.session.rollback()
    for entry in pending:
        db.session.add(
            AdminLogEntry(
                actor_id=actor_id,
                actor_name=name[:128],
                action="refused",
                object_type=entry["object_type"],
                object_id=entry["object_id"],
                object_label=(entry["label"] or "")[:300] or None,
                changes=json.dumps(entry["changes"], ensure_ascii=False, sort_keys=True),
            )
        )
    db.session.commit()
    return len(pending)


def refuse(
    action: str,
    object_type: str,
    object_id: Any,
    label: Any,
    changes: dict[str, list[Any]],
    reason: Any,
) -> None:
    """Log a refused change now (the caller raises the refusal afterwards)."""
    _note_refusal(action, object_type, object_id, label, changes, reason)
    write_refusals()

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
from sqlalchemy import event, inspect
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
SECRET_FIELDS = frozenset({"password", "totp_secret"})
#: fields a user may change on the own account (profile, password, second factor)
SELF_SERVICE_FIELDS = frozenset(
    {"first_name", "last_name", "email", "password", "totp_secret", "totp_enabled"}
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
ACTION_LABELS = {"create": "angelegt", "update": "geändert", "delete": "gelöscht"}


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
            check_change(actor_account, before, after)
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
    """Raise :class:`GrantRefusedError` unless the acting user may make this change of ``user``."""
    from app.extensions import db

    actor, _name, _id = _actor()
    with db.session.no_autoflush:
        _user_entry(db.session, user, action, actor)

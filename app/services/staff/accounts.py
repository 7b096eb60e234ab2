"""Benutzerkonten — the one door for creating and changing staff accounts.

Every way an account is made or changed — FAB's user form (``/users/add``, ``/users/edit``),
the password reset, the team page of the Trägerleitung, ``flask msa create-user``, the demo
data — goes through these verbs, so each gets the same rules:

* the role-granting rules (:mod:`app.security.granting`); a refused change leaves a row
  ``verweigert`` in the administration log (:func:`app.security.admin_log.refuse`);
* at least one role;
* the password policy (:mod:`app.security.passwords`) and a salted hash — never the password;
* usernames unique without regard to case (``Pruefer`` and ``pruefer`` are the same sign-in
  name): checked here with a German message and enforced by the database (a unique index on
  ``lower(username)``), so that signing in always finds exactly one account.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import MsaUser, Organisation
from app.security import matrix
from app.services.errors import unit_of_work
from app.services.organisations import DomainError

#: the length of FAB's ``ab_user.username`` column
USERNAME_MAX = 64
NO_ROLE = "Bitte wählen Sie mindestens eine Rolle."
#: how the administration log shows a secret that changed
CHANGED = "geändert"


def normalise_username(username: str) -> str:
    """Return the sign-in name as stored (trimmed, NFC); raise when it cannot be one."""
    name = unicodedata.normalize("NFC", (username or "").strip())
    if not name:
        raise DomainError("Bitte geben Sie einen Benutzernamen ein.")
    if len(name) > USERNAME_MAX:
        raise DomainError(f"Der Benutzername darf höchstens {USERNAME_MAX} Zeichen lang sein.")
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in name):
        raise DomainError("Der Benutzername darf keine Leer- oder Steuerzeichen enthalten.")
    return name


def username_key(username: str) -> str:
    """The form in which two sign-in names are the same (the unique index compares lower())."""
    return (username or "").strip().lower()


def find_by_username(username: str) -> MsaUser | None:
    """The one account with this sign-in name, whatever its case."""
    return db.session.scalars(
        select(MsaUser).where(func.lower(MsaUser.username) == username_key(username))
    ).one_or_none()


def check_username_free(username: str, *, account_id: int | None = None) -> None:
    """Raise unless no other account has this sign-in name (case does not count)."""
    query = select(MsaUser.id).where(func.lower(MsaUser.username) == username_key(username))
    if account_id is not None:
        query = query.where(MsaUser.id != account_id)
    with db.session.no_autoflush:
        taken = db.session.scalars(query.limit(1)).first()
    if taken is not None:
        raise DomainError(
            f"Der Benutzername „{username}“ ist bereits vergeben "
            "(Groß- und Kleinschreibung zählen dabei nicht)."
        )


def check_password(password: str, *, username: str | None = None) -> None:
    """Raise with the German reason when the password policy refuses ``password``."""
    from app.security.passwords import password_problem

    problem = password_problem(password or "", user_inputs=[username] if username else None)
    if problem:
        raise DomainError(problem)


def hash_password(password: str) -> str:
    """A salted hash as FAB stores and checks it (``FAB_PASSWORD_HASH_METHOD``)."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(
        password,
        method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )


def _grant_refused(exc: BaseException) -> DomainError:
    """The flush hook's backstop refused at the commit: leave a trace, answer German."""
    from app.security.admin_log import write_refusals

    write_refusals()
    return DomainError(str(exc))


def _grant_refused_types() -> tuple[tuple[type[BaseException], Any], ...]:
    from app.security.granting import GrantRefusedError

    return ((GrantRefusedError, _grant_refused),)


def _check_grant(user: MsaUser, action: str) -> None:
    """The role-granting rules for the acting user; a refusal is logged and raised."""
    from app.security.admin_log import check_user
    from app.security.granting import GrantRefusedError

    try:
        check_user(user, action)
    except GrantRefusedError as exc:
        raise DomainError(str(exc)) from exc


def prepare_new(user: MsaUser, password: str | None) -> None:
    """Check a new account built by a form and store the password's hash (FAB ``pre_add``);
    ``password`` None: an account of a central directory (no password here)."""
    user.username = normalise_username(user.username)
    check_username_free(user.username)
    if not user.roles:
        raise DomainError(NO_ROLE)
    if password is not None:
        check_password(password, username=user.username)
    _check_grant(user, "create")
    user.password = hash_password(password) if password is not None else None


def prepare_change(user: MsaUser) -> None:
    """Check a changed account before it is stored (FAB ``pre_update``)."""
    user.username = normalise_username(user.username)
    check_username_free(user.username, account_id=user.id)
    if not user.roles:
        raise DomainError(NO_ROLE)
    _check_grant(user, "update")


def prepare_delete(user: MsaUser) -> None:
    """Check a deletion (FAB ``pre_delete``)."""
    _check_grant(user, "delete")


def create_account(
    username: str,
    password: str,
    role: str,
    *,
    organisation: str | None = None,
    fte: float | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    actor: MsaUser | None = None,
) -> MsaUser:
    """Create a staff account with one role, bound to one organisation.

    ``actor``: the account on whose behalf (its role-granting rules apply); None is the
    operator at the server's shell (rules of an Admin).
    """
    from app.security.admin_log import acting_as
    from app.security.granting import fit_problem

    if role not in matrix.ALL_ROLES:
        raise DomainError(f"Unbekannte Rolle '{role}' ({', '.join(matrix.ALL_ROLES)})")
    sm = current_app.appbuilder.sm  # type: ignore[attr-defined]
    role_obj = sm.find_role(role)
    if role_obj is None:
        raise DomainError("Rollen fehlen: bitte zuerst 'flask msa init' ausführen")
    org = None
    if organisation:
        org = db.session.query(Organisation).filter_by(name=organisation).one_or_none()
        if org is None:
            raise DomainError(f"Organisation '{organisation}' gibt es nicht")
    elif role != matrix.ROLE_ADMIN:
        raise DomainError("Die Rolle verlangt eine Organisation (--organisation)")
    username = normalise_username(username)
    check_username_free(username)
    check_password(password, username=username)
    problem = fit_problem([role], org.kind.value if org else None)
    if problem and actor is None:
        raise DomainError(problem)  # with an actor, the granting check below says it (logged)
    with (
        acting_as(actor, None if actor is not None else "cli"),
        unit_of_work(translate=_grant_refused_types()),
    ):
        user = MsaUser(
            username=username,
            first_name=first_name or username,
            last_name=last_name or (org.name if org else "Admin"),
            email=email or f"{username}@msa.invalid",
            active=True,
            password=hash_password(password),
            organisation_id=org.id if org else None,
            organisation=org,
            fte=Decimal(str(fte if fte is not None else 1.0)),
        )
        db.session.add(user)
        user.roles = [role_obj]
        _check_grant(user, "create")  # a refusal rolls the new account back (and is logged)
    return user


#: the name the CLI, the team page and the demo data have always called
create_user = create_account


def set_password(user_id: Any, password: str, *, actor: MsaUser | None) -> MsaUser:
    """Set a new password (the password reset of the user administration, the own change).

    Someone else's password only by who may manage that account (never an Admin's password by
    a Kreis-Admin — that would be taking over the account). Every session and token of the
    account ends.
    """
    from app.security.admin_log import refuse
    from app.security.granting import Account, GrantRefusedError, check_change
    from app.security.sessions import bump_session_epoch

    try:
        user = db.session.get(MsaUser, int(user_id))
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise DomainError("Dieses Konto gibt es nicht.")
    if actor is not None and int(actor.id) != int(user.id):
        state = Account.of(user)
        try:
            check_change(Account.of(actor), state, state)
        except GrantRefusedError as exc:
            refuse("update", "user", user.id, user.username, {"password": [None, CHANGED]}, exc)
            raise
    check_password(password, username=user.username)
    with unit_of_work():
        user.password = hash_password(password)
    bump_session_epoch(user)
    return user


def set_active(user_id: int, active: bool, *, actor: MsaUser | None) -> MsaUser:
    """Deactivate or reactivate an account (team page of the lead).

    A deactivated account cannot sign in, and its sessions and tokens end at once
    (app.security.manager.load_user).
    """
    from app.security.admin_log import refuse
    from app.security.granting import Account, GrantRefusedError, check_change

    user = db.session.get(MsaUser, user_id)
    if user is None:
        raise DomainError("Dieses Konto gibt es nicht.")
    if actor is not None:
        state = Account.of(user)
        try:
            check_change(Account.of(actor), state, state)
        except GrantRefusedError as exc:
            refuse("update", "user", user.id, user.username, {"active": [user.active, active]}, exc)
            raise DomainError(str(exc)) from exc
    if bool(user.active) == active:
        return user
    with unit_of_work(translate=_grant_refused_types()):
        user.active = active
    return user

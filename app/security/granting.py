"""Who may grant which role to whom — the one place of the role-granting rules.

* **Admin** grants every role, to every account, itself included.
* **Kreis-Admin** creates and edits accounts of providers and of the specialist service with the
  roles Trägerleitung, Fachkraft and Fachberatungsdienst only — never Admin, Kreis-Admin, Prüfer
  or Datenschutzbeauftragte, never an account of the county, and never its own account.
* **Trägerleitung** creates, deactivates and reactivates Fachkraft accounts of its own
  organisation only (the team page), never its own account.
* Every other role grants nothing.

Each role also fits only some kinds of organisation (``ROLE_ORGANISATION_KINDS``).

The rules are pure functions of plain values (:class:`Account`), so that the table test walks
them without a database; :func:`check_change` is called by the user administration views, the
team page, the CLI and — as the backstop for every other path — the flush hook in
``app.security.admin_log``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.security import matrix

#: kinds of organisation a role fits (None: no organisation needed)
ROLE_ORGANISATION_KINDS: dict[str, frozenset[str | None]] = {
    matrix.ROLE_ADMIN: frozenset({None, "county"}),
    matrix.ROLE_COUNTY_ADMIN: frozenset({"county"}),
    matrix.ROLE_REVIEWER: frozenset({"county"}),
    matrix.ROLE_DPO: frozenset({"county"}),
    matrix.ROLE_LEAD: frozenset({"provider", "specialist_service"}),
    matrix.ROLE_CASEWORKER: frozenset({"provider", "specialist_service"}),
    matrix.ROLE_SPECIALIST: frozenset({"specialist_service"}),
}

#: roles a Kreis-Admin may grant, and the kinds of organisation it may manage accounts of
COUNTY_ADMIN_GRANTS = frozenset({matrix.ROLE_LEAD, matrix.ROLE_CASEWORKER, matrix.ROLE_SPECIALIST})
COUNTY_ADMIN_KINDS = frozenset({"provider", "specialist_service"})
#: roles a Trägerleitung may grant (own organisation only)
LEAD_GRANTS = frozenset({matrix.ROLE_CASEWORKER})


class GrantRefusedError(Exception):
    """The actor may not make this change; the message is German and shown to the user."""


@dataclass(frozen=True)
class Account:
    """What the rules need to know of an account: id, roles, organisation and its kind."""

    id: int | None
    roles: frozenset[str] = field(default_factory=frozenset)
    organisation_id: int | None = None
    organisation_kind: str | None = None

    @classmethod
    def of(cls, user: object) -> Account:
        """Describe a user model object (MsaUser) by plain values."""
        org = getattr(user, "organisation", None)
        kind = getattr(getattr(org, "kind", None), "value", None)
        return cls(
            id=getattr(user, "id", None),
            roles=frozenset(r.name for r in getattr(user, "roles", None) or []),
            organisation_id=getattr(user, "organisation_id", None),
            organisation_kind=kind,
        )


def grantable_roles(actor: Account) -> frozenset[str]:
    """Return the roles ``actor`` may give to an account."""
    if matrix.ROLE_ADMIN in actor.roles:
        return frozenset(matrix.ALL_ROLES)
    granted: set[str] = set()
    if matrix.ROLE_COUNTY_ADMIN in actor.roles:
        granted |= COUNTY_ADMIN_GRANTS
    if matrix.ROLE_LEAD in actor.roles and actor.organisation_id is not None:
        granted |= LEAD_GRANTS
    return frozenset(granted)


def fit_problem(roles: Iterable[str], organisation_kind: str | None) -> str | None:
    """Return why ``roles`` do not fit an organisation of ``organisation_kind`` (or None)."""
    for role in sorted(roles):
        kinds = ROLE_ORGANISATION_KINDS.get(role)
        if kinds is None:
            return f"Unbekannte Rolle „{role}“."
        if organisation_kind not in kinds:
            if organisation_kind is None:
                return f"Die Rolle „{role}“ verlangt eine Organisation."
            return f"Die Rolle „{role}“ passt nicht zu dieser Art von Organisation."
    return None


def _may_hold(actor: Account, account: Account) -> str | None:
    """Why ``actor`` may not manage an account in the state ``account`` (None: may)."""
    if matrix.ROLE_ADMIN in actor.roles:
        return None
    if actor.id is not None and account.id == actor.id:
        return "Das eigene Konto kann nur ein Admin ändern."
    allowed = grantable_roles(actor)
    if not allowed:
        return "Sie dürfen keine Benutzerkonten verwalten."
    if not account.roles <= allowed:
        extra = ", ".join(sorted(account.roles - allowed))
        return f"Sie dürfen die Rolle(n) {extra} nicht vergeben oder ändern."
    if matrix.ROLE_COUNTY_ADMIN in actor.roles and account.organisation_kind in COUNTY_ADMIN_KINDS:
        return None
    if (
        matrix.ROLE_LEAD in actor.roles
        and account.roles <= LEAD_GRANTS
        and actor.organisation_id is not None
        and account.organisation_id == actor.organisation_id
    ):
        return None
    return "Sie dürfen Konten dieser Organisation nicht verwalten."


def check_change(actor: Account, before: Account | None, after: Account | None) -> None:
    """Raise :class:`GrantRefusedError` unless ``actor`` may turn ``before`` into ``after``.

    ``before`` is None for a new account, ``after`` None for a deletion. Both states must be
    manageable by the actor (a Kreis-Admin can neither promote a caseworker to Prüfer nor touch
    an existing Prüfer), and the new roles must fit the new organisation.
    """
    for state in (before, after):
        if state is not None:
            problem = _may_hold(actor, state)
            if problem:
                raise GrantRefusedError(problem)
    if after is not None and after.roles:
        problem = fit_problem(after.roles, after.organisation_kind)
        if problem:
            raise GrantRefusedError(problem)
    if (
        after is None
        and before is not None
        and matrix.ROLE_ADMIN not in actor.roles
        and matrix.ROLE_COUNTY_ADMIN not in actor.roles
    ):
        raise GrantRefusedError("Konten Ihres Teams können Sie deaktivieren, aber nicht löschen.")


def may_change(actor: Account, before: Account | None, after: Account | None) -> bool:
    """True when :func:`check_change` accepts the change."""
    try:
        check_change(actor, before, after)
    except GrantRefusedError:
        return False
    return True

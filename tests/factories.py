"""Test data factories with sequences (used inside an app context, no row scope)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from app.extensions import db
from app.models import (
    ContactNote,
    FollowUp,
    MsaUser,
    NetworkPartner,
    Organisation,
    OrganisationKind,
    Person,
)

PASSWORD = "Test-Passwort-lang-2026"
_seq = itertools.count(1)


def id_of(obj: Any) -> Any:
    """Return the primary key of a model object (also when detached) or the id itself."""
    if obj is None or isinstance(obj, int):
        return obj
    from sqlalchemy import inspect

    return inspect(obj).identity[0]


def make_org(name: str | None = None, kind: str = "provider") -> Organisation:
    org = Organisation(name=name or f"Träger {next(_seq)}", kind=OrganisationKind(kind))
    db.session.add(org)
    db.session.commit()
    return org


#: accounts made by the factory have had their FTE since long ago (``fte_since=None``: from the
#: day the account is made, as for a new account in the portal)
STAFF_SINCE = dt.date(2000, 1, 1)


def make_user(role: str, org: Organisation | int | None = None, **kw: Any) -> MsaUser:
    from flask import current_app
    from werkzeug.security import generate_password_hash

    sm = current_app.appbuilder.sm  # type: ignore[attr-defined]
    n = next(_seq)
    org_id = id_of(org)
    since = kw.pop("fte_since", STAFF_SINCE)
    user = MsaUser(
        username=kw.pop("username", f"user{n}"),
        first_name=kw.pop("first_name", f"Vorname{n}"),
        last_name=kw.pop("last_name", f"Nachname{n}"),
        email=kw.pop("email", f"user{n}@test.invalid"),
        active=True,
        password=_password_hash(generate_password_hash),
        organisation_id=org_id,
        fte=kw.pop("fte", 1),
        **kw,
    )
    user.roles = [sm.find_role(role)]
    db.session.add(user)
    db.session.commit()
    if since is not None:
        from app.services.staff.fte_history import fte_since

        fte_since(db.session.connection(), user.id, since)
        db.session.commit()
    return user


_HASH: dict[str, str] = {}


def _password_hash(gen: Any) -> str:
    if "h" not in _HASH:
        _HASH["h"] = gen(PASSWORD)
    return _HASH["h"]


def make_person(org: Organisation | int, **kw: Any) -> Person:
    org_id = id_of(org)
    n = next(_seq)
    person = Person(
        organisation_id=org_id,
        first_name=kw.pop("first_name", f"Amal{n}"),
        last_name=kw.pop("last_name", f"Haddad{n}"),
        birth_date=kw.pop("birth_date", dt.date(1990, 1, 1) + dt.timedelta(days=n)),
        **kw,
    )
    db.session.add(person)
    db.session.commit()
    return person


def make_note(person: Person, caseworker: MsaUser | int, **kw: Any) -> ContactNote:
    cw_id = id_of(caseworker)
    note = ContactNote(
        organisation_id=person.organisation_id,
        person_id=person.id,
        caseworker_id=cw_id,
        date=kw.pop("date", dt.date.today()),
        kind=kw.pop("kind", "individual"),
        summary=kw.pop("summary", "Beratung zu Wohnungssuche"),
        result=kw.pop("result", "Unterlagen besprochen"),
        **kw,
    )
    db.session.add(note)
    db.session.commit()
    return note


def make_follow_up(person: Person, assignee: MsaUser | int, **kw: Any) -> FollowUp:
    a_id = id_of(assignee)
    fu = FollowUp(
        organisation_id=person.organisation_id,
        person_id=person.id,
        assignee_id=a_id,
        due_on=kw.pop("due_on", dt.date.today()),
        title=kw.pop("title", "Unterlagen nachreichen"),
        **kw,
    )
    db.session.add(fu)
    db.session.commit()
    return fu


def make_partner(**kw: Any) -> NetworkPartner:
    partner = NetworkPartner(
        name=kw.pop("name", f"Jobcenter {next(_seq)}"),
        category=kw.pop("category", "public_authority"),
        **kw,
    )
    db.session.add(partner)
    db.session.commit()
    return partner

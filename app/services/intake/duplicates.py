"""Duplicates across providers (issue 14, R-2.6): "already known at provider X".

The caller learns the provider's name and nothing of the file; every such hint is written to
the access log (person of the other provider, action ``duplicate_hint``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Organisation, Person
from app.services.casefile.duplicates import name_key, similar_keys
from app.services.data_protection.access_log import log_accesses


@dataclass(frozen=True)
class KnownElsewhere:
    """A person of another organisation with the same birth date and a similar name."""

    person_id: int
    organisation_id: int
    organisation: str


def known_elsewhere(
    first_name: str, last_name: str, birth_date: dt.date, *, organisation_id: int | None
) -> list[KnownElsewhere]:
    """Return matching persons of OTHER organisations (one unscoped, indexed query)."""
    key = name_key(first_name, last_name)
    stmt = (
        select(
            Person.id,
            Person.organisation_id,
            Organisation.name,
            Person.first_name,
            Person.last_name,
            Person.name_key,
        )
        .join(Organisation, Organisation.id == Person.organisation_id)
        .where(Person.birth_date == birth_date)
        .limit(200)
        .execution_options(msa_unscoped=True)
    )
    if organisation_id is not None:
        stmt = stmt.where(Person.organisation_id != organisation_id)
    out = []
    for pid, org_id, org_name, first, last, stored in db.session.execute(stmt):
        if similar_keys(key, stored or name_key(first, last)):
            out.append(KnownElsewhere(int(pid), int(org_id), str(org_name)))
    return out


def provider_names(hits: list[KnownElsewhere]) -> list[str]:
    """The distinct provider names of the hits, in order (what the caller may learn)."""
    return list(dict.fromkeys(h.organisation for h in hits))


def log_hints(hits: list[KnownElsewhere], channel: str, *, commit: bool = True) -> None:
    """Access-log every cross-provider hint (the other provider's person, never content)."""
    log_accesses(
        [
            (h.person_id, "duplicate_hint", None, f"Dublettenhinweis ({channel}) an anderen Träger")
            for h in hits
        ],
        commit=commit,
    )

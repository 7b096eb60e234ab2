"""Duplicates across providers (R-2.6): "already known at provider X".

The caller learns the provider's name and nothing of the file; every such hint is written to
the access log (person of the other provider, action ``duplicate_hint``). The decision is the
one name matcher's (``app.services.casefile.name_match``), at its "same person" threshold: a
hint names another provider, so precision comes first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Organisation, Person
from app.services.casefile import name_match
from app.services.casefile.duplicates import CANDIDATE_LIMIT, birth_date_condition
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
    mine = name_match.tokens(first_name, last_name)
    stmt = (
        select(
            Person.id,
            Person.organisation_id,
            Organisation.name,
            Person.first_name,
            Person.last_name,
            Person.birth_date,
        )
        .join(Organisation, Organisation.id == Person.organisation_id)
        .where(birth_date_condition(birth_date))
        .limit(CANDIDATE_LIMIT)
        .execution_options(msa_unscoped=True)
    )
    if organisation_id is not None:
        stmt = stmt.where(Person.organisation_id != organisation_id)
    out = []
    for pid, org_id, org_name, first, last, born in db.session.execute(stmt):
        other = name_match.tokens(first, last)
        if name_match.compare_tokens(mine, birth_date, other, born).same:
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


def log_check(
    hits: list[KnownElsewhere], channel: str, *, own_hits: int = 0, checked: int = 1
) -> None:
    """Access-log one duplicate check — hit or miss — with the asking account (the current
    user), and every cross-provider hint; committed at once, so that no later failure of the
    request can take the trace back (a miss is an answer too)."""
    detail = (
        f"Dublettenprüfung ({channel}): {checked} geprüft, {len(hits)} Treffer bei anderen "
        f"Trägern, {own_hits} eigene"
    )
    log_accesses([(None, "duplicate_check", "duplicate_check", detail)], commit=False)
    log_hints(hits, channel, commit=False)
    db.session.commit()


def log_refused_check(channel: str) -> None:
    """Access-log a check refused by the account's budget (app.security.duplicate_throttle)."""
    log_accesses(
        [(None, "duplicate_check", "duplicate_check", f"Dublettenprüfung ({channel}): gedrosselt")]
    )


def log_list_check(matched_person_ids: list[int], *, checked: int, channel: str) -> None:
    """Access-log the duplicate check of an assignment-list preview: one row for the check
    (rows checked, hits) and one per matched person (which provider's file it named)."""
    hits = len(matched_person_ids)
    detail = f"Dublettenprüfung ({channel}): {checked} Zeile(n) geprüft, {hits} Treffer"
    log_accesses(
        [
            (None, "duplicate_check", "duplicate_check", detail),
            *(
                (pid, "duplicate_hint", None, f"Dublettenhinweis ({channel})")
                for pid in matched_person_ids
            ),
        ]
    )


def log_preview_page(person_ids: list[int], *, filename: str, page: int) -> None:
    """Access-log one shown page of an assignment-list preview: one row per person whose
    provider (where the person is held) the page shows — every time it is shown, paging and
    reloading included (the check itself is logged once, :func:`log_list_check`)."""
    detail = f"Vorschau Zuweisungsliste {filename}, Seite {page}: Träger angezeigt"[:300]
    ids = list(dict.fromkeys(person_ids))
    if ids:
        log_accesses([(pid, "import", "import_preview", detail) for pid in ids])

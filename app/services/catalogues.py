"""Reference catalogues: seed from app/data/catalogues.json, look up labels and codes."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import g, has_request_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.i18n import english
from app.models import CatalogueEntry
from app.services.errors import unit_of_work

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@lru_cache(maxsize=1)
def catalogue_file() -> dict[str, list[dict[str, Any]]]:
    """Return the shipped catalogue data."""
    with (DATA_DIR / "catalogues.json").open(encoding="utf-8") as fh:
        data: dict[str, list[dict[str, Any]]] = json.load(fh)
    return data


def sync_catalogues() -> int:
    """Insert shipped entries that are missing; keep the county's edits. Return inserted count."""
    with unit_of_work():
        existing = {(e.catalogue, e.code) for e in db.session.query(CatalogueEntry).all()}
        inserted = 0
        for name, entries in catalogue_file().items():
            for order, entry in enumerate(entries):
                if (name, entry["code"]) in existing:
                    continue
                db.session.add(
                    CatalogueEntry(
                        catalogue=name,
                        code=entry["code"],
                        label_de=entry["de"],
                        label_en=entry.get("en") or entry["de"],
                        sort_order=order,
                        active=True,
                        extra=entry.get("extra"),
                    )
                )
                inserted += 1
    return inserted


#: one catalogue row of the per-request snapshot: (code, label, active, sort order)
_Entry = tuple[str, str, bool, int]


def _label_column() -> Any:
    """The label column of the request's language (the German one outside a request)."""
    return CatalogueEntry.label_en if english() else CatalogueEntry.label_de


def _snapshot() -> dict[str, list[_Entry]] | None:
    """All catalogues in ONE statement, once per request (a page needs several catalogues).

    Outside a request (CLI, services in tests) every call reads the table. The snapshot is
    dropped when a catalogue entry is written in the same request. Labels are the English ones
    when the request is in English (the German one where the English label is empty).
    """
    if not has_request_context():
        return None
    snap: dict[str, list[_Entry]] | None = g.get("_msa_catalogues")
    if snap is None:
        snap = {}
        rows = db.session.execute(
            select(
                CatalogueEntry.catalogue,
                CatalogueEntry.code,
                CatalogueEntry.label_de,
                CatalogueEntry.label_en,
                CatalogueEntry.active,
                CatalogueEntry.sort_order,
            )
        )
        in_english = english()
        for name, code, label_de, label_en, active, order in rows:
            label = (label_en or label_de) if in_english else label_de
            snap.setdefault(name, []).append((code, label, bool(active), order))
        g._msa_catalogues = snap
    return snap


@event.listens_for(Session, "after_flush")
def _drop_snapshot(session: Session, flush_context: Any) -> None:
    if has_request_context() and "_msa_catalogues" in g:
        changed = (*session.new, *session.dirty, *session.deleted)
        if any(isinstance(obj, CatalogueEntry) for obj in changed):
            g.pop("_msa_catalogues", None)
            g.pop("_msa_catalogue_labels", None)
            g.pop("_msa_catalogue_choices", None)


def choices(catalogue: str) -> list[tuple[str, str]]:
    """Return (code, label) of the active entries of a catalogue, in order."""
    snap = _snapshot()
    if snap is not None:
        entries = sorted((e for e in snap.get(catalogue, []) if e[2]), key=lambda e: (e[3], e[1]))
        return [(code, label) for code, label, _active, _order in entries]
    rows = (
        db.session.query(CatalogueEntry.code, _label_column())
        .filter(CatalogueEntry.catalogue == catalogue, CatalogueEntry.active.is_(True))
        .order_by(CatalogueEntry.sort_order, CatalogueEntry.label_de)
        .all()
    )
    return [(code, label) for code, label in rows]


def labels(catalogue: str) -> dict[str, str]:
    """Return code → label of a catalogue (inactive entries included)."""
    snap = _snapshot()
    if snap is not None:
        return {code: label for code, label, _active, _order in snap.get(catalogue, [])}
    rows = (
        db.session.query(CatalogueEntry.code, _label_column())
        .filter(CatalogueEntry.catalogue == catalogue)
        .all()
    )
    return dict(rows)


def load_many(*catalogues: str) -> dict[str, list[tuple[str, str, bool]]]:
    """Return catalogue → [(code, label, active)] in order, for several in one query."""
    snap = _snapshot()
    if snap is not None:
        return {
            name: [
                (code, label, active)
                for code, label, active, _order in sorted(
                    snap.get(name, []), key=lambda e: (e[3], e[1])
                )
            ]
            for name in catalogues
        }
    rows = (
        db.session.query(
            CatalogueEntry.catalogue,
            CatalogueEntry.code,
            _label_column(),
            CatalogueEntry.active,
        )
        .filter(CatalogueEntry.catalogue.in_(catalogues))
        .order_by(CatalogueEntry.catalogue, CatalogueEntry.sort_order, CatalogueEntry.label_de)
        .all()
    )
    out: dict[str, list[tuple[str, str, bool]]] = {name: [] for name in catalogues}
    for name, code, label, active in rows:
        out[name].append((code, label, bool(active)))
    return out


def labels_many(*catalogues: str) -> dict[str, dict[str, str]]:
    """``labels`` of several catalogues in one query: catalogue → code → German label."""
    return {
        name: {code: label for code, label, _active in entries}
        for name, entries in load_many(*catalogues).items()
    }


def valid_codes(catalogue: str) -> set[str]:
    """Return the active codes of a catalogue."""
    return {code for code, _ in choices(catalogue)}


#: at most this many accepted values are named in a refusal (a nationality list is long)
ACCEPTED_SHOWN = 12


def accepted(catalogue: str) -> str:
    """The accepted values of a catalogue for a refusal: "Erlaubt: Arbeit (work), …"."""
    entries = choices(catalogue)
    shown = ", ".join(f"{label} ({code})" for code, label in entries[:ACCEPTED_SHOWN])
    if not entries:
        return "Der Katalog hat keine aktiven Einträge."
    more = len(entries) - ACCEPTED_SHOWN
    tail = f" und {more} weitere (Verwaltung → Kataloge)" if more > 0 else ""
    return f"Erlaubt: {shown}{tail}."

"""Katalog-Zuordnungen — how counties' lists write catalogue values.

A list from a foreigners' authority writes the nationality as an adjective ("afghanisch") and the
residence status as a legal reference ("§ 24 AufenthG", "AE § 25 Abs. 2 S. 1 Alt. 1 AufenthG").
The portal ships such aliases in ``app/data/catalogue_aliases.json``; the Kreis-Admin extends
them (``CatalogueAlias`` rows, page "Katalog-Zuordnungen"). :func:`alias_key` makes the
spellings comparable: case, spaces, umlauts and punctuation do not count, "Absatz"/"Abs.",
"Satz"/"S." and "Alternative"/"Alt." are the same, a leading "AE"/"Aufenthaltserlaubnis"/"nach"
is dropped and an inflected adjective ("afghanische", "syrischer") is its base form.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from app.extensions import db
from app.models import CatalogueEntry
from app.models.intake import CatalogueAlias
from app.services.errors import DomainError, unit_of_work
from app.services.intake.import_table import normalise_header

CATALOGUES = {"nationality": "Staatsangehörigkeit", "residence_status": "Aufenthaltsstatus"}
#: the sex column's usual words (the catalogue has codes and labels)
SEX_WORDS = {
    "m": "male",
    "mann": "male",
    "maennlich": "male",
    "male": "male",
    "w": "female",
    "f": "female",
    "frau": "female",
    "weiblich": "female",
    "female": "female",
    "d": "diverse",
    "divers": "diverse",
    "x": "unknown",
    "unbekannt": "unknown",
    "oa": "unknown",
    "ohneangabe": "unknown",
}
_DATA = Path(__file__).resolve().parents[2] / "data" / "catalogue_aliases.json"
_PREFIX = re.compile(r"^(aufenthaltserlaubnis|ae|nach|gem|gemaess)(?=\d|art)")
_ADJECTIVE = re.compile(r"isch(e|er|es|en|em)$")


def alias_key(text: Any) -> str:
    """The comparable form of a spelling (see the module text)."""
    s = str(text or "").casefold()
    s = s.replace("absatz", "abs").replace("satz", "s").replace("alternative", "alt")
    key = normalise_header(s)
    key = _PREFIX.sub("", key)
    return _ADJECTIVE.sub("isch", key)


@cache
def builtin_aliases() -> dict[str, dict[str, str]]:
    """catalogue -> {alias text: code} shipped with the portal."""
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    return {c: dict(data.get(c, {})) for c in CATALOGUES}


def lookup() -> dict[str, dict[str, str]]:
    """catalogue -> {alias key: code}: the shipped aliases, then the county's own (they win)."""
    out = {c: {alias_key(a): code for a, code in builtin_aliases()[c].items()} for c in CATALOGUES}
    for catalogue, key, code in db.session.execute(
        select(CatalogueAlias.catalogue, CatalogueAlias.alias_key, CatalogueAlias.code)
    ):
        if catalogue in out:
            out[catalogue][key] = code
    return out


def county_aliases(*, limit: int, offset: int) -> tuple[list[CatalogueAlias], int]:
    """The county's own aliases (page) and how many there are."""
    from sqlalchemy import func

    total = int(db.session.scalar(select(func.count(CatalogueAlias.id))) or 0)
    rows = db.session.scalars(
        select(CatalogueAlias)
        .order_by(CatalogueAlias.catalogue, CatalogueAlias.alias_key)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def add_alias(catalogue: str, alias: str, code: str, *, actor: Any) -> CatalogueAlias:
    """Add a county alias (Kreis-Admin); German DomainError when it cannot be taken."""
    alias = (alias or "").strip()
    if catalogue not in CATALOGUES:
        raise DomainError("Bitte einen Katalog wählen.", field="catalogue", key="catalogue")
    key = alias_key(alias)
    if not key or len(alias) > 200:
        raise DomainError(
            "Bitte die Schreibweise angeben (höchstens 200 Zeichen).", field="alias", key="alias"
        )
    known = db.session.scalar(
        select(CatalogueEntry.code).where(
            CatalogueEntry.catalogue == catalogue, CatalogueEntry.code == code
        )
    )
    if known is None:
        raise DomainError("Bitte einen Katalogwert wählen.", field="code", key="code")
    taken = db.session.scalar(
        select(CatalogueAlias.id).where(
            CatalogueAlias.catalogue == catalogue, CatalogueAlias.alias_key == key
        )
    )
    if taken is not None:
        raise DomainError(
            f"Die Schreibweise „{alias}“ ist schon zugeordnet.", field="alias", key="taken"
        )
    with unit_of_work() as session:
        row = CatalogueAlias(
            catalogue=catalogue,
            alias=alias,
            alias_key=key,
            code=code,
            created_by_id=getattr(actor, "id", None),
        )
        session.add(row)
    return row


def delete_alias(pk: int) -> None:
    """Remove a county alias (the shipped ones stay)."""
    with unit_of_work() as session:
        session.execute(delete(CatalogueAlias).where(CatalogueAlias.id == pk))


@dataclass
class Catalogues:
    """Lookups of the coded columns: normalised label/code -> code."""

    sex: dict[str, str]
    nationality: dict[str, str]
    residence_status: dict[str, str]
    #: catalogue -> {alias key: code} (app.services.intake.aliases)
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    #: catalogue -> {code: German label} (the preview shows labels, not codes)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    #: (catalogue, text) -> code of the texts met so far (a list repeats a few values)
    _seen: dict[tuple[str, str], str | None] = field(default_factory=dict, repr=False)

    def code(self, catalogue: str, text: str) -> str | None:
        """The code a cell's text stands for (code, label, ISO code or alias), or None."""
        key = (catalogue, text)
        if key in self._seen:
            return self._seen[key]
        found = getattr(self, catalogue).get(normalise_header(text))
        if found is None:
            found = self.aliases.get(catalogue, {}).get(alias_key(text))
        if len(self._seen) < 100_000:
            self._seen[key] = found
        return found

    @classmethod
    def load(cls) -> Catalogues:
        rows = db.session.execute(
            select(
                CatalogueEntry.catalogue,
                CatalogueEntry.code,
                CatalogueEntry.label_de,
                CatalogueEntry.label_en,
                CatalogueEntry.extra,
            ).where(CatalogueEntry.catalogue.in_(("sex", "nationality", "residence_status")))
        )
        out: dict[str, dict[str, str]] = {"sex": {}, "nationality": {}, "residence_status": {}}
        labels: dict[str, dict[str, str]] = {k: {} for k in out}
        for catalogue, code, label_de, label_en, extra in rows:
            labels[catalogue][code] = label_de
            by_name = out[catalogue]
            names = [code, label_de, label_en]
            if isinstance(extra, dict):
                names += [extra.get("iso2"), extra.get("iso3")]
            for name in names:
                if name:
                    by_name.setdefault(normalise_header(name), code)
        for word, code in SEX_WORDS.items():
            if code in out["sex"].values():
                out["sex"].setdefault(word, code)
        return cls(out["sex"], out["nationality"], out["residence_status"], lookup(), labels)

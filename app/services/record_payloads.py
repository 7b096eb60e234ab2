"""Validation of REST payloads for case records: no mass assignment, German messages.

Every write of the REST API goes through :func:`clean`: only the fields of a resource's
specification are accepted, system fields (``id``, ``organisation_id``, ``version`` on create,
timestamps …) and unknown fields are refused, catalogue codes are checked against the
catalogue table, and related ids are looked up through the scoped session — an id of another
provider's record is as unknown as an id that does not exist.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from app.dates import DateError, parse_date
from app.extensions import db
from app.services import catalogues

FieldKind = Literal["str", "text", "date", "bool", "int", "code", "codes", "ref", "refs", "kind"]

#: Fields the system sets; a request naming them is refused (never silently ignored).
SYSTEM_FIELDS = frozenset(
    {
        "id",
        "organisation",
        "organisation_id",
        "created_at",
        "updated_at",
        "created_by",
        "changed_by",
        "created_by_fk",
        "changed_by_fk",
    }
)

MSG_UNKNOWN = "Unbekanntes Feld – es wird nicht gespeichert."
MSG_SYSTEM = "Dieses Feld setzt das System; es darf nicht mitgesendet werden."
MSG_REQUIRED = "Pflichtfeld – bitte ausfüllen."
MSG_TOO_LONG = "Zu lang: höchstens {n} Zeichen."
MSG_DATE = "Kein gültiges Datum (Format JJJJ-MM-TT)."
MSG_FUTURE = "Das Datum darf nicht in der Zukunft liegen."
MSG_TOO_OLD = "Das Datum liegt zu weit in der Vergangenheit."
MSG_BOOL = "Bitte true oder false angeben."
MSG_INT = "Bitte eine ganze Zahl angeben."
MSG_RANGE = "Der Wert muss zwischen {lo} und {hi} liegen."
MSG_CODE = "Unbekannter Katalogschlüssel „{code}“ (Katalog {catalogue})."
MSG_LIST = "Bitte eine Liste angeben."
MSG_REF = "Unbekannte oder nicht zugängliche ID {value}."
MSG_TEXT = "Bitte einen Text angeben."
MSG_EMAIL = "Keine gültige E-Mail-Adresse."
MSG_VERSION_MISSING = "Bitte die gelesene Version („version“) mitsenden."
MSG_VERSION_TYPE = "Die Version muss eine ganze Zahl sein."
MSG_NOT_JSON = "Die Anfrage muss ein JSON-Objekt sein."
MSG_CONFLICT = (
    "Der Datensatz wurde inzwischen von jemand anderem geändert. Bitte neu laden und die "
    "Änderungen erneut eintragen – es wurde nichts gespeichert."
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class FieldSpec:
    """How one request field is checked and converted."""

    kind: FieldKind
    required: bool = False
    max_len: int | None = None
    catalogue: str | None = None
    model: Any = None  # target model of a ``ref``/``refs`` field
    past_only: bool = False
    lo: int | None = None
    hi: int | None = None
    choices: tuple[str, ...] = ()
    email: bool = False


class PayloadError(Exception):
    """The request cannot be stored; ``errors`` maps field → German message."""

    def __init__(self, errors: Mapping[str, str | list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def visible_row(model: Any, pk: Any) -> Any:
    """Return the row ``pk`` of ``model`` if the current user may see it, else None.

    Uses a SELECT (never the identity map) so the provider scope always applies.
    """
    if isinstance(pk, bool) or not isinstance(pk, int):
        return None
    return db.session.execute(select(model).where(model.id == pk)).scalar_one_or_none()


def visible_ids(model: Any, pks: Iterable[int]) -> set[int]:
    """Return the subset of ``pks`` the current user may see (one query)."""
    wanted = set(pks)
    if not wanted:
        return set()
    rows = db.session.execute(select(model.id).where(model.id.in_(wanted))).scalars()
    return set(rows)


def _parse_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise ValueError(MSG_DATE)
    try:
        day = parse_date(value)
    except DateError as exc:
        raise ValueError(exc.message) from None
    if day is None:
        raise ValueError(MSG_REQUIRED)
    return day


def _convert(name: str, spec: FieldSpec, value: Any) -> Any:
    """Return the converted value or raise ValueError with a German message."""
    if value is None or (isinstance(value, str) and not value.strip() and spec.kind != "text"):
        if spec.required:
            raise ValueError(MSG_REQUIRED)
        return [] if spec.kind in ("codes", "refs") else None
    if spec.kind in ("str", "text"):
        if not isinstance(value, str):
            raise ValueError(MSG_TEXT)
        value = value.strip()
        if spec.required and not value:
            raise ValueError(MSG_REQUIRED)
        if spec.max_len is not None and len(value) > spec.max_len:
            raise ValueError(MSG_TOO_LONG.format(n=spec.max_len))
        if spec.email and value and not _EMAIL.match(value):
            raise ValueError(MSG_EMAIL)
        return value or None
    if spec.kind == "date":
        day = _parse_date(value)
        if spec.past_only and day > dt.date.today():
            raise ValueError(MSG_FUTURE)
        if day.year < 1900:
            raise ValueError(MSG_TOO_OLD)
        return day
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(MSG_BOOL)
        return value
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(MSG_INT)
        if (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi):
            raise ValueError(MSG_RANGE.format(lo=spec.lo, hi=spec.hi))
        return value
    if spec.kind == "kind":
        if value not in spec.choices:
            raise ValueError(MSG_CODE.format(code=value, catalogue=name))
        return value
    if spec.kind == "code":
        assert spec.catalogue is not None
        if not isinstance(value, str) or value not in catalogues.valid_codes(spec.catalogue):
            raise ValueError(
                MSG_CODE.format(code=value, catalogue=spec.catalogue)
                + " "
                + catalogues.accepted(spec.catalogue)
            )
        return value
    if spec.kind == "codes":
        assert spec.catalogue is not None
        if not isinstance(value, list):
            raise ValueError(MSG_LIST)
        valid = catalogues.valid_codes(spec.catalogue)
        for code in value:
            if not isinstance(code, str) or code not in valid:
                raise ValueError(
                    MSG_CODE.format(code=code, catalogue=spec.catalogue)
                    + " "
                    + catalogues.accepted(spec.catalogue)
                )
        if spec.required and not value:
            raise ValueError(MSG_REQUIRED)
        return list(dict.fromkeys(value))
    if spec.kind == "ref":
        if visible_row(spec.model, value) is None:
            raise ValueError(MSG_REF.format(value=value))
        return value
    if spec.kind == "refs":
        if not isinstance(value, list):
            raise ValueError(MSG_LIST)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            raise ValueError(MSG_INT)
        unique = list(dict.fromkeys(value))
        missing = set(unique) - visible_ids(spec.model, unique)
        if missing:
            raise ValueError(MSG_REF.format(value=", ".join(str(m) for m in sorted(missing))))
        if spec.required and not unique:
            raise ValueError(MSG_REQUIRED)
        return unique
    raise ValueError(MSG_UNKNOWN)  # pragma: no cover - all kinds handled above


def clean(
    payload: Any,
    specs: Mapping[str, FieldSpec],
    *,
    partial: bool,
    versioned: bool = False,
) -> dict[str, Any]:
    """Return the checked and converted fields of ``payload`` or raise :class:`PayloadError`.

    ``partial`` (PUT): only sent fields are checked, required ones may be missing.
    ``versioned`` (PUT of a versioned record): ``version`` must be sent and is returned.
    """
    if not isinstance(payload, dict):
        raise PayloadError({"_schema": MSG_NOT_JSON})
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name, value in payload.items():
        if name == "version" and versioned and partial:
            if isinstance(value, bool) or not isinstance(value, int):
                errors[name] = MSG_VERSION_TYPE
            else:
                out[name] = value
            continue
        if name in SYSTEM_FIELDS or name == "version":
            errors[name] = MSG_SYSTEM
            continue
        spec = specs.get(name)
        if spec is None:
            errors[str(name)] = MSG_UNKNOWN
            continue
        try:
            out[name] = _convert(name, spec, value)
        except ValueError as exc:
            errors[name] = str(exc)
    if versioned and partial and "version" not in payload:
        errors["version"] = MSG_VERSION_MISSING
    if not partial:
        for name, spec in specs.items():
            if spec.required and name not in payload and name not in errors:
                errors[name] = MSG_REQUIRED
    if errors:
        raise PayloadError(errors)
    return out

"""KdU limits (Angemessenheitsgrenzen der Kosten der Unterkunft) and the check of a flat offer.

The county sets the limits per area (Gebiet) × household size, each valid from a day and
possibly until a day. The Kreis-Admin keeps them on the page „KdU-Grenzen“ (``save_limit``)
or imports a table (``import_limits``, ``flask msa import-kdu-limits``). A flat offer is
checked against the limit valid on the offer date (``check``): the rent (gross cold rent) and
the heating costs must each stay within their limit; the answer names the rule applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_, select

from app.dates import DateError, de_date, parse_date
from app.extensions import db
from app.models.housing import KduLimit
from app.services.errors import DomainError, Problems, unit_of_work

#: the columns of the import file, in order (docs/housing.md)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("area", "Gebiet"),
    ("household_size", "Haushaltsgröße"),
    ("valid_from", "gültig ab"),
    ("valid_to", "gültig bis"),
    ("rent", "Bruttokaltmiete"),
    ("heating", "Heizkosten"),
    ("deposit", "Kaution"),
    ("furnishing", "Erstausstattung"),
)
FIELDS = tuple(name for name, _ in COLUMNS)
LABELS = dict(COLUMNS)
REQUIRED = ("area", "household_size", "valid_from", "rent", "heating")
AMOUNTS = ("rent", "heating", "deposit", "furnishing")
MAX_HOUSEHOLD = 30
MAX_AMOUNT = Decimal("100000")


class KduError(DomainError):
    """A refused KdU limit or offer (German message, field, stable key)."""

    status = 422


@dataclass(frozen=True)
class CheckResult:
    """The check of an offer against one limit."""

    within: bool
    limit: KduLimit
    rule: str

    def as_json(self) -> dict[str, Any]:
        return {
            "within": self.within,
            "limit_rent": float(self.limit.rent),
            "limit_heating": float(self.limit.heating),
            "valid_from": self.limit.valid_from.isoformat(),
            "valid_to": self.limit.valid_to.isoformat() if self.limit.valid_to else None,
            "rule": self.rule,
        }


# -- values ----------------------------------------------------------------------------------
def euro(value: Decimal | float | int | None) -> str:
    """German amount in euros: ``1.234,50 €`` ("–" for none)."""
    if value is None:
        return "–"
    text = f"{Decimal(value):,.2f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".") + " €"


def parse_amount(value: Any) -> Decimal | None:
    """Return an amount in euros from ``450``, ``450,5``, ``1.234,56`` or a number cell.

    None for nothing given; ``ValueError`` (German message) for anything else."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError("Bitte einen Betrag in Euro angeben (z. B. 450,00).")
        return None
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        text = str(value).replace("€", "").replace("\u00a0", "").replace(" ", "").strip()
        if not text:
            return None
        if "," in text:
            text = text.replace(".", "").replace(",", ".")
        elif text.count(".") == 1 and len(text.rpartition(".")[2]) == 3:
            text = text.replace(".", "")  # 1.234 — a thousands point
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError("Bitte einen Betrag in Euro angeben (z. B. 450,00).") from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise ValueError("Der Betrag muss zwischen 0 und 99.999,99 Euro liegen.")
    return amount.quantize(Decimal("0.01"))


def _household_size(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("Bitte eine Zahl von 1 bis 30 angeben.")
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ValueError("Bitte eine Zahl von 1 bis 30 angeben.") from None
    if number != int(number) or not 1 <= number <= MAX_HOUSEHOLD:
        raise ValueError("Bitte eine Zahl von 1 bis 30 angeben.")
    return int(number)


def clean(values: dict[str, Any], problems: Problems) -> dict[str, Any]:
    """Return the typed values of a limit; every problem is added to ``problems``."""
    out: dict[str, Any] = {}
    area = " ".join(str(values.get("area") or "").split())
    if len(area) > 200:
        problems.add("area", "area.too_long", "Das Gebiet ist zu lang (höchstens 200 Zeichen).")
    out["area"] = area or None
    try:
        out["household_size"] = _household_size(values.get("household_size"))
    except ValueError as exc:
        problems.add("household_size", "household_size.invalid", str(exc))
    for name in ("valid_from", "valid_to"):
        try:
            out[name] = parse_date(values.get(name), serials=True)
        except DateError as exc:
            problems.add(name, "date.invalid", str(exc))
    for name in AMOUNTS:
        try:
            out[name] = parse_amount(values.get(name))
        except ValueError as exc:
            problems.add(name, "amount.invalid", str(exc))
    for name in REQUIRED:
        if out.get(name) is None and not problems.has(name):
            problems.add(name, "required", f"Bitte „{LABELS[name]}“ angeben.")
    start, end = out.get("valid_from"), out.get("valid_to")
    if start and end and end < start:
        problems.add("valid_to", "valid_to.before_start", "„gültig bis“ liegt vor „gültig ab“.")
    return out


def _canonical_area(area: str) -> str:
    """The spelling of an area already known (areas are matched without regard to case)."""
    known = db.session.scalars(
        select(KduLimit.area).where(func.lower(KduLimit.area) == area.lower()).limit(1)
    ).first()
    return known or area


def _overlapping(values: dict[str, Any], own_id: int | None) -> KduLimit | None:
    """Another limit of the same area and household size whose validity overlaps."""
    start: dt.date = values["valid_from"]
    end: dt.date | None = values["valid_to"]
    stmt = select(KduLimit).where(
        KduLimit.area == values["area"],
        KduLimit.household_size == values["household_size"],
        or_(KduLimit.valid_to.is_(None), KduLimit.valid_to >= start),
    )
    if end is not None:
        stmt = stmt.where(KduLimit.valid_from <= end)
    if own_id is not None:
        stmt = stmt.where(KduLimit.id != own_id)
    return db.session.scalars(stmt.limit(1)).first()


def _period(limit: KduLimit) -> str:
    end = f" bis {de_date(limit.valid_to)}" if limit.valid_to else ""
    return f"gültig ab {de_date(limit.valid_from)}{end}"


def _write(limit: KduLimit | None, values: dict[str, Any], problems: Problems) -> KduLimit:
    """Check the typed values against the stored limits and write them (no commit)."""
    problems.raise_if_any()
    values["area"] = _canonical_area(values["area"])
    other = _overlapping(values, limit.id if limit is not None else None)
    if other is not None:
        problems.add(
            "valid_from",
            "kdu.overlap",
            f"Für {other.area} und {other.household_size} Person(en) gilt bereits eine "
            f"Grenze ({_period(other)}); Zeiträume dürfen sich nicht überschneiden.",
        )
        problems.raise_if_any()
    if limit is None:
        limit = KduLimit()
        db.session.add(limit)
    for name in FIELDS:
        setattr(limit, name, values[name])
    db.session.flush()
    return limit


# -- verbs -----------------------------------------------------------------------------------
def save_limit(values: dict[str, Any], *, actor: Any, limit: KduLimit | None = None) -> KduLimit:
    """Create (``limit`` None) or change one KdU limit; refusals as :class:`KduError`."""
    problems = Problems(KduError)
    typed = clean(values, problems)
    with unit_of_work():
        return _write(limit, typed, problems)


def import_limits(content: bytes, filename: str = "") -> dict[str, Any]:
    """Import a table of limits (CSV ``;`` or XLSX); return ``{rows, created, updated, errors}``.

    Rows are matched on area, household size and „gültig ab“: a new one is created, a changed
    one updated, an equal one left alone (a re-import changes nothing). Refused rows are
    listed in ``errors`` (row number and German message) and skipped.
    """
    from app.services.intake.import_table import ImportFileError, normalise_header, read_table

    try:
        table = read_table(content, filename)
    except ImportFileError as exc:
        raise KduError(str(exc), key="file.unreadable", status=400) from exc
    wanted = {normalise_header(label): name for name, label in COLUMNS}
    header_at = None
    columns: dict[str, int] = {}
    for number, cells in table[:20]:
        found = {
            wanted[normalise_header(c)]: i
            for i, c in enumerate(cells)
            if normalise_header(c) in wanted
        }
        if len(found) >= len(REQUIRED):
            header_at, columns = number, found
            break
    missing = [LABELS[n] for n in REQUIRED if n not in columns]
    if header_at is None or missing:
        raise KduError(
            "Kopfzeile nicht gefunden; erwartet: " + ";".join(label for _, label in COLUMNS),
            key="file.header",
            status=400,
        )
    summary: dict[str, Any] = {"rows": 0, "created": 0, "updated": 0, "errors": []}
    with unit_of_work():
        for number, cells in table:
            if number <= header_at or not any(str(c or "").strip() for c in cells):
                continue
            summary["rows"] += 1
            raw = {n: (cells[i] if i < len(cells) else None) for n, i in columns.items()}
            problems = Problems(KduError)
            typed = clean(raw, problems)
            if not problems:
                typed["area"] = _canonical_area(typed["area"])
            existing = (
                None
                if problems
                else db.session.scalars(
                    select(KduLimit).where(
                        KduLimit.area == typed["area"],
                        KduLimit.household_size == typed["household_size"],
                        KduLimit.valid_from == typed["valid_from"],
                    )
                ).first()
            )
            if existing is not None and all(getattr(existing, n) == typed[n] for n in FIELDS):
                continue
            try:  # _write refuses before it writes anything
                _write(existing, typed, problems)
            except KduError as exc:
                summary["errors"].append(
                    {
                        "row": number,
                        "field": LABELS.get(exc.field or "", ""),
                        "message": exc.message,
                    }
                )
                continue
            summary["created" if existing is None else "updated"] += 1
    return summary


# -- reads -----------------------------------------------------------------------------------
def limits_page(page: int, per_page: int = 50) -> tuple[list[KduLimit], int]:
    """One page of the limits (area, household size, newest validity first) and the count."""
    total = db.session.scalar(select(func.count(KduLimit.id))) or 0
    rows = db.session.scalars(
        select(KduLimit)
        .order_by(KduLimit.area, KduLimit.household_size, KduLimit.valid_from.desc())
        .limit(per_page)
        .offset(max(page, 0) * per_page)
    ).all()
    return list(rows), int(total)


def areas() -> list[str]:
    """The areas that have limits (for the offer form)."""
    return list(db.session.scalars(select(KduLimit.area).distinct().order_by(KduLimit.area)))


def limit_on(area: str, household_size: int, on: dt.date) -> KduLimit | None:
    """The limit valid on ``on`` for the area (any case) and household size, or None."""
    return db.session.scalars(
        select(KduLimit)
        .where(
            func.lower(KduLimit.area) == " ".join(area.split()).lower(),
            KduLimit.household_size == household_size,
            KduLimit.valid_from <= on,
            or_(KduLimit.valid_to.is_(None), KduLimit.valid_to >= on),
        )
        .order_by(KduLimit.valid_from.desc())
        .limit(1)
    ).first()


def rule_text(limit: KduLimit) -> str:
    """The rule applied, in German (area, household size, validity, the two limits)."""
    people = "1 Person" if limit.household_size == 1 else f"{limit.household_size} Personen"
    return (
        f"KdU-Grenze {limit.area}, Haushalt mit {people}, {_period(limit)}: "
        f"Bruttokaltmiete höchstens {euro(limit.rent)}, Heizkosten höchstens "
        f"{euro(limit.heating)}"
    )


def check(
    area: str, household_size: int, on: dt.date, rent: Decimal, heating: Decimal
) -> CheckResult | None:
    """Check an offer against the limit valid on ``on``; None when no limit is valid then."""
    limit = limit_on(area, household_size, on)
    if limit is None:
        return None
    within = rent <= limit.rent and heating <= limit.heating
    return CheckResult(within, limit, rule_text(limit))

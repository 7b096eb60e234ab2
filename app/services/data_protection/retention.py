"""Retention and destruction of case files (R-8.1, Fachkonzept §6).

A case file is destroyed when its retention period has ended: ``RETENTION_YEARS_AFTER_MOVE_AWAY``
(2) years after the person moved away (``Person.moved_away_on``).

**The boundary** follows §§ 187 (1), 188 (2) BGB: the period starts the day after the move-away
and ends with the expiry of the day that corresponds by its date, two years later. A person who
moved away on 10 March 2024 is kept through 10 March 2026 (the anniversary) and is due from
11 March 2026 on (``due_on``). A 29 February move-away ends on 28 February.

**Destruction is generic**: every row that references ``person.id`` by a foreign key — every model
mixing in ``PersonOwned`` (contact notes, sensitive data, case management, social reports, file
audit items, … including tables added later), ``group_participant``, ``PersonShare`` — is deleted,
and so, recursively, is every row that references a deleted row through a NOT NULL foreign key;
nullable references from elsewhere are set to NULL. Households left empty are deleted. The
access-log rows of the person stay (who read what, when) but their ``detail`` text is cleared.
Everything happens in one transaction; a tombstone (:class:`PurgeRecord`) is what remains.
Functions registered with :func:`register_purge_hook` (e.g. document files on disk) run inside
the transaction before the commit.

Aggregates survive: submitted quarterly statistics are frozen snapshots and not touched here;
group sessions stay (one session counts once), only the participant row goes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.models import AccessLog, Household, Person, PurgeRecord
from app.models.base import PersonOwned, utcnow
from app.services.data_protection.log_guard import sqlite_guard_lifted
from app.services.errors import unit_of_work

#: tables never touched by a purge even if a foreign key would lead there
PROTECTED_TABLES = frozenset({"organisation", "ab_user", "catalogue_entry", "purge_record"})

#: hooks (person ids) -> None run inside the purge transaction, e.g. to remove stored files
PURGE_HOOKS: dict[str, Callable[[Sequence[int]], None]] = {}

DEFAULT_RETENTION_YEARS = 2
DEFAULT_LOG_RETENTION_DAYS = 1095


def register_purge_hook(key: str, hook: Callable[[Sequence[int]], None]) -> None:
    """Register a function run with the ids of the persons being destroyed."""
    PURGE_HOOKS[key] = hook


def retention_years() -> int:
    return int(current_app.config.get("RETENTION_YEARS_AFTER_MOVE_AWAY", DEFAULT_RETENTION_YEARS))


def log_retention_days() -> int:
    return int(current_app.config.get("ACCESS_LOG_RETENTION_DAYS", DEFAULT_LOG_RETENTION_DAYS))


def retention_ends_on(moved_away_on: dt.date, years: int | None = None) -> dt.date:
    """Return the last day of the retention period (the anniversary of the move-away)."""
    return moved_away_on + relativedelta(years=years if years is not None else retention_years())


def due_on(moved_away_on: dt.date, years: int | None = None) -> dt.date:
    """Return the first day on which the case file is to be destroyed."""
    return retention_ends_on(moved_away_on, years) + dt.timedelta(days=1)


def today() -> dt.date:
    return utcnow().date()


@dataclass(frozen=True)
class DueCaseFile:
    """A case file whose retention has ended (ids and dates only)."""

    person_id: int
    organisation_id: int
    moved_away_on: dt.date
    due_on: dt.date
    overdue_days: int


@dataclass
class PurgeReport:
    """Result of a purge run (or dry run)."""

    on: dt.date
    dry_run: bool
    due: list[DueCaseFile] = field(default_factory=list)
    rows_by_table: dict[str, int] = field(default_factory=dict)
    log_content_cleared: int = 0
    log_rows_expired: int = 0
    #: unconfirmed assignment-list uploads deleted (app.services.intake.expiry)
    stale_imports_deleted: int = 0

    @property
    def persons(self) -> int:
        return len(self.due)


def due_case_files(on: dt.date | None = None) -> list[DueCaseFile]:
    """Return the case files due for destruction on ``on`` (default today), oldest first."""
    on = on or today()
    years = retention_years()
    # candidates: m + years <= on (one day of slack for 29 February); exact test below
    latest = on - relativedelta(years=years)
    rows = db.session.execute(
        select(Person.id, Person.organisation_id, Person.moved_away_on)
        .where(Person.moved_away_on.is_not(None), Person.moved_away_on <= latest)
        .order_by(Person.moved_away_on, Person.id)
        .execution_options(msa_unscoped=True)
    ).all()
    out: list[DueCaseFile] = []
    for pid, org_id, moved in rows:
        if moved is None:  # pragma: no cover - excluded by the query
            continue
        d = due_on(moved, years)
        if d > on:  # the anniversary itself: still within the period
            continue
        out.append(DueCaseFile(pid, org_id, moved, d, (on - d).days))
    return out


def _referencing(table: Table) -> list[tuple[Table, str, bool]]:
    """Return (table, fk column, nullable) of every foreign key pointing at ``table``."""
    out: list[tuple[Table, str, bool]] = []
    for other in db.metadata.sorted_tables:
        if other.name in PROTECTED_TABLES:
            continue
        for fk in other.foreign_keys:
            if fk.column.table is table and fk.parent.table is other:
                out.append((other, fk.parent.name, bool(fk.parent.nullable)))
    return out


def _delete_rows(
    conn: Connection,
    table: Table,
    where: ColumnElement[bool],
    counts: dict[str, int],
    depth: int = 0,
) -> None:
    """Delete rows of ``table`` matching ``where`` and, first, everything depending on them."""
    if depth > 10:
        raise RuntimeError(f"Löschkette zu tief bei Tabelle {table.name}")
    dependants = _referencing(table)
    pk_cols = list(table.primary_key.columns)
    if dependants and len(pk_cols) == 1:
        pk = pk_cols[0]
        ids = [r[0] for r in conn.execute(select(pk).where(where))]
        if ids:
            for child, col_name, nullable in dependants:
                col = child.c[col_name]
                if nullable:
                    # a reference from elsewhere: forget it, keep the row
                    conn.execute(update(child).where(col.in_(ids)).values({col_name: None}))
                else:
                    _delete_rows(conn, child, col.in_(ids), counts, depth + 1)
    result = conn.execute(delete(table).where(where))
    if result.rowcount:
        counts[table.name] = counts.get(table.name, 0) + result.rowcount


def person_owned_tables() -> list[Table]:
    """Return the tables of every model mixing in PersonOwned (for documentation and tests).

    Also models with an optional ``person_id`` that declare ``purge_with_person = True``
    (an appointment with a client): their rows go with the person instead of losing the link.
    """
    tables: list[Table] = []
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        if isinstance(cls, type) and (
            issubclass(cls, PersonOwned) or getattr(cls, "purge_with_person", False)
        ):
            tables.append(mapper.local_table)
    return tables


def destroy_persons(conn: Connection, person_ids: Sequence[int]) -> tuple[dict[str, int], int]:
    """Delete the persons and everything hanging off them; return (rows per table, log rows)."""
    counts: dict[str, int] = {}
    if not person_ids:
        return counts, 0
    person = Person.__table__
    assert isinstance(person, Table)
    household_ids = [
        h
        for (h,) in conn.execute(
            select(person.c.household_id)
            .where(person.c.id.in_(person_ids), person.c.household_id.is_not(None))
            .distinct()
        )
    ]
    # the persons' share of the statistics stays, as anonymous counts (issue 15)
    from app.services.statistics.retained import retain_counts

    retain_counts(conn, person_ids)
    # who held the persons when stays too, without the persons: past quarters keep their
    # "persons present"
    from app.services.intake.custody import close_on_destruction

    close_on_destruction(conn, person_ids, today())
    # PersonOwned tables first (explicitly, so that no model is missed), then the rest by FK
    for table in person_owned_tables():
        _delete_rows(conn, table, table.c.person_id.in_(person_ids), counts)
    _delete_rows(conn, person, person.c.id.in_(person_ids), counts)
    if household_ids:
        household = Household.__table__
        assert isinstance(household, Table)
        still_used = select(person.c.household_id).where(person.c.household_id.is_not(None))
        _delete_rows(
            conn,
            household,
            household.c.id.in_(household_ids) & household.c.id.not_in(still_used),
            counts,
        )
    log = AccessLog.__table__
    assert isinstance(log, Table)
    cleared = conn.execute(
        update(log)
        .where(log.c.person_id.in_(person_ids), log.c.detail.is_not(None))
        .values(detail=None)
    ).rowcount
    for hook in PURGE_HOOKS.values():
        hook(person_ids)
    return counts, int(cleared or 0)


def expire_access_log(conn: Connection, on: dt.date | None = None) -> int:
    """Delete access-log rows older than ACCESS_LOG_RETENTION_DAYS; return how many."""
    days = log_retention_days()
    if days < 30:
        raise ValueError("ACCESS_LOG_RETENTION_DAYS muss mindestens 30 sein")
    log = AccessLog.__table__
    assert isinstance(log, Table)
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL msa.access_log_retention_days = '{days:d}'"))
        # the trigger compares with the database clock: use it here too
        cutoff_clause = AccessLog.__table__.c.at < (
            func.timezone("UTC", func.now()) - text(f"interval '{days:d} days'")
        )
    else:
        cutoff = dt.datetime.combine(on or today(), dt.time()) - dt.timedelta(days=days)
        cutoff_clause = AccessLog.__table__.c.at < cutoff
    expired = int(
        conn.execute(select(func.count()).select_from(log).where(cutoff_clause)).scalar() or 0
    )
    if not expired:
        return 0
    # the database refuses DELETE on the log; on SQLite the trigger is lifted for this
    # statement only, inside this transaction, and the deletion itself is logged
    with sqlite_guard_lifted(conn, ["access_log_no_delete"]):
        deleted = int(conn.execute(delete(log).where(cutoff_clause)).rowcount or 0)
    from app.services.data_protection.access_log import entry_values

    detail = (
        f"{deleted} Zeile(n) des Zugriffsprotokolls nach Ablauf der Aufbewahrung "
        f"({days} Tage) gelöscht"
    )
    conn.execute(insert(log).values(**entry_values(None, "purge", "log_retention", detail)))
    return deleted


def purge_expired(
    *, on: dt.date | None = None, dry_run: bool = False, actor: Any = "system"
) -> PurgeReport:
    """Destroy every due case file (and expired access-log rows) in one transaction.

    ``actor``: the acting user (an ``MsaUser``), or the name of the job that runs the purge
    (``"cli:purge-expired"``); the purge records keep the name.

    With ``dry_run`` the same deletions run and are rolled back, so the report shows exactly
    what a real run would delete. Returns ids, dates and row counts, never content.
    """
    on = on or today()
    report = PurgeReport(on=on, dry_run=dry_run, due=due_case_files(on))
    db.session.flush()
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete=ON")
    ids = [d.person_id for d in report.due]
    with unit_of_work(commit=not dry_run):
        per_person: dict[int, int] = {}
        counts: dict[str, int] = {}
        for pid in ids:
            one, cleared = destroy_persons(conn, [pid])
            per_person[pid] = sum(one.values())
            for table, n in one.items():
                counts[table] = counts.get(table, 0) + n
            report.log_content_cleared += cleared
        report.rows_by_table = dict(sorted(counts.items()))
        report.log_rows_expired = expire_access_log(conn, on)
        from app.services.intake.expiry import delete_stale_previews

        report.stale_imports_deleted = delete_stale_previews(conn)
        if dry_run:
            return report  # the dry run's deletions are rolled back at the block's end
        now = utcnow()
        for d in report.due:
            db.session.add(
                PurgeRecord(
                    former_person_id=d.person_id,
                    organisation_id=d.organisation_id,
                    moved_away_on=d.moved_away_on,
                    due_on=d.due_on,
                    purged_at=now,
                    purged_by=actor if isinstance(actor, str) else actor.username,
                    rows_deleted=per_person.get(d.person_id, 0),
                )
            )
        if report.due:
            from app.services.data_protection.access_log import log_access

            log_access(None, "purge", category="retention", detail=_summary(report), commit=False)
    return report


def _summary(report: PurgeReport) -> str:
    ids = ", ".join(str(d.person_id) for d in report.due)
    return f"{report.persons} Fallakte(n) vernichtet: Personen-Nr. {ids}"[:300]


def report_lines(report: PurgeReport) -> Iterable[str]:
    """Human-readable lines of a report: ids and dates, never content."""
    head = "Probelauf" if report.dry_run else "Vernichtung"
    yield f"{head} zum {report.on.isoformat()}: {report.persons} Fallakte(n) fällig"
    for d in report.due:
        yield (
            f"  Person {d.person_id} (Träger {d.organisation_id}): Wegzug "
            f"{d.moved_away_on.isoformat()}, fällig seit {d.due_on.isoformat()}"
        )
    for table, n in report.rows_by_table.items():
        yield f"  {table}: {n} Zeile(n)"
    yield f"Zugriffsprotokoll: {report.log_content_cleared} Detailtext(e) geleert, " + (
        f"{report.log_rows_expired} abgelaufene Zeile(n) gelöscht"
    )
    yield f"Unbestätigte Zuweisungslisten gelöscht: {report.stale_imports_deleted}"

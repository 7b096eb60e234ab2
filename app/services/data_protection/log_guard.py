"""The guard of the append-only logs (R-8.2): what the database refuses, and the one way round.

The logs — ``access_log`` (Zugriffsprotokoll), ``admin_log`` (Verwaltungsprotokoll) and
``purge_record`` (Löschprotokoll) — are protected in the database itself (migration
0018_security_data), not only by the ORM:

* **PostgreSQL**: row triggers refuse UPDATE and DELETE (``access_log``: only clearing
  ``detail`` of a destroyed person, and deleting rows older than the retention period the purge
  announces with ``SET LOCAL msa.access_log_retention_days``); a statement trigger refuses
  TRUNCATE. The portal runs as an *app role* that may not TRUNCATE, ALTER or disable a trigger
  (:func:`app_role_grants`, docs/deployment.md); only the *owner role* of the migrations could.
* **SQLite** (no roles): triggers refuse UPDATE (``access_log``: except clearing ``detail``) and
  DELETE. The retention's deletion of expired access-log rows lifts the DELETE trigger of
  ``access_log`` inside its own transaction (:func:`sqlite_guard_lifted`) and writes a log row
  saying so; a failure rolls the trigger back in with everything else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

#: the append-only logs
LOG_TABLES = ("access_log", "admin_log", "purge_record")

#: SQLite trigger names per log table (created by migration 0018_security_data)
SQLITE_TRIGGERS = {table: (f"{table}_no_update", f"{table}_no_delete") for table in LOG_TABLES}


@contextlib.contextmanager
def sqlite_guard_lifted(conn: Connection, triggers: Sequence[str]) -> Iterator[None]:
    """Drop the named SQLite triggers for the body and create them again from their stored
    definition — all inside the caller's transaction (SQLite DDL is transactional: a rollback
    restores them, no other connection ever sees them missing)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    stored = [
        (str(name), str(sql))
        for name, sql in conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        )
        if name in triggers
    ]
    for name, _sql in stored:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        for _name, sql in stored:
            conn.exec_driver_sql(sql)


def app_role_grants(role: str, tables: Sequence[str]) -> list[str]:
    """The GRANT statements of the PostgreSQL app role (docs/deployment.md).

    Every table: SELECT, INSERT, UPDATE, DELETE; the logs: SELECT and INSERT only — except what
    the retention needs on ``access_log`` (UPDATE of ``detail``, DELETE), which the row trigger
    still limits to clearing a destroyed person's detail text and to rows past the retention
    period. Never TRUNCATE, never ownership (no ALTER, no DISABLE TRIGGER)."""
    ident = f'"{role}"'
    ordinary = sorted(t for t in tables if t not in LOG_TABLES and t != "alembic_version")
    out = [
        f"GRANT USAGE ON SCHEMA public TO {ident}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ident}",
        f"GRANT SELECT ON alembic_version TO {ident}",
    ]
    out += [f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{t}" TO {ident}' for t in ordinary]
    out += [f'GRANT SELECT, INSERT ON "{t}" TO {ident}' for t in LOG_TABLES]
    out += [
        f"GRANT UPDATE (detail) ON access_log TO {ident}",
        f"GRANT DELETE ON access_log TO {ident}",
    ]
    return out

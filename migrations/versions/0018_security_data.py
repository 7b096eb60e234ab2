"""security and data protection: ids never reused, logs nobody can empty

Revision ID: 0018_security_data
Revises: 0017_accounts
Create Date: 2026-12-06 20:00:00

* SQLite: every table with a single integer primary key is rebuilt with ``AUTOINCREMENT`` —
  without it SQLite hands the id of the newest destroyed row (a destroyed person) to the next
  row, and the access log, the deletion protocol and the Art. 15 letter would show the destroyed
  person's history under the new person. PostgreSQL sequences never reuse an id.
* The append-only logs (``access_log``, ``admin_log``, ``purge_record``): on PostgreSQL a
  statement trigger refusing TRUNCATE (and row triggers for ``purge_record``); on SQLite
  triggers refusing UPDATE and DELETE (app.services.data_protection.log_guard).
"""

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0018_security_data"
down_revision = "0017_accounts"
branch_labels = None
depends_on = None

LOG_TABLES = ("access_log", "admin_log", "purge_record")

PG_NO_TRUNCATE = """
CREATE OR REPLACE FUNCTION msa_log_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% ist unveränderlich (TRUNCATE verweigert)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""
PG_PURGE_RECORD_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION purge_record_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'purge_record ist unveränderlich' USING ERRCODE = 'insufficient_privilege';
END;
$$
"""

_SAME_EXCEPT_DETAIL = " AND ".join(
    f"NEW.{c} IS OLD.{c}"
    for c in (
        "id",
        "at",
        "user_id",
        "username",
        "organisation_id",
        "person_id",
        "action",
        "category",
    )
)
SQLITE_TRIGGERS = [
    "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
    f"WHEN NOT (NEW.detail IS NULL AND {_SAME_EXCEPT_DETAIL}) BEGIN "
    "SELECT RAISE(ABORT, 'access_log ist unveränderlich (nur detail darf geleert werden)'); END",
    "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log BEGIN "
    "SELECT RAISE(ABORT, 'access_log ist unveränderlich (Löschen nur durch die Aufbewahrung)'); "
    "END",
    *(
        f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} BEGIN "
        f"SELECT RAISE(ABORT, '{table} ist unveränderlich'); END"
        for table in ("admin_log", "purge_record")
        for verb in ("update", "delete")
    ),
]


def _integer_pk_tables(bind: sa.engine.Connection) -> list[str]:
    insp = sa.inspect(bind)
    out = []
    for name in sorted(insp.get_table_names()):
        if name in ("alembic_version", "sqlite_sequence"):
            continue
        pk = insp.get_pk_constraint(name)["constrained_columns"]
        if len(pk) != 1:
            continue
        col = next(c for c in insp.get_columns(name) if c["name"] == pk[0])
        if isinstance(col["type"], sa.Integer):
            out.append(name)
    return out


def _rebuild(bind: sa.engine.Connection) -> None:
    """Rebuild the tables (foreign keys are off during SQLite migrations: migrations/env.py);
    indexes the reflection cannot carry over (expressions) are created again as they were."""
    for name in _integer_pk_tables(bind):
        indexes = bind.execute(
            sa.text(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
            ),
            {"t": name},
        ).all()
        with (
            warnings.catch_warnings(),
            op.batch_alter_table(
                name, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ),
        ):
            # the reflection skips expression indexes (lower(username)) with a warning; they
            # are created again below, so the warning says nothing to the one running init
            warnings.filterwarnings(
                "ignore",
                message="Skipped unsupported reflection of expression-based index",
                category=sa.exc.SAWarning,
            )
        present = {
            n
            for (n,) in bind.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"),
                {"t": name},
            )
        }
        for index_name, sql in indexes:
            if index_name not in present:
                bind.exec_driver_sql(sql)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rebuild(bind)
        for sql in SQLITE_TRIGGERS:
            op.execute(sql)
        return
    if bind.dialect.name == "postgresql":
        op.execute(PG_NO_TRUNCATE)
        op.execute(PG_PURGE_RECORD_APPEND_ONLY)
        op.execute(
            "CREATE TRIGGER purge_record_append_only BEFORE UPDATE OR DELETE ON purge_record "
            "FOR EACH ROW EXECUTE FUNCTION purge_record_append_only()"
        )
        for table in LOG_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION msa_log_no_truncate()"
            )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # the tables keep AUTOINCREMENT: every table created or rebuilt on SQLite gets it
        # (app.models), and ids that are never reused harm no earlier revision
        for table in LOG_TABLES:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        return
    if bind.dialect.name == "postgresql":
        for table in LOG_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS purge_record_append_only ON purge_record")
        op.execute("DROP FUNCTION IF EXISTS purge_record_append_only()")
        op.execute("DROP FUNCTION IF EXISTS msa_log_no_truncate()")

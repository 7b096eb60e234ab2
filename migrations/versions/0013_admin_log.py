"""administration log and idempotency keys of REST creates

Revision ID: 0013_admin_log
Revises: 0011_intake
Create Date: 2026-12-03 04:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_admin_log"
down_revision = "0011_intake"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "admin_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("object_label", sa.String(length=300), nullable=True),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_admin_log_at", "admin_log", ["at"])
    op.create_index("ix_admin_log_actor_id", "admin_log", ["actor_id"])
    op.create_index("ix_admin_log_object", "admin_log", ["object_type", "object_id"])
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),
    )
    op.create_index("ix_idempotency_key_created_at", "idempotency_key", ["created_at"])
    if op.get_bind().dialect.name == "postgresql":
        # append-only also for anyone with SQL access through the portal's database role
        op.execute(
            "CREATE FUNCTION admin_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'admin_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER admin_log_append_only BEFORE UPDATE OR DELETE ON admin_log "
            "FOR EACH ROW EXECUTE FUNCTION admin_log_append_only()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS admin_log_append_only ON admin_log")
        op.execute("DROP FUNCTION IF EXISTS admin_log_append_only()")
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
    op.drop_index("ix_admin_log_object", table_name="admin_log")
    op.drop_index("ix_admin_log_actor_id", table_name="admin_log")
    op.drop_index("ix_admin_log_at", table_name="admin_log")
    op.drop_table("admin_log")

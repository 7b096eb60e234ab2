"""statistics rollup for the reviewer's charts at national scale

Revision ID: 0010_statistics_rollup
Revises: 0009_search_trgm
Create Date: 2026-11-25 16:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_statistics_rollup"
down_revision = "0009_search_trgm"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "statistics_rollup_month",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("caseworker_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("individual", sa.Integer(), nullable=False),
        sa.Column("group_sessions", sa.Integer(), nullable=False),
        sa.Column("education_system", sa.Integer(), nullable=False),
        sa.Column("return_counselling", sa.Integer(), nullable=False),
        sa.Column("case_management", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "caseworker_id", "year", "month"),
    )
    op.create_table(
        "statistics_rollup_topic",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "year", "month", "code"),
    )
    op.create_table(
        "statistics_rollup_quarter",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "year", "quarter"),
    )
    op.create_table(
        "statistics_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.Column("first_month", sa.String(length=7), nullable=False),
        sa.Column("last_month", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade():
    op.drop_table("statistics_rollup_state")
    op.drop_table("statistics_rollup_quarter")
    op.drop_table("statistics_rollup_topic")
    op.drop_table("statistics_rollup_month")

"""figures that hold: retained counts, annual talk, domain dates of case events, referral outcome

Revision ID: 0012_figures
Revises: 0013_admin_log
Create Date: 2026-12-03 04:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_figures"
down_revision = "0013_admin_log"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "statistics_retained_month",
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
        "statistics_retained_referral",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("topic_code", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "organisation_id", "year", "month", "partner_id", "topic_code", "outcome"
        ),
    )
    op.create_table(
        "annual_talk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("agreements", sa.Text(), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "year", name="uq_annual_talk_year"),
    )
    op.create_index("ix_annual_talk_organisation_id", "annual_talk", ["organisation_id"])
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=32), nullable=True))
    with op.batch_alter_table("cm_event") as batch:
        batch.add_column(sa.Column("occurred_on", sa.Date(), nullable=True))
    # existing events happened when they were clicked
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE cm_event SET occurred_on = date(at)")
    else:
        op.execute("UPDATE cm_event SET occurred_on = CAST(at AS DATE)")
    with op.batch_alter_table("cm_event") as batch:
        batch.alter_column("occurred_on", existing_type=sa.Date(), nullable=False)


def downgrade():
    with op.batch_alter_table("cm_event") as batch:
        batch.drop_column("occurred_on")
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("outcome")
    op.drop_index("ix_annual_talk_organisation_id", table_name="annual_talk")
    op.drop_table("annual_talk")
    op.drop_table("statistics_retained_referral")
    op.drop_table("statistics_retained_month")

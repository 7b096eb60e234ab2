"""FTE history per account; retained indicator counts of destroyed case files

Revision ID: 0020_figures_history
Revises: 0019_decisions
Create Date: 2026-12-06 20:00:00

``staff_fte_period`` (app/models/staff.py). Every active account with an organisation gets one
open period from long ago with its FTE of today, so the figures of past quarters stay what they
were before the history existed; from now on every change of FTE, activity or organisation
starts a new period (app/services/staff/fte_history.py).
``statistics_retained_indicator`` (app/models/figures.py): moves into own housing and completed
integration courses of destroyed case files per organisation and month.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0020_figures_history"
down_revision = "0019_decisions"
branch_labels = None
depends_on = None

#: existing accounts count with their FTE of today for every past quarter
LONG_AGO = dt.date(2000, 1, 1)


def upgrade() -> None:
    op.create_table(
        "statistics_retained_indicator",
        sa.Column("organisation_id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("month", sa.Integer(), primary_key=True),
        sa.Column("own_housing", sa.Integer(), nullable=False),
        sa.Column("completed_courses", sa.Integer(), nullable=False),
    )
    op.create_table(
        "staff_fte_period",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("ab_user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False
        ),
        sa.Column("fte", sa.Numeric(4, 2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
    )
    op.create_index("ix_staff_fte_period_user_id", "staff_fte_period", ["user_id"])
    op.create_index(
        "ix_staff_fte_period_org_dates",
        "staff_fte_period",
        ["organisation_id", "valid_from", "valid_to"],
    )
    user = sa.table(
        "ab_user",
        sa.column("id", sa.Integer()),
        sa.column("organisation_id", sa.Integer()),
        sa.column("fte", sa.Numeric(4, 2)),
        sa.column("active", sa.Boolean()),
    )
    period = sa.table(
        "staff_fte_period",
        sa.column("user_id", sa.Integer()),
        sa.column("organisation_id", sa.Integer()),
        sa.column("fte", sa.Numeric(4, 2)),
        sa.column("valid_from", sa.Date()),
    )
    op.execute(
        period.insert().from_select(
            ["user_id", "organisation_id", "fte", "valid_from"],
            sa.select(
                user.c.id,
                user.c.organisation_id,
                user.c.fte,
                sa.literal(LONG_AGO, sa.Date()),
            ).where(
                user.c.organisation_id.is_not(None),
                user.c.fte.is_not(None),
                user.c.active.is_(True),
            ),
        )
    )


def downgrade() -> None:
    op.drop_index("ix_staff_fte_period_org_dates", table_name="staff_fte_period")
    op.drop_index("ix_staff_fte_period_user_id", table_name="staff_fte_period")
    op.drop_table("staff_fte_period")
    op.drop_table("statistics_retained_indicator")

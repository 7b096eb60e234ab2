"""Cost approval of a referral to specific individual care under the AsylbLG (§3.1.8)

Revision ID: 0028_cost_approval
Revises: 0023_perf_indexes
Create Date: 2026-12-07 01:40:00

``referral.started_on`` (the day the care started), ``referral.cost_approval_state``
(requested | approved | refused), ``cost_approval_requested_on``, ``cost_approval_decided_on``
and ``cost_approval_reference`` (Aktenzeichen of the Fachdienst Soziales und Wohnen); an index
on (state, organisation) for the pending approvals on the lead's desk.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_cost_approval"
down_revision = "hardship_procedure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("started_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("cost_approval_state", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("cost_approval_requested_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("cost_approval_decided_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("cost_approval_reference", sa.String(length=100), nullable=True)
        )
    op.create_index(
        "ix_referral_cost_approval_state",
        "referral",
        ["cost_approval_state", "organisation_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_referral_cost_approval_state", table_name="referral")
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("cost_approval_reference")
        batch.drop_column("cost_approval_decided_on")
        batch.drop_column("cost_approval_requested_on")
        batch.drop_column("cost_approval_state")
        batch.drop_column("started_on")

"""move steps keep the day they were recorded

Revision ID: 0019_decisions
Revises: 0015_desk
Create Date: 2026-12-06 20:00:00

``move_step.recorded_at``: when a move step was entered in the portal. The case file's
timeline dates a step by the day it was done (``done_on``) and shows the recording day as a
detail when it differs. Steps recorded before stay without it (unknown).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_decisions"
down_revision = "0016_custody"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("move_step") as batch:
        batch.add_column(sa.Column("recorded_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("move_step") as batch:
        batch.drop_column("recorded_at")

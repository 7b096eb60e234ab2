"""Retained annual figures of destroyed case files: Härtefall steps and children's places

Revision ID: 0029_retained_annual
Revises: 0028_child_places
Create Date: 2026-12-07 05:30:00

``statistics_retained_annual``: per organisation, year and figure key (``hardship.submitted``,
``hardship.<outcome>``, ``children.<kind>.requested``, ``children.<kind>.attending``) the share
of destroyed case files in the annual evaluation — numbers only, no person.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_retained_annual"
down_revision = "0028_child_places"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statistics_retained_annual",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("figure", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "year", "figure"),
    )


def downgrade() -> None:
    op.drop_table("statistics_retained_annual")

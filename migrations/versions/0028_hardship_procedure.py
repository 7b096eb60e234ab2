"""Härtefallverfahren: a case before the Härtefallkommission (§ 23a AufenthG) per person

Revision ID: hardship_procedure
Revises: 0023_perf_indexes
Create Date: 2026-12-07 01:45:00

One row per procedure: request prepared → submitted to the commission → decision with its
outcome (``request_made`` / ``rejected`` / ``not_accepted`` / ``withdrawn``), the member who
brings the case in, a note. Written by the person's holder (``organisation_id``: the writer).
"""

import sqlalchemy as sa
from alembic import op

revision = "hardship_procedure"
down_revision = "0023_perf_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hardship_procedure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prepared_on", sa.Date(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("member", sa.String(length=300), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.Column("custody_period_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hardship_procedure") as batch:
        batch.create_index(
            "ix_hardship_procedure_organisation_id", ["organisation_id"], unique=False
        )
        batch.create_index("ix_hardship_procedure_person_id", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hardship_procedure") as batch:
        batch.drop_index("ix_hardship_procedure_person_id")
        batch.drop_index("ix_hardship_procedure_organisation_id")
    op.drop_table("hardship_procedure")

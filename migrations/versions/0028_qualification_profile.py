"""The structured qualification profile of a caseworker (§4.2)

Revision ID: 0028_qualification_profile
Revises: 0023_perf_indexes
Create Date: 2026-12-07 01:40:00

``staff_qualification_profile``: one row per account — degree (category, title, year), the
case-management certificate (day, certifying body), languages with their CEFR level (JSON
``{code: level}``) and the other items of §4.2 as yes/no. The free-text records in
``staff_qualification`` stay.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_qualification_profile"
down_revision = "0028_search_name_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_qualification_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("degree_category", sa.String(length=20), nullable=True),
        sa.Column("degree_title", sa.String(length=300), nullable=True),
        sa.Column("degree_year", sa.Integer(), nullable=True),
        sa.Column("cm_certified_on", sa.Date(), nullable=True),
        sa.Column("cm_certifier", sa.String(length=100), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=True),
        sa.Column("migration_law", sa.Boolean(), nullable=False),
        sa.Column("intercultural", sa.Boolean(), nullable=False),
        sa.Column("conflict_mediation", sa.Boolean(), nullable=False),
        sa.Column("communication_team", sa.Boolean(), nullable=False),
        sa.Column("network_knowledge", sa.Boolean(), nullable=False),
        sa.Column("driving_licence_b", sa.Boolean(), nullable=False),
        sa.Column("pc_skills", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
    )
    with op.batch_alter_table("staff_qualification_profile") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_qualification_profile_organisation_id"),
            ["organisation_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_qualification_profile") as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_qualification_profile_organisation_id"))
    op.drop_table("staff_qualification_profile")

"""Children's places: Kita, school and Hort per child (requested, offered, attending, ended)

Revision ID: 0028_child_places
Revises: 0023_perf_indexes
Create Date: 2026-12-07 01:40:00

``child_place``: a sub-record of a child's case file (the writer in ``organisation_id``) with
the kind (kita | schule | hort), the catalogue type, the state and its dates, the institution
from the partner directory or as free text.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_child_places"
down_revision = "0028_qualification_profile"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "child_place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("type_code", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=True),
        sa.Column("offered_on", sa.Date(), nullable=True),
        sa.Column("attending_from", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("institution", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("custody_period_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["partner_id"], ["network_partner.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_child_place_organisation_id", "child_place", ["organisation_id"])
    op.create_index("ix_child_place_person_id", "child_place", ["person_id"])
    op.create_index("ix_child_place_partner_id", "child_place", ["partner_id"])
    op.create_index("ix_child_place_person_state", "child_place", ["person_id", "state"])
    op.create_index(
        "ix_child_place_org_requested", "child_place", ["organisation_id", "requested_on"]
    )


def downgrade() -> None:
    op.drop_index("ix_child_place_org_requested", table_name="child_place")
    op.drop_index("ix_child_place_person_state", table_name="child_place")
    op.drop_index("ix_child_place_partner_id", table_name="child_place")
    op.drop_index("ix_child_place_person_id", table_name="child_place")
    op.drop_index("ix_child_place_organisation_id", table_name="child_place")
    op.drop_table("child_place")

"""intake and movement across providers: assignment imports, handovers, shares with an end

Revision ID: 0011_intake
Revises: 0010_statistics_rollup
Create Date: 2026-12-03 04:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_intake"
down_revision = "0010_statistics_rollup"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("from_organisation_id", sa.Integer(), nullable=False),
        sa.Column("to_organisation_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("include_household", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("consent_given", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("consent_on", sa.Date(), nullable=True),
        sa.Column("consent_form", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("offered_at", sa.DateTime(), nullable=False),
        sa.Column("offered_by_id", sa.Integer(), nullable=True),
        sa.Column("offered_by_name", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=200), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("sender_hidden", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("receiver_full", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["decided_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["from_organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["offered_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handover") as batch:
        batch.create_index("ix_handover_person_id", ["person_id"], unique=False)
        batch.create_index(
            "ix_handover_to_status", ["to_organisation_id", "status"], unique=False
        )
        batch.create_index(
            "ix_handover_from_status", ["from_organisation_id", "status"], unique=False
        )
    op.create_table(
        "assignment_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("mapping", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("person_share") as batch:
        batch.add_column(sa.Column("until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("created_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_person_share_created_by_id_ab_user", "ab_user", ["created_by_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("person_share") as batch:
        batch.drop_constraint("fk_person_share_created_by_id_ab_user", type_="foreignkey")
        batch.drop_column("created_by_id")
        batch.drop_column("created_at")
        batch.drop_column("until")
    op.drop_table("assignment_import")
    with op.batch_alter_table("handover") as batch:
        batch.drop_index("ix_handover_from_status")
        batch.drop_index("ix_handover_to_status")
        batch.drop_index("ix_handover_person_id")
    op.drop_table("handover")

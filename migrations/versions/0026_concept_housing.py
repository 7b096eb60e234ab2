"""KdU limits, the flat offer of a move procedure, the asylum procedure stage of a person

Revision ID: 0026_concept_housing
Revises: 0025_intake_files
Create Date: 2026-12-06 22:30:00

* ``kdu_limit`` (app/models/housing.py): the county's limits of the costs of accommodation per
  area × household size × validity (gross cold rent, heating, deposit, first furnishing).
* ``move_procedure.offer_*``: the flat offer (area, living space, household size, rent,
  heating, offer date) and its check against the limits valid on the offer date.
* ``person.procedure_stage``: stage of the asylum procedure (catalogue ``procedure_stage``),
  ``procedure_stage_since`` the day it was last set.
* ``network_partner.partner_type`` and ``specialty``: codes of the catalogues ``partner_type``
  and ``specialty`` (doctors).
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_concept_housing"
down_revision = "0025_intake_files"
branch_labels = None
depends_on = None

OFFER_COLUMNS = (
    ("offer_area", sa.String(200)),
    ("offer_living_space", sa.Numeric(7, 2)),
    ("offer_household_size", sa.Integer()),
    ("offer_rent", sa.Numeric(10, 2)),
    ("offer_heating", sa.Numeric(10, 2)),
    ("offer_on", sa.Date()),
    ("offer_within", sa.Boolean()),
    ("offer_rule", sa.String(500)),
)


def upgrade() -> None:
    op.create_table(
        "kdu_limit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("household_size", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("rent", sa.Numeric(10, 2), nullable=False),
        sa.Column("heating", sa.Numeric(10, 2), nullable=False),
        sa.Column("deposit", sa.Numeric(10, 2), nullable=True),
        sa.Column("furnishing", sa.Numeric(10, 2), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("area", "household_size", "valid_from", name="uq_kdu_limit"),
    )
    op.create_index("ix_kdu_limit_area", "kdu_limit", ["area"])
    with op.batch_alter_table("move_procedure") as batch:
        for name, type_ in OFFER_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("network_partner") as batch:
        batch.add_column(sa.Column("partner_type", sa.String(64), nullable=True))
        batch.add_column(sa.Column("specialty", sa.String(64), nullable=True))
        batch.create_index("ix_network_partner_partner_type", ["partner_type"])
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("procedure_stage", sa.String(64), nullable=True))
        batch.add_column(sa.Column("procedure_stage_since", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("procedure_stage_since")
        batch.drop_column("procedure_stage")
    with op.batch_alter_table("network_partner") as batch:
        batch.drop_index("ix_network_partner_partner_type")
        batch.drop_column("specialty")
        batch.drop_column("partner_type")
    with op.batch_alter_table("move_procedure") as batch:
        for name, _ in reversed(OFFER_COLUMNS):
            batch.drop_column(name)
    op.drop_index("ix_kdu_limit_area", table_name="kdu_limit")
    op.drop_table("kdu_limit")

"""intake files: stored analysis of an uploaded list, its rows, the county's catalogue aliases

Revision ID: 0025_intake_files
Revises: 0027_client_languages
Create Date: 2026-12-06 22:45:00

* ``assignment_import``: ``analysis`` (JSON) and ``analysed_at`` — the file is analysed once per
  upload (and per changed column mapping); the preview pages from the stored rows.
* ``assignment_import_row``: one analysed data row (status, JSON payload), deleted with its upload.
* ``catalogue_alias``: a county's own spellings of catalogue values ("afghanisch",
  "§ 24 AufenthG"), extending ``app/data/catalogue_aliases.json``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_intake_files"
down_revision = "0027_client_languages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assignment_import") as batch:
        batch.add_column(sa.Column("analysis", sa.Text(), nullable=True))
        batch.add_column(sa.Column("analysed_at", sa.DateTime(), nullable=True))
    op.create_table(
        "assignment_import_row",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "import_id",
            sa.Integer(),
            sa.ForeignKey("assignment_import.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_assignment_import_row_import_row", "assignment_import_row", ["import_id", "row"]
    )
    op.create_table(
        "catalogue_alias",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("catalogue", sa.String(32), nullable=False),
        sa.Column("alias", sa.String(200), nullable=False),
        sa.Column("alias_key", sa.String(200), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
    )
    op.create_index(
        "uq_catalogue_alias_key", "catalogue_alias", ["catalogue", "alias_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_catalogue_alias_key", table_name="catalogue_alias")
    op.drop_table("catalogue_alias")
    op.drop_index("ix_assignment_import_row_import_row", table_name="assignment_import_row")
    op.drop_table("assignment_import_row")
    with op.batch_alter_table("assignment_import") as batch:
        batch.drop_column("analysed_at")
        batch.drop_column("analysis")

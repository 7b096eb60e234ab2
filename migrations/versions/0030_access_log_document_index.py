"""The documents of the access log by person: a partial index for the CV pool

Revision ID: 0030_access_log_document
Revises: 0029_retained_annual
Create Date: 2026-12-07 06:10:00

The CV pool asks, per person and provider, when the CV was last produced (an access-log entry
``document`` "Lebenslauf (…)"). It now reads those entries grouped instead of a sub-query per
person; ``ix_access_log_document`` (person, organisation, time; only ``action = 'document'``)
serves that read without scanning the log, which grows with every read of a case file.
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_access_log_document"
down_revision = "0029_retained_annual"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_access_log_document",
        "access_log",
        ["person_id", "organisation_id", "at"],
        postgresql_where=sa.text("action = 'document'"),
        sqlite_where=sa.text("action = 'document'"),
    )


def downgrade() -> None:
    op.drop_index("ix_access_log_document", table_name="access_log")

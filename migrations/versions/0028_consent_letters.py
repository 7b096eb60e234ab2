"""The recorded consent names the consent letter handed out (language, date)

Revision ID: 0028_consent_letters
Revises: 0023_perf_indexes
Create Date: 2026-12-07 01:50:00

``handover.consent_letter_language`` / ``person_share.consent_letter_language`` (``de`` or a
letter language code; null: no letter recorded) and ``consent_letter_on`` (the day the
bilingual consent letter was handed out) — the recorded consent refers to the letter the client
was given to read (docs/letters.md).
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_consent_letters"
down_revision = "0028_cost_approval"
branch_labels = None
depends_on = None

TABLES = ("handover", "person_share")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("consent_letter_language", sa.String(length=8), nullable=True)
            )
            batch.add_column(sa.Column("consent_letter_on", sa.Date(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("consent_letter_on")
            batch.drop_column("consent_letter_language")

"""Similar-spelling search by key: person_name_key

Revision ID: 0028_search_name_keys
Revises: 0023_perf_indexes
Create Date: 2026-12-07 01:45:00

The person search's fallback (one letter wrong, missing or too many per name word) matched
LIKE patterns with a wildcard inside the word against every person's search key — no index can
serve such patterns (PostgreSQL's trigram index needs three letters in a row around every
wildcard), so a reviewer's misspelled search read every person. ``person_name_key`` holds each
folded name form and its one-letter deletions with their position; the search looks them up by
key (app/services/casefile/name_keys.py). Existing persons are keyed here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_search_name_keys"
down_revision = "0028_consent_letters"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "person_name_key",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("pos", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", "pos", "person_id"),
    )
    op.create_index("ix_person_name_key_person_id", "person_name_key", ["person_id"])
    from app.services.casefile.name_keys import rebuild

    rebuild(op.get_bind())


def downgrade():
    op.drop_index("ix_person_name_key_person_id", table_name="person_name_key")
    op.drop_table("person_name_key")

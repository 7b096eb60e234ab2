"""name search and name order at national scale

Revision ID: 0009_search_trgm
Revises: 0008_totp
Create Date: 2026-11-25 16:00:00

Both databases: person (last_name, id) instead of (last_name), so the list of all providers
ordered by name and id reads one page of index entries (issue 9). PostgreSQL: the prefix
search lower(last_name) COLLATE "C" LIKE 'hadd%' with its order from one index
(app/views/base.py lower_key), trigram indexes for "contains". pg_trgm is a trusted extension
(PostgreSQL 13+): the database owner may create it.
"""

from alembic import op

revision = "0009_search_trgm"
down_revision = "0008_totp"
branch_labels = None
depends_on = None


def upgrade():
    # all providers ordered by name, id (FAB's tie-breaker) from one index, both databases
    op.drop_index("ix_person_last_name", table_name="person")
    op.create_index("ix_person_last_name_id", "person", ["last_name", "id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_person_last_name_trgm",
        "person",
        ["last_name"],
        postgresql_using="gin",
        postgresql_ops={"last_name": "gin_trgm_ops"},
    )
    # "starts with": lower(last_name) COLLATE "C" LIKE 'hadd%' as an index range scan that
    # also yields the hits in order (app/views/base.py lower_key)
    op.execute(
        'CREATE INDEX ix_person_last_name_lower ON person ((lower(last_name) COLLATE "C"), id) '
        "INCLUDE (last_name)"  # last_name in the index: index-only scans (count, page of ids)
    )
    op.create_index(
        "ix_person_first_name_trgm",
        "person",
        ["first_name"],
        postgresql_using="gin",
        postgresql_ops={"first_name": "gin_trgm_ops"},
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_person_first_name_trgm", table_name="person")
        op.drop_index("ix_person_last_name_lower", table_name="person")
        op.drop_index("ix_person_last_name_trgm", table_name="person")
    op.drop_index("ix_person_last_name_id", table_name="person")
    op.create_index("ix_person_last_name", "person", ["last_name"])

"""the caseworker's desk: person search key

Revision ID: 0015_desk
Revises: 0014_cooperation
Create Date: 2026-12-03 04:00:00

``person.search_key`` (issue 16): the normalised name tokens behind the one search field
(app/services/casefile/search.py), filled for existing persons; PostgreSQL searches it with
LIKE '%…%' through a trigram index.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_desk"
down_revision = "0014_cooperation"
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade():
    op.add_column("person", sa.Column("search_key", sa.String(length=600), nullable=True))
    from app.services.casefile.search import search_key

    bind = op.get_bind()
    person = sa.table(
        "person",
        sa.column("id", sa.Integer),
        sa.column("first_name", sa.String),
        sa.column("last_name", sa.String),
        sa.column("search_key", sa.String),
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(person.c.id, person.c.first_name, person.c.last_name)
            .where(person.c.id > last_id)
            .order_by(person.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            person.update()
            .where(person.c.id == sa.bindparam("pid"))
            .values(search_key=sa.bindparam("skey")),
            [{"pid": r.id, "skey": search_key(r.first_name, r.last_name)} for r in rows],
        )
        last_id = rows[-1].id
    if bind.dialect.name == "postgresql":
        op.create_index(
            "ix_person_search_key_trgm",
            "person",
            ["search_key"],
            postgresql_using="gin",
            postgresql_ops={"search_key": "gin_trgm_ops"},
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_person_search_key_trgm", table_name="person")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("search_key")

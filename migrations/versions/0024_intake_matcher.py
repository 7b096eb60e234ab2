"""the one name matcher: stored name keys recomputed

Revision ID: 0024_intake_matcher
Revises: 0018_security_data
Create Date: 2026-12-06 23:00:00

``person.name_key`` and ``person.search_key`` are recomputed with the one name matcher
(app/services/casefile/name_match.py: particles joined, transliteration pairs, name variants),
so that the person search finds existing persons under the new folding. No schema change.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_intake_matcher"
down_revision = "0018_security_data"
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade():
    from app.services.casefile.name_match import name_key
    from app.services.casefile.search import search_key

    bind = op.get_bind()
    person = sa.table(
        "person",
        sa.column("id", sa.Integer),
        sa.column("first_name", sa.String),
        sa.column("last_name", sa.String),
        sa.column("name_key", sa.String),
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
            .values(name_key=sa.bindparam("nkey"), search_key=sa.bindparam("skey")),
            [
                {
                    "pid": r.id,
                    "nkey": name_key(r.first_name, r.last_name) or None,
                    "skey": search_key(r.first_name, r.last_name),
                }
                for r in rows
            ],
        )
        last_id = rows[-1].id


def downgrade():
    # the keys stay as they are: the older folding finds most of them too
    pass

"""account doors: sign-in names unique without regard to case

Revision ID: 0017_accounts
Revises: 0020_figures_history
Create Date: 2026-12-06 20:00:00

A unique index on ``lower(ab_user.username)``: ``PRUEFER`` can no longer be created next to
``pruefer`` (sign-in ignores case and must find exactly one account). An existing database
with such a pair stops the upgrade with the names, to be resolved by the operator.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_accounts"
down_revision = "0020_figures_history"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    clashes = bind.execute(
        sa.text(
            "SELECT lower(username) FROM ab_user GROUP BY lower(username) HAVING count(*) > 1"
        )
    ).all()
    if clashes:
        names = ", ".join(sorted(str(row[0]) for row in clashes))
        raise RuntimeError(
            "Benutzernamen, die sich nur in Groß-/Kleinschreibung unterscheiden, zuerst "
            f"umbenennen oder löschen: {names}"
        )
    op.create_index(
        "uq_ab_user_username_lower", "ab_user", [sa.text("lower(username)")], unique=True
    )


def downgrade():
    op.drop_index("uq_ab_user_username_lower", table_name="ab_user")

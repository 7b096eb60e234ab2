"""The client's languages on the case file: preferred languages, interpreter, reading ability

Revision ID: 0027_client_languages
Revises: 0024_intake_matcher
Create Date: 2026-12-06 23:15:00

``person.languages`` (ISO 639 codes of the catalogue ``language``, preferred first),
``person.interpreter_language`` (code, null: no interpreter needed) and
``person.reading_ability`` (good | some | none) — the letters to clients print in the preferred
language, appointments and notes take the interpreter from here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_client_languages"
down_revision = "0024_intake_matcher"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("languages", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("interpreter_language", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("reading_ability", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("reading_ability")
        batch.drop_column("interpreter_language")
        batch.drop_column("languages")

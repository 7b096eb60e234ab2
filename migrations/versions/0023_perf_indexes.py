"""Per-person indexes for the lopsided county (one provider with most persons)

Revision ID: 0023_perf_indexes
Revises: 0026_concept_housing
Create Date: 2026-12-06 22:30:00

``contact_note (person_id, organisation_id, date)`` and ``follow_up (person_id, organisation_id,
due_on)``: one person's notes and follow-ups under the provider's row scope are read by person
first. Without them the planner (SQLite without statistics) chose the organisation+date index
for the per-person sub-queries, so the desk's "without contact" count and the case page read the
provider's notes once per person.
"""

from alembic import op

revision = "0023_perf_indexes"
down_revision = "0026_concept_housing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_contact_note_person_org_date",
        "contact_note",
        ["person_id", "organisation_id", "date"],
    )
    op.create_index(
        "ix_follow_up_person_org_due", "follow_up", ["person_id", "organisation_id", "due_on"]
    )


def downgrade() -> None:
    op.drop_index("ix_follow_up_person_org_due", table_name="follow_up")
    op.drop_index("ix_contact_note_person_org_date", table_name="contact_note")

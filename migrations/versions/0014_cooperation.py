"""cooperation, staff, appointments, reminders (issue 18)

Working groups, meetings, projects and volunteers; staff qualification, training and
supervision; appointments; the users' reminder and calendar settings; the network partner's
category becomes a code of the ``partner_category`` catalogue (free text migrated, see
``_category_code``) and the partner gets ``barrier_free``.

Revision ID: 0014_cooperation
Revises: 0012_figures
Create Date: 2026-12-03 04:01:20

"""

import json
import unicodedata
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0014_cooperation"
down_revision = "0012_figures"  # re-chained after main merged 0011, 0013, 0012
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "coop_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("participant_count", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("coop_project", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coop_project_org_start", ["organisation_id", "starts_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coop_project_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "volunteer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("availability", sa.Text(), nullable=True),
        sa.Column("languages", sa.String(length=300), nullable=True),
        sa.Column("training", sa.Text(), nullable=True),
        sa.Column("active_since", sa.Date(), nullable=True),
        sa.Column("active_until", sa.Date(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_volunteer_org_name", ["organisation_id", "last_name"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "working_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("working_group", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_working_group_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "coop_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("working_group_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("agreements", sa.Text(), nullable=True),
        sa.Column("other_participants", sa.Text(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_group.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("coop_meeting", schema=None) as batch_op:
        batch_op.create_index("ix_coop_meeting_org_date", ["organisation_id", "date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_coop_meeting_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coop_meeting_working_group_id"), ["working_group_id"], unique=False
        )

    op.create_table(
        "project_partner",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["network_partner.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["coop_project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "partner_id"),
    )
    op.create_table(
        "project_volunteer",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["coop_project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "volunteer_id"),
    )
    op.create_table(
        "staff_qualification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("obtained_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["ab_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_qualification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_qualification_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_staff_qualification_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "staff_supervision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("hours", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("supervisor", sa.String(length=200), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["ab_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_supervision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_staff_supervision_org_date", ["organisation_id", "date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_staff_supervision_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_staff_supervision_user_id"), ["user_id"], unique=False)

    op.create_table(
        "staff_training",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("hours", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["ab_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_training", schema=None) as batch_op:
        batch_op.create_index(
            "ix_staff_training_org_date", ["organisation_id", "date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_staff_training_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_staff_training_user_id"), ["user_id"], unique=False)

    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("interpreter_needed", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["ab_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["network_partner.id"],
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index("ix_appointment_owner_date", ["owner_id", "date"], unique=False)
        batch_op.create_index(batch_op.f("ix_appointment_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index("ix_appointment_person_date", ["person_id", "date"], unique=False)

    op.create_table(
        "meeting_partner",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["coop_meeting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["partner_id"], ["network_partner.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meeting_id", "partner_id"),
    )
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_digest", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("calendar_names", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index("ix_ab_user_calendar_token", ["calendar_token"], unique=True)

    with op.batch_alter_table("network_partner", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("barrier_free", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.alter_column("category", existing_type=sa.VARCHAR(length=64), nullable=True)
        batch_op.create_index(batch_op.f("ix_network_partner_category"), ["category"], unique=False)
    _migrate_categories()


def downgrade():
    op.execute("UPDATE network_partner SET category = 'other' WHERE category IS NULL")
    with op.batch_alter_table("network_partner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_partner_category"))
        batch_op.alter_column("category", existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.drop_column("barrier_free")

    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.drop_index("ix_ab_user_calendar_token")
        batch_op.drop_column("calendar_names")
        batch_op.drop_column("calendar_token")
        batch_op.drop_column("reminder_digest")

    op.drop_table("meeting_partner")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_person_date")
        batch_op.drop_index(batch_op.f("ix_appointment_partner_id"))
        batch_op.drop_index("ix_appointment_owner_date")
        batch_op.drop_index(batch_op.f("ix_appointment_organisation_id"))

    op.drop_table("appointment")
    with op.batch_alter_table("staff_training", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_training_user_id"))
        batch_op.drop_index(batch_op.f("ix_staff_training_organisation_id"))
        batch_op.drop_index("ix_staff_training_org_date")

    op.drop_table("staff_training")
    with op.batch_alter_table("staff_supervision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_supervision_user_id"))
        batch_op.drop_index(batch_op.f("ix_staff_supervision_organisation_id"))
        batch_op.drop_index("ix_staff_supervision_org_date")

    op.drop_table("staff_supervision")
    with op.batch_alter_table("staff_qualification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_qualification_user_id"))
        batch_op.drop_index(batch_op.f("ix_staff_qualification_organisation_id"))

    op.drop_table("staff_qualification")
    op.drop_table("project_volunteer")
    op.drop_table("project_partner")
    with op.batch_alter_table("coop_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_meeting_working_group_id"))
        batch_op.drop_index(batch_op.f("ix_coop_meeting_organisation_id"))
        batch_op.drop_index("ix_coop_meeting_org_date")

    op.drop_table("coop_meeting")
    with op.batch_alter_table("working_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_working_group_organisation_id"))

    op.drop_table("working_group")
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_organisation_id"))
        batch_op.drop_index("ix_volunteer_org_name")

    op.drop_table("volunteer")
    with op.batch_alter_table("coop_project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_project_organisation_id"))
        batch_op.drop_index("ix_coop_project_org_start")

    op.drop_table("coop_project")


#: free-text categories written before this migration (demo data, county lists) -> catalogue code
_KEYWORDS = {
    "authority": "public_authority",
    "behörde": "public_authority",
    "amt": "public_authority",
    "jobcenter": "public_authority",
    "doctor": "health",
    "arzt": "health",
    "ärzt": "health",
    "praxis": "health",
    "klinik": "health",
    "school": "education_work",
    "schule": "education_work",
    "kita": "education_work",
    "education": "education_work",
    "bildung": "education_work",
    "housing": "housing",
    "wohn": "housing",
    "initiative": "civil_society",
    "volunteer": "civil_society",
    "ehrenamt": "civil_society",
    "migrant": "civil_society",
    "verein": "civil_society",
    "counselling": "counselling",
    "beratung": "counselling",
}


def _fold(text):
    text = unicodedata.normalize("NFC", (text or "").strip().lower())
    return text


def _category_code(text, catalogue):
    """Code of ``partner_category`` for an old free-text category, or None (unclassified).

    Matches a category code or label, then a ``partner_type`` code or label (its parent
    category), then keywords; what matches nothing stays None and is shown as "ohne
    Kategorie" for the county admin to classify.
    """
    folded = _fold(text)
    if not folded:
        return None
    categories = {_fold(e["code"]): e["code"] for e in catalogue.get("partner_category", [])}
    categories.update({_fold(e["de"]): e["code"] for e in catalogue.get("partner_category", [])})
    if folded in categories:
        return categories[folded]
    for entry in catalogue.get("partner_type", []):
        parent = (entry.get("extra") or {}).get("parent")
        if parent and folded in (_fold(entry["code"]), _fold(entry["de"])):
            return parent
    for keyword, code in _KEYWORDS.items():
        if keyword in folded:
            return code
    return None


def _migrate_categories():
    path = Path(__file__).resolve().parents[2] / "app" / "data" / "catalogues.json"
    catalogue = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    conn = op.get_bind()
    partner = sa.table(
        "network_partner",
        sa.column("id", sa.Integer),
        sa.column("category", sa.String),
        sa.column("services", sa.Text),
    )
    valid = {e["code"] for e in catalogue.get("partner_category", [])}
    for pid, category, services in conn.execute(
        sa.select(partner.c.id, partner.c.category, partner.c.services)
    ).all():
        if category in valid:
            continue
        code = _category_code(category, catalogue)
        values = {"category": code}
        if code is None and category:
            # keep what was typed: nothing is lost, the admin reclassifies
            note = f"Bisherige Kategorie: {category}"
            values["services"] = f"{services}\n{note}" if services else note
        conn.execute(sa.update(partner).where(partner.c.id == pid).values(**values))

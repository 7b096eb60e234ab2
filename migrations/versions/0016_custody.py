"""custody history: who held a person when; the custody period of every person-owned row

Revision ID: 0016_custody
Revises: 0015_desk
Create Date: 2026-12-06 20:00:00

``custody_period`` (app/models/custody.py) from the persons and their accepted handovers;
``custody_period_id`` on every person-owned table (empty for existing rows: they were written
by the holder); special categories one entry per person and writing organisation; shares
made before an accepted handover of the person end with it.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0016_custody"
down_revision = "0015_desk"
branch_labels = None
depends_on = None

PERSON_OWNED = (
    "cm_assessment_entry",
    "cm_case",
    "cm_closure",
    "cm_conference",
    "cm_event",
    "cm_first_interview",
    "cm_goal",
    "cm_help_plan",
    "cm_monitoring",
    "cm_service",
    "contact_note",
    "employment",
    "file_audit_item",
    "follow_up",
    "integration_course",
    "move_procedure",
    "move_step",
    "person_degree",
    "person_language",
    "person_sensitive",
    "person_vulnerability",
    "referral",
    "social_report",
)
_BATCH = 5000


def _day(value):
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def upgrade():
    op.create_table(
        "custody_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("began", sa.String(length=16), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=True),
        sa.Column("consent_given", sa.Boolean(), nullable=True),
        sa.Column("consent_on", sa.Date(), nullable=True),
        sa.Column("consent_form", sa.String(length=16), nullable=True),
        sa.Column("visible_from_seq", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("destroyed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["handover_id"], ["handover.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "seq", name="uq_custody_period_person_seq"),
    )
    op.create_index("ix_custody_period_person_id", "custody_period", ["person_id"])
    op.create_index(
        "ix_custody_period_org_current",
        "custody_period",
        ["organisation_id", "current", "person_id"],
    )
    op.create_index(
        "ix_custody_period_org_dates",
        "custody_period",
        ["organisation_id", "started_on", "ended_on"],
    )
    for table in PERSON_OWNED:
        op.add_column(table, sa.Column("custody_period_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("person_sensitive") as batch:
        batch.drop_constraint("uq_person_sensitive_person", type_="unique")
        batch.create_unique_constraint(
            "uq_person_sensitive_person_org", ["person_id", "organisation_id"]
        )
    _backfill(op.get_bind())
    # the custody history replaces the handover's visibility flags
    with op.batch_alter_table("handover") as batch:
        batch.drop_column("sender_hidden")
        batch.drop_column("receiver_full")


def _backfill(bind):
    person = sa.table(
        "person",
        sa.column("id", sa.Integer),
        sa.column("organisation_id", sa.Integer),
        sa.column("assigned_on", sa.Date),
        sa.column("created_at", sa.DateTime),
        sa.column("moved_away_on", sa.Date),
    )
    handover = sa.table(
        "handover",
        sa.column("id", sa.Integer),
        sa.column("person_id", sa.Integer),
        sa.column("from_organisation_id", sa.Integer),
        sa.column("to_organisation_id", sa.Integer),
        sa.column("scope", sa.String),
        sa.column("status", sa.String),
        sa.column("decided_at", sa.DateTime),
        sa.column("consent_given", sa.Boolean),
        sa.column("consent_on", sa.Date),
        sa.column("consent_form", sa.String),
    )
    share = sa.table(
        "person_share",
        sa.column("id", sa.Integer),
        sa.column("person_id", sa.Integer),
        sa.column("until", sa.Date),
        sa.column("created_at", sa.DateTime),
    )
    period = sa.table(
        "custody_period",
        *(
            sa.column(name, kind)
            for name, kind in (
                ("person_id", sa.Integer),
                ("organisation_id", sa.Integer),
                ("seq", sa.Integer),
                ("started_on", sa.Date),
                ("ended_on", sa.Date),
                ("began", sa.String),
                ("handover_id", sa.Integer),
                ("scope", sa.String),
                ("consent_given", sa.Boolean),
                ("consent_on", sa.Date),
                ("consent_form", sa.String),
                ("visible_from_seq", sa.Integer),
                ("current", sa.Boolean),
                ("destroyed", sa.Boolean),
                ("created_at", sa.DateTime),
            )
        ),
    )
    moves = {}
    for row in bind.execute(
        sa.select(handover)
        .where(handover.c.status == "accepted")
        .order_by(handover.c.person_id, handover.c.decided_at, handover.c.id)
    ):
        moves.setdefault(row.person_id, []).append(row)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    last_id = 0
    while True:
        persons = bind.execute(
            sa.select(person).where(person.c.id > last_id).order_by(person.c.id).limit(_BATCH)
        ).all()
        if not persons:
            break
        last_id = persons[-1].id
        rows = []
        for p in persons:
            history = moves.get(p.id, [])
            first_org = history[0].from_organisation_id if history else p.organisation_id
            current = {
                "person_id": p.id,
                "organisation_id": first_org,
                "seq": 1,
                "started_on": _day(p.assigned_on) or _day(p.created_at) or now.date(),
                "ended_on": None,
                "began": "assignment" if p.assigned_on else "opened",
                "handover_id": None,
                "scope": None,
                "consent_given": None,
                "consent_on": None,
                "consent_form": None,
                "visible_from_seq": 1,
                "current": False,
                "destroyed": False,
                "created_at": now,
            }
            for h in history:
                day = _day(h.decided_at) or current["started_on"]
                current["ended_on"] = max(day, current["started_on"])
                rows.append(current)
                seq = current["seq"] + 1
                current = {
                    **current,
                    "organisation_id": h.to_organisation_id,
                    "seq": seq,
                    "started_on": current["ended_on"],
                    "ended_on": None,
                    "began": "handover",
                    "handover_id": h.id,
                    "scope": h.scope,
                    "consent_given": h.consent_given,
                    "consent_on": _day(h.consent_on),
                    "consent_form": h.consent_form,
                    "visible_from_seq": current["visible_from_seq"] if h.scope == "full" else seq,
                }
            moved = _day(p.moved_away_on)
            current["ended_on"] = moved if moved and moved >= current["started_on"] else None
            current["current"] = True
            rows.append(current)
        bind.execute(sa.insert(period), rows)
    # a share made before an accepted handover of the person ended with it
    for person_id, history in moves.items():
        for h in history:
            day = _day(h.decided_at)
            if day is None:
                continue
            bind.execute(
                sa.update(share)
                .where(
                    share.c.person_id == person_id,
                    share.c.created_at < h.decided_at,
                    sa.or_(share.c.until.is_(None), share.c.until >= day),
                )
                .values(until=day - dt.timedelta(days=1))
            )


def downgrade():
    with op.batch_alter_table("handover") as batch:
        batch.add_column(
            sa.Column("sender_hidden", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column("receiver_full", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("person_sensitive") as batch:
        batch.drop_constraint("uq_person_sensitive_person_org", type_="unique")
        batch.create_unique_constraint("uq_person_sensitive_person", ["person_id"])
    for table in PERSON_OWNED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("custody_period_id")
    op.drop_index("ix_custody_period_org_dates", table_name="custody_period")
    op.drop_index("ix_custody_period_org_current", table_name="custody_period")
    op.drop_index("ix_custody_period_person_id", table_name="custody_period")
    op.drop_table("custody_period")

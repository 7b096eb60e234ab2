"""Demo data of data protection: the data protection officer and case files due for destruction."""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, select, update

from app.demo.accounts import COUNTY, DEMO_PASSWORD
from app.extensions import db
from app.models import ContactNote, FollowUp, Person, Referral
from app.models.contact import group_participant
from app.services.data_protection.retention import retention_years, today

DEMO_DPO_USERNAME = "datenschutz"


def load_demo_data_protection() -> dict[str, int]:
    """Demo: the data protection officer account and two case files due for destruction."""
    from app.models import MsaUser
    from app.security.matrix import ROLE_DPO
    from app.services.staff.accounts import create_user

    if not db.session.scalar(select(MsaUser.id).where(MsaUser.username == DEMO_DPO_USERNAME)):
        create_user(
            DEMO_DPO_USERNAME,
            DEMO_PASSWORD,
            ROLE_DPO,
            organisation=COUNTY,
            fte=0.5,
            first_name="Dana",
            last_name="Schutz",
            email=f"{DEMO_DPO_USERNAME}@musterkreis.invalid",
        )
    long_ago = today() - relativedelta(years=retention_years(), months=2)
    # the newest persons (the case-management demo takes the oldest ones); their files are
    # made consistent with the portal's own rules: assigned before the move-away, no note,
    # follow-up or group session after it, no own housing after it
    ids = db.session.scalars(
        select(Person.id).order_by(Person.moved_away_on.is_(None), Person.id.desc()).limit(2)
    ).all()
    if ids:
        moved = Person.id.in_(ids)
        db.session.execute(
            update(Person)
            .where(moved)
            .values(
                assigned_on=long_ago - relativedelta(years=1),
                moved_in_own_housing_on=None,
                moved_away_on=long_ago,
            )
        )
        # a bulk update bypasses the mapper events: the custody periods follow the new dates
        from app.services.intake.custody import sync_custody

        sync_custody(db.session.connection(), list(ids))
        db.session.execute(
            update(ContactNote)
            .where(ContactNote.person_id.in_(ids), ContactNote.date > long_ago)
            .values(date=long_ago - relativedelta(days=14))
        )
        db.session.execute(
            update(Referral)
            .where(Referral.person_id.in_(ids), Referral.date > long_ago)
            .values(date=long_ago - relativedelta(days=14))
        )
        db.session.execute(delete(FollowUp).where(FollowUp.person_id.in_(ids)))
        db.session.execute(delete(group_participant).where(group_participant.c.person_id.in_(ids)))
    db.session.commit()
    return {"Fällige Fallakten (Demo)": len(ids)}

"""Demo data of data protection: the data protection officer and case files due for destruction."""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from sqlalchemy import select, update

from app.demo.accounts import COUNTY, DEMO_PASSWORD
from app.extensions import db
from app.models import Person
from app.services.data_protection.retention import retention_years, today

DEMO_DPO_USERNAME = "datenschutz"


def load_demo_data_protection() -> dict[str, int]:
    """Demo: the data protection officer account and two case files due for destruction."""
    from app.models import MsaUser
    from app.security.matrix import ROLE_DPO
    from app.services.organisations import create_user

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
    ids = db.session.scalars(
        select(Person.id).order_by(Person.moved_away_on.is_(None), Person.id).limit(2)
    ).all()
    if ids:
        db.session.execute(update(Person).where(Person.id.in_(ids)).values(moved_away_on=long_ago))
    db.session.commit()
    return {"Fällige Fallakten (Demo)": len(ids)}

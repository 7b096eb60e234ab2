"""Demo data of statistics: a submitted quarterly report."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.services.statistics.counting import Quarter
from app.services.statistics.quarterly_report import Viewer, get_report, submit_report


def load_demo_reports(today: dt.date | None = None) -> int:
    """Demo: the first provider's lead has submitted the previous quarter. Return how many."""
    from app.models import MsaUser, Organisation

    previous = Quarter.of(today or dt.date.today()).previous()
    lead = db.session.execute(
        select(MsaUser).where(MsaUser.username == "leitung.caritas")
    ).scalar_one_or_none()
    if lead is None or lead.organisation_id is None:
        return 0
    if db.session.get(Organisation, lead.organisation_id) is None:
        return 0
    if get_report(lead.organisation_id, previous.year, previous.quarter) is not None:
        return 0
    submit_report(
        lead.organisation_id,
        previous.year,
        previous.quarter,
        actor=Viewer.of(lead),
        today=today,
    )
    return 1

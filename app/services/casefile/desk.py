"""Schreibtisch — what each role's landing page counts, in ONE statement.

Every figure is a short indexed count; :class:`app.services.bundle.Bundle` sends them together,
so the landing page stays within the statement budget whatever the role. Row scoping applies as
to every read (a provider user counts the own provider's rows only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, select

from app.models import (
    CaseManagementCase,
    ContactNote,
    FollowUp,
    Person,
    QuarterlyReport,
)
from app.services.bundle import Bundle
from app.services.case_management.workflow import OPEN_STEPS
from app.services.casefile.child_places import without_place_count
from app.services.casefile.cost_approval import pending_count_query
from app.services.intake.caseworkers import count_query
from app.services.staff.figures import CaseloadRow, caseload_queries, caseload_rows

#: "without contact" after this many weeks
NO_CONTACT_WEEKS = 8


@dataclass
class Desk:
    """The figures of one user's landing page (only those of the user's roles are set)."""

    overdue: int | None = None
    due_today: int | None = None
    open_cases: list[tuple[str, int]] = field(default_factory=list)
    without_contact: int | None = None
    team_overdue: int | None = None
    caseloads: list[CaseloadRow] = field(default_factory=list)
    quarter: tuple[int, int] | None = None
    quarter_status: str | None = None
    reports_waiting: int | None = None
    #: persons of the lead's provider without a caseworker (imported persons, above all)
    unassigned: int | None = None
    #: cost approvals requested from the social department and not yet decided (§3.1.8)
    cost_approvals_pending: int | None = None
    #: "Kinder ohne Platz": the lead's provider's, the caseworker's own persons' children
    children_without_place: int | None = None


def previous_quarter(today: dt.date) -> tuple[int, int]:
    """The quarter a provider reports next: the one before today's."""
    q = (today.month - 1) // 3 + 1
    return (today.year, q - 1) if q > 1 else (today.year - 1, 4)


def _count(stmt: Any) -> Any:
    return select(func.count()).select_from(stmt.subquery())


def without_contact(user_id: int, today: dt.date) -> list[Any]:
    """Conditions on ``Person``: the user's own persons, present, no note for 8 weeks.

    The landing tile counts them and the person list filtered by the tile shows them."""
    since = today - dt.timedelta(weeks=NO_CONTACT_WEEKS)
    recent = exists().where(ContactNote.person_id == Person.id, ContactNote.date >= since)
    return [Person.caseworker_id == user_id, Person.moved_away_on.is_(None), ~recent]


def team_overdue(today: dt.date) -> list[Any]:
    """Conditions on ``FollowUp``: open and overdue (the team's, by the row scope)."""
    return [FollowUp.done_on.is_(None), FollowUp.due_on < today]


def caseworker_queries(user_id: int, today: dt.date) -> dict[str, Any]:
    """Own follow-ups (overdue, today), own open cases by step, own persons without contact."""
    mine = FollowUp.assignee_id == user_id, FollowUp.done_on.is_(None)
    return {
        "overdue": select(func.count(FollowUp.id)).where(*mine, FollowUp.due_on < today),
        "due_today": select(func.count(FollowUp.id)).where(*mine, FollowUp.due_on == today),
        "open_cases": select(CaseManagementCase.step, func.count(CaseManagementCase.id))
        .where(
            CaseManagementCase.caseworker_id == user_id,
            # the open steps of the workflow, as "Meine Fälle" lists them
            CaseManagementCase.step.in_(sorted(OPEN_STEPS)),
        )
        .group_by(CaseManagementCase.step),
        "without_contact": select(func.count(Person.id)).where(*without_contact(user_id, today)),
    }


def lead_queries(organisation_id: int, today: dt.date) -> dict[str, Any]:
    """Caseload per caseworker today, overdue follow-ups of the team, status of the quarter."""
    year, quarter = previous_quarter(today)
    return {
        # the one caseload definition (app.services.staff.figures), on today
        **caseload_queries(organisation_id, today, today),
        "team_overdue": select(func.count(FollowUp.id)).where(*team_overdue(today)),
        "unassigned": count_query(organisation_id),
        # the referrals the lead may see (row scope), approval requested and not decided
        "cost_approvals_pending": pending_count_query(),
        "quarter_status": select(QuarterlyReport.status).where(
            QuarterlyReport.organisation_id == organisation_id,
            QuarterlyReport.year == year,
            QuarterlyReport.quarter == quarter,
        ),
    }


def review_queries(today: dt.date) -> dict[str, Any]:
    """Quarterly reports of the last quarter submitted and waiting for the county's review
    (the quarter the review overview opens with)."""
    year, quarter = previous_quarter(today)
    return {
        "reports_waiting": select(func.count(QuarterlyReport.id)).where(
            QuarterlyReport.status == "submitted",
            QuarterlyReport.year == year,
            QuarterlyReport.quarter == quarter,
        )
    }


def load_desk(
    *,
    user_id: int,
    organisation_id: int | None,
    caseworker: bool,
    lead: bool,
    reviewer: bool,
    today: dt.date | None = None,
) -> Desk:
    """Return the landing-page figures for the given roles (one statement, none if no role)."""
    today = today or dt.date.today()
    bundle = Bundle()
    if caseworker:
        bundle.update(caseworker_queries(user_id, today))
    if lead and organisation_id is not None:
        bundle.update(lead_queries(organisation_id, today))
    if reviewer:
        bundle.update(review_queries(today))
    if lead and organisation_id is not None:  # the list shows the lead the provider's
        bundle.add("children_without_place", without_place_count(today))
    elif caseworker:
        bundle.add("children_without_place", without_place_count(today, caseworker_id=user_id))
    desk = Desk()
    if not len(bundle):
        return desk
    data = bundle.run()

    def scalar(key: str) -> int | None:
        rows = data.get(key)
        return int(rows[0]) if rows else None

    if caseworker:
        desk.overdue, desk.due_today = scalar("overdue"), scalar("due_today")
        desk.without_contact = scalar("without_contact")
        desk.open_cases = [(str(step), int(n)) for step, n in data["open_cases"]]
    if lead and organisation_id is not None:
        desk.team_overdue = scalar("team_overdue")
        desk.unassigned = scalar("unassigned")
        desk.cost_approvals_pending = scalar("cost_approvals_pending")
        desk.caseloads = caseload_rows(data, today, today)
        desk.quarter = previous_quarter(today)
        status = data.get("quarter_status") or []
        desk.quarter_status = str(status[0]) if status else "draft"
    if "children_without_place" in data:
        desk.children_without_place = scalar("children_without_place")
    if reviewer:
        desk.reports_waiting = scalar("reports_waiting")
        desk.quarter = previous_quarter(today)
    return desk

"""Counts of the cooperation work of one provider in a period — one SQL statement."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.models.cooperation import Meeting, Project, Volunteer

#: keys of :func:`cooperation_figures` with their German labels, in report order
COOPERATION_FIGURE_LABELS: dict[str, str] = {
    "meetings": "Sitzungen von Arbeitskreisen",
    "working_groups": "Arbeitskreise mit Sitzungen",
    "projects": "Projekte",
    "encounters": "Begegnungsangebote",
    "participants": "Teilnehmende an Projekten und Begegnungsangeboten",
    "active_volunteers": "Aktive Ehrenamtliche",
}


def cooperation_figures_period(
    organisation_id: int, start: dt.date, end: dt.date
) -> dict[str, int]:
    """Return the cooperation counts of ``organisation_id`` from ``start`` to ``end`` (inclusive).

    One statement (:func:`cooperation_figures_statement`), decoded by :func:`decode_figures`.
    """
    stmt = cooperation_figures_statement(organisation_id, start, end)
    return decode_figures(db.session.execute(stmt).one())


def decode_figures(row: Any) -> dict[str, int]:
    """Return the counts of one result row of :func:`cooperation_figures_statement`."""
    return {key: int(value or 0) for key, value in zip(COOPERATION_FIGURE_LABELS, row, strict=True)}


def cooperation_figures_statement(organisation_id: int, start: dt.date, end: dt.date) -> Any:
    """The SELECT of the cooperation counts of ``organisation_id`` from ``start`` to ``end``.

    ``meetings``: working-group meetings held in the period; ``working_groups``: groups that met;
    ``projects`` / ``encounters``: projects and encounter activities running in the period
    (started by ``end``, not ended before ``start``); ``participants``: their participant
    counts summed; ``active_volunteers``: volunteers active at some day of the period.

    The caller decides whether the viewer may see this organisation's figures (the county reads
    every provider's, a provider only its own): the statement is not row-scoped.
    """
    meetings = (
        select(func.count(Meeting.id), func.count(func.distinct(Meeting.working_group_id)))
        .where(
            Meeting.organisation_id == organisation_id,
            Meeting.date >= start,
            Meeting.date <= end,
        )
        .subquery()
    )
    running = and_(
        Project.organisation_id == organisation_id,
        Project.starts_on <= end,
        or_(Project.ends_on.is_(None), Project.ends_on >= start),
    )

    def project_count(kind: str) -> Any:
        return select(func.count(Project.id)).where(running, Project.kind == kind).scalar_subquery()

    participants = (
        select(func.coalesce(func.sum(Project.participant_count), 0)).where(running)
    ).scalar_subquery()
    volunteers = (
        select(func.count(Volunteer.id)).where(
            Volunteer.organisation_id == organisation_id,
            or_(Volunteer.active_since.is_(None), Volunteer.active_since <= end),
            or_(Volunteer.active_until.is_(None), Volunteer.active_until >= start),
        )
    ).scalar_subquery()
    cols = list(meetings.c)
    stmt = select(
        cols[0],
        cols[1],
        project_count("project"),
        project_count("encounter"),
        participants,
        volunteers,
    ).execution_options(msa_unscoped=True)
    return stmt


def cooperation_figures(organisation_id: int, year: int) -> dict[str, int]:
    """Return the cooperation counts of a provider for the calendar ``year`` (annual evaluation).

    Keys as :data:`COOPERATION_FIGURE_LABELS`: meetings held, working groups that met, projects,
    encounter activities, participants, active volunteers.
    """
    return cooperation_figures_period(organisation_id, dt.date(year, 1, 1), dt.date(year, 12, 31))

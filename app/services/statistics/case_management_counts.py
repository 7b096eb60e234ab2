"""Anlage 1: persons in case management per caseworker and month (single and batched)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from app.extensions import db
from app.models import (
    CaseEvent,
    CaseManagementCase,
)
from app.models.case_management import ASSESSMENT


def persons_in_case_management(organisation_id: int, year: int, month: int) -> dict[int, int]:
    """Anlage 1: persons in case management in a month, per caseworker (one aggregate query).

    A person counts when their case entered the assessment (the decision for case management)
    by the month's end and was not closed before the month's start — both by the domain dates
    (``CaseEvent.occurred_on``, ``closed_on``), not by when somebody clicked.
    """
    import calendar

    from sqlalchemy import func as sa_func
    from sqlalchemy import or_ as sa_or
    from sqlalchemy import select as sa_select

    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    entered = (
        sa_select(CaseEvent.case_id)
        .where(CaseEvent.to_step == ASSESSMENT, CaseEvent.occurred_on <= last)
        .scalar_subquery()
    )
    stmt = (
        sa_select(
            CaseManagementCase.caseworker_id,
            sa_func.count(sa_func.distinct(CaseManagementCase.person_id)),
        )
        .where(
            CaseManagementCase.organisation_id == organisation_id,
            CaseManagementCase.id.in_(entered),
            sa_or(CaseManagementCase.closed_on.is_(None), CaseManagementCase.closed_on >= first),
        )
        .group_by(CaseManagementCase.caseworker_id)
        .execution_options(msa_unscoped=True)  # the caller decided who may see the figure
    )
    return {int(cw): int(n) for cw, n in db.session.execute(stmt)}


def persons_in_case_management_query(
    organisation_ids: Sequence[int],
    months: Sequence[tuple[int, int]],
    caseworker_id: int | None = None,
) -> Select[Any] | None:
    """Return ONE aggregate statement of :func:`persons_in_case_management` for many months.

    Rows ``(organisation_id, caseworker_id, year, month, persons)``, only counts above 0, for
    every organisation and month, whatever their number: per case the first move into the
    assessment (``min(occurred_on)``, the domain date), joined with a small table of the months
    (``UNION ALL`` of their boundaries) under the single-month conditions — entered by the
    month's last day and not closed before the month's start — then
    ``count(DISTINCT person_id)`` per organisation, caseworker and month.

    The statement counts exactly the organisations asked for and runs unscoped
    (``msa_unscoped``), like every figure of the statistics: the callers decide beforehand which
    organisation a user may see (``quarterly_report.allowed_view``), so every reviewing role —
    Prüfer and Kreis-Admin alike — gets the same figures. A case counts for the organisation
    stored on it (the writer). None when nothing can be counted.
    """
    import calendar

    from sqlalchemy import Date, Integer, and_, literal, or_, union_all

    org_ids = list(organisation_ids)
    wanted = sorted(set(months))
    if not org_ids or not wanted:
        return None
    bounds = []
    for year, month in wanted:
        first = dt.date(year, month, 1)
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        bounds.append((year, month, first, last))
    month_table = union_all(
        *(
            select(
                literal(year, Integer).label("y"),
                literal(month, Integer).label("m"),
                literal(first, Date).label("first_day"),
                literal(last, Date).label("last_day"),
            )
            for year, month, first, last in bounds
        )
    ).subquery("months")
    entered = (
        select(
            CaseEvent.case_id.label("case_id"), func.min(CaseEvent.occurred_on).label("entered_on")
        )
        .where(CaseEvent.to_step == ASSESSMENT, CaseEvent.occurred_on <= bounds[-1][3])
        .group_by(CaseEvent.case_id)
        .subquery("entered")
    )
    c = CaseManagementCase
    stmt = (
        select(
            c.organisation_id.label("org"),
            c.caseworker_id.label("cw"),
            month_table.c.y,
            month_table.c.m,
            func.count(func.distinct(c.person_id)).label("persons"),
        )
        .select_from(c)
        .join(entered, entered.c.case_id == c.id)
        .join(
            month_table,
            and_(
                entered.c.entered_on <= month_table.c.last_day,
                or_(c.closed_on.is_(None), c.closed_on >= month_table.c.first_day),
            ),
        )
        .where(c.organisation_id.in_(org_ids))
        .group_by(c.organisation_id, c.caseworker_id, month_table.c.y, month_table.c.m)
        .execution_options(msa_unscoped=True)
    )
    if caseworker_id is not None:
        stmt = stmt.where(c.caseworker_id == caseworker_id)
    return stmt


def persons_in_case_management_batch(
    organisation_ids: Sequence[int], months: Sequence[tuple[int, int]]
) -> dict[tuple[int, int, int, int], int]:
    """Return ``{(organisation_id, caseworker_id, year, month): persons}`` in one statement.

    The batched form of :func:`persons_in_case_management` (same counts, see
    :func:`persons_in_case_management_query`), for exactly the organisations asked for.
    """
    stmt = persons_in_case_management_query(organisation_ids, months)
    if stmt is None:
        return {}
    return {
        (int(org), int(cw), int(y), int(m)): int(n) for org, cw, y, m, n in db.session.execute(stmt)
    }

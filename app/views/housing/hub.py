"""The housing section and timeline source of the case file page."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext
from sqlalchemy import select

from app.models import MoveProcedure, MoveStep, SocialReport
from app.models.housing import REPORT_FINAL, TRACK_LABELS
from app.services.bundle import attach
from app.services.housing import move_procedure as moves
from app.views.hub import (
    TimelineEvent,
)


def section_queries(person: Any) -> dict[str, Any]:
    """The reads of the housing section (run with all other sections in one statement)."""
    return {
        "reports": select(SocialReport)
        .where(SocialReport.person_id == person.id)
        .order_by(SocialReport.series_id.desc(), SocialReport.number.desc()),
        "procedures": select(MoveProcedure)
        .where(MoveProcedure.person_id == person.id)
        .order_by(MoveProcedure.started_on.desc(), MoveProcedure.id.desc()),
        "steps": select(MoveStep)
        .where(MoveStep.person_id == person.id)
        .order_by(MoveStep.procedure_id, MoveStep.position),
    }


def _procedures_with_steps(data: dict[str, list[Any]]) -> list[MoveProcedure]:
    steps: dict[int, list[MoveStep]] = {}
    for step in data["steps"]:
        steps.setdefault(step.procedure_id, []).append(step)
    for procedure in data["procedures"]:
        attach(procedure, "steps", steps.get(procedure.id, []))
    return data["procedures"]


def section_context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    """Return the data of the housing section of the case file page."""
    procedures = _procedures_with_steps(data)
    return {
        "reports": data["reports"],
        "procedures": [
            {
                "procedure": p,
                "labels": {s.code: moves.step_label(p.track, s.code) for s in p.steps},
                "done": moves.progress(p),
                "next": moves.next_step(p),
            }
            for p in procedures
        ],
        "tracks": TRACK_LABELS,
        "default_track": moves.default_track(person),
        "has_open_procedure": any(p.status == "open" for p in procedures),
    }


def timeline_queries(person: Any) -> dict[str, Any]:
    return {
        "reports": select(
            SocialReport.id,
            SocialReport.number,
            SocialReport.finalised_at,
            SocialReport.finalised_by_name,
        ).where(
            SocialReport.person_id == person.id,
            SocialReport.status == REPORT_FINAL,
            SocialReport.finalised_at.is_not(None),
        ),
        "steps": select(
            MoveStep.procedure_id,
            MoveStep.code,
            MoveStep.done_on,
            MoveStep.note,
            MoveStep.recorded_by_name,
            MoveProcedure.track,
            MoveStep.recorded_at,
        )
        .join(MoveProcedure, MoveProcedure.id == MoveStep.procedure_id)
        .where(MoveStep.person_id == person.id, MoveStep.done_on.is_not(None)),
    }


def timeline_events(person: Any, data: dict[str, list[Any]]) -> list[TimelineEvent]:
    """Return report finalisations and completed move steps of a person."""
    events = [
        TimelineEvent(
            when=finalised_at,
            kind="housing",
            title=gettext("Sozialbericht Version %(number)s abgeschlossen", number=number),
            who=by or "",
            url=url_for("SocialReportView.show", pk=rid),
        )
        for rid, number, finalised_at, by in data["reports"]
    ]
    # a move step stands under the day it was done, the recording day is its detail
    for procedure_id, code, done_on, note, by, track, recorded_at in data["steps"]:
        events.append(
            TimelineEvent(
                when=done_on,
                recorded=recorded_at,
                kind="housing",
                title="Umzug: " + moves.step_label(track, code),
                detail=note or "",
                who=by or "",
                url=url_for("MoveProcedureView.show", pk=procedure_id),
            )
        )
    return events

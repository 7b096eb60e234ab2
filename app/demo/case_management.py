"""Demo cases walked through the case-management steps with the public verbs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import (
    CaseManagementCase,
    MsaUser,
    Person,
)
from app.services.case_management.contents import (
    add_conference,
    add_goal,
    add_monitoring,
    add_service,
    record_assessment,
    record_closure,
    record_first_interview,
    revise_help_plan,
)
from app.services.case_management.workflow import (
    CLOSED,
    FIRST_INTERVIEW,
    GOAL_AGREEMENT,
    HELP_PLANNING,
    MONITORING,
    OCCASION_BASED,
    SERVICE_STEERING,
    STEPS,
    goals_of,
    open_case,
    transition,
)

# --- demo data -----------------------------------------------------------------------------

_DEMO_GAPS = (
    ("housing", "Keine bezahlbaren Wohnungen innerhalb der KdU-Grenzen"),
    ("language_culture", "Kein Integrationskurs mit Kinderbetreuung in Reichweite"),
    ("health", "Keine Psychotherapie in Herkunftssprache verfügbar"),
    ("work", "Keine Teilzeitausbildung für Alleinerziehende"),
)


def _demo_walk(case_: CaseManagementCase, target: str, actor: Any, rng: Any) -> None:
    """Fill each step's content and move the case on until it stands in ``target``."""
    today = dt.date.today()
    decision = "occasion_based" if target == OCCASION_BASED else "case_management"
    record_first_interview(
        case_,
        {
            "problem_situation": "Mehrere Problemlagen: Wohnung, Arbeit, Gesundheit.",
            "motivation": "Hoch – möchte selbständig leben.",
            "transparency_given": True,
            "decision": decision,
        },
        actor=actor,
    )
    path = [OCCASION_BASED] if target == OCCASION_BASED else list(STEPS[2:])
    for step in path:
        if target == FIRST_INTERVIEW:
            return
        if step == GOAL_AGREEMENT:
            record_assessment(
                case_,
                {
                    "aspect_family_situation": "Verheiratet, zwei Kinder.",
                    "aspect_language_skills": "Deutsch A2, Arabisch Muttersprache.",
                    "aspect_financial_situation": "Leistungen nach dem AsylbLG.",
                },
                actor=actor,
            )
        if step == HELP_PLANNING:
            goal = add_goal(
                case_,
                {
                    "title": "Eigene Wohnung beziehen",
                    "target_date": today + dt.timedelta(days=rng.randint(60, 200)),
                },
                actor=actor,
            )
            add_goal(
                case_,
                {
                    "title": "Sozialbericht und Wohnberechtigungsschein",
                    "target_date": today + dt.timedelta(days=rng.randint(-20, 50)),
                    "parent_id": goal.id,
                },
                actor=actor,
            )
        if step == SERVICE_STEERING:
            revise_help_plan(
                case_,
                {
                    "tasks": [
                        {
                            "task": "Wohnungsangebote sichten",
                            "role": "Klient:in",
                            "responsible_text": "Klient:in",
                        },
                        {
                            "task": "Sozialbericht erstellen",
                            "role": "Fallmanager:in",
                            "responsible_user_id": actor.id,
                            "ends_on": today + dt.timedelta(days=30),
                        },
                    ]
                },
                actor=actor,
            )
        if step == MONITORING:
            add_service(
                case_,
                {
                    "service": "Wohnungsvermittlung",
                    "starts_on": today,
                    "standards": "Rückmeldung binnen 14 Tagen",
                },
                actor=actor,
            )
            add_conference(
                case_,
                {
                    "held_on": today,
                    "participants": "Klient:in, Fallmanager:in, Jobcenter",
                    "outcome": "Aufgaben verteilt",
                },
                actor=actor,
            )
        if step == CLOSED:
            goal_id = goals_of(case_.id)[0].id
            topic, gap = rng.choice(_DEMO_GAPS)
            add_monitoring(
                case_,
                {
                    "goal_id": goal_id,
                    "progress": "Zwei Besichtigungen wahrgenommen.",
                    "deviation": "Verzögerung durch fehlende Unterlagen.",
                    "service_gap_topic": topic,
                    "service_gap": gap,
                },
                actor=actor,
            )
            if target == CLOSED:
                record_closure(
                    case_,
                    {
                        "reason_code": "goal_reached",
                        "goals_results": "Wohnung bezogen, Ziel erreicht.",
                        "methods_cooperation": "Gute Zusammenarbeit mit Jobcenter.",
                        "client_satisfaction": 4,
                    },
                    actor=actor,
                )
        transition(case_, step, actor=actor, reason="Demo-Verlauf")
        if step == target:
            return


def load_demo_cases(rng: Any, first_person_id: int, per_step: int = 2) -> int:
    """Create demo cases in every step for adults created from ``first_person_id`` on."""
    org_ids = list(
        db.session.execute(
            select(Person.organisation_id).where(Person.id >= first_person_id).distinct()
        ).scalars()
    )
    wanted = per_step * len(STEPS)
    by_org: dict[int, list[tuple[Person, MsaUser]]] = {}
    for org_id in org_ids:  # a few rows per provider, also with 100,000 persons
        rows = db.session.execute(
            select(Person, MsaUser)
            .join(MsaUser, MsaUser.id == Person.caseworker_id)
            .where(
                Person.id >= first_person_id,
                Person.organisation_id == org_id,
                Person.employable.is_(True),
                Person.moved_away_on.is_(None),
            )
            .order_by(Person.id)
            .limit(wanted * 3 // 2 + 3)
        ).all()
        by_org[org_id] = [(person, user) for person, user in rows]
    created = 0
    for pairs in by_org.values():
        # leave every third adult without a case (room for the first-interview journey)
        candidates = [pair for i, pair in enumerate(pairs) if i % 3 != 2]
        for i, (person, user) in enumerate(candidates[: per_step * len(STEPS)]):
            target = STEPS[i % len(STEPS)]
            case_ = open_case(person, actor=user, reason="Demo-Fall")
            _demo_walk(case_, target, user, rng)
            created += 1
    return created

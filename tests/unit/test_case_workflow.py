"""Case-management workflow (R-4): transition table, guards, events, step contents."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from app.services.case_management import contents as cm_contents
from app.services.case_management import queries as cm_queries
from app.services.case_management import workflow as wf
from tests import factories

ALL_PAIRS = [(a, b) for a, b in itertools.product(wf.STEPS, wf.STEPS) if a != b]
ALLOWED = sorted(wf.TRANSITIONS)
FORBIDDEN = [p for p in ALL_PAIRS if p not in wf.TRANSITIONS]


@pytest.fixture
def setup(factory: Any, db_session: Any) -> dict[str, Any]:
    org = factory.make_org()
    user = factory.make_user("Fachkraft", org, first_name="Fatma", last_name="Kaya")
    person = factory.make_person(org)
    return {"org": org, "user": user, "person": person, "db": db_session}


def _complete_case(s: dict[str, Any], step: str, decision: str = "case_management") -> Any:
    """Return a case standing in ``step`` with all content every guard asks for."""
    from app.models import (
        AssessmentEntry,
        CaseClosure,
        CaseGoal,
        CaseManagementCase,
        FirstInterview,
        HelpPlan,
        HelpPlanTask,
    )

    db = s["db"]
    person = s["person"]
    owned = {"person_id": person.id, "organisation_id": person.organisation_id}
    case_ = CaseManagementCase(
        **owned, caseworker_id=s["user"].id, step=step, opened_on=dt.date.today()
    )
    db.add(case_)
    db.flush()
    owned["case_id"] = case_.id
    db.add(
        FirstInterview(
            **owned,
            held_on=dt.date.today(),
            problem_situation="Wohnung, Arbeit, Gesundheit",
            motivation="hoch",
            transparency_given=True,
            decision=decision,
        )
    )
    db.add(AssessmentEntry(**owned, aspect_code="family_situation", text="verheiratet"))
    db.add(CaseGoal(**owned, title="Wohnung", target_date=dt.date.today()))
    plan = HelpPlan(**owned, version_no=1, valid_from=dt.date.today())
    plan.tasks = [HelpPlanTask(task="Suchen", role="Klient:in", responsible_text="Klient:in")]
    db.add(plan)
    db.add(
        CaseClosure(
            **owned,
            reason_code="goal_reached",
            goals_results="erreicht",
            methods_cooperation="gut",
            client_satisfaction=4,
        )
    )
    db.commit()
    return case_


def _bare_case(s: dict[str, Any]) -> Any:
    return wf.open_case(s["person"], actor=s["user"])


def _events(s: dict[str, Any], case_id: int) -> list[Any]:
    return wf.events_of(case_id)


@pytest.mark.parametrize(("from_step", "to_step"), ALLOWED)
def test_every_allowed_transition_moves_and_records_who_when_why(
    setup: dict[str, Any], from_step: str, to_step: str
) -> None:
    """An allowed move changes the step and writes one event with who, when, from, to, why."""
    decision = "occasion_based" if to_step == wf.OCCASION_BASED else "case_management"
    case_ = _complete_case(setup, from_step, decision)
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)
    event = wf.transition(case_, to_step, actor=setup["user"], reason="Begründung")
    assert wf.get_case(case_.id).step == to_step
    events = _events(setup, case_.id)
    assert len(events) == 1
    assert (events[0].from_step, events[0].to_step) == (from_step, to_step)
    assert events[0].actor_id == setup["user"].id
    assert events[0].actor_name == "Fatma Kaya"
    assert events[0].reason == "Begründung"
    assert events[0].at >= before
    assert event.id == events[0].id


@pytest.mark.parametrize(("from_step", "to_step"), FORBIDDEN)
def test_every_forbidden_transition_is_refused_without_trace(
    setup: dict[str, Any], from_step: str, to_step: str
) -> None:
    """A move not in the table is refused with a German message; step and events unchanged."""
    case_ = _complete_case(setup, from_step)
    with pytest.raises(wf.CaseWorkflowError, match="nicht erlaubt"):
        wf.transition(case_, to_step, actor=setup["user"], reason="x")
    assert wf.get_case(case_.id).step == from_step
    assert _events(setup, case_.id) == []


def test_table_covers_the_process_and_its_way_back() -> None:
    """The main line is complete; monitoring may go back to help planning; closed is final."""
    line = [
        wf.FIRST_INTERVIEW,
        wf.ASSESSMENT,
        wf.GOAL_AGREEMENT,
        wf.HELP_PLANNING,
        wf.SERVICE_STEERING,
        wf.MONITORING,
        wf.CLOSED,
    ]
    for a, b in itertools.pairwise(line):
        assert (a, b) in wf.TRANSITIONS
    assert (wf.MONITORING, wf.HELP_PLANNING) in wf.TRANSITIONS
    assert wf.allowed_targets(wf.CLOSED) == []
    assert set(wf.BACKWARD) <= set(wf.TRANSITIONS)


def test_unknown_step_refused(setup: dict[str, Any]) -> None:
    case_ = _bare_case(setup)
    with pytest.raises(wf.CaseWorkflowError, match="Unbekannter Schritt"):
        wf.transition(case_, "archived", actor=setup["user"])


def test_same_step_refused(setup: dict[str, Any]) -> None:
    case_ = _bare_case(setup)
    with pytest.raises(wf.CaseWorkflowError, match="bereits"):
        wf.transition(case_, wf.FIRST_INTERVIEW, actor=setup["user"])


def test_open_case_starts_in_first_interview_with_event(setup: dict[str, Any]) -> None:
    case_ = _bare_case(setup)
    assert case_.step == wf.FIRST_INTERVIEW
    (event,) = _events(setup, case_.id)
    assert event.from_step is None and event.to_step == wf.FIRST_INTERVIEW
    with pytest.raises(wf.CaseWorkflowError, match="bereits einen offenen Fall"):
        wf.open_case(setup["person"], actor=setup["user"])


# --- guards --------------------------------------------------------------------------------


def test_first_interview_decision_required(setup: dict[str, Any]) -> None:
    """Without a documented decision the case cannot leave the first interview."""
    case_ = _bare_case(setup)
    for to in (wf.ASSESSMENT, wf.OCCASION_BASED):
        with pytest.raises(wf.CaseWorkflowError, match="Entscheidung"):
            wf.transition(case_, to, actor=setup["user"])
    data = {"problem_situation": "viel", "motivation": "hoch", "transparency_given": "1"}
    with pytest.raises(wf.CaseWorkflowError) as exc:
        cm_contents.record_first_interview(case_, data, actor=setup["user"])
    assert exc.value.field == "decision"
    cm_contents.record_first_interview(
        case_, {**data, "decision": "occasion_based"}, actor=setup["user"]
    )
    with pytest.raises(wf.CaseWorkflowError, match="passt nicht"):
        wf.transition(case_, wf.ASSESSMENT, actor=setup["user"])
    wf.transition(case_, wf.OCCASION_BASED, actor=setup["user"])
    assert wf.get_case(case_.id).step == wf.OCCASION_BASED


def test_case_management_needs_transparency(setup: dict[str, Any]) -> None:
    case_ = _bare_case(setup)
    with pytest.raises(wf.CaseWorkflowError) as exc:
        cm_contents.record_first_interview(
            case_,
            {"problem_situation": "a", "motivation": "b", "decision": "case_management"},
            actor=setup["user"],
        )
    assert exc.value.field == "transparency_given"


def test_no_closure_without_evaluation(setup: dict[str, Any]) -> None:
    """A case in monitoring cannot be closed before reason and evaluation are recorded."""
    from app.models import CaseClosure

    case_ = _complete_case(setup, wf.MONITORING)
    setup["db"].query(CaseClosure).delete()
    setup["db"].commit()
    with pytest.raises(wf.CaseWorkflowError, match="nicht ohne Abschlussauswertung"):
        wf.transition(case_, wf.CLOSED, actor=setup["user"])
    assert wf.get_case(case_.id).step == wf.MONITORING
    with pytest.raises(wf.CaseWorkflowError) as exc:
        cm_contents.record_closure(case_, {"reason_code": "goal_reached"}, actor=setup["user"])
    assert exc.value.field == "goals_results"
    with pytest.raises(wf.CaseWorkflowError) as exc:
        cm_contents.record_closure(
            case_,
            {
                "reason_code": "other",
                "goals_results": "a",
                "methods_cooperation": "b",
                "client_satisfaction": "3",
            },
            actor=setup["user"],
        )
    assert exc.value.field == "reason_text"
    cm_contents.record_closure(
        case_,
        {
            "reason_code": "self_steering",
            "goals_results": "a",
            "methods_cooperation": "b",
            "client_satisfaction": "5",
        },
        actor=setup["user"],
    )
    wf.transition(case_, wf.CLOSED, actor=setup["user"])
    closed = wf.get_case(case_.id)
    assert closed.step == wf.CLOSED and closed.closed_on == dt.date.today()


def test_no_service_steering_without_help_plan(setup: dict[str, Any]) -> None:
    from app.models import HelpPlan

    case_ = _complete_case(setup, wf.HELP_PLANNING)
    setup["db"].query(HelpPlan).delete()
    setup["db"].commit()
    with pytest.raises(wf.CaseWorkflowError, match="Ohne Hilfeplan"):
        wf.transition(case_, wf.SERVICE_STEERING, actor=setup["user"])


def test_assessment_and_goal_guards(setup: dict[str, Any]) -> None:
    from app.models import AssessmentEntry, CaseGoal

    case_ = _complete_case(setup, wf.ASSESSMENT)
    setup["db"].query(AssessmentEntry).delete()
    setup["db"].query(CaseGoal).delete()
    setup["db"].commit()
    with pytest.raises(wf.CaseWorkflowError, match="Assessment"):
        wf.transition(case_, wf.GOAL_AGREEMENT, actor=setup["user"])
    cm_contents.record_assessment(case_, {"aspect_religion": "muslimisch"}, actor=setup["user"])
    wf.transition(case_, wf.GOAL_AGREEMENT, actor=setup["user"])
    with pytest.raises(wf.CaseWorkflowError, match="Ziel"):
        wf.transition(case_, wf.HELP_PLANNING, actor=setup["user"])


def test_way_back_needs_a_reason(setup: dict[str, Any]) -> None:
    case_ = _complete_case(setup, wf.MONITORING)
    with pytest.raises(wf.CaseWorkflowError) as exc:
        wf.transition(case_, wf.HELP_PLANNING, actor=setup["user"], reason="  ")
    assert exc.value.field == "reason"
    wf.transition(case_, wf.HELP_PLANNING, actor=setup["user"], reason="Plan anpassen")
    assert wf.get_case(case_.id).step == wf.HELP_PLANNING


# --- step contents -------------------------------------------------------------------------


def test_content_only_in_its_step(setup: dict[str, Any]) -> None:
    case_ = _bare_case(setup)
    with pytest.raises(wf.CaseWorkflowError, match="Im Schritt „Erstgespräch“"):
        cm_contents.record_content(
            case_, "goal", {"title": "x", "target_date": "2030-01-01"}, actor=setup["user"]
        )
    closed = _complete_case(setup, wf.CLOSED)
    with pytest.raises(wf.CaseWorkflowError, match="abgeschlossener Fall"):
        cm_contents.record_content(
            closed, "assessment", {"aspect_religion": "x"}, actor=setup["user"]
        )


def test_assessment_keeps_history(setup: dict[str, Any]) -> None:
    case_ = _complete_case(setup, wf.ASSESSMENT)
    cm_contents.record_assessment(
        case_, {"aspect_family_situation": "getrennt"}, actor=setup["user"]
    )
    current = wf.assessment_current(case_.id)
    assert current["family_situation"].text == "getrennt"
    texts = [e.text for e in wf.assessment_history(case_.id) if e.aspect_code == "family_situation"]
    assert texts == ["getrennt", "verheiratet"]
    with pytest.raises(wf.CaseWorkflowError, match="mindestens einen Aspekt"):
        cm_contents.record_assessment(
            case_, {"aspect_family_situation": "getrennt"}, actor=setup["user"]
        )


def test_goal_dates_and_monitoring_dates_create_follow_ups(setup: dict[str, Any]) -> None:
    from app.models import FollowUp

    case_ = _complete_case(setup, wf.GOAL_AGREEMENT)
    target = dt.date.today() + dt.timedelta(days=90)
    goal = cm_contents.add_goal(
        case_, {"title": "Arbeit finden", "target_date": target}, actor=setup["user"]
    )
    with pytest.raises(wf.CaseWorkflowError) as exc:
        cm_contents.add_goal(
            case_,
            {
                "title": "Zu spät",
                "target_date": target + dt.timedelta(days=1),
                "parent_id": goal.id,
            },
            actor=setup["user"],
        )
    assert exc.value.field == "target_date"
    cm_contents.add_goal(
        case_,
        {"title": "Bewerbung", "target_date": target - dt.timedelta(days=30), "parent_id": goal.id},
        actor=setup["user"],
    )
    fus = setup["db"].query(FollowUp).filter_by(source="case_management").all()
    assert sorted(f.due_on for f in fus) == [target - dt.timedelta(days=30), target]
    assert all(f.assignee_id == setup["user"].id for f in fus)

    case_.step = wf.MONITORING
    setup["db"].commit()
    review = dt.date.today() + dt.timedelta(days=14)
    cm_contents.add_monitoring(
        case_,
        {
            "goal_id": goal.id,
            "progress": "zwei Bewerbungen",
            "deviation": "keine",
            "service_gap_topic": "work",
            "service_gap": "Kein Sprachkurs am Abend",
            "next_review_on": review.isoformat(),
        },
        actor=setup["user"],
    )
    assert wf.get_case(case_.id).next_monitoring_on == review
    assert setup["db"].query(FollowUp).filter_by(due_on=review).count() == 1


def test_entering_monitoring_schedules_a_review(setup: dict[str, Any]) -> None:
    from app.models import FollowUp

    case_ = _complete_case(setup, wf.SERVICE_STEERING)
    wf.transition(case_, wf.MONITORING, actor=setup["user"])
    due = wf.get_case(case_.id).next_monitoring_on
    assert due is not None
    assert setup["db"].query(FollowUp).filter_by(due_on=due, source="case_management").count()


def test_help_plan_revision_keeps_versions(setup: dict[str, Any]) -> None:
    case_ = _complete_case(setup, wf.HELP_PLANNING)
    partner = factories.make_partner()
    with pytest.raises(wf.CaseWorkflowError) as exc:
        cm_contents.revise_help_plan(case_, {"tasks-0-task": "Wohnung suchen"}, actor=setup["user"])
    assert exc.value.field == "tasks-0-role"
    plan = cm_contents.revise_help_plan(
        case_,
        {
            "tasks-0-task": "Sozialbericht",
            "tasks-0-role": "Fallmanager:in",
            "tasks-0-responsible_user_id": str(setup["user"].id),
            "tasks-0-starts_on": "2026-01-01",
            "tasks-0-ends_on": "2026-02-01",
            "tasks-1-task": "Vermittlung",
            "tasks-1-role": "Partner",
            "tasks-1-responsible_partner_id": str(partner.id),
            "tasks-1-resources": "Wohnungsliste",
        },
        actor=setup["user"],
    )
    assert plan.version_no == 2
    versions = cm_contents.help_plan_versions(case_.id)
    assert [v.version_no for v in versions] == [2, 1]
    assert [t.task for t in versions[1].tasks] == ["Suchen"]
    assert versions[0].tasks[1].responsible_partner_id == partner.id


def test_case_management_hint_counts_topic_areas(setup: dict[str, Any]) -> None:
    """Several topic areas in the notes of the last three months suggest CM (§3.1.11)."""
    from app.models import ContactNoteTopic

    person, user, db = setup["person"], setup["user"], setup["db"]
    old = person
    for code, days in (("housing", 5), ("work", 10), ("health", 20), ("conflict", 200)):
        note = factories.make_note(old, user, date=dt.date.today() - dt.timedelta(days=days))
        db.add(ContactNoteTopic(contact_note_id=note.id, code=code))
    db.commit()
    # housing and work share §3.1.1: two areas only
    assert cm_queries.case_management_hint(person.id) == []
    note = factories.make_note(old, user)
    db.add(ContactNoteTopic(contact_note_id=note.id, code="legal_authority"))
    db.commit()
    hint = cm_queries.case_management_hint(person.id)
    assert len(hint) == 3
    assert not any("Konflikt" in h for h in hint)


def test_my_cases_groups_open_cases_with_overdue(setup: dict[str, Any]) -> None:
    from app.models import FollowUp

    case_ = _complete_case(setup, wf.GOAL_AGREEMENT)
    setup["db"].add(
        FollowUp(
            person_id=case_.person_id,
            organisation_id=case_.organisation_id,
            assignee_id=setup["user"].id,
            due_on=dt.date.today() - dt.timedelta(days=3),
            title="Ziel",
            source="case_management",
        )
    )
    setup["db"].commit()
    grouped = cm_queries.my_cases(setup["user"].id)
    assert wf.CLOSED not in grouped and wf.OCCASION_BASED not in grouped
    (row,) = grouped[wf.GOAL_AGREEMENT]
    assert row.overdue == 1 and row.case_id == case_.id
    assert sum(len(v) for v in grouped.values()) == 1


def test_service_gaps_are_aggregated_without_personal_data(setup: dict[str, Any]) -> None:
    from app.models import MonitoringEntry

    case_ = _complete_case(setup, wf.MONITORING)
    goal = wf.goals_of(case_.id)[0]
    for _ in range(2):
        setup["db"].add(
            MonitoringEntry(
                case_id=case_.id,
                person_id=case_.person_id,
                organisation_id=case_.organisation_id,
                goal_id=goal.id,
                recorded_on=dt.date.today(),
                progress="x",
                service_gap_topic="health",
                service_gap="Amal braucht Therapie",
            )
        )
    setup["db"].commit()
    (row,) = cm_queries.service_gaps()
    assert (row.topic, row.entries, row.cases) == ("health", 2, 1)
    assert "Amal" not in repr(row)


def test_transition_locks_the_case_row_on_postgresql(setup: dict[str, Any]) -> None:
    """The case row is read with SELECT … FOR UPDATE on PostgreSQL (no lost transitions)."""
    from sqlalchemy import event

    case_ = _complete_case(setup, wf.FIRST_INTERVIEW)
    engine = setup["db"].get_bind()
    statements: list[str] = []

    def _capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", _capture)
    try:
        wf.transition(case_, wf.ASSESSMENT, actor=setup["user"])
    finally:
        event.remove(engine, "before_cursor_execute", _capture)
    locking = [s for s in statements if "FOR UPDATE" in s and "cm_case" in s]
    if engine.dialect.name == "postgresql":
        assert locking
    else:
        assert not locking  # SQLite has no row locks; the transaction serialises writes


def test_help_plan_responsibles_of_own_provider_only(setup: dict[str, Any]) -> None:
    case_ = _complete_case(setup, wf.HELP_PLANNING)
    stranger = factories.make_user("Fachkraft", factories.make_org())
    task = {"task": "x", "role": "y", "responsible_user_id": stranger.id}
    with pytest.raises(wf.CaseWorkflowError, match="eigenen Trägers"):
        cm_contents.revise_help_plan(case_, {"tasks": [task]}, actor=setup["user"])
    task = {"task": "x", "role": "y", "responsible_partner_id": 999999}
    with pytest.raises(wf.CaseWorkflowError, match="Netzwerkpartner"):
        cm_contents.revise_help_plan(case_, {"tasks": [task]}, actor=setup["user"])
    case_.step = wf.SERVICE_STEERING
    setup["db"].commit()
    data = {"service": "s", "starts_on": "2026-01-01", "standards": "x", "partner_id": "abc"}
    with pytest.raises(wf.CaseWorkflowError) as exc:
        cm_contents.add_service(case_, data, actor=setup["user"])
    assert exc.value.field == "partner_id"

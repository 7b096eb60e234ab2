"""Kostenübernahme (§3.1.8): the rule of the referral verbs, restated independently.

The concept paper: specific individual care of a person under the AsylbLG starts only after the
social department approved the costs. Restated here without the code's helpers: a table of
cases with the answer written out by hand, and a Hypothesis property against a plain
re-statement of the rule; both are compared with what the verb does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.casefile import cost_approval as ca

TODAY = dt.date(2026, 6, 15)
D = TODAY - dt.timedelta(days=30)  # the day of the referral
BEFORE, START, AFTER = D + dt.timedelta(days=3), D + dt.timedelta(days=5), D + dt.timedelta(days=8)

A, MISSING = "asylblg_basic", "cost_approval.missing"
TOMORROW, EVE = TODAY + dt.timedelta(days=1), D - dt.timedelta(days=1)

# benefit, partner type, specialty, outcome, started_on, state, requested, decided -> key
#   (None: saved; a key: refused with it; ``ca`` short for ``cost_approval``)
TABLE: list[tuple[Any, ...]] = [
    # AsylbLG + psychosocial centre: the care needs an approval
    (A, "psz", None, None, None, None, None, None, None),
    (A, "psz", None, "taken_up", START, None, None, None, MISSING),
    (A, "psz", None, "taken_up", None, None, None, None, MISSING),
    (A, "psz", None, None, START, None, None, None, MISSING),
    (A, "psz", None, "pending", None, "requested", D, None, None),
    (A, "psz", None, "taken_up", START, "requested", D, None, MISSING),
    (A, "psz", None, "taken_up", START, "approved", D, BEFORE, None),
    (A, "psz", None, "taken_up", START, "approved", D, START, None),
    (A, "psz", None, "taken_up", START, "approved", D, AFTER, "ca.after_start"),
    (A, "psz", None, "taken_up", START, "refused", D, BEFORE, "ca.refused"),
    (A, "psz", None, "not_taken_up", None, "refused", D, BEFORE, None),
    # other AsylbLG bases and other specific-care partners
    ("asylblg_analog", "fruehfoerderung", None, "taken_up", START, None, None, None, MISSING),
    ("asylblg_reduced", "pflegedienst", None, "taken_up", START, None, None, None, MISSING),
    (A, "arzt", "psychotherapie", "taken_up", START, None, None, None, MISSING),
    # ordinary treatment, other partners, other benefit bases: no approval needed
    (A, "arzt", "allgemeinmedizin", "taken_up", START, None, None, None, None),
    (A, "jobcenter", None, "taken_up", START, None, None, None, None),
    ("sgb2", "psz", None, "taken_up", START, None, None, None, None),
    (None, "psz", None, "taken_up", START, None, None, None, None),
    # an approval where none is needed
    ("sgb2", "psz", None, None, None, "requested", D, None, "ca.not_required"),
    # the approval's own fields
    (A, "psz", None, None, None, "requested", None, None, "ca_requested_on.required"),
    (A, "psz", None, None, None, "requested", D, BEFORE, "ca_decided_on.pending"),
    (A, "psz", None, None, None, "approved", D, None, "ca_decided_on.required"),
    (A, "psz", None, None, None, "approved", START, BEFORE, "ca_decided_on.before_request"),
    (A, "psz", None, None, None, "bewilligt", D, BEFORE, "ca_state.unknown"),
    (A, "psz", None, None, None, None, D, None, "ca_state.required"),
    (A, "psz", None, None, TOMORROW, None, None, None, "started_on.future"),
    (A, "psz", None, None, EVE, "approved", D, D, "started_on.before_referral"),
]  # fmt: skip


@pytest.mark.parametrize("row", TABLE, ids=[f"{i}:{r[-1]}" for i, r in enumerate(TABLE)])
def test_table_through_the_verb(db_session: Any, factory: Any, row: tuple[Any, ...]) -> None:
    """Each case of the table through ``create_referral``: saved or refused with its key."""
    from app.models import MsaUser, Referral
    from app.services.casefile.follow_ups import ReferralError, create_referral

    benefit, ptype, specialty, outcome, started, state, requested, decided, short = row
    key = short and short.replace("ca_", "cost_approval_").replace("ca.", "cost_approval.")
    org = factory.make_org()
    worker = factory.make_user("Fachkraft", org)
    person = factory.make_person(org, benefit_basis=benefit)
    partner = factory.make_partner(partner_type=ptype, specialty=specialty, category="health")
    kwargs = {
        "partner_id": partner.id,
        "date": D,
        "outcome": outcome,
        "started_on": started,
        "cost_approval_state": state,
        "cost_approval_requested_on": requested,
        "cost_approval_decided_on": decided,
        "cost_approval_reference": "50.2-123/26" if state else None,
        "today": TODAY,
    }
    actor = db_session.get(MsaUser, worker.id)
    if key is None:
        referral = create_referral(person, actor=actor, **kwargs)
        assert db_session.get(Referral, referral.id) is not None
        return
    with pytest.raises(ReferralError) as exc:
        create_referral(person, actor=actor, **kwargs)
    assert key in {p.key for p in exc.value.problems}, exc.value.as_json()
    assert db_session.query(Referral).count() == 0


def test_taken_up_without_a_day_starts_today_and_needs_the_approval_by_then(
    db_session: Any, factory: Any
) -> None:
    """``taken_up`` without a start day: the day of recording is stored as the start day."""
    from app.models import MsaUser
    from app.services.casefile.follow_ups import ReferralError, create_referral, update_referral

    org = factory.make_org()
    actor = db_session.get(MsaUser, factory.make_user("Fachkraft", org).id)
    person = factory.make_person(org, benefit_basis="asylblg_basic")
    partner = factory.make_partner(partner_type="psz", category="counselling")
    referral = create_referral(
        person,
        actor=actor,
        partner_id=partner.id,
        date=D,
        cost_approval_state="requested",
        cost_approval_requested_on=D,
        today=TODAY,
    )
    with pytest.raises(ReferralError) as exc:
        update_referral(referral, actor=actor, changes={"outcome": "taken_up"}, today=TODAY)
    assert exc.value.keys == {"started_on": "cost_approval.missing"}
    db_session.rollback()
    update_referral(
        referral,
        actor=actor,
        changes={"cost_approval_state": "approved", "cost_approval_decided_on": BEFORE},
        today=TODAY,
    )
    update_referral(referral, actor=actor, changes={"outcome": "taken_up"}, today=TODAY)
    assert (referral.outcome, referral.started_on) == ("taken_up", TODAY)
    # a later decision day cannot be recorded under a care that had already started
    with pytest.raises(ReferralError):
        update_referral(
            referral,
            actor=actor,
            changes={"cost_approval_decided_on": TODAY + dt.timedelta(days=1)},
            today=TODAY + dt.timedelta(days=2),
        )


def test_old_referral_stays_editable_after_the_benefit_changed(
    db_session: Any, factory: Any
) -> None:
    """A recorded approval is no error when the person later left the AsylbLG."""
    from app.models import MsaUser
    from app.services.casefile.follow_ups import create_referral, update_referral

    org = factory.make_org()
    actor = db_session.get(MsaUser, factory.make_user("Fachkraft", org).id)
    person = factory.make_person(org, benefit_basis="asylblg_basic")
    partner = factory.make_partner(partner_type="psz", category="counselling")
    referral = create_referral(
        person,
        actor=actor,
        partner_id=partner.id,
        date=D,
        cost_approval_state="requested",
        cost_approval_requested_on=D,
        today=TODAY,
    )
    person.benefit_basis = "sgb2"
    db_session.commit()
    update_referral(referral, actor=actor, changes={"note": "Termin vereinbart"}, today=TODAY)
    assert referral.note == "Termin vereinbart"


# -- the rule alone, restated plainly ------------------------------------------------------
def restated(
    benefit: str | None,
    ptype: str | None,
    specialty: str | None,
    outcome: str | None,
    start: dt.date | None,
    state: str | None,
    decided: dt.date | None,
) -> str | None:
    """The rule in words: AsylbLG + specific care + care started ⇒ approved on or before the
    start (refused: never)."""
    asylblg = benefit in ("asylblg_basic", "asylblg_analog", "asylblg_reduced")
    specific = ptype in ("psz", "spz", "fruehfoerderung", "heilmittel", "pflegedienst") or (
        ptype == "arzt" and specialty in ("psychiatrie_psychotherapie", "kjp", "psychotherapie")
    )
    started = outcome == "taken_up" or start is not None
    if not (asylblg and specific and started):
        return None
    if state == "refused":
        return "cost_approval.refused"
    if state == "approved" and decided is not None:
        if start is None or decided <= start:
            return None
        return "cost_approval.after_start"
    return "cost_approval.missing"


DAYS = st.sampled_from([None, BEFORE, START, AFTER])


@settings(max_examples=300, deadline=None)
@given(
    benefit=st.sampled_from([None, "asylblg_basic", "asylblg_analog", "asylblg_reduced", "sgb2"]),
    ptype=st.sampled_from([None, "psz", "spz", "pflegedienst", "heilmittel", "arzt", "jobcenter"]),
    specialty=st.sampled_from([None, "psychotherapie", "kjp", "allgemeinmedizin"]),
    outcome=st.sampled_from([None, "taken_up", "pending", "not_taken_up"]),
    start=DAYS,
    state=st.sampled_from([None, "requested", "approved", "refused"]),
    decided=DAYS,
)
def test_the_rule_equals_its_restatement(
    benefit: Any, ptype: Any, specialty: Any, outcome: Any, start: Any, state: Any, decided: Any
) -> None:
    got = ca.start_refusal(
        required=ca.requires_cost_approval(benefit, ptype, specialty),
        started=ca.is_started(outcome, start),
        state=state,
        decided_on=decided,
        start_day=start,
    )
    assert (got[0] if got else None) == restated(
        benefit, ptype, specialty, outcome, start, state, decided
    )


def test_the_partner_types_exist_in_the_catalogue() -> None:
    """The codes the rule names are codes of the catalogues (no silent typo)."""
    import json
    from pathlib import Path

    data = json.loads(Path("app/data/catalogues.json").read_text(encoding="utf-8"))
    types = {e["code"] for e in data["partner_type"]}
    specialties = {e["code"] for e in data["specialty"]}
    benefits = {e["code"] for e in data["benefit_basis"]}
    assert types >= ca.SPECIFIC_CARE_PARTNER_TYPES
    assert specialties >= ca.SPECIFIC_CARE_SPECIALTIES
    assert {b for b in benefits if ca.is_asylblg(b)} == {
        "asylblg_basic",
        "asylblg_analog",
        "asylblg_reduced",
    }

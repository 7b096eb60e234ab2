"""Kostenübernahme (§3.1.8): specific individual care under the AsylbLG starts after approval.

The concept paper: "Sollte eine ‚spezifische' Einzelfallbetreuung erforderlich sein (z. B.
aufgrund einer körperlichen Behinderung oder einer psychischen Erkrankung), kann bei
Leistungsberechtigten nach dem AsylbLG nach Kostenübernahme des Fachdienstes Soziales und
Wohnen eine Weitervermittlung an entsprechende Regeldienste erfolgen."

**Which referrals need an approval** (:func:`requires_cost_approval`): the person's benefit
basis is one of the AsylbLG codes (``asylblg_basic``, ``asylblg_analog``, ``asylblg_reduced``:
catalogue ``benefit_basis``) *and* the network partner is a service of specific individual
care by its ``partner_type`` (:data:`SPECIFIC_CARE_PARTNER_TYPES`: psychosocial centre,
social-paediatric centre, early intervention, therapy providers, care service) or a doctor
(``arzt``) of a psychiatric or psychotherapeutic ``specialty``
(:data:`SPECIFIC_CARE_SPECIALTIES`). Ordinary medical treatment (§ 4 AsylbLG, treatment voucher
or eGK) needs no approval of its own and is not covered.

**The rule** (:func:`start_refusal`, applied by the referral verbs for every door): care is
"recorded as started" when the outcome is ``taken_up`` or a start day (``started_on``) is
given; for a referral that needs an approval that is refused unless an approval is recorded
(state ``approved``) with a decision day on or before the start day. A refused approval means
the care cannot start. Without a start day, recording ``taken_up`` takes the day of recording
as the start day (it is stored).

The pending approvals (state ``requested``, no decision yet) are listed for the provider's
lead (:func:`pending_page`, :func:`pending_conditions`), scoped like every read of referrals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.dates import de_date
from app.extensions import db
from app.models import MsaUser, NetworkPartner, Person, Referral
from app.models.contact import COST_APPROVAL_STATES
from app.models.person import ASYLBLG_PREFIX
from app.services.errors import Problems

#: partner types of specific individual care (catalogue ``partner_type``)
SPECIFIC_CARE_PARTNER_TYPES = frozenset(
    {"psz", "spz", "fruehfoerderung", "heilmittel", "pflegedienst"}
)
#: doctors of these specialties (catalogue ``specialty``) give specific individual care
SPECIFIC_CARE_SPECIALTIES = frozenset({"psychiatrie_psychotherapie", "kjp", "psychotherapie"})
#: the outcome (catalogue ``referral_outcome``) that records the care as started
STARTED_OUTCOME = "taken_up"
APPROVAL_FIELDS = (
    "cost_approval_state",
    "cost_approval_requested_on",
    "cost_approval_decided_on",
    "cost_approval_reference",
)
REFERENCE_MAX = 100

MSG_NOT_APPROVED = (
    "Die Betreuung kann erst beginnen, wenn der Fachdienst Soziales und Wohnen die Kosten "
    "übernommen hat (Leistungen nach dem AsylbLG). Bitte zuerst die Bewilligung mit Datum "
    "erfassen."
)
MSG_REFUSED = (
    "Die Kostenübernahme wurde abgelehnt – die Betreuung kann nicht als begonnen erfasst werden."
)


def is_asylblg(benefit_basis: str | None) -> bool:
    """The person receives benefits under the AsylbLG (basic, analogous or reduced)."""
    return (benefit_basis or "").startswith(ASYLBLG_PREFIX)


def is_specific_care(partner_type: str | None, specialty: str | None) -> bool:
    """The partner gives specific individual care (by its type, for doctors its specialty)."""
    if partner_type in SPECIFIC_CARE_PARTNER_TYPES:
        return True
    return partner_type == "arzt" and specialty in SPECIFIC_CARE_SPECIALTIES


def requires_cost_approval(
    benefit_basis: str | None, partner_type: str | None, specialty: str | None
) -> bool:
    """A referral of a person with this benefit basis to this partner needs an approval."""
    return is_asylblg(benefit_basis) and is_specific_care(partner_type, specialty)


def is_started(outcome: str | None, started_on: dt.date | None) -> bool:
    """The referral records the care as started."""
    return outcome == STARTED_OUTCOME or started_on is not None


def start_refusal(
    *,
    required: bool,
    started: bool,
    state: str | None,
    decided_on: dt.date | None,
    start_day: dt.date | None,
) -> tuple[str, str] | None:
    """(key, German message) when recording the start is refused, else None."""
    if not required or not started:
        return None
    if state == "refused":
        return "cost_approval.refused", MSG_REFUSED
    if state != "approved" or decided_on is None:
        return "cost_approval.missing", MSG_NOT_APPROVED
    if start_day is not None and decided_on > start_day:
        return (
            "cost_approval.after_start",
            f"Die Kostenübernahme wurde erst am {de_date(decided_on)} bewilligt – die "
            f"Betreuung kann nicht vorher (am {de_date(start_day)}) begonnen haben.",
        )
    return None


def normalise(values: dict[str, Any]) -> None:
    """Empty texts of the approval are None (a form's empty select, a blank reference)."""
    for name in ("cost_approval_state", "cost_approval_reference", "outcome"):
        value = values.get(name)
        if isinstance(value, str):
            values[name] = value.strip() or None


def _check_fields(problems: Problems, values: dict[str, Any], today: dt.date) -> None:
    state = values.get("cost_approval_state")
    requested_on = values.get("cost_approval_requested_on")
    decided_on = values.get("cost_approval_decided_on")
    reference = values.get("cost_approval_reference")
    if state is None:
        if requested_on or decided_on or reference:
            problems.add(
                "cost_approval_state",
                "cost_approval_state.required",
                "Bitte den Stand der Kostenübernahme angeben (beantragt, bewilligt, abgelehnt).",
            )
        return
    if state not in COST_APPROVAL_STATES:
        problems.add(
            "cost_approval_state",
            "cost_approval_state.unknown",
            "Unbekannter Stand der Kostenübernahme. Erlaubt: "
            + ", ".join(f"{k} ({v})" for k, v in COST_APPROVAL_STATES.items())
            + ".",
        )
        return
    for name, day in (
        ("cost_approval_requested_on", requested_on),
        ("cost_approval_decided_on", decided_on),
    ):
        if day is not None and day > today:
            problems.add(name, f"{name}.future", "Das Datum darf nicht in der Zukunft liegen.")
    if state == "requested":
        if requested_on is None:
            problems.add(
                "cost_approval_requested_on",
                "cost_approval_requested_on.required",
                "Bitte angeben, wann die Kostenübernahme beantragt wurde (TT.MM.JJJJ).",
            )
        if decided_on is not None:
            problems.add(
                "cost_approval_decided_on",
                "cost_approval_decided_on.pending",
                "Eine beantragte Kostenübernahme ist noch nicht entschieden – bitte "
                "„bewilligt“ oder „abgelehnt“ wählen oder das Entscheidungsdatum leeren.",
            )
    elif decided_on is None:
        problems.add(
            "cost_approval_decided_on",
            "cost_approval_decided_on.required",
            "Bitte angeben, wann der Fachdienst Soziales und Wohnen entschieden hat (TT.MM.JJJJ).",
        )
    elif requested_on is not None and decided_on < requested_on:
        problems.add(
            "cost_approval_decided_on",
            "cost_approval_decided_on.before_request",
            "Die Entscheidung kann nicht vor dem Antrag liegen.",
        )
    if reference and len(reference) > REFERENCE_MAX:
        problems.add(
            "cost_approval_reference",
            "cost_approval_reference.too_long",
            f"Höchstens {REFERENCE_MAX} Zeichen erlaubt.",
        )


def check(
    problems: Problems,
    values: dict[str, Any],
    *,
    benefit_basis: str | None,
    partner: NetworkPartner | None,
    approval_touched: bool,
    today: dt.date,
) -> None:
    """The approval's field rules and the start rule on the referral's values.

    Sets the default start day (today) when ``taken_up`` is recorded without one on a referral
    that needs an approval. ``approval_touched``: the approval fields are given or changed (a
    state on a referral that needs none is refused only then, so an old referral stays
    editable after the person's benefit basis changed).
    """
    normalise(values)
    required = partner is not None and requires_cost_approval(
        benefit_basis, partner.partner_type, partner.specialty
    )
    started_on = values.get("started_on")
    date = values.get("date")
    if started_on is not None:
        if started_on > today:
            problems.add(
                "started_on",
                "started_on.future",
                "Der Beginn der Betreuung darf nicht in der Zukunft liegen.",
            )
        elif isinstance(date, dt.date) and started_on < date:
            problems.add(
                "started_on",
                "started_on.before_referral",
                "Die Betreuung kann nicht vor der Vermittlung begonnen haben.",
            )
    _check_fields(problems, values, today)
    if approval_touched and values.get("cost_approval_state") and partner and not required:
        problems.add(
            "cost_approval_state",
            "cost_approval.not_required",
            "Eine Kostenübernahme wird nur bei einer Vermittlung in spezifische "
            "Einzelfallbetreuung für Leistungsberechtigte nach dem AsylbLG erfasst.",
        )
    if required and values.get("outcome") == STARTED_OUTCOME and started_on is None:
        started_on = values["started_on"] = today
    refusal = start_refusal(
        required=required,
        started=is_started(values.get("outcome"), started_on),
        state=values.get("cost_approval_state"),
        decided_on=values.get("cost_approval_decided_on"),
        start_day=started_on,
    )
    if refusal is not None:
        problems.add("started_on", *refusal)


# ------------------------------------------------------------------------------ pending
def pending_conditions() -> list[Any]:
    """Conditions on ``Referral``: approval requested, no decision yet (the lead's tile and
    list; the row scope of the reader applies to both)."""
    return [
        Referral.cost_approval_state == "requested",
        Referral.cost_approval_decided_on.is_(None),
    ]


def pending_count_query() -> Any:
    """The count of the lead's tile (one scalar, for the desk's bundle)."""
    return select(func.count(Referral.id)).where(*pending_conditions())


@dataclass(frozen=True)
class PendingRow:
    """One pending approval."""

    referral_id: int
    person_id: int
    last_name: str
    first_name: str
    partner: str
    referral_date: dt.date
    requested_on: dt.date | None
    reference: str | None
    caseworker: str


def pending_page(page: int, per_page: int) -> tuple[list[PendingRow], int]:
    """One page (0-based) of the pending approvals, longest waiting first, and their count."""
    total = db.session.scalar(pending_count_query()) or 0
    rows = db.session.execute(
        select(
            Referral.id,
            Referral.person_id,
            Person.last_name,
            Person.first_name,
            NetworkPartner.name.label("partner"),
            Referral.date,
            Referral.cost_approval_requested_on,
            Referral.cost_approval_reference,
            MsaUser.first_name.label("cw_first"),
            MsaUser.last_name.label("cw_last"),
        )
        .join(Person, Person.id == Referral.person_id)
        .join(NetworkPartner, NetworkPartner.id == Referral.partner_id)
        .outerjoin(MsaUser, MsaUser.id == Person.caseworker_id)
        .where(*pending_conditions())
        .order_by(Referral.cost_approval_requested_on, Referral.date, Referral.id)
        .limit(per_page)
        .offset(max(page, 0) * per_page)
    ).all()
    return [
        PendingRow(
            r.id,
            r.person_id,
            r.last_name,
            r.first_name,
            r.partner,
            r.date,
            r.cost_approval_requested_on,
            r.cost_approval_reference,
            f"{r.cw_first or ''} {r.cw_last or ''}".strip(),
        )
        for r in rows
    ], int(total)

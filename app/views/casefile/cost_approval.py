"""Kostenübernahmen (§3.1.8): the pending approvals of the lead and the case file's referrals.

The list of approvals requested from the Fachdienst Soziales und Wohnen and not yet decided is
opened from the lead's desk (its tile counts the same rows); it reads referrals like every
other read (resource ``Referral``, can_read; row scoping by custody, app/security/scoping.py).
The case file's section "Vermittlungen" shows the person's referrals with their approval next
to each; the approval is recorded on the referral's edit form (the referral's verb decides).
"""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.dates import de_date
from app.models import NetworkPartner, Referral
from app.models.contact import COST_APPROVAL_STATES
from app.security import matrix
from app.services.casefile import cost_approval as ca
from app.services.catalogues import labels
from app.views.hub import HubSection, register_hub_section

PAGE_SIZE = 25
#: referrals shown on the case file (newest first)
SECTION_ROWS = 10


class CostApprovalView(BaseView):
    """Kostenübernahmen in Bearbeitung — requested, not yet decided (paged, scoped)."""

    route_base = "/kostenuebernahmen"
    class_permission_name = matrix.REFERRAL
    method_permission_name = {"pending": "read"}
    base_permissions = ["can_read"]
    default_view = "pending"

    @expose("/")
    @has_access
    def pending(self) -> Any:
        """The pending approvals, longest waiting first."""
        raw = request.args.get("seite") or "1"
        if not raw.isdigit() or len(raw) > 6:
            abort(400)
        page = max(int(raw), 1)
        rows, total = ca.pending_page(page - 1, PAGE_SIZE)
        return self.render_template(
            "casefile/cost_approvals.html",
            rows=rows,
            total=total,
            page=page,
            pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            title=str(_l("Kostenübernahmen in Bearbeitung")),
        )


def approval_text(state: str | None, requested_on: Any, decided_on: Any, ref: Any) -> str:
    """The approval in one German line ("" when none is recorded)."""
    if not state:
        return ""
    text = f"Kostenübernahme {COST_APPROVAL_STATES.get(state, state)}"
    if state == "requested":
        text += f" am {de_date(requested_on)}, noch nicht entschieden"
    elif decided_on is not None:
        text += f" am {de_date(decided_on)}"
    if ref:
        text += f" (Az. {ref})"
    return text


def section_queries(person: Any) -> dict[str, Any]:
    """The person's newest referrals with their partner (run with the case file's reads)."""
    return {
        "referrals": select(
            Referral.id,
            Referral.date,
            Referral.outcome,
            Referral.started_on,
            Referral.cost_approval_state,
            Referral.cost_approval_requested_on,
            Referral.cost_approval_decided_on,
            Referral.cost_approval_reference,
            NetworkPartner.name,
            NetworkPartner.partner_type,
            NetworkPartner.specialty,
        )
        .join(NetworkPartner, NetworkPartner.id == Referral.partner_id)
        .where(Referral.person_id == person.id)
        .order_by(Referral.date.desc(), Referral.id.desc())
        .limit(SECTION_ROWS)
    }


def section_context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    """The referrals section: partner, day, outcome and the approval next to each."""
    outcomes = labels("referral_outcome")
    rows = []
    for r in data["referrals"]:
        required = ca.requires_cost_approval(person.benefit_basis, r.partner_type, r.specialty)
        approval = approval_text(
            r.cost_approval_state,
            r.cost_approval_requested_on,
            r.cost_approval_decided_on,
            r.cost_approval_reference,
        )
        if required and not approval:
            approval = "Kostenübernahme nötig – noch nicht beantragt"
        outcome = outcomes.get(r.outcome, r.outcome) if r.outcome else "offen"
        if r.started_on is not None:
            outcome += f", Betreuung seit {de_date(r.started_on)}"
        rows.append(
            {
                "id": r.id,
                "date": de_date(r.date),
                "partner": r.name,
                "outcome": outcome,
                "approval": approval or "–",
                "pending": r.cost_approval_state == "requested",
            }
        )
    return {"referrals": rows, "limit": SECTION_ROWS}


def register(appbuilder: AppBuilder) -> None:
    """Register the pending list (no menu: the lead's desk links to it) and the section."""
    appbuilder.add_view_no_menu(CostApprovalView)
    register_hub_section(
        HubSection(
            key="referrals",
            title="Vermittlungen und Kostenübernahme",
            template="casefile/referrals_section.html",
            context=section_context,
            queries=section_queries,
            order=35,
            permission=("can_read", matrix.REFERRAL),
        )
    )

"""The case file section "Übergabe und Freigaben" and the timeline source ``handover``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, session
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import select

from app.i18n import translate
from app.models.intake import CONSENT_FORM_LABELS, HANDOVER_SCOPE_LABELS, HANDOVER_STATUS_LABELS
from app.services.documents.letters import language_choices
from app.services.intake import handover as ho
from app.services.intake import sharing
from app.services.intake.consent_letter import letter_label
from app.views.hub import TimelineEvent
from app.views.intake.common import HANDOVER_FORM_KEY, SHARE_FORM_KEY


def section_queries(person: Any) -> dict[str, Any]:
    """Shares, the open offer and the organisations to choose from (one bundle)."""
    from app.models import Organisation
    from app.services.intake.common import CASE_HOLDING_KINDS

    return {
        "shares": sharing.shares_query(person.id),
        "offer": ho.open_offer_query(person.id),
        "orgs": select(Organisation.id, Organisation.name, Organisation.kind)
        .where(Organisation.kind.in_(CASE_HOLDING_KINDS), Organisation.id != person.organisation_id)
        .order_by(Organisation.name)
        .limit(200),
    }


def section_context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    today = dt.date.today()
    shares = [sharing.ShareRow(*row) for row in data["shares"]]
    offer = data["offer"][0] if data["offer"] else None
    entered = session.pop(HANDOVER_FORM_KEY, None)
    share_entered = session.pop(SHARE_FORM_KEY, None)
    chosen = str((entered or {}).get("to_organisation_id") or "")
    share_chosen = str((share_entered or {}).get("organisation_id") or "")
    # the <option>s built once (up to 200 organisations, used by two selects): rendering them
    # item by item in Jinja cost a quarter of the case file page at national scale
    option = Markup('<option value="{}">{}</option>')
    org_options = Markup("").join(option.format(i, name) for i, name, _kind in data["orgs"])
    handover_options = (
        Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                i, Markup(" selected") if str(i) == chosen else "", name
            )
            for i, name, _kind in data["orgs"]
        )
        if chosen
        else org_options
    )
    share_options = (
        Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                i, Markup(" selected") if str(i) == share_chosen else "", name
            )
            for i, name, _kind in data["orgs"]
        )
        if share_chosen
        else org_options
    )
    return {
        "shares": shares,
        "share_options": share_options,
        "today": today,
        "offer": offer,
        "org_options": org_options,
        "handover_options": handover_options,
        "scope_labels": HANDOVER_SCOPE_LABELS,
        "consent_labels": CONSENT_FORM_LABELS,
        # the consent letter handed out (printed in the section "Schreiben")
        "letter_languages": [("de", translate("Deutsch")), *language_choices()[1:]],
        "offer_letter": letter_label(offer[4], offer[5]) if offer else "",
        "owner": g.user.organisation_id == person.organisation_id,
        # the input of a refused offer (kept once, then the form is empty again)
        "entered": entered,
        # the input of a refused share (kept once)
        "share_entered": share_entered,
    }


def timeline_queries(person: Any) -> dict[str, Any]:
    return {"handovers": ho.person_events_query(person.id)}


def timeline_events(person: Any, data: dict[str, list[Any]]) -> list[TimelineEvent]:
    """Handover steps of the person: the offer and its decision."""
    events = []
    for (
        _hid,
        status,
        scope,
        offered_at,
        offered_by,
        decided_at,
        decided_by,
        decision_reason,
        sender,
        receiver,
    ) in data["handovers"]:
        events.append(
            TimelineEvent(
                when=offered_at,
                kind="handover",
                title=gettext("Übergabe an %(receiver)s angeboten", receiver=receiver),
                detail=gettext(
                    "Umfang: %(scope)s; von %(sender)s",
                    scope=translate(HANDOVER_SCOPE_LABELS.get(scope, scope)),
                    sender=sender,
                ),
                who=offered_by or "",
            )
        )
        if decided_at is not None:
            events.append(
                TimelineEvent(
                    when=decided_at,
                    kind="handover",
                    title=gettext(
                        "Übergabe %(status)s",
                        status=translate(HANDOVER_STATUS_LABELS.get(status, status)),
                    ),
                    detail=decision_reason or "",
                    who=decided_by or "",
                )
            )
    return events

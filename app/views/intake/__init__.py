"""Intake and movement across providers: assignment import, handover, sharing.

Configuration and thin glue; the rules live in ``app.services.intake``. Modules:
``assignment_import`` (Zuweisungsimport), ``handover`` (Übergaben, browser and REST),
``sharing`` (shares REST API), ``case_file`` (case file section and timeline), ``common``.
"""

from __future__ import annotations

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.security import matrix
from app.views.hub import HubSection, register_hub_section, register_timeline_source
from app.views.intake.assignment_import import AssignmentImportView
from app.views.intake.case_file import (
    section_context,
    section_queries,
    timeline_events,
    timeline_queries,
)
from app.views.intake.common import berlin
from app.views.intake.handover import HandoverApi, HandoverView
from app.views.intake.sharing import PersonShareApi

__all__ = [
    "AssignmentImportView",
    "HandoverApi",
    "HandoverView",
    "PersonShareApi",
    "register",
]


def register(appbuilder: AppBuilder) -> None:
    """Register the intake views, APIs, the case file section and the timeline source."""
    current_app.add_template_filter(berlin, "berlin")
    appbuilder.add_view(
        AssignmentImportView,
        matrix.MENU_ASSIGNMENT_IMPORT,
        label=_l("Zuweisungsimport"),
        icon="fa-file-import",
        category=matrix.MENU_ADMINISTRATION,
    )
    appbuilder.add_view(
        HandoverView,
        matrix.MENU_HANDOVERS,
        label=_l("Übergaben"),
        icon="fa-people-arrows",
        category=matrix.MENU_CASE_WORK,
    )
    appbuilder.add_api(HandoverApi)
    appbuilder.add_api(PersonShareApi)
    register_hub_section(
        HubSection(
            key="handover",
            title="Übergabe und Freigaben",
            template="intake/hub_section.html",
            context=section_context,
            queries=section_queries,
            order=90,
            wide=True,
            permission=("can_read", matrix.HANDOVER),
        )
    )
    register_timeline_source("handover", timeline_events, timeline_queries)

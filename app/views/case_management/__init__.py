"""Case management (R-4): case page, „Meine Fälle“, service gaps, REST API, hub section.

Configuration and glue only: every rule lives in app/services/case_management/.
"""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.security import matrix
from app.views.case_management.api import CaseManagementApi
from app.views.case_management.hub import (
    hub_context,
    hub_queries,
    timeline_queries,
    timeline_source,
)
from app.views.case_management.pages import CaseManagementView, ServiceGapView
from app.views.hub import HubSection, register_hub_section, register_timeline_source


def register(appbuilder: AppBuilder) -> None:
    """Register the case-management views, API, hub section and timeline source."""
    appbuilder.add_view(
        CaseManagementView,
        "Meine Fälle",
        label=_l("Meine Fälle"),
        icon="fa-route",
        category=matrix.MENU_CASE_WORK,
        category_label=_l("Fallarbeit"),
    )
    appbuilder.add_view(
        ServiceGapView,
        "Angebotslücken",
        label=_l("Angebotslücken"),
        icon="fa-puzzle-piece",
        category=matrix.MENU_ADMINISTRATION,
        category_label=_l("Verwaltung"),
    )
    appbuilder.add_api(CaseManagementApi)
    register_hub_section(
        HubSection(
            key="case_management",
            title="Case Management",
            template="case_management/_hub_section.html",
            context=hub_context,
            queries=hub_queries,
            order=30,
            wide=True,
            permission=("can_read", matrix.CASE_MANAGEMENT),
        )
    )
    register_timeline_source("case_management", timeline_source, timeline_queries)

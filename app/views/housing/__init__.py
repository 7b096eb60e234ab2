"""Housing (§3.3): Sozialbericht, Umzugsverfahren, Lebenslauf — pages, REST API, case-file section.

Configuration and thin glue only; the rules live in app/services/housing/. Every lookup goes
through the ORM, so provider scoping (app/security/scoping.py) applies: another provider's
record is simply not found (404). Every document download is written to the access log.
"""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.security import matrix
from app.views.housing import hardship as hardship_views
from app.views.housing.api import PersonCvApi, SocialReportApi
from app.views.housing.cv_pool import CvPoolView
from app.views.housing.hub import (
    section_context,
    section_queries,
    timeline_events,
    timeline_queries,
)
from app.views.housing.kdu import KduCheckApi, KduLimitView
from app.views.housing.move_procedure import MoveProcedureListView, MoveProcedureView
from app.views.housing.person import CvView, HousingView
from app.views.housing.social_report import SocialReportListView, SocialReportView
from app.views.hub import HubSection, register_hub_section, register_timeline_source


def register(appbuilder: AppBuilder) -> None:
    """Register the housing views, APIs, hub section and timeline source."""
    cat = matrix.MENU_CASE_WORK
    appbuilder.add_view(
        SocialReportListView,
        "Sozialberichte",
        label=_l("Sozialberichte"),
        icon="fa-file-signature",
        category=cat,
        category_label=_l("Fallarbeit"),
    )
    appbuilder.add_view(
        MoveProcedureListView,
        "Umzugsverfahren",
        label=_l("Umzugsverfahren"),
        icon="fa-truck",
        category=cat,
    )
    appbuilder.add_view(
        CvPoolView,
        matrix.MENU_CV_POOL,
        label=_l("Lebenslauf-Pool"),
        icon="fa-id-card",
        category=cat,
    )
    appbuilder.add_view_no_menu(SocialReportView)
    appbuilder.add_view_no_menu(MoveProcedureView)
    appbuilder.add_view_no_menu(HousingView)
    appbuilder.add_view_no_menu(CvView)
    appbuilder.add_api(SocialReportApi)
    appbuilder.add_api(PersonCvApi)
    appbuilder.add_view(
        KduLimitView,
        matrix.MENU_KDU_LIMITS,
        label=_l("KdU-Grenzen"),
        icon="fa-euro-sign",
        category=matrix.MENU_ADMINISTRATION,
        category_label=_l("Verwaltung"),
    )
    appbuilder.add_api(KduCheckApi)
    register_hub_section(
        HubSection(
            key="housing",
            title="Wohnen: Sozialbericht, Umzug, Lebenslauf",
            template="housing/hub_section.html",
            context=section_context,
            queries=section_queries,
            order=60,
            permission=("can_read", matrix.SOCIAL_REPORT),
        )
    )
    register_timeline_source("housing", timeline_events, timeline_queries)
    appbuilder.add_view_no_menu(hardship_views.HardshipView)
    appbuilder.add_api(hardship_views.HardshipApi)
    register_hub_section(
        HubSection(
            key="hardship",
            title="Härtefallverfahren",
            template="housing/hardship_section.html",
            context=hardship_views.section_context,
            queries=hardship_views.section_queries,
            order=62,
            permission=("can_read", matrix.HARDSHIP_PROCEDURE),
        )
    )
    register_timeline_source(
        "hardship", hardship_views.timeline_events, hardship_views.timeline_queries
    )

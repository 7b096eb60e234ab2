"""All views and APIs, registered in one place."""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.security import matrix


def register_views(appbuilder: AppBuilder) -> None:
    """Register every view, API and menu entry of the portal."""
    from app.views import admin

    appbuilder.add_view(
        admin.OrganisationView,
        "Organisationen",
        label=_l("Organisationen"),
        icon="fa-building",
        category=matrix.MENU_ADMINISTRATION,
        category_label=_l("Verwaltung"),
    )
    appbuilder.add_view(
        admin.AccommodationView,
        "Unterkünfte",
        label=_l("Unterkünfte"),
        icon="fa-home",
        category=matrix.MENU_DIRECTORY,
        category_label=_l("Verzeichnisse"),
    )
    appbuilder.add_view(
        admin.NetworkPartnerView,
        "Netzwerkpartner",
        label=_l("Netzwerkpartner"),
        icon="fa-handshake",
        category=matrix.MENU_DIRECTORY,
    )
    appbuilder.add_view(
        admin.CatalogueView,
        "Kataloge",
        label=_l("Kataloge"),
        icon="fa-list",
        category=matrix.MENU_ADMINISTRATION,
    )
    appbuilder.add_api(admin.NetworkPartnerApi)
    appbuilder.add_api(admin.AccommodationApi)

    from app.views import casefile

    casefile.register(appbuilder)

    from app.views import data_protection

    data_protection.register(appbuilder)
    from app.views import statistics

    statistics.register(appbuilder)
    from app.views import case_management

    case_management.register(appbuilder)
    from app.views import user_admin

    user_admin.register(appbuilder)
    from app.views import housing

    housing.register(appbuilder)
    from app.views import intake

    intake.register(appbuilder)

    # cooperation work, staff, appointments and calendar, partner lists
    from app.views import calendar, cooperation, partners, staff, staff_qualification

    cooperation.register(appbuilder)
    staff.register(appbuilder)
    staff_qualification.register(appbuilder)
    calendar.register(appbuilder)
    partners.register(appbuilder)

    from app.views import guards, sensitive
    from app.views.casefile import api as casefile_api
    from app.views.casefile import contact_api

    casefile_api.register(appbuilder)
    contact_api.register(appbuilder)
    sensitive.register(appbuilder)
    guards.register(appbuilder)

    from app.views import accessibility

    accessibility.register(appbuilder)

    from app.views import letters

    letters.register(appbuilder)

    from app.views import unassigned

    unassigned.register(appbuilder)

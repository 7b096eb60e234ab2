"""Case files, contact notes, group sessions, follow-ups, referrals (R-2, R-3, R-6.2).

The person's page (Fallakte) is the caseworker's hub: key facts, profile sections, the
timeline, open follow-ups, the registered hub sections and the short contact form.
One module per aggregate; ``register`` adds them all to the app.
"""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.security import matrix
from app.views.casefile import cost_approval
from app.views.casefile.access_log import AccessLogView
from app.views.casefile.children import ChildrenWithoutPlaceView, register_section
from app.views.casefile.follow_ups import MyFollowUpView, ReferralView
from app.views.casefile.notes import ContactNoteView, GroupSessionView
from app.views.casefile.persons import PersonView
from app.views.casefile.records import SUB_RECORD_VIEWS

# the timeline sources register themselves with the case file page when imported
from app.views.casefile import timeline  # noqa: F401  # isort: skip
from app.views.casefile import procedure_stage  # noqa: F401  # isort: skip


def register(appbuilder: AppBuilder) -> None:
    """Register the case-file views."""
    cat = matrix.MENU_CASE_WORK
    appbuilder.add_view(
        PersonView,
        "Personen",
        label=_l("Personen"),
        icon="fa-user",
        category=cat,
        category_label=_l("Fallarbeit"),
    )
    appbuilder.add_view(
        ContactNoteView,
        "Beratungsvermerke",
        label=_l("Beratungsvermerke"),
        icon="fa-comments",
        category=cat,
    )
    appbuilder.add_view(
        GroupSessionView,
        "Gruppenberatungen",
        label=_l("Gruppenberatungen"),
        icon="fa-users",
        category=cat,
    )
    appbuilder.add_view(
        MyFollowUpView,
        "Meine Wiedervorlagen",
        label=_l("Meine Wiedervorlagen"),
        icon="fa-bell",
        category=cat,
    )
    appbuilder.add_view_no_menu(ReferralView)
    cost_approval.register(appbuilder)
    for view in SUB_RECORD_VIEWS:
        appbuilder.add_view_no_menu(view)
    appbuilder.add_view_no_menu(ChildrenWithoutPlaceView)
    register_section()
    appbuilder.add_view(
        AccessLogView,
        "Zugriffsprotokoll",
        label=_l("Zugriffsprotokoll"),
        icon="fa-history",
        category=matrix.MENU_ADMINISTRATION,
    )

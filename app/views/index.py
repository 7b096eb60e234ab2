"""Landing page: tells each role where to start."""

from __future__ import annotations

from flask import current_app, g, redirect, url_for
from flask_appbuilder import IndexView, expose
from werkzeug.wrappers import Response

from app.security import matrix

ROLE_START = {
    matrix.ROLE_CASEWORKER: [
        (
            "Personen",
            "Fallakten Ihrer Klient:innen öffnen und Beratungsvermerke erfassen.",
            "PersonView.list",
        ),
        ("Meine Wiedervorlagen", "Was heute fällig oder überfällig ist.", "MyFollowUpView.list"),
        (
            "Gruppenberatungen",
            "Eine Gruppensitzung mit mehreren Teilnehmenden dokumentieren.",
            "GroupSessionView.list",
        ),
    ],
    matrix.ROLE_LEAD: [
        ("Personen", "Alle Fallakten Ihres Trägers.", "PersonView.list"),
        ("Meine Wiedervorlagen", "Was heute fällig oder überfällig ist.", "MyFollowUpView.list"),
        ("Beratungsvermerke", "Alle Vermerke Ihres Trägers.", "ContactNoteView.list"),
    ],
    matrix.ROLE_SPECIALIST: [
        ("Personen", "Eigene und mit Einwilligung freigegebene Fallakten.", "PersonView.list"),
        ("Meine Wiedervorlagen", "Was heute fällig oder überfällig ist.", "MyFollowUpView.list"),
    ],
    matrix.ROLE_COUNTY_ADMIN: [
        (
            "Organisationen",
            "Träger, Fachberatungsdienst und Landkreis verwalten.",
            "OrganisationView.list",
        ),
        ("Unterkünfte", "Übergangswohnheime und Wohnungen mit Belegung.", "AccommodationView.list"),
        ("Benutzer", "Konten anlegen, Organisation und VZÄ zuordnen.", "MsaUserDBModelView.list"),
        ("Netzwerkpartner", "Das Verzeichnis der Partner pflegen.", "NetworkPartnerView.list"),
        (
            "Kataloge",
            "Aufenthaltstitel, Themen und weitere Kataloge pflegen.",
            "CatalogueView.list",
        ),
    ],
    matrix.ROLE_REVIEWER: [
        (
            "Personen",
            "Fallakten für die Aktenprüfung (§7) – jeder Zugriff wird protokolliert.",
            "PersonView.list",
        ),
        (
            "Zugriffsprotokoll",
            "Wer hat wann welche Fallakte gelesen oder geändert.",
            "AccessLogView.list",
        ),
    ],
}


class MsaIndexView(IndexView):
    """Startseite — role-specific starting points."""

    route_base = ""
    index_template = "index.html"

    @expose("/")
    def index(self) -> Response | str:
        user = g.get("user")
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        role_names = [r.name for r in user.roles]
        cards = []
        for role in role_names:
            for title, text, endpoint in ROLE_START.get(role, []):
                if endpoint not in current_app.view_functions:
                    continue  # view of a later stage not registered
                href = url_for(endpoint)
                if (title, href) not in [(c[0], c[2]) for c in cards]:
                    cards.append((title, text, href))
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, cards=cards, roles=role_names
        )

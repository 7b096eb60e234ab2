"""Landing page: tells each role where to start."""

from __future__ import annotations

from flask import current_app, g, redirect, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.security import matrix

ROLE_START = {
    matrix.ROLE_CASEWORKER: [
        (
            "Personen",
            "Fallakten Ihrer Klient:innen öffnen und Beratungsvermerke erfassen.",
            "PersonView.list",
        ),
        (
            _l("Meine Wiedervorlagen"),
            _l("Was heute fällig oder überfällig ist."),
            "MyFollowUpView.list",
        ),
        (
            "Gruppenberatungen",
            "Eine Gruppensitzung mit mehreren Teilnehmenden dokumentieren.",
            "GroupSessionView.list",
        ),
    ],
    matrix.ROLE_LEAD: [
        (_l("Personen"), _l("Alle Fallakten Ihres Trägers."), "PersonView.list"),
        (
            _l("Meine Wiedervorlagen"),
            _l("Was heute fällig oder überfällig ist."),
            "MyFollowUpView.list",
        ),
        (_l("Beratungsvermerke"), _l("Alle Vermerke Ihres Trägers."), "ContactNoteView.list"),
        (_l("Aktenprüfungen"), _l("Befunde der Aktenprüfung beantworten."), "FileAuditView.audits"),
        (
            _l("Fallzahlen und Fortbildung"),
            _l("Fallzahl je Fachkraft, Fortbildung und Supervision Ihres Teams."),
            "StaffOverviewView.staff_overview",
        ),
        (
            _l("Kooperation"),
            _l("Arbeitskreise, Projekte und Ehrenamtliche dokumentieren."),
            "MeetingView.list",
        ),
    ],
    matrix.ROLE_SPECIALIST: [
        (
            _l("Personen"),
            _l("Eigene und mit Einwilligung freigegebene Fallakten."),
            "PersonView.list",
        ),
        (
            _l("Meine Wiedervorlagen"),
            _l("Was heute fällig oder überfällig ist."),
            "MyFollowUpView.list",
        ),
    ],
    matrix.ROLE_COUNTY_ADMIN: [
        (
            "Organisationen",
            "Träger, Fachberatungsdienst und Landkreis verwalten.",
            "OrganisationView.list",
        ),
        (
            _l("Unterkünfte"),
            _l("Übergangswohnheime und Wohnungen mit Belegung."),
            "AccommodationView.list",
        ),
        (
            _l("Benutzer"),
            _l("Konten anlegen, Organisation und VZÄ zuordnen."),
            "MsaUserDBModelView.list",
        ),
        (
            _l("Netzwerkpartner"),
            _l("Das Verzeichnis der Partner pflegen."),
            "NetworkPartnerView.list",
        ),
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
        (
            "Aktenprüfungen",
            "Stichproben je Träger und Quartal ziehen und Befunde erfassen (§7).",
            "FileAuditView.audits",
        ),
    ],
    matrix.ROLE_DPO: [
        (
            "Löschfristen",
            "Fällige Fallakten, Probelauf und Vernichtung (2 Jahre nach Wegzug).",
            "DataProtectionView.retention",
        ),
        (
            "Protokollsuche",
            "Zugriffe nach Benutzer, Person, Aktion und Zeitraum suchen.",
            "DataProtectionView.log_search",
        ),
        (
            "Auskunft (Art. 15)",
            "Alles über eine Person als PDF und JSON exportieren.",
            "DataProtectionView.subject_access",
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
                if (str(title), href) not in [(str(c[0]), c[2]) for c in cards]:
                    cards.append((title, text, href))
        caseload = None
        if matrix.ROLE_LEAD in role_names and user.organisation_id:
            # issue 18: the lead sees the caseload per caseworker against 1:80 at once
            from app.services.staff import CASELOAD_RATIO, caseload_per_caseworker

            caseload = (caseload_per_caseworker(user.organisation_id), CASELOAD_RATIO)
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            cards=cards,
            roles=role_names,
            caseload=caseload,
        )

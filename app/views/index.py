"""Landing page: tells each role where to start."""

from __future__ import annotations

from flask import current_app, g, redirect, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.models.statistics import REPORT_STATUS_LABELS
from app.security import matrix
from app.services.case_management.workflow import step_label
from app.services.casefile.desk import load_desk

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
            _l("Qualifikation nach §4.2"),
            _l("Wer im Team die Anforderungen des Fachkonzepts erfüllt; Profile pflegen."),
            "QualificationView.list",
        ),
        (
            _l("Kooperation"),
            _l("Arbeitskreise, Projekte und Ehrenamtliche dokumentieren."),
            "MeetingView.list",
        ),
        (
            "Quartalsstatistik",
            "Zahlen des Quartals prüfen und einreichen.",
            "StatisticsView.quarter",
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
        (
            "Quartalsmeldungen",
            "Eingereichte Quartalsstatistiken der Träger prüfen.",
            "StatisticsReviewView.overview",
        ),
    ],
    matrix.ROLE_REVIEWER: [
        (
            "Quartalsmeldungen",
            "Eingereichte Quartalsstatistiken der Träger prüfen.",
            "StatisticsReviewView.overview",
        ),
        (
            "Auswertungen",
            "Diagramme und Tabellen aller Träger.",
            "StatisticsReviewView.charts",
        ),
        (
            "Personen",
            "Fallakten für die Aktenprüfung – jeder Zugriff wird protokolliert.",
            "PersonView.list",
        ),
        (
            _l("Kinder ohne Platz"),
            _l("Kinder ohne Platz in Kita, Schule oder Hort, je Träger."),
            "ChildrenWithoutPlaceView.list",
        ),
        (
            "Zugriffsprotokoll",
            "Wer hat wann welche Fallakte gelesen oder geändert.",
            "AccessLogView.list",
        ),
        (
            "Aktenprüfungen",
            "Stichproben je Träger und Quartal ziehen und Befunde erfassen.",
            "FileAuditView.audits",
        ),
    ],
    matrix.ROLE_ADMIN: [
        (
            "Benutzerkonten",
            "Konten anlegen, Rollen vergeben, Konten sperren.",
            "MsaUserDBModelView.list",
        ),
        (
            "Organisationen",
            "Landkreis, Träger und Fachberatungsdienste.",
            "OrganisationView.list",
        ),
        (
            "Kataloge",
            "Auswahllisten der Formulare pflegen.",
            "CatalogueView.list",
        ),
        (
            "Verwaltungsprotokoll",
            "Wer hat wann welches Konto, welche Rolle oder welches Recht geändert.",
            "AdminLogView.admin_log",
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
        if matrix.ROLE_COUNTY_ADMIN in role_names:
            cards.extend(_import_cards())
        roles = set(role_names)
        desk = load_desk(
            user_id=user.id,
            organisation_id=user.organisation_id,
            caseworker=bool(roles & CASEWORK_ROLES),
            lead=matrix.ROLE_LEAD in roles,
            reviewer=bool(roles & {matrix.ROLE_REVIEWER, matrix.ROLE_COUNTY_ADMIN}),
        )
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            cards=cards,
            roles=role_names,
            desk=desk,
            step_label=step_label,
            report_status_label=lambda code: REPORT_STATUS_LABELS.get(code, "offen"),
            endpoint_url=_endpoint_url,
        )


#: roles with own follow-ups, cases and persons on their desk
CASEWORK_ROLES = frozenset({matrix.ROLE_CASEWORKER, matrix.ROLE_LEAD, matrix.ROLE_SPECIALIST})


def _endpoint_url(endpoint: str, anchor: str = "") -> str:
    """URL of an endpoint, "" when that view is not registered (a later stage)."""
    if endpoint not in current_app.view_functions:
        return ""
    return url_for(endpoint) + anchor


def _import_cards() -> list[tuple[str, str, str]]:
    """Cards for the import pages whatever their names: list views without args."""
    out: list[tuple[str, str, str]] = []
    for rule in current_app.url_map.iter_rules():
        name = rule.endpoint
        if "import" in name.lower() and not rule.arguments and "GET" in (rule.methods or ()):
            if name.startswith(("static", "appbuilder")) or rule.rule.startswith("/api/"):
                continue
            out.append(("Importe", "Zuweisungslisten des Landkreises einlesen.", rule.rule))
            break
    return out

"""Roles × permissions matrix, versioned in code and synced by ``flask msa init``.

Every resource (a FAB ``class_permission_name``) has two permissions, ``can_read`` and
``can_write``; views and APIs of one resource share them (see READ_WRITE_METHODS).
Menus need ``menu_access``. A test proves the database equals this matrix.
"""

from __future__ import annotations

MATRIX_VERSION = 1

ROLE_ADMIN = "Admin"
ROLE_COUNTY_ADMIN = "Kreis-Admin"
ROLE_REVIEWER = "Prüfer"
ROLE_LEAD = "Trägerleitung"
ROLE_CASEWORKER = "Fachkraft"
ROLE_SPECIALIST = "Fachberatungsdienst"
#: the county's data protection officer (R-8.2): access log, retention, Art. 15 information
ROLE_DPO = "Datenschutzbeauftragte"

MSA_ROLES = (
    ROLE_COUNTY_ADMIN,
    ROLE_REVIEWER,
    ROLE_LEAD,
    ROLE_CASEWORKER,
    ROLE_SPECIALIST,
    ROLE_DPO,
)
ALL_ROLES = (ROLE_ADMIN, *MSA_ROLES)
#: Roles that see every organisation's rows (reads of case files are logged).
COUNTY_WIDE_ROLES = frozenset({ROLE_ADMIN, ROLE_REVIEWER})
#: Roles of the county itself (statistics of every provider).
COUNTY_ROLES = frozenset({ROLE_ADMIN, ROLE_COUNTY_ADMIN, ROLE_REVIEWER})

#: Map of FAB view/API method names to the two permissions of a resource.
READ_WRITE_METHODS: dict[str, str] = {
    # ModelView
    "list": "read",
    "show": "read",
    "download": "read",
    "add": "write",
    "edit": "write",
    "delete": "write",
    "action": "write",
    "action_post": "write",
    "api": "read",
    "api_read": "read",
    "api_get": "read",
    "api_column_add": "write",
    "api_column_edit": "write",
    "api_readvalues": "read",
    "api_create": "write",
    "api_update": "write",
    "api_delete": "write",
    # ModelRestApi
    "get": "read",
    "get_list": "read",
    "info": "read",
    "post": "write",
    "put": "write",
    "finalise": "write",
    "transition": "write",
    "content": "write",
    "overview": "read",
    "cv": "read",
    # letters to clients are written on behalf of the case: the case's writers print them
    "letter": "write",
    "pdf": "read",
    "docx": "read",
    "new_version": "write",
    "complete_step": "write",
    # data protection (app/views/data_protection.py)
    "retention": "read",
    "retention_run": "write",
    "log_search": "read",
    "subject_access": "read",
    "subject_access_json": "read",
    "subject_access_pdf": "read",
    "audits": "read",
    "audit_show": "read",
    "audit_item": "read",
    "audit_draw": "write",
    "audit_finding": "write",
    "audit_answer": "write",
    # statistics (app/views/statistics.py)
    "quarter": "read",
    "export": "read",
    "quarterly": "read",
    "charts": "read",
    "submit": "write",
    "review": "write",
    "return_report": "write",
    # referral statistics, annual evaluation (app/views/statistics.py)
    "referrals": "read",
    "annual": "read",
    "year": "read",
    "talk": "write",
    # case file pages (app/views/casefile/)
    "autocomplete": "read",
    "search": "read",
    "household": "write",
    "document": "write",
    "done": "write",
    # a follow-up on its own (date + subject) from the case file
    "new": "write",
    # special categories of a person (/api/v1/person/<id>/sensitive)
    "sensitive_get": "read",
    "sensitive_put": "write",
    # intake and movement across providers (app/views/intake/)
    "imports": "read",
    "upload": "write",
    "mapping": "write",
    "preview": "read",
    "confirm": "write",
    "discard": "write",
    "aliases": "write",
    "alias_delete": "write",
    "inbox": "read",
    "offer": "write",
    "accept": "write",
    "decline": "write",
    "withdraw": "write",
    "share": "write",
    "end_share": "write",
    "handover_list": "read",
    "handover_post": "write",
    "shares_get": "read",
    "shares_post": "write",
    "shares_delete": "write",
    # --- administration log, team page (app/views/user_admin.py) ---
    "admin_log": "read",
    "team": "read",
    "team_add": "write",
    "team_active": "write",
    # cooperation, staff, calendar, partner lists (app/views/cooperation.py,
    # staff.py, calendar.py, partners.py)
    "mine": "read",
    "permits": "read",
    "feed_settings": "write",
    "directory": "read",
    "directory_pdf": "read",
    "staff_overview": "read",
    "cooperation_quarter": "read",
    # persons without a caseworker and their bulk assignment (app/views/unassigned.py)
    "unassigned": "read",
    "assign_caseworkers": "write",
}

R = frozenset({"can_read"})
RW = frozenset({"can_read", "can_write"})

# Resource names (class_permission_name) -------------------------------------------------
ORGANISATION = "Organisation"
ACCOMMODATION = "Accommodation"
CATALOGUE = "Catalogue"
NETWORK_PARTNER = "NetworkPartner"
PERSON = "Person"
SENSITIVE = "PersonSensitive"
CASE_FILE_DETAILS = "CaseFileDetails"
CONTACT_NOTE = "ContactNote"
GROUP_SESSION = "GroupSession"
FOLLOW_UP = "FollowUp"
REFERRAL = "Referral"
ACCESS_LOG = "AccessLog"
SOCIAL_REPORT = "SocialReport"
MOVE_PROCEDURE = "MoveProcedure"
CASE_MANAGEMENT = "CaseManagement"
SERVICE_GAPS = "ServiceGaps"
DATA_PROTECTION = "Datenschutz"
FILE_AUDIT = "FileAudit"
#: Anlage-1 figures: read = see (own) figures, write = submit the quarterly report (lead)
STATISTICS = "Statistics"
#: County review of quarterly reports and charts: read = all providers, write = review/return
STATISTICS_REVIEW = "StatisticsReview"
# -- intake and movement across providers --
#: assignment-list import (Zuweisungsliste): county admin
ASSIGNMENT_IMPORT = "AssignmentImport"
#: handovers (Übergabe) and shares (Freigabe) of case files between providers
HANDOVER = "Handover"
MENU_ASSIGNMENT_IMPORT = "Zuweisungsimport"
MENU_HANDOVERS = "Übergaben"

# --- who changed which account/role/organisation/permission; the lead's own team ---
#: Verwaltungsprotokoll (append-only): read = search it (Datenschutzbeauftragte; Admin has all)
ADMIN_LOG = "AdminLog"
#: Team page of the Trägerleitung: read = list, write = create/deactivate/reactivate Fachkraft
TEAM = "Team"
MENU_ADMIN_LOG = "Verwaltungsprotokoll"
MENU_TEAM = "Mein Team"
#: what the Admin (no organisation) is not given although it holds every other permission:
#: pages about the own organisation's team, which an account without organisation cannot open
NOT_FOR_ADMIN = frozenset({TEAM, MENU_TEAM})

# -- cooperation work, staff, appointments ---------------------------------------
#: working groups, meetings, projects, volunteers of a provider (the county reads aggregates)
COOPERATION = "Cooperation"
#: qualification, further training and supervision of a provider's staff (the lead)
STAFF = "Staff"
#: appointments with clients or partners; the personal calendar and its feed settings
APPOINTMENT = "Appointment"
MENU_COOPERATION = "Kooperation"
MENU_STAFF = "Personal"
_COOPERATION_WORK = {COOPERATION: RW, APPOINTMENT: RW}
_COOPERATION_MENUS = frozenset(
    {
        MENU_COOPERATION,
        "Arbeitskreise",
        "Sitzungen",
        "Projekte und Begegnung",
        "Ehrenamtliche",
        "Mein Kalender",
        "Termine",
        "Adresslisten",
    }
)
_STAFF_MENUS = frozenset(
    {MENU_STAFF, "Fallzahlen und Fortbildung", "Qualifikationen", "Fortbildungen", "Supervision"}
)
# ------------------------------------------------------------------------------------------

_CASE_WORK = {
    PERSON: RW,
    SENSITIVE: RW,
    CONTACT_NOTE: RW,
    GROUP_SESSION: RW,
    FOLLOW_UP: RW,
    REFERRAL: RW,
    SOCIAL_REPORT: RW,
    MOVE_PROCEDURE: RW,
    NETWORK_PARTNER: R,
    ACCOMMODATION: R,
    CASE_MANAGEMENT: RW,
    HANDOVER: RW,
}
_PROVIDER_CASE_WORK = {**_CASE_WORK, FILE_AUDIT: RW}

#: resource permissions per role
RESOURCES: dict[str, dict[str, frozenset[str]]] = {
    ROLE_COUNTY_ADMIN: {
        ORGANISATION: RW,
        ACCOMMODATION: RW,
        CATALOGUE: RW,
        NETWORK_PARTNER: RW,
        SERVICE_GAPS: R,
        STATISTICS: R,
        STATISTICS_REVIEW: RW,
        ASSIGNMENT_IMPORT: RW,
    },
    ROLE_REVIEWER: {
        PERSON: R,
        SENSITIVE: R,
        CONTACT_NOTE: R,
        NETWORK_PARTNER: R,
        ACCOMMODATION: R,
        ORGANISATION: R,
        ACCESS_LOG: R,
        SOCIAL_REPORT: R,
        MOVE_PROCEDURE: R,
        CASE_MANAGEMENT: R,
        SERVICE_GAPS: R,
        FILE_AUDIT: RW,
        STATISTICS: R,
        STATISTICS_REVIEW: RW,
    },
    ROLE_LEAD: {**_PROVIDER_CASE_WORK, STATISTICS: RW, TEAM: RW, **_COOPERATION_WORK, STAFF: RW},
    ROLE_CASEWORKER: {**_PROVIDER_CASE_WORK, STATISTICS: R, **_COOPERATION_WORK},
    ROLE_SPECIALIST: {**_CASE_WORK, STATISTICS: R, **_COOPERATION_WORK},
    ROLE_DPO: {
        DATA_PROTECTION: RW,
        ACCESS_LOG: R,
        ADMIN_LOG: R,
    },
}

# --- (figures that hold): the annual evaluation of a provider with the county (§7) ---
#: read = the year view of a provider (its lead, the county), write = record the annual talk
ANNUAL_EVALUATION = "AnnualEvaluation"
for _role in (ROLE_COUNTY_ADMIN, ROLE_REVIEWER, ROLE_LEAD):
    RESOURCES[_role][ANNUAL_EVALUATION] = RW
MENU_REFERRALS = "Vermittlungen"
MENU_ANNUAL = "Jahresauswertung"

# Menus ------------------------------------------------------------------------------------
MENU_CASE_WORK = "Fallarbeit"
MENU_DIRECTORY = "Verzeichnisse"
MENU_ADMINISTRATION = "Verwaltung"
MENU_SECURITY = "Security"
MENU_DATA_PROTECTION = "Datenschutz-Menü"
MENU_RETENTION = "Löschfristen"
MENU_LOG_SEARCH = "Protokollsuche"
MENU_SUBJECT_ACCESS = "Auskunft (Art. 15)"
MENU_FILE_AUDITS = "Aktenprüfungen"
MENU_STATISTICS = "Statistik"
_STATISTICS_MENUS = frozenset({MENU_STATISTICS, "Quartalsstatistik"})
_REVIEW_MENUS = frozenset({*_STATISTICS_MENUS, "Quartalsmeldungen", "Auswertungen"})

MENUS: dict[str, frozenset[str]] = {
    ROLE_COUNTY_ADMIN: frozenset(
        {
            MENU_DIRECTORY,
            MENU_ADMINISTRATION,
            MENU_SECURITY,
            "Organisationen",
            "Unterkünfte",
            "Netzwerkpartner",
            "Kataloge",
            "Adresslisten",
            "List Users",
            "Angebotslücken",
            *_REVIEW_MENUS,
            MENU_ASSIGNMENT_IMPORT,
        }
    ),
    ROLE_REVIEWER: frozenset(
        {
            MENU_CASE_WORK,
            MENU_DIRECTORY,
            MENU_ADMINISTRATION,
            "Personen",
            "Netzwerkpartner",
            "Adresslisten",
            "Unterkünfte",
            "Zugriffsprotokoll",
            "Sozialberichte",
            "Umzugsverfahren",
            "Angebotslücken",
            MENU_FILE_AUDITS,
            *_REVIEW_MENUS,
        }
    ),
    ROLE_DPO: frozenset(
        {
            MENU_DATA_PROTECTION,
            MENU_ADMINISTRATION,
            MENU_RETENTION,
            MENU_LOG_SEARCH,
            MENU_SUBJECT_ACCESS,
            "Zugriffsprotokoll",
            MENU_ADMIN_LOG,
        }
    ),
}
_CASE_MENUS = frozenset(
    {
        MENU_CASE_WORK,
        MENU_DIRECTORY,
        "Personen",
        "Beratungsvermerke",
        "Gruppenberatungen",
        "Meine Wiedervorlagen",
        "Sozialberichte",
        "Umzugsverfahren",
        "Meine Fälle",
        "Netzwerkpartner",
        "Unterkünfte",
        MENU_HANDOVERS,
    }
)
MENUS[ROLE_LEAD] = (
    _CASE_MENUS
    | {MENU_FILE_AUDITS, MENU_TEAM}
    | _STATISTICS_MENUS
    | _COOPERATION_MENUS
    | _STAFF_MENUS
)
MENUS[ROLE_CASEWORKER] = _CASE_MENUS | {MENU_FILE_AUDITS} | _STATISTICS_MENUS | _COOPERATION_MENUS
MENUS[ROLE_SPECIALIST] = _CASE_MENUS | _STATISTICS_MENUS | _COOPERATION_MENUS
# referral statistics for every role with figures, the annual evaluation for lead/county
for _role in (ROLE_COUNTY_ADMIN, ROLE_REVIEWER, ROLE_LEAD, ROLE_CASEWORKER, ROLE_SPECIALIST):
    MENUS[_role] = MENUS[_role] | {MENU_REFERRALS}
for _role in (ROLE_COUNTY_ADMIN, ROLE_REVIEWER, ROLE_LEAD):
    MENUS[_role] = MENUS[_role] | {MENU_ANNUAL}

#: Self-service permissions every signed-in role has (own profile and password).
SELF_SERVICE: frozenset[tuple[str, str]] = frozenset(
    {
        ("can_userinfo", "MsaUserDBModelView"),
        ("resetmypassword", "MsaUserDBModelView"),
        ("userinfoedit", "MsaUserDBModelView"),
        ("can_this_form_get", "ResetMyPasswordView"),
        ("can_this_form_post", "ResetMyPasswordView"),
        ("can_this_form_get", "UserInfoEditView"),
        ("can_this_form_post", "UserInfoEditView"),
        # second factor (app.security.views.TotpView)
        ("can_settings", "TotpView"),
        ("can_disable", "TotpView"),
    }
)

#: FAB's own user administration, for the county admin.
USER_ADMIN: frozenset[tuple[str, str]] = frozenset(
    {
        ("can_list", "MsaUserDBModelView"),
        ("can_show", "MsaUserDBModelView"),
        ("can_add", "MsaUserDBModelView"),
        ("can_edit", "MsaUserDBModelView"),
        ("can_delete", "MsaUserDBModelView"),
        ("resetpasswords", "MsaUserDBModelView"),
        # the reset form the action leads to (docs/security.md: the Kreis-Admin resets
        # passwords of the accounts it manages; app.security.granting decides which)
        ("can_this_form_get", "ResetPasswordView"),
        ("can_this_form_post", "ResetPasswordView"),
    }
)


def permissions_for(role: str) -> frozenset[tuple[str, str]]:
    """Return the (permission, view_menu) pairs the matrix gives a role."""
    pairs: set[tuple[str, str]] = set(SELF_SERVICE)
    for resource, perms in RESOURCES.get(role, {}).items():
        pairs.update((perm, resource) for perm in perms)
    pairs.update(("menu_access", menu) for menu in MENUS.get(role, frozenset()))
    if role == ROLE_COUNTY_ADMIN:
        pairs.update(USER_ADMIN)
    return frozenset(pairs)


# --- KdU limits (Angemessenheitsgrenzen): kept by the county; the check of an offer is part of
# the move procedure (MOVE_PROCEDURE, read) ---
KDU_LIMIT = "KduLimit"
MENU_KDU_LIMITS = "KdU-Grenzen"
RESOURCES[ROLE_COUNTY_ADMIN][KDU_LIMIT] = RW
MENUS[ROLE_COUNTY_ADMIN] = MENUS[ROLE_COUNTY_ADMIN] | {MENU_KDU_LIMITS}

# --- Lebenslauf-Pool: employable persons without a current CV (the lead and the caseworker) ---
CV_POOL = "CvPool"
MENU_CV_POOL = "Lebenslauf-Pool"
for _role in (ROLE_LEAD, ROLE_CASEWORKER):
    RESOURCES[_role][CV_POOL] = R
    MENUS[_role] = MENUS[_role] | {MENU_CV_POOL}

# --- Härtefallverfahren (§ 23a AufenthG): like the move procedure — the provider roles and the
# specialist service read and write, the reviewer reads ---
HARDSHIP_PROCEDURE = "HardshipProcedure"
for _role in (ROLE_LEAD, ROLE_CASEWORKER, ROLE_SPECIALIST):
    RESOURCES[_role][HARDSHIP_PROCEDURE] = RW
RESOURCES[ROLE_REVIEWER][HARDSHIP_PROCEDURE] = R
#: the decision of the commission is recorded through POST …/decide
READ_WRITE_METHODS["decide"] = "write"

# --- Qualifikationsprofil (§4.2): kept by the lead for the own provider's caseworkers; the
# county (Kreis-Admin, Prüfer) sees counts per provider only, never one person's profile ---
QUALIFICATION = "QualificationProfile"
QUALIFICATION_COUNTY = "QualificationCounty"
MENU_QUALIFICATION = "Qualifikation nach §4.2"
MENU_QUALIFICATION_COUNTY = "Qualifikation der Träger"
RESOURCES[ROLE_LEAD][QUALIFICATION] = RW
MENUS[ROLE_LEAD] = MENUS[ROLE_LEAD] | {MENU_QUALIFICATION}
for _role in (ROLE_COUNTY_ADMIN, ROLE_REVIEWER):
    RESOURCES[_role][QUALIFICATION_COUNTY] = R
    MENUS[_role] = MENUS[_role] | {MENU_QUALIFICATION_COUNTY}

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

MSA_ROLES = (ROLE_COUNTY_ADMIN, ROLE_REVIEWER, ROLE_LEAD, ROLE_CASEWORKER, ROLE_SPECIALIST)
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
    "cv": "read",
    "pdf": "read",
    "docx": "read",
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

_CASE_WORK = {
    PERSON: RW,
    CONTACT_NOTE: RW,
    GROUP_SESSION: RW,
    FOLLOW_UP: RW,
    REFERRAL: RW,
    NETWORK_PARTNER: R,
    ACCOMMODATION: R,
}

#: resource permissions per role
RESOURCES: dict[str, dict[str, frozenset[str]]] = {
    ROLE_COUNTY_ADMIN: {
        ORGANISATION: RW,
        ACCOMMODATION: RW,
        CATALOGUE: RW,
        NETWORK_PARTNER: RW,
    },
    ROLE_REVIEWER: {
        PERSON: R,
        CONTACT_NOTE: R,
        NETWORK_PARTNER: R,
        ACCOMMODATION: R,
        ORGANISATION: R,
        ACCESS_LOG: R,
    },
    ROLE_LEAD: dict(_CASE_WORK),
    ROLE_CASEWORKER: dict(_CASE_WORK),
    ROLE_SPECIALIST: dict(_CASE_WORK),
}

# Menus ------------------------------------------------------------------------------------
MENU_CASE_WORK = "Fallarbeit"
MENU_DIRECTORY = "Verzeichnisse"
MENU_ADMINISTRATION = "Verwaltung"
MENU_SECURITY = "Security"

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
            "List Users",
        }
    ),
    ROLE_REVIEWER: frozenset(
        {
            MENU_CASE_WORK,
            MENU_DIRECTORY,
            MENU_ADMINISTRATION,
            "Personen",
            "Netzwerkpartner",
            "Unterkünfte",
            "Zugriffsprotokoll",
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
        "Netzwerkpartner",
        "Unterkünfte",
    }
)
MENUS[ROLE_LEAD] = _CASE_MENUS
MENUS[ROLE_CASEWORKER] = _CASE_MENUS
MENUS[ROLE_SPECIALIST] = _CASE_MENUS

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
        # second factor (app.views.security_views.TotpView)
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

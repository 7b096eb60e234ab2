"""LDAP and OAuth sign-in configured through FAB's own mechanisms (config from environment)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask_appbuilder.const import AUTH_DB, AUTH_LDAP, AUTH_OAUTH
from flask_appbuilder.security.views import AuthLDAPView

from app.security import matrix
from config import directory_auth_settings
from tests import factories
from tests.conftest import make_test_app

GROUPS = {
    "cn=msa-kreisadmin,ou=groups,dc=kreis,dc=example": [matrix.ROLE_COUNTY_ADMIN],
    "cn=msa-fachkraft,ou=groups,dc=kreis,dc=example": [matrix.ROLE_CASEWORKER],
}
LDAP_ENV = {
    "MSA_AUTH_TYPE": "ldap",
    "MSA_LDAP_SERVER": "ldaps://dc.kreis.example:636",
    "MSA_LDAP_SEARCH": "ou=people,dc=kreis,dc=example",
    "MSA_LDAP_BIND_USER": "cn=msa-portal,ou=service,dc=kreis,dc=example",
    "MSA_LDAP_BIND_PASSWORD": "geheim",
    "MSA_LDAP_UID_FIELD": "sAMAccountName",
    "MSA_AUTH_ROLES_MAPPING": json.dumps(GROUPS),
}


def test_default_is_database_login() -> None:
    assert directory_auth_settings({}) == {"AUTH_TYPE": AUTH_DB}


def test_ldap_settings_from_environment() -> None:
    s = directory_auth_settings(LDAP_ENV)
    assert s["AUTH_TYPE"] == AUTH_LDAP
    assert s["AUTH_LDAP_SERVER"] == "ldaps://dc.kreis.example:636"
    assert s["AUTH_LDAP_SEARCH"] == "ou=people,dc=kreis,dc=example"
    assert s["AUTH_LDAP_UID_FIELD"] == "sAMAccountName"
    assert s["AUTH_LDAP_BIND_USER"].startswith("cn=msa-portal")
    assert s["AUTH_ROLES_MAPPING"] == GROUPS
    assert s["AUTH_ROLES_SYNC_AT_LOGIN"] is True
    assert s["AUTH_USER_REGISTRATION"] is True


def test_oauth_settings_from_environment() -> None:
    s = directory_auth_settings(
        {
            "MSA_AUTH_TYPE": "oauth",
            "MSA_OAUTH_NAME": "keycloak",
            "MSA_OAUTH_CLIENT_ID": "msa-portal",
            "MSA_OAUTH_CLIENT_SECRET": "x",
            "MSA_OAUTH_METADATA_URL": "https://sso.kreis.example/realms/kreis/.well-known/openid-configuration",
            "MSA_OAUTH_API_BASE_URL": "https://sso.kreis.example/realms/kreis/protocol/",
            "MSA_AUTH_ROLES_MAPPING": json.dumps({"msa-fachkraft": [matrix.ROLE_CASEWORKER]}),
        }
    )
    assert s["AUTH_TYPE"] == AUTH_OAUTH
    (provider,) = s["OAUTH_PROVIDERS"]
    assert provider["name"] == "keycloak"
    assert provider["remote_app"]["client_id"] == "msa-portal"
    assert provider["remote_app"]["server_metadata_url"].endswith("openid-configuration")
    assert s["AUTH_ROLES_MAPPING"] == {"msa-fachkraft": [matrix.ROLE_CASEWORKER]}


@pytest.mark.parametrize(
    "env",
    [
        {"MSA_AUTH_TYPE": "kerberos"},
        {"MSA_AUTH_TYPE": "ldap"},
        {**LDAP_ENV, "MSA_AUTH_ROLES_MAPPING": "[1, 2]"},
    ],
)
def test_bad_directory_settings_stop_the_start(env: dict[str, str]) -> None:
    with pytest.raises(RuntimeError):
        directory_auth_settings(env)


def test_roles_mapping_to_unknown_role_stops_the_start(database_url: str) -> None:
    with pytest.raises(RuntimeError, match="unbekannte Rolle"):
        make_test_app(database_url, AUTH_ROLES_MAPPING={"cn=x": ["Superuser"]})


@pytest.fixture(scope="module")
def ldap_app(database_url: str, app: Flask) -> Flask:
    return make_test_app(database_url, **directory_auth_settings(LDAP_ENV))


def test_app_starts_with_ldap_and_uses_fabs_ldap_view(ldap_app: Flask) -> None:
    sm: Any = ldap_app.appbuilder.sm  # type: ignore[attr-defined]
    with ldap_app.app_context():
        assert sm.auth_type == AUTH_LDAP
        assert sm.auth_ldap_server == "ldaps://dc.kreis.example:636"
        assert sm.auth_roles_mapping == GROUPS
    assert isinstance(sm.auth_view, AuthLDAPView)
    from app.security.manager import MsaUserLDAPModelView

    assert isinstance(sm.user_view, MsaUserLDAPModelView)
    resp = ldap_app.test_client().get("/login/")
    assert resp.status_code == 200
    # the session check sends expired sessions to the LDAP login, not to AuthDBView
    with ldap_app.test_request_context():
        assert ldap_app.appbuilder.get_url_for_login == "/login/"  # type: ignore[attr-defined]


def test_ldap_login_signs_in_and_keeps_the_second_factor(
    ldap_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The directory answers through FAB's auth_user_ldap; TOTP users still need the code."""
    import pyotp

    from app.security import totp

    with ldap_app.app_context():
        plain = factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org())
        with_code = factories.make_user(matrix.ROLE_CASEWORKER, factories.make_org())
        secret = totp.new_secret()
        with_code.totp_secret, with_code.totp_enabled = secret, True
        from app.extensions import db

        db.session.commit()
        users = {plain.username: plain.id, with_code.username: with_code.id}
    sm: Any = ldap_app.appbuilder.sm  # type: ignore[attr-defined]

    def fake_ldap(username: str, password: str) -> Any:
        if password != "directory-pw" or username not in users:
            return None
        return sm.get_user_by_id(users[username])

    monkeypatch.setattr(sm, "auth_user_ldap", fake_ldap)
    client = ldap_app.test_client()
    bad = client.post("/login/", data={"username": plain.username, "password": "x"})
    assert "/login/" in bad.headers["Location"]
    ok = client.post("/login/", data={"username": plain.username, "password": "directory-pw"})
    assert ok.status_code == 302 and "zwei-faktor" not in ok.headers["Location"]
    with client.session_transaction() as sess:
        assert "_user_id" in sess
    other = ldap_app.test_client()
    resp = other.post("/login/", data={"username": with_code.username, "password": "directory-pw"})
    assert resp.headers["Location"].endswith("/zwei-faktor/code/")
    with other.session_transaction() as sess:
        assert "_user_id" not in sess
    resp = other.post("/zwei-faktor/code/", data={"code": pyotp.TOTP(secret).now()})
    with other.session_transaction() as sess:
        assert "_user_id" in sess

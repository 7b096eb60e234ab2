"""Sign-in through a real directory server: OpenLDAP ``slapd`` from Debian.

The test starts a private slapd on a free port with a temporary configuration (suffix
dc=kreis,dc=example, the memberOf overlay like Active Directory), adds users and groups with
python-ldap, signs in through FAB's LDAP login view, and proves that groups map to portal roles
and organisations and that removal from a group loses the role at the next sign-in.
``make test`` installs slapd (``make directory``); without it the test fails under CI=true.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess  # nosec B404 - starts the test's own slapd
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_appbuilder.const import AUTH_LDAP

from app.security import matrix
from tests import factories
from tests.conftest import make_test_app

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SUFFIX = "dc=kreis,dc=example"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PW = "Verzeichnis-Geheimnis-2026"
USER_PW = "Anna-Passwort-im-Verzeichnis-2026"
GROUP_CW = f"cn=msa-fachkraft,ou=groups,{SUFFIX}"
GROUP_LEAD = f"cn=msa-leitung,ou=groups,{SUFFIX}"
GROUP_ORG = f"cn=msa-traeger-nord,ou=groups,{SUFFIX}"
GROUP_OTHER = f"cn=kantine,ou=groups,{SUFFIX}"

ldap = pytest.importorskip("ldap") if os.environ.get("CI") != "true" else __import__("ldap")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(tmp: Path) -> Path:
    data = tmp / "data"
    data.mkdir()
    conf = tmp / "slapd.conf"
    conf.write_text(
        "\n".join(
            [
                "include /etc/ldap/schema/core.schema",
                "include /etc/ldap/schema/cosine.schema",
                "include /etc/ldap/schema/inetorgperson.schema",
                "include /etc/ldap/schema/nis.schema",
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "moduleload memberof",
                f"pidfile {tmp / 'slapd.pid'}",
                "database mdb",
                f'suffix "{SUFFIX}"',
                f'rootdn "{ROOT_DN}"',
                f"rootpw {ROOT_PW}",
                f"directory {data}",
                "maxsize 10485760",
                "overlay memberof",
                "memberof-refint TRUE",
                "",
            ]
        )
    )
    return conf


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private slapd with people and groups; yields its ldap:// URL."""
    if not Path(SLAPD).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("slapd fehlt: 'make directory' installiert Debians slapd")
        pytest.skip("slapd not installed (make directory)")
    tmp = tmp_path_factory.mktemp("slapd")
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = (tmp / "slapd.log").open("w")
    proc = subprocess.Popen(  # nosec B603 - fixed argv
        [SLAPD, "-f", str(_config(tmp)), "-h", f"{url}/", "-d", "0"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        con = None
        for _ in range(100):
            try:
                con = ldap.initialize(url)
                con.simple_bind_s(ROOT_DN, ROOT_PW)
                break
            except ldap.SERVER_DOWN:
                time.sleep(0.1)
        assert con is not None, (tmp / "slapd.log").read_text()
        _populate(con)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _entry(**attrs: Any) -> list[tuple[str, list[bytes]]]:
    return [
        (k, [v.encode() for v in (vals if isinstance(vals, list) else [vals])])
        for k, vals in attrs.items()
    ]


def _populate(con: Any) -> None:
    con.add_s(SUFFIX, _entry(objectClass=["dcObject", "organization"], dc="kreis", o="Kreis"))
    for ou in ("people", "groups", "service"):
        con.add_s(f"ou={ou},{SUFFIX}", _entry(objectClass="organizationalUnit", ou=ou))
    con.add_s(
        f"cn=msa-portal,ou=service,{SUFFIX}",
        _entry(
            objectClass=["organizationalRole", "simpleSecurityObject"],
            cn="msa-portal",
            userPassword="Dienstkonto-Passwort-2026",
        ),
    )
    for uid, given, sn in (("anna", "Anna", "Aydin"), ("bernd", "Bernd", "Bauer")):
        con.add_s(
            f"uid={uid},ou=people,{SUFFIX}",
            _entry(
                objectClass="inetOrgPerson",
                uid=uid,
                cn=f"{given} {sn}",
                givenName=given,
                sn=sn,
                mail=f"{uid}@kreis.example",
                userPassword=USER_PW,
            ),
        )
    anna = f"uid=anna,ou=people,{SUFFIX}"
    bernd = f"uid=bernd,ou=people,{SUFFIX}"
    for dn, members in (
        (GROUP_CW, [anna]),
        (GROUP_ORG, [anna, bernd]),
        (GROUP_LEAD, [bernd]),
        (GROUP_OTHER, [anna]),
    ):
        cn = dn.split(",")[0][3:]
        # groupOfNames needs one member: the service account stays in every group
        service = f"cn=msa-portal,ou=service,{SUFFIX}"
        con.add_s(dn, _entry(objectClass="groupOfNames", cn=cn, member=[service, *members]))


def _ldap_app(database_url: str, directory: str) -> Flask:
    return make_test_app(
        database_url,
        AUTH_TYPE=AUTH_LDAP,
        AUTH_LDAP_SERVER=directory,
        AUTH_LDAP_SEARCH=f"ou=people,{SUFFIX}",
        AUTH_LDAP_UID_FIELD="uid",
        AUTH_LDAP_BIND_USER=f"cn=msa-portal,ou=service,{SUFFIX}",
        AUTH_LDAP_BIND_PASSWORD="Dienstkonto-Passwort-2026",
        AUTH_LDAP_GROUP_FIELD="memberOf",
        AUTH_LDAP_FIRSTNAME_FIELD="givenName",
        AUTH_LDAP_LASTNAME_FIELD="sn",
        AUTH_LDAP_EMAIL_FIELD="mail",
        AUTH_USER_REGISTRATION=True,
        AUTH_USER_REGISTRATION_ROLE="Public",
        AUTH_ROLES_SYNC_AT_LOGIN=True,
        AUTH_ROLES_MAPPING={GROUP_CW: [matrix.ROLE_CASEWORKER], GROUP_LEAD: [matrix.ROLE_LEAD]},
        AUTH_ORGANISATION_MAPPING={GROUP_ORG: "Träger Nord"},
    )


def _sign_in(app: Flask, username: str, password: str) -> Any:
    client = app.test_client()
    resp = client.post("/login/", data={"username": username, "password": password})
    return client, resp


def _roles_and_org(app: Flask, username: str) -> tuple[list[str], str | None]:
    from app.extensions import db
    from app.models import MsaUser

    with app.app_context():
        user = db.session.query(MsaUser).filter_by(username=username).one()
        return sorted(r.name for r in user.roles), (
            user.organisation.name if user.organisation else None
        )


def test_directory_sign_in_maps_groups_and_removal_loses_the_role(
    app: Flask, database_url: str, directory: str
) -> None:
    with app.app_context():
        factories.make_org("Träger Nord")
    ldap_app = _ldap_app(database_url, directory)
    from flask_appbuilder.security.views import AuthLDAPView

    assert isinstance(ldap_app.appbuilder.sm.auth_view, AuthLDAPView)  # type: ignore[attr-defined]

    # wrong password: refused by the directory
    _client, resp = _sign_in(ldap_app, "anna", "falsch-falsch-falsch")
    assert "/login" in resp.headers["Location"]

    # first sign-in: account created with role and organisation from the groups
    client, resp = _sign_in(ldap_app, "anna", USER_PW)
    assert resp.status_code == 302 and "/login" not in resp.headers["Location"]
    # (FAB adds the registration role "Public", which holds no rights)
    assert _roles_and_org(ldap_app, "anna") == ([matrix.ROLE_CASEWORKER, "Public"], "Träger Nord")
    assert client.get("/personview/list/").status_code == 200
    _client, _resp = _sign_in(ldap_app, "bernd", USER_PW)
    assert _roles_and_org(ldap_app, "bernd") == (["Public", matrix.ROLE_LEAD], "Träger Nord")

    # the county removes anna from the caseworker group and the provider group
    con = ldap.initialize(directory)
    con.simple_bind_s(ROOT_DN, ROOT_PW)
    anna = f"uid=anna,ou=people,{SUFFIX}".encode()
    con.modify_s(GROUP_CW, [(ldap.MOD_DELETE, "member", [anna])])
    con.modify_s(GROUP_ORG, [(ldap.MOD_DELETE, "member", [anna])])

    client, resp = _sign_in(ldap_app, "anna", USER_PW)
    roles, org = _roles_and_org(ldap_app, "anna")
    assert matrix.ROLE_CASEWORKER not in roles and roles == ["Public"]
    assert org is None
    assert client.get("/personview/list/").status_code in (302, 403)

    # back in the group: the role returns at the next sign-in
    con.modify_s(GROUP_CW, [(ldap.MOD_ADD, "member", [anna])])
    _sign_in(ldap_app, "anna", USER_PW)
    assert _roles_and_org(ldap_app, "anna")[0] == [matrix.ROLE_CASEWORKER, "Public"]
    con.unbind_s()

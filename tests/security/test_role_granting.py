"""Who may grant which role (finding High): the table, walked through every path.

Finding: a Kreis-Admin could give itself (or anyone) Prüfer or Admin through the user edit form
and then read every provider's case files; the change was logged nowhere.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import select

from app.security import matrix
from app.security.granting import Account, check_change, may_change
from tests import factories
from tests.conftest import sign_in

ORG_KINDS = {
    "none": None,
    "county": "county",
    "own provider": "provider",
    "other provider": "provider",
    "specialist service": "specialist_service",
}
ORG_IDS = {
    "none": None,
    "county": 1,
    "own provider": 2,
    "other provider": 3,
    "specialist service": 4,
}
#: where each acting role sits
ACTOR_ORG = {
    matrix.ROLE_ADMIN: "none",
    matrix.ROLE_COUNTY_ADMIN: "county",
    matrix.ROLE_REVIEWER: "county",
    matrix.ROLE_DPO: "county",
    matrix.ROLE_LEAD: "own provider",
    matrix.ROLE_CASEWORKER: "own provider",
    matrix.ROLE_SPECIALIST: "specialist service",
}
FITS = {
    matrix.ROLE_ADMIN: {"none", "county"},
    matrix.ROLE_COUNTY_ADMIN: {"county"},
    matrix.ROLE_REVIEWER: {"county"},
    matrix.ROLE_DPO: {"county"},
    matrix.ROLE_LEAD: {"own provider", "other provider", "specialist service"},
    matrix.ROLE_CASEWORKER: {"own provider", "other provider", "specialist service"},
    matrix.ROLE_SPECIALIST: {"specialist service"},
}


def expected(actor_role: str, role: str, org: str, *, own_account: bool) -> bool:
    """The issue's table, written out independently of app/security/granting.py."""
    if role and org not in FITS[role]:
        return False
    if actor_role == matrix.ROLE_ADMIN:
        return True
    if own_account:
        return False
    if actor_role == matrix.ROLE_COUNTY_ADMIN:
        return role in {
            matrix.ROLE_LEAD,
            matrix.ROLE_CASEWORKER,
            matrix.ROLE_SPECIALIST,
        } and org in {
            "own provider",
            "other provider",
            "specialist service",
        }
    if actor_role == matrix.ROLE_LEAD:
        return role == matrix.ROLE_CASEWORKER and org == "own provider"
    return False


def _actor(role: str) -> Account:
    org = ACTOR_ORG[role]
    return Account(100, frozenset({role}), ORG_IDS[org], ORG_KINDS[org])


CASES = list(itertools.product(matrix.ALL_ROLES, matrix.ALL_ROLES, ORG_KINDS))


@pytest.mark.parametrize(("actor_role", "role", "org"), CASES)
def test_table_new_account(actor_role: str, role: str, org: str) -> None:
    """Every role × every role it might grant × every organisation: create an account."""
    after = Account(None, frozenset({role}), ORG_IDS[org], ORG_KINDS[org])
    assert may_change(_actor(actor_role), None, after) is expected(
        actor_role, role, org, own_account=False
    )


@pytest.mark.parametrize(("actor_role", "role", "org"), CASES)
def test_table_own_account(actor_role: str, role: str, org: str) -> None:
    """Nobody but an Admin changes the own roles or organisation (Kreis-Admin → Admin: refused)."""
    actor = _actor(actor_role)
    after = Account(actor.id, frozenset({role}), ORG_IDS[org], ORG_KINDS[org])
    assert may_change(actor, actor, after) is expected(actor_role, role, org, own_account=True)


@pytest.mark.parametrize(
    ("actor_role", "role"), list(itertools.product(matrix.ALL_ROLES, repeat=2))
)
def test_table_promoting_a_caseworker(actor_role: str, role: str) -> None:
    """Changing an existing caseworker of the own provider to ``role``: both states must be
    manageable (a Kreis-Admin cannot make a caseworker Prüfer, a lead cannot make one lead)."""
    before = Account(7, frozenset({matrix.ROLE_CASEWORKER}), 2, "provider")
    after = Account(7, frozenset({role}), 2, "provider")
    ok = expected(actor_role, matrix.ROLE_CASEWORKER, "own provider", own_account=False) and (
        expected(actor_role, role, "own provider", own_account=False)
    )
    assert may_change(_actor(actor_role), before, after) is ok


def test_county_admin_cannot_touch_an_admin_account() -> None:
    admin = Account(1, frozenset({matrix.ROLE_ADMIN}), None, None)
    with pytest.raises(Exception, match="Rolle"):
        check_change(_actor(matrix.ROLE_COUNTY_ADMIN), admin, admin)


# --- the same table through the service (UI team page, CLI) on the database -------------------


ORG_NAMES = {
    "county": ("Landkreis Test", "county"),
    "own provider": ("Eigener Träger", "provider"),
    "other provider": ("Anderer Träger", "provider"),
    "specialist service": ("FBD Test", "specialist_service"),
}


@pytest.fixture
def orgs(app: Flask) -> dict[str, Any]:
    """Organisation ids by the names of the table (``none``: no organisation)."""
    with app.app_context():
        made: dict[str, Any] = {"none": None}
        for key, (name, kind) in ORG_NAMES.items():
            made[key] = factories.make_org(name, kind).id
        return made


def test_service_walk_every_role_and_organisation(
    app: Flask, orgs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """create_user(actor=…) — used by the CLI (--actor) and the team page — follows the table."""
    from app.extensions import db
    from app.models import AdminLogEntry, MsaUser
    from app.services.organisations import DomainError
    from app.services.staff.accounts import create_user

    # the walk is about the granting rules, not the hash (tests/security/test_enumeration.py
    # holds the configured method and its cost): ~200 scrypt hashes of 0.1–0.3 s each were
    # most of this test's time; a one-round PBKDF2 keeps every path of the walk the same
    monkeypatch.setitem(app.config, "FAB_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1")
    with app.app_context():
        actors = {
            role: factories.make_user(role, orgs[ACTOR_ORG[role]]) for role in matrix.ALL_ROLES
        }
        made = refused = 0
        for n, (actor_role, role, org) in enumerate(CASES):
            ok = expected(actor_role, role, org, own_account=False)
            if org == "none" and role != matrix.ROLE_ADMIN:
                ok = False
            username = f"walk{n}"
            try:
                create_user(
                    username,
                    "Ein-langes-Passwort-2026!",
                    role,
                    organisation=ORG_NAMES[org][0] if org != "none" else None,
                    actor=actors[actor_role],
                )
                created = True
            except DomainError:
                created = False
            assert created is ok, (actor_role, role, org)
            exists = db.session.scalar(select(MsaUser.id).where(MsaUser.username == username))
            assert (exists is not None) is ok
            made += ok
            # refused by the granting rules (logged); without an organisation only Admin
            # reaches them, other roles are refused earlier for the missing organisation
            refused += not ok and (org != "none" or role == matrix.ROLE_ADMIN)
        logged = db.session.scalars(
            select(AdminLogEntry).where(
                AdminLogEntry.object_type == "user", AdminLogEntry.object_label.like("walk%")
            )
        ).all()
        # granted and refused changes leave a trace (a refusal: action "refused")
        assert len([e for e in logged if e.action == "create"]) == made > 0
        assert len([e for e in logged if e.action == "refused"]) == refused > 0
        assert all(e.actor_name for e in logged)


# --- the High finding through FAB's user administration form --------------------------------


def _role_id(app: Flask, name: str) -> int:
    with app.app_context():
        return int(app.appbuilder.sm.find_role(name).id)  # type: ignore[attr-defined]


def test_county_admin_cannot_make_itself_admin_through_the_edit_form(
    app: Flask, orgs: dict[str, Any]
) -> None:
    from app.extensions import db
    from app.models import AdminLogEntry, MsaUser

    with app.app_context():
        me = factories.make_user(matrix.ROLE_COUNTY_ADMIN, orgs["county"])
        me_id, county_id = me.id, orgs["county"]
        username, email = me.username, me.email
    client = sign_in(app.test_client(), me_id)
    for role in (matrix.ROLE_ADMIN, matrix.ROLE_REVIEWER, matrix.ROLE_DPO):
        resp = client.post(
            f"/users/edit/{me_id}",
            data={
                "first_name": "K",
                "last_name": "A",
                "username": username,
                "email": email,
                "active": "y",
                "organisation": str(county_id),
                "fte": "1",
                "roles": [str(_role_id(app, role))],
            },
            follow_redirects=True,
        )
        assert resp.status_code in (200, 403)
    with app.app_context():
        user = db.session.get(MsaUser, me_id)
        assert [r.name for r in user.roles] == [matrix.ROLE_COUNTY_ADMIN]
        mine = select(AdminLogEntry).where(AdminLogEntry.actor_id == me_id)
        # nothing changed; each refused attempt leaves a trace
        assert [e.action for e in db.session.scalars(mine)] == ["refused"] * 3


def test_county_admin_grants_caseworker_and_the_change_is_logged(
    app: Flask, orgs: dict[str, Any]
) -> None:
    from app.extensions import db
    from app.models import AdminLogEntry, MsaUser

    with app.app_context():
        me = factories.make_user(matrix.ROLE_COUNTY_ADMIN, orgs["county"])
        target = factories.make_user(matrix.ROLE_CASEWORKER, orgs["own provider"])
        me_id, target_id = me.id, target.id
        data = {
            "first_name": target.first_name,
            "last_name": target.last_name,
            "username": target.username,
            "email": target.email,
            "active": "y",
            "organisation": str(orgs["own provider"]),
            "fte": "1",
        }
    client = sign_in(app.test_client(), me_id)
    # the roles are checkboxes with a label each (no select2 box without a label)
    form = client.get(f"/users/edit/{target_id}").get_data(as_text=True)
    assert 'type="checkbox"' in form and "my_select2" not in form.split('id="roles"')[1][:300]
    checked = re.search(r'<input checked[^>]*id="(roles-\d+)"[^>]*>', form) or re.search(
        r'<input[^>]*id="(roles-\d+)"[^>]*checked[^>]*>', form
    )
    assert checked and f'<label for="{checked.group(1)}">{matrix.ROLE_CASEWORKER}</label>' in form
    # to Prüfer: refused
    resp = client.post(
        f"/users/edit/{target_id}",
        data={**data, "roles": [str(_role_id(app, matrix.ROLE_REVIEWER))]},
        follow_redirects=True,
    )
    assert "nicht vergeben" in resp.get_data(as_text=True)
    # to Trägerleitung: allowed and logged with old and new value
    resp = client.post(
        f"/users/edit/{target_id}",
        data={**data, "roles": [str(_role_id(app, matrix.ROLE_LEAD))]},
        follow_redirects=True,
    )
    assert resp.status_code == 200
    with app.app_context():
        user = db.session.get(MsaUser, target_id)
        assert [r.name for r in user.roles] == [matrix.ROLE_LEAD]
        entry = db.session.scalars(
            select(AdminLogEntry).where(
                AdminLogEntry.actor_id == me_id, AdminLogEntry.action != "refused"
            )
        ).one()
        assert entry.actor_id == me_id and entry.object_id == target_id
        assert json.loads(entry.changes)["roles"] == [[matrix.ROLE_CASEWORKER], [matrix.ROLE_LEAD]]


def test_county_admin_cannot_reset_an_admins_password(app: Flask, orgs: dict[str, Any]) -> None:
    """Resetting the Admin's password would be taking over the Admin account."""
    with app.app_context():
        me = factories.make_user(matrix.ROLE_COUNTY_ADMIN, orgs["county"])
        admin = factories.make_user(matrix.ROLE_ADMIN)
        me_id, admin_id, old_hash = me.id, admin.id, admin.password
    client = sign_in(app.test_client(), me_id)
    resp = client.post(
        f"/resetpassword/form?pk={admin_id}",
        data={
            "password": "Ganz-neues-Passwort-2026!",
            "conf_password": "Ganz-neues-Passwort-2026!",
        },
    )
    assert resp.status_code == 403
    from app.extensions import db
    from app.models import MsaUser

    with app.app_context():
        assert db.session.get(MsaUser, admin_id).password == old_hash


def test_backstop_refuses_a_direct_orm_change_in_a_request(
    app: Flask, orgs: dict[str, Any]
) -> None:
    """Any other path (a future API, a custom view) meets the same rule at the flush."""
    from app.extensions import db
    from app.models import MsaUser
    from app.security.granting import GrantRefusedError

    with app.app_context():
        me = factories.make_user(matrix.ROLE_COUNTY_ADMIN, orgs["county"])
        me_id = me.id
    with app.test_request_context("/"):
        g.user = db.session.get(MsaUser, me_id)
        g.user.roles = [app.appbuilder.sm.find_role(matrix.ROLE_ADMIN)]  # type: ignore[attr-defined]
        with pytest.raises(GrantRefusedError):
            db.session.commit()
        db.session.rollback()


def test_admin_log_is_append_only(app: Flask, orgs: dict[str, Any]) -> None:
    from app.extensions import db
    from app.models import AdminLogEntry
    from app.security.admin_log import AdminLogAppendOnlyError

    with app.app_context():
        factories.make_user(matrix.ROLE_CASEWORKER, orgs["own provider"])
        entry = db.session.scalars(select(AdminLogEntry)).first()
        assert entry is not None and entry.actor_name == "system"
        entry.changes = "{}"
        with pytest.raises(AdminLogAppendOnlyError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalars(select(AdminLogEntry)).first())
        with pytest.raises(AdminLogAppendOnlyError):
            db.session.commit()
        db.session.rollback()


def test_lead_manages_own_caseworkers_only(app: Flask, orgs: dict[str, Any]) -> None:
    """Team page: create, deactivate, reactivate caseworkers of the own provider — nothing else."""
    from app.extensions import db
    from app.models import MsaUser

    with app.app_context():
        lead = factories.make_user(matrix.ROLE_LEAD, orgs["own provider"])
        other_lead = factories.make_user(matrix.ROLE_LEAD, orgs["own provider"])
        foreign = factories.make_user(matrix.ROLE_CASEWORKER, orgs["other provider"])
        lead_id, other_lead_id, foreign_id = lead.id, other_lead.id, foreign.id
    client = sign_in(app.test_client(), lead_id)
    page = client.get("/team/")
    assert page.status_code == 200 and "Mein Team" in page.get_data(as_text=True)
    resp = client.post(
        "/team/neu",
        data={
            "username": "neue.fachkraft",
            "first_name": "Nora",
            "last_name": "Neu",
            "email": "nora@test.invalid",
            "fte": "0.5",
            "password": "Ein-langes-Passwort-2026!",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        new = db.session.scalars(select(MsaUser).where(MsaUser.username == "neue.fachkraft")).one()
        assert [r.name for r in new.roles] == [matrix.ROLE_CASEWORKER]
        assert new.organisation_id == orgs["own provider"]
        new_id = new.id
    assert client.post(f"/team/{new_id}/aktiv", data={"aktiv": "0"}).status_code == 302
    with app.app_context():
        assert db.session.get(MsaUser, new_id).active is False
    assert client.post(f"/team/{new_id}/aktiv", data={"aktiv": "1"}).status_code == 302
    for target in (foreign_id, other_lead_id, lead_id):
        client.post(f"/team/{target}/aktiv", data={"aktiv": "0"})
    with app.app_context():
        assert db.session.get(MsaUser, new_id).active is True
        for target in (foreign_id, other_lead_id, lead_id):
            assert db.session.get(MsaUser, target).active is True
    # other roles have no team page
    with app.app_context():
        cw = factories.make_user(matrix.ROLE_CASEWORKER, orgs["own provider"])
        cw_id = cw.id
    assert sign_in(app.test_client(), cw_id).get("/team/").status_code in (302, 403)


def test_dpo_searches_the_admin_log(app: Flask, orgs: dict[str, Any]) -> None:
    with app.app_context():
        factories.make_user(matrix.ROLE_CASEWORKER, orgs["own provider"], username="gesucht.x")
        dpo = factories.make_user(matrix.ROLE_DPO, orgs["county"])
        dpo_id = dpo.id
        cw = factories.make_user(matrix.ROLE_CASEWORKER, orgs["own provider"])
        cw_id = cw.id
    client = sign_in(app.test_client(), dpo_id)
    page = client.get("/verwaltungsprotokoll/?text=gesucht&art=user").get_data(as_text=True)
    assert "gesucht.x" in page and "angelegt" in page
    assert "1 Eintrag" in page
    assert client.get("/verwaltungsprotokoll/?seite=abc").status_code == 400
    assert sign_in(app.test_client(), cw_id).get("/verwaltungsprotokoll/").status_code in (302, 403)


def test_cli_create_user_follows_the_actors_rules(app: Flask, orgs: dict[str, Any]) -> None:
    """``msa create-user --actor KONTO``: the same table as the UI (German error, exit 1)."""
    import os

    with app.app_context():
        factories.make_user(matrix.ROLE_COUNTY_ADMIN, orgs["county"], username="kreis.cli")
    runner = app.test_cli_runner()
    env = {**os.environ, "MSA_PASSWORD": "Ein-langes-Passwort-2026!"}
    refused = runner.invoke(
        args=[
            "msa",
            "create-user",
            "neu.pruefer",
            "--role",
            matrix.ROLE_REVIEWER,
            "--organisation",
            "Landkreis Test",
            "--actor",
            "kreis.cli",
        ],
        env=env,
    )
    assert refused.exit_code == 1 and "nicht vergeben" in refused.output
    ok = runner.invoke(
        args=[
            "msa",
            "create-user",
            "neu.fachkraft",
            "--role",
            matrix.ROLE_CASEWORKER,
            "--organisation",
            "Eigener Träger",
            "--actor",
            "kreis.cli",
        ],
        env=env,
    )
    assert ok.exit_code == 0, ok.output
    from app.extensions import db
    from app.models import AdminLogEntry

    with app.app_context():
        entry = db.session.scalars(
            select(AdminLogEntry).where(AdminLogEntry.object_label == "neu.fachkraft")
        ).one()
        assert entry.actor_name == "kreis.cli"


def test_organisation_and_role_permission_changes_are_logged(
    app: Flask, orgs: dict[str, Any]
) -> None:
    from app.extensions import db
    from app.models import AdminLogEntry, Organisation

    with app.app_context():
        admin = factories.make_user(matrix.ROLE_ADMIN)
        admin_id = admin.id
    with app.test_request_context("/"):
        g.user = db.session.get(type(admin), admin_id)
        org = db.session.get(Organisation, orgs["own provider"])
        org.city = "Neustadt"
        role = app.appbuilder.sm.find_role(matrix.ROLE_CASEWORKER)  # type: ignore[attr-defined]
        removed = role.permissions[0]
        role.permissions = role.permissions[1:]
        db.session.commit()
        label = f"{removed.permission.name} {removed.view_menu.name}"
        rows = db.session.scalars(
            select(AdminLogEntry).where(AdminLogEntry.actor_id == admin_id)
        ).all()
        kinds = {r.object_type: json.loads(r.changes) for r in rows}
        assert kinds["organisation"]["city"] == [None, "Neustadt"]
        assert kinds["role"]["permissions"] == [[label], []]
        role.permissions = [*role.permissions, removed]
        db.session.commit()

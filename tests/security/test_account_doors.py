"""Every account door through the same rules (user form, password reset, team page, CLI).

Findings: the user form stored the chosen password unhashed (the account could not sign in);
a user form without a ticked role and the "reset passwords" action answered 500; the
Kreis-Admin got 403 on the password reset the docs promise; a Kreis-Admin could create
``PRUEFER`` next to ``pruefer`` and the real ``pruefer`` could no longer sign in; changing an
organisation's kind let the Kreis-Admin create accounts in the county organisation; refused
role grants left no trace.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import AdminLogEntry, MsaUser, Organisation, OrganisationKind
from app.security import matrix
from tests import factories
from tests.conftest import sign_in

NEW_PASSWORD = "Kiefer-Wolke-Ampel-93"


def _role_id(name: str) -> int:
    return int(db.session.scalars(select(Role.id).where(Role.name == name)).one())


def _setup(app: Flask) -> dict[str, Any]:
    with app.app_context():
        county = factories.make_org("Landkreis Test", "county")
        provider = factories.make_org("Träger Test", "provider")
        admin = factories.make_user(matrix.ROLE_ADMIN, None)
        county_admin = factories.make_user(matrix.ROLE_COUNTY_ADMIN, county)
        reviewer = factories.make_user(matrix.ROLE_REVIEWER, county, username="pruefer")
        caseworker = factories.make_user(matrix.ROLE_CASEWORKER, provider)
        return {
            "county": county.id,
            "provider": provider.id,
            "admin": admin.id,
            "county_admin": county_admin.id,
            "county_admin_name": county_admin.username,
            "reviewer": reviewer.id,
            "caseworker": caseworker.id,
            "caseworker_name": caseworker.username,
            "role_caseworker": _role_id(matrix.ROLE_CASEWORKER),
            "role_reviewer": _role_id(matrix.ROLE_REVIEWER),
        }


def _user_form(ids: dict[str, Any], username: str, **over: str) -> dict[str, str]:
    return {
        "first_name": "Erika",
        "last_name": "Neu",
        "username": username,
        "active": "y",
        "email": f"{username.lower()}@test.invalid",
        "organisation": str(ids["provider"]),
        "fte": "1",
        "roles": str(ids["role_caseworker"]),
        "password": NEW_PASSWORD,
        "conf_password": NEW_PASSWORD,
        **over,
    }


def _signs_in(app: Flask, username: str, password: str) -> bool:
    client = app.test_client()
    resp = client.post("/login/", data={"username": username, "password": password})
    return resp.status_code == 302 and "/login" not in resp.headers["Location"]


def _refusals(app: Flask) -> list[AdminLogEntry]:
    with app.app_context():
        rows = db.session.scalars(
            select(AdminLogEntry).where(AdminLogEntry.action == "refused")
        ).all()
        db.session.expunge_all()
        return list(rows)


@pytest.mark.parametrize("actor", ["admin", "county_admin"])
def test_user_form_stores_a_hash_and_the_account_signs_in(app: Flask, actor: str) -> None:
    """An account made in the user form can sign in; the password is stored only as a hash."""
    ids = _setup(app)
    client = sign_in(app.test_client(), ids[actor])
    resp = client.post("/users/add", data=_user_form(ids, "erika.neu"))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    with app.app_context():
        user = db.session.scalars(select(MsaUser).where(MsaUser.username == "erika.neu")).one()
        assert user.password != NEW_PASSWORD and NEW_PASSWORD not in user.password
        assert user.password.startswith(("scrypt:", "pbkdf2:"))
    assert _signs_in(app, "erika.neu", NEW_PASSWORD)


def test_user_form_refuses_a_weak_password_in_german(app: Flask) -> None:
    ids = _setup(app)
    client = sign_in(app.test_client(), ids["admin"])
    form = _user_form(ids, "schwach", password="passwort1234", conf_password="passwort1234")
    resp = client.post("/users/add", data=form)
    assert resp.status_code == 200
    assert "Passwort" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(MsaUser).where(MsaUser.username == "schwach")).all() == []


def test_user_form_without_a_role_is_a_german_form_error(app: Flask) -> None:
    ids = _setup(app)
    client = sign_in(app.test_client(), ids["county_admin"])
    resp = client.post("/users/add", data=_user_form(ids, "ohnerolle", roles=""))
    assert resp.status_code == 200
    assert "Bitte wählen Sie mindestens eine Rolle." in resp.get_data(as_text=True)
    edit = client.post(
        f"/users/edit/{ids['caseworker']}",
        data=_user_form(ids, ids["caseworker_name"], roles=""),
    )
    assert edit.status_code == 200
    assert "Bitte wählen Sie mindestens eine Rolle." in edit.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalars(select(MsaUser).where(MsaUser.username == "ohnerolle")).all() == []
        )
        assert [r.name for r in db.session.get(MsaUser, ids["caseworker"]).roles] == [
            matrix.ROLE_CASEWORKER
        ]


def test_a_name_differing_only_in_case_is_refused_at_every_door(app: Flask) -> None:
    """``PRUEFER`` next to ``pruefer``: refused with a German message by the user form, the
    team page and the CLI, and by the database itself; ``pruefer`` still signs in (also
    typed in capitals: exactly one account is found)."""
    ids = _setup(app)
    client = sign_in(app.test_client(), ids["county_admin"])
    resp = client.post("/users/add", data=_user_form(ids, "PRUEFER"))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200, text[:500]
    assert "Der Benutzername „PRUEFER“ ist bereits vergeben" in text
    # the team page of a Trägerleitung
    with app.app_context():
        lead = factories.make_user(matrix.ROLE_LEAD, ids["provider"])
        lead_id = lead.id
    team = sign_in(app.test_client(), lead_id)
    resp = team.post(
        "/team/neu",
        data={
            "first_name": "P",
            "last_name": "R",
            "username": "Pruefer",
            "email": "p@test.invalid",
            "fte": "1",
            "password": NEW_PASSWORD,
        },
    )
    assert resp.status_code == 400
    assert "ist bereits vergeben" in resp.get_data(as_text=True)
    # the CLI
    result = app.test_cli_runner().invoke(
        args=[
            "msa",
            "create-user",
            "PrUeFeR",
            "--role",
            "Fachkraft",
            "--organisation",
            "Träger Test",
        ],
        env={"MSA_PASSWORD": NEW_PASSWORD},
    )
    assert result.exit_code != 0 and "ist bereits vergeben" in result.output
    # the database, whatever door forgets to ask
    with app.app_context():
        twin = MsaUser(
            username="PRUEFER",
            first_name="x",
            last_name="y",
            email="twin@test.invalid",
            active=True,
            password="x",
        )
        db.session.add(twin)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        assert (
            db.session.scalars(select(MsaUser).where(MsaUser.username.ilike("pruefer"))).all() != []
        )
        count = len(
            [
                u
                for u in db.session.scalars(select(MsaUser)).all()
                if u.username.lower() == "pruefer"
            ]
        )
        assert count == 1
    assert _signs_in(app, "pruefer", factories.PASSWORD)
    assert _signs_in(app, "PRUEFER", factories.PASSWORD)


def test_reset_passwords_action_answers_without_500(app: Flask) -> None:
    ids = _setup(app)
    client = sign_in(app.test_client(), ids["admin"])
    many = client.post(
        "/users/action_post",
        data={"action": "resetpasswords", "rowid": [str(ids["caseworker"]), str(ids["reviewer"])]},
    )
    assert many.status_code == 302
    page = client.get(many.headers["Location"])
    assert "Bitte wählen Sie genau ein Konto." in page.get_data(as_text=True)
    one = client.post(
        "/users/action_post", data={"action": "resetpasswords", "rowid": [str(ids["caseworker"])]}
    )
    assert one.status_code == 302
    assert f"/resetpassword/form?pk={ids['caseworker']}" in one.headers["Location"]
    single = client.post(f"/users/action/resetpasswords/{ids['caseworker']}")
    assert single.status_code == 302 and "/resetpassword/form" in single.headers["Location"]


def test_county_admin_resets_the_password_of_an_account_it_manages(app: Flask) -> None:
    """docs/security.md: the Kreis-Admin resets passwords — of the accounts it may manage."""
    ids = _setup(app)
    client = sign_in(app.test_client(), ids["county_admin"])
    url = f"/resetpassword/form?pk={ids['caseworker']}"
    assert client.get(url).status_code == 200
    weak = client.post(url, data={"password": "abc", "conf_password": "abc"})
    assert weak.status_code == 200 and "Das Passwort muss mindestens 12 Zeichen" in weak.get_data(
        as_text=True
    )
    resp = client.post(url, data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert resp.status_code == 302
    assert _signs_in(app, ids["caseworker_name"], NEW_PASSWORD)
    assert not _signs_in(app, ids["caseworker_name"], factories.PASSWORD)
    # never the password of an account it may not manage (the Prüfer): 403 and a trace
    refused = client.post(
        f"/resetpassword/form?pk={ids['reviewer']}",
        data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD},
    )
    assert refused.status_code == 403
    assert _signs_in(app, "pruefer", factories.PASSWORD)
    rows = _refusals(app)
    assert [(r.object_label, r.actor_name) for r in rows] == [("pruefer", ids["county_admin_name"])]


def test_refused_role_grants_leave_a_trace(app: Flask) -> None:
    """A Kreis-Admin promoting a caseworker to Prüfer is refused; the refusal is logged with
    actor, account and reason — through the user form and through the CLI."""
    ids = _setup(app)
    client = sign_in(app.test_client(), ids["county_admin"])
    form = _user_form(ids, ids["caseworker_name"], roles=str(ids["role_reviewer"]))
    form.pop("password")
    form.pop("conf_password")
    resp = client.post(f"/users/edit/{ids['caseworker']}", data=form)
    assert resp.status_code in (200, 302)
    with app.app_context():
        assert [r.name for r in db.session.get(MsaUser, ids["caseworker"]).roles] == [
            matrix.ROLE_CASEWORKER
        ]
    rows = _refusals(app)
    assert len(rows) == 1
    row = rows[0]
    assert row.actor_name == ids["county_admin_name"]
    assert row.object_label == ids["caseworker_name"] and row.object_type == "user"
    changes = json.loads(row.changes)
    assert "Prüfer" in changes["_grund"][1]
    result = app.test_cli_runner().invoke(
        args=[
            "msa",
            "create-user",
            "neuer.pruefer",
            "--role",
            "Prüfer",
            "--organisation",
            "Landkreis Test",
            "--actor",
            ids["county_admin_name"],
        ],
        env={"MSA_PASSWORD": NEW_PASSWORD},
    )
    assert result.exit_code != 0
    assert [r.object_label for r in _refusals(app)] == [ids["caseworker_name"], "neuer.pruefer"]
    # the log page shows the refusal in German
    with app.app_context():
        dpo = factories.make_user(matrix.ROLE_DPO, ids["county"])
        dpo_id = dpo.id
    page = sign_in(app.test_client(), dpo_id).get("/verwaltungsprotokoll/")
    assert "verweigert" in page.get_data(as_text=True)


def _org_form(name: str, kind: str) -> dict[str, str]:
    return {"name": name, "kind": kind}


def test_changing_an_organisations_kind_goes_through_the_granting_rules(app: Flask) -> None:
    """A Kreis-Admin cannot turn a provider with accounts into the county (its accounts would
    become county accounts it may not create), nor turn its own county into a provider."""
    ids = _setup(app)
    client: FlaskClient = sign_in(app.test_client(), ids["county_admin"])
    resp = client.post(
        f"/organisationview/edit/{ids['provider']}", data=_org_form("Träger Test", "county")
    )
    assert resp.status_code in (200, 302)
    resp = client.post(
        f"/organisationview/edit/{ids['county']}", data=_org_form("Landkreis Test", "provider")
    )
    assert resp.status_code in (200, 302)
    with app.app_context():
        assert db.session.get(Organisation, ids["provider"]).kind == OrganisationKind.provider
        assert db.session.get(Organisation, ids["county"]).kind == OrganisationKind.county
    rows = _refusals(app)
    assert sorted(r.object_label or "" for r in rows) == ["Landkreis Test", "Träger Test"]
    assert all(r.object_type == "organisation" for r in rows)
    # a change of the address is still fine
    resp = client.post(
        f"/organisationview/edit/{ids['provider']}",
        data={**_org_form("Träger Test", "provider"), "city": "Musterstadt"},
    )
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, ids["provider"]).city == "Musterstadt"

"""No mass assignment: every ModelRestApi refuses unknown and read-only fields (400/422)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.security import matrix
from tests import factories
from tests.security.helpers import (
    READ_ONLY_FIELDS,
    check_mass_assignment,
    model_rest_apis,
)


def _seed(app: Flask) -> None:
    with app.app_context():
        org = factories.make_org()
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        person = factories.make_person(org)
        factories.make_note(person, worker)
        factories.make_follow_up(person, worker)
        factories.make_partner()


def test_every_model_api_refuses_unknown_and_read_only_fields(app: Flask, api_token: Any) -> None:
    _seed(app)
    headers = api_token(matrix.ROLE_ADMIN)
    checked = check_mass_assignment(app, app.test_client(), headers)
    assert checked, "no ModelRestApi registered"
    # the network-partner API is covered for create and update
    assert checked["/api/v1/networkpartner"] >= 2 * len(READ_ONLY_FIELDS)


def test_no_api_declares_keys_or_audit_columns_writable(app: Flask) -> None:
    never = {"id", "created_at", "updated_at", "created_on", "changed_on", "created_by_id"}
    for api in model_rest_apis(app):
        add = set(api.add_columns or ())
        edit = set(api.edit_columns or ())
        assert not (add | edit) & never, (api.route_base, (add | edit) & never)
        # the optimistic-lock counter may be sent back on update, never chosen on create
        assert "version" not in add, api.route_base
        model = api.datamodel.obj
        from app.models.base import OrgScoped

        if issubclass(model, OrgScoped):
            assert "organisation_id" not in add | edit, api.route_base


def test_refused_field_leaves_no_row(app: Flask, api_token: Any) -> None:
    headers = api_token(matrix.ROLE_COUNTY_ADMIN)
    client = app.test_client()
    resp = client.post(
        "/api/v1/networkpartner/",
        json={"name": "Beratungsstelle", "category": "other", "id": 4711},
        headers=headers,
    )
    assert resp.status_code in (400, 422) and "id" in str(resp.get_json()["message"])
    listing = client.get("/api/v1/networkpartner/", headers=headers).get_json()
    assert listing["count"] == 0

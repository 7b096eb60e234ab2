"""Reusable attack helpers: they cover every API and view registered, also those added later."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_appbuilder import ModelRestApi, ModelView

#: fields a client must never set: keys, provider, optimistic-lock counter, audit columns
READ_ONLY_FIELDS: dict[str, Any] = {
    "id": 999_999,
    "organisation_id": 1,
    "version": 99,
    "created_at": "2020-01-01T00:00:00",
    "updated_at": "2020-01-01T00:00:00",
    "created_by_id": 1,
    "changed_by_fk": 1,
    "created_on": "2020-01-01T00:00:00",
}
#: fields no model has: an API must not silently drop them either
UNKNOWN_FIELDS: dict[str, Any] = {"is_admin": True, "role": "Admin", "zz_unknown_field": "x"}


def model_rest_apis(app: Flask) -> list[ModelRestApi]:
    """Every ModelRestApi registered on the app (own and FAB's)."""
    return [v for v in app.appbuilder.baseviews if isinstance(v, ModelRestApi)]  # type: ignore[attr-defined]


def model_views(app: Flask) -> list[ModelView]:
    """Every ModelView registered on the app (own and FAB's security views)."""
    return [v for v in app.appbuilder.baseviews if isinstance(v, ModelView)]  # type: ignore[attr-defined]


def forbidden_fields(writable: list[str] | None) -> dict[str, Any]:
    """Read-only and unknown fields that are not in the API's own writable column list."""
    allowed = set(writable or ())
    return {k: v for k, v in {**READ_ONLY_FIELDS, **UNKNOWN_FIELDS}.items() if k not in allowed}


#: FAB answers schema validation errors with 422, malformed requests with 400
REFUSED = (400, 422)


def refused_for_field(resp: Any, field: str) -> bool:
    """True if the API refused the request (400/422) and named ``field`` in its message."""
    if resp.status_code not in REFUSED:
        return False
    body = resp.get_json(silent=True) or {}
    return field in str(body.get("message", body))


def check_mass_assignment(app: Flask, client: Any, headers: dict[str, str]) -> dict[str, int]:
    """POST (and PUT where a row exists) each forbidden field to every ModelRestApi.

    Returns per API how many requests were checked; raises AssertionError on any that was not
    refused with 400/422 naming the field.
    """
    checked: dict[str, int] = {}
    failures: list[str] = []
    for api in model_rest_apis(app):
        base = api.route_base
        n = 0
        for field, value in forbidden_fields(api.add_columns).items():
            resp = client.post(f"{base}/", json={field: value}, headers=headers)
            if resp.status_code in (404, 405):
                break  # the API offers no create
            n += 1
            if not refused_for_field(resp, field):
                failures.append(f"POST {base}/ {field}: {resp.status_code}")
        listing = client.get(f"{base}/", headers=headers)
        ids = (listing.get_json(silent=True) or {}).get("ids") or []
        if ids:
            for field, value in forbidden_fields(api.edit_columns).items():
                resp = client.put(f"{base}/{ids[0]}", json={field: value}, headers=headers)
                if resp.status_code in (404, 405):
                    break  # the API offers no update
                n += 1
                if not refused_for_field(resp, field):
                    failures.append(f"PUT {base}/{ids[0]} {field}: {resp.status_code}")
        checked[base] = n
    assert not failures, failures
    return checked

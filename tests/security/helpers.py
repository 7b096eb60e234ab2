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
    # FAB names the field in ``message``; the domain verbs answer a German ``message`` and
    # name the fields in ``errors``
    return field in str(body.get("errors", "")) or field in str(body.get("message", body))


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
                if field == "version" and resp.status_code == 409:
                    continue  # the optimistic-lock token: a stale value is refused, nothing set
                if not refused_for_field(resp, field):
                    failures.append(f"PUT {base}/{ids[0]} {field}: {resp.status_code}")
        checked[base] = n
    assert not failures, failures
    return checked


# --- HTML forms --------------------------------------------------------------------------

#: strings that must be stored verbatim and shown escaped everywhere
INJECTIONS = [
    "<script>alert(1)</script>",
    "X{{7*7}}Y",
    "X${7*7}Y",
    "X{%raw%}Y",
    "'; DROP TABLE person; --",
    '" OR 1=1 --',
    "%_\\'\"`;",
    "<img src=x onerror=alert(1)>",
    "Ωμέγα 💥 \u202eRTL ا ب",
]


class FormFields:
    """Input fields of the first POST form of an HTML page (stdlib parser)."""

    def __init__(self, html: str) -> None:
        from html.parser import HTMLParser

        self.text: dict[str, dict[str, str | None]] = {}
        self.dates: list[str] = []
        self.hidden: dict[str, str] = {}
        self.selects: dict[str, list[str]] = {}
        self.checkboxes: dict[str, bool] = {}
        fields = self
        current: list[str | None] = [None]

        class _P(HTMLParser):
            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                a = dict(attrs)
                name = a.get("name")
                if tag == "select" and name:
                    fields.selects[name] = []
                    current[0] = name
                elif (
                    tag == "option"
                    and current[0] is not None
                    and a.get("value") not in (None, "", "__None")
                ):
                    fields.selects[current[0]].append(str(a["value"]))
                elif tag == "textarea" and name:
                    fields.text[name] = a
                elif tag == "input" and name:
                    kind = (a.get("type") or "text").lower()
                    if kind == "checkbox":
                        fields.checkboxes[name] = "required" in a
                    elif kind == "hidden":
                        fields.hidden[name] = a.get("value") or ""
                    elif (
                        "data-format" in a
                        or "data-msa-date" in a
                        or kind == "date"
                        or name.endswith(("_on", "_date", "_until"))
                    ):
                        fields.dates.append(name)
                    elif kind in ("text", "email", "tel", "url", "search"):
                        fields.text[name] = a

            def handle_endtag(self, tag: str) -> None:
                if tag == "select":
                    current[0] = None

        _P().feed(html)

    def data(self, value: str, *, only_required: bool = False) -> dict[str, str]:
        """Form data with ``value`` in the text fields (cut to their maxlength)."""
        out = dict(self.hidden)
        for name, attrs in self.text.items():
            required = "required" in attrs or name.endswith("name")
            if only_required and not required:
                continue
            limit = int(attrs.get("maxlength") or 10_000)
            out[name] = value[:limit]
        for name in self.dates:
            if not only_required or "birth" in name:
                # ISO dates; a date of birth must lie in the past
                out[name] = "2000-01-01"
        for name, required in self.checkboxes.items():
            if required:
                out[name] = "y"
        for name, options in self.selects.items():
            if options:
                out[name] = options[0]
        return out


def assert_rendered_escaped(html: str, payload: str) -> None:
    """``payload`` never appears as live markup or as an evaluated template."""
    # A very short fragment such as "<" or "<a" occurs in every page by itself; longer
    # markup-like payloads never do unless the portal echoed them unescaped.
    if "<" in payload and len(payload) >= 6:
        assert payload not in html, f"unescaped: {payload!r}"
    if "{{7*7}}" in payload or "${7*7}" in payload:
        assert "X49Y" not in html, "template expression evaluated"

"""The OpenAPI description (/api/v1/_openapi) made to match the answers the portal gives.

Flask-AppBuilder generates the description from its REST views, and it describes what FAB
assumes rather than what this portal answers: ids typed as strings, ``_info`` columns as
objects, validation messages as plain strings, no 403/404/405 where the portal gives them,
and nothing at all for the portal's own endpoints without a YAML docstring. ``describe`` is
applied to every description FAB renders (``install``); tests/integration/test_api_contract.py
checks every answer against the result with schemathesis.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

from flask import Flask, Response

JSON = "application/json"

#: an error answer: a German message — a text, or for validation errors an object that maps
#: each field to a text or a list of texts; some answers name the ``field`` too
MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "message": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "additionalProperties": {
                        "anyOf": [
                            {"type": "string"},
                            {"type": "array", "items": {"type": "string"}},
                            {"type": "object"},
                        ]
                    },
                },
            ]
        },
        "field": {"type": "string", "nullable": True},
    },
}

#: the error answers any REST operation can give, whatever it does (docs/api.md, "Errors")
GENERIC_ERRORS = {
    "400": "Fehlerhafte Anfrage: kein JSON-Objekt, unbekanntes oder fehlendes Feld, falscher "
    "Typ, ungültiger Filter- oder Seitenparameter",
    "401": "Kein, abgelaufenes oder ungültiges Token",
    "403": "Der Rolle fehlt die Berechtigung für diese Ressource oder Aktion",
    "404": "Kein solcher Datensatz im Bereich des Aufrufenden (auch: fremder Träger) oder "
    "ein Pfad, den es nicht gibt",
    "405": "Diese Methode gibt es für diesen Pfad nicht (z. B. DELETE auf Fallakten, oder "
    "eine Kennung, die keine Zahl ist und damit einen anderen Pfad trifft)",
    "409": "Der Datensatz wurde inzwischen geändert, das Quartal ist abgeschlossen, oder "
    "eine Anfrage mit demselben Idempotency-Key läuft noch",
    "414": "Die Adresse ist zu lang (vom Webserver beantwortet)",
    "422": "Fachlich nicht verarbeitbar (z. B. Schritt nicht erlaubt, Idempotency-Key "
    "für eine andere Anfrage, unlesbares Token)",
    "429": "Zu viele Versuche; Retry-After nennt die Wartezeit",
    "500": "Interner Fehler",
    "503": "Die Datenbank ist vorübergehend nicht erreichbar; Retry-After: 5",
}

#: path parameters of the portal's own endpoints (FAB documents its own)
PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "pk": {"type": "integer"},
    "org_id": {"type": "integer"},
    "fmt": {"type": "string", "enum": ["pdf", "docx"]},
    "kind": {"type": "string"},
    "version": {"type": "string"},
}

_ANY_OBJECT: dict[str, Any] = {"type": "object"}
_BODY = {"required": False, "content": {JSON: {"schema": _ANY_OBJECT}}}


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema or _ANY_OBJECT}}}


def _item(result: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["result"],
        "properties": {"id": {"type": "integer"}, "result": result or _ANY_OBJECT},
    }


_CASE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "person_id": {"type": "integer"},
        "step": {"type": "string"},
        "events": {"type": "array", "items": _ANY_OBJECT},
    },
}
_CASE_LIST = {
    "type": "object",
    "properties": {"result": {"type": "array", "items": _CASE}},
}
_REPORT_LIST = {
    "type": "object",
    "properties": {
        "count": {"type": "integer"},
        "result": {"type": "array", "items": _ANY_OBJECT},
    },
}
_KDU_CHECK = {
    "type": "object",
    "required": ["within", "limit_rent", "limit_heating", "valid_from", "valid_to", "rule"],
    "properties": {
        "within": {"type": "boolean"},
        "limit_rent": {"type": "number"},
        "limit_heating": {"type": "number"},
        "valid_from": {"type": "string", "format": "date"},
        "valid_to": {"type": "string", "format": "date", "nullable": True},
        "rule": {"type": "string"},
    },
}
_FILE = {
    "description": "Die Datei",
    "content": {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
            "schema": {"type": "string", "format": "binary"}
        },
    },
}

#: the portal's own endpoints that carry no YAML docstring: (method, path) → operation
OWN_OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/api/v1/casemanagement/"): {
        "summary": "Offene Fälle des Fallmanagements (neueste zuerst, höchstens 500)",
        "responses": {"200": _json("Fälle", _CASE_LIST)},
    },
    ("post", "/api/v1/casemanagement/"): {
        "summary": "Fall für person_id eröffnen (Schritt first_interview)",
        "requestBody": _BODY,
        "responses": {"201": _json("Eröffnet", _item(_CASE))},
    },
    ("get", "/api/v1/casemanagement/{pk}"): {
        "summary": "Fall mit Schritt, Ereignissen und Inhalten",
        "responses": {"200": _json("Fall", _item(_CASE))},
    },
    ("post", "/api/v1/casemanagement/{pk}/transition"): {
        "summary": "Fall in den Schritt `to` bewegen",
        "requestBody": _BODY,
        "responses": {"200": _json("Bewegt", _item(_CASE))},
    },
    ("post", "/api/v1/casemanagement/{pk}/{kind}"): {
        "summary": "Inhalt eines Schritts erfassen (assessment, goal, help_plan, …)",
        "requestBody": _BODY,
        "responses": {"201": _json("Erfasst", _item(_CASE))},
    },
    ("get", "/api/v1/socialreport/"): {
        "summary": "Versionen der Sozialberichte (optional ?person_id=)",
        "parameters": [
            {"in": "query", "name": "person_id", "required": False, "schema": {"type": "integer"}}
        ],
        "responses": {"200": _json("Berichte", _REPORT_LIST)},
    },
    ("post", "/api/v1/socialreport/"): {
        "summary": "Entwurf anlegen: person_id, criteria, recommendation",
        "requestBody": _BODY,
        "responses": {"201": _json("Angelegt", _item())},
    },
    ("get", "/api/v1/socialreport/{pk}"): {
        "summary": "Ein Sozialbericht",
        "responses": {"200": _json("Bericht", _item())},
    },
    ("put", "/api/v1/socialreport/{pk}"): {
        "summary": "Entwurf ändern (version erforderlich)",
        "requestBody": _BODY,
        "responses": {"200": _json("Geändert", _item())},
    },
    ("post", "/api/v1/socialreport/{pk}/finalise"): {
        "summary": "Bericht abschließen (danach unveränderlich)",
        "responses": {"200": _json("Abgeschlossen", _item())},
    },
    ("post", "/api/v1/socialreport/{pk}/new_version"): {
        "summary": "Neuen Entwurf aus einem abgeschlossenen Bericht",
        "responses": {"201": _json("Neuer Entwurf", _item())},
    },
    ("get", "/api/v1/socialreport/{pk}/pdf"): {
        "summary": "PDF des Berichts",
        "responses": {"200": _FILE},
    },
    ("get", "/api/v1/socialreport/{pk}/docx"): {
        "summary": "DOCX des Berichts",
        "responses": {"200": _FILE},
    },
    ("get", "/api/v1/kdu/check"): {
        "summary": "Wohnungsangebot gegen die KdU-Grenze prüfen, die am Tag `on` gilt",
        "parameters": [
            {"in": "query", "name": "area", "required": True, "schema": {"type": "string"}},
            {
                "in": "query",
                "name": "household_size",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": 30},
            },
            {
                "in": "query",
                "name": "on",
                "required": True,
                "schema": {"type": "string", "format": "date"},
            },
            {"in": "query", "name": "rent", "required": True, "schema": {"type": "string"}},
            {"in": "query", "name": "heating", "required": True, "schema": {"type": "string"}},
        ],
        "responses": {"200": _json("Ergebnis der Prüfung", _KDU_CHECK)},
    },
    ("get", "/api/v1/person/{pk}/cv/{fmt}"): {
        "summary": "Lebenslauf als PDF oder DOCX",
        "responses": {"200": _FILE},
    },
    ("get", "/api/v1/hardship/"): {
        "summary": "Härtefallverfahren (optional ?person_id=, ?open=true)",
        "parameters": [
            {"in": "query", "name": "person_id", "required": False, "schema": {"type": "integer"}},
            {"in": "query", "name": "open", "required": False, "schema": {"type": "string"}},
        ],
        "responses": {"200": _json("Verfahren", _REPORT_LIST)},
    },
    ("post", "/api/v1/hardship/"): {
        "summary": "Härtefallverfahren beginnen: person_id, prepared_on, member, note",
        "requestBody": _BODY,
        "responses": {"201": _json("Angelegt", _item())},
    },
    ("get", "/api/v1/hardship/{pk}"): {
        "summary": "Ein Härtefallverfahren",
        "responses": {"200": _json("Verfahren", _item())},
    },
    ("put", "/api/v1/hardship/{pk}"): {
        "summary": "Härtefallverfahren berichtigen (version erforderlich)",
        "requestBody": _BODY,
        "responses": {"200": _json("Geändert", _item())},
    },
    ("post", "/api/v1/hardship/{pk}/submit"): {
        "summary": "Einreichung bei der Härtefallkommission: submitted_on, member, note",
        "requestBody": _BODY,
        "responses": {"200": _json("Eingetragen", _item())},
    },
    ("post", "/api/v1/hardship/{pk}/decide"): {
        "summary": "Entscheidung der Härtefallkommission: decided_on, outcome, note",
        "requestBody": _BODY,
        "responses": {"200": _json("Eingetragen", _item())},
    },
}

_METHODS = ("get", "put", "post", "delete", "patch")

#: fields the case-record APIs add to a read beyond FAB's model schema (``extras`` and
#: ``finish_row`` in app/views/casefile/api.py)
RESPONSE_EXTRAS: dict[str, dict[str, Any]] = {
    "PersonApi": {"counselling_ends_on": {"type": "string", "format": "date", "nullable": True}},
    "ContactNoteApi": {"topics": {"type": "array", "items": {"type": "string"}}},
    "GroupSessionApi": {"participant_ids": {"type": "array", "items": {"type": "integer"}}},
}


def describe(spec: dict[str, Any]) -> dict[str, Any]:
    """Return ``spec`` (FAB's generated description) corrected to the portal's answers."""
    spec = copy.deepcopy(spec)
    components = spec.setdefault("components", {})
    responses = components.setdefault("responses", {})
    for code, text in GENERIC_ERRORS.items():
        responses[code] = _json(text, MESSAGE_SCHEMA)
    schemas = components.get("schemas", {})
    for name, schema in schemas.items():
        _fix_schema(schema)
        api, _, kind = name.partition(".")
        if kind in ("get", "get_list", "post", "put") and "properties" in schema:
            # list rows carry their id too (pre_get_list), reads the derived fields
            schema["properties"].setdefault("id", {"type": "integer"})
            schema["properties"].update(copy.deepcopy(RESPONSE_EXTRAS.get(api, {})))
    for name in [n for n in schemas if n.endswith((".post", ".put"))]:
        api = name.partition(".")[0]
        if f"{api}.get" in schemas:
            # a write answers the stored record: the fields sent plus those the system sets
            properties = {**schemas[name]["properties"], **schemas[f"{api}.get"]["properties"]}
            schemas[f"{name}_result"] = {
                "type": "object",
                "additionalProperties": False,
                "properties": copy.deepcopy(properties),
            }
    for path, item in spec.get("paths", {}).items():
        names = re.findall(r"{(\w+)}", path)
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            own = OWN_OPERATIONS.get((method, path))
            if own is not None and not operation.get("responses"):
                operation.update(copy.deepcopy(own))
                operation.setdefault("security", [{"jwt": []}])  # all behind @protect()
            _add_path_parameters(operation, names)
            operation.setdefault("responses", {})
            for status in operation["responses"].values():
                _fix_schema(status)
                _point_results_at_stored_record(status, schemas)
            for code in GENERIC_ERRORS:
                operation["responses"].setdefault(code, {"$ref": f"#/components/responses/{code}"})
    return spec


def _point_results_at_stored_record(response: dict[str, Any], schemas: dict[str, Any]) -> None:
    """The ``result`` of a write's answer is the stored record, not the request body."""
    schema = response.get("content", {}).get(JSON, {}).get("schema", {})
    result = schema.get("properties", {}).get("result", {})
    ref = result.get("$ref", "")
    name = ref.rpartition("/")[2]
    if name.endswith((".post", ".put")) and f"{name}_result" in schemas:
        result["$ref"] = f"#/components/schemas/{name}_result"


def _add_path_parameters(operation: dict[str, Any], names: list[str]) -> None:
    params = operation.setdefault("parameters", [])
    declared = {p.get("name") for p in params if p.get("in") == "path"}
    for name in names:
        if name not in declared:
            params.append(
                {
                    "in": "path",
                    "name": name,
                    "required": True,
                    "schema": PATH_PARAMETERS.get(name, {"type": "string"}),
                }
            )


def _fix_schema(node: Any) -> None:
    """Correct FAB's generic shapes wherever they appear in ``node`` (in place)."""
    if isinstance(node, list):
        for child in node:
            _fix_schema(child)
        return
    if not isinstance(node, dict):
        return
    if node.get("format") == "date-time":
        # the stored timestamps carry no zone offset, which RFC 3339 date-time requires
        del node["format"]
        node["pattern"] = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$"
        node["description"] = "Zeitpunkt nach ISO 8601, ohne Zeitzonenangabe"
    props = node.get("properties")
    if isinstance(props, dict):
        # record ids are integers (FAB types them as strings)
        if props.get("id", {}).get("type") == "string":
            props["id"] = {"type": "integer", "description": "Die Kennung des Datensatzes"}
        if props.get("ids", {}).get("type") == "array":
            props["ids"]["items"] = {"type": "integer"}
        if props.get("count", {}).get("type") == "number":
            props["count"] = {"type": "integer"}
        # _info: add/edit columns are a list of column descriptions
        for key in ("add_columns", "edit_columns"):
            if props.get(key) == {"type": "object"}:
                props[key] = {"type": "array", "items": _ANY_OBJECT}
        if props.get("message") == {"type": "string"}:
            props["message"] = copy.deepcopy(MESSAGE_SCHEMA["properties"]["message"])
    for child in node.values():
        _fix_schema(child)


def install(app: Flask) -> None:
    """Pass every description FAB's OpenApi view renders through ``describe``."""
    view = app.view_functions.get("OpenApi.get")
    if view is None:  # FAB_API_SWAGGER_UI off: no description to correct
        return

    @functools.wraps(view)
    def described(*args: Any, **kwargs: Any) -> Response:
        response = app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and response.is_json:
            response.set_data(json.dumps(describe(response.get_json())))
        return response

    app.view_functions["OpenApi.get"] = described

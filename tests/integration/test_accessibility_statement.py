"""The accessibility statement (BITV 2.0) and the page in Leichte Sprache.

Both are public and linked in the footer of every page; the statement shows the known gaps of
``app/data/accessibility_statement.json`` and its conformance level follows from them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from app.security import matrix
from app.views.accessibility import conformance, statement_facts


def _text(body: bytes) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", body.decode()))


def test_statement_is_public_and_has_the_bitv_sections(app: Flask) -> None:
    resp = app.test_client().get("/barrierefreiheit/")
    assert resp.status_code == 200
    text = _text(resp.data)
    for heading in (
        "Erklärung zur Barrierefreiheit",
        "Stand der Vereinbarkeit mit den Anforderungen",
        "Nicht barrierefreie Inhalte",
        "Erstellung dieser Erklärung",
        "Barrieren melden: Kontakt",
        "Durchsetzungsverfahren",
    ):
        assert heading in text, heading
    assert "<title>Erklärung zur Barrierefreiheit – MSA-Portal</title>" in resp.data.decode()
    facts = statement_facts()
    for gap in facts["known_gaps"]:
        assert gap["title"] in text
    assert "06.12.2026" in text  # German date of the statement, never ISO
    assert "2026-12-06" not in text


def test_conformance_follows_from_the_known_gaps() -> None:
    """A statement with known gaps may never claim full conformance — and the other way round."""
    assert conformance({"known_gaps": []}) == "vollständig vereinbar"
    assert conformance({"known_gaps": [{"title": "x"}]}) == "teilweise vereinbar"
    facts = statement_facts()
    expected = "teilweise vereinbar" if facts["known_gaps"] else "vollständig vereinbar"
    assert conformance(facts) == expected


def test_easy_language_page_is_public_and_links_back(app: Flask) -> None:
    resp = app.test_client().get("/barrierefreiheit/leichte-sprache")
    assert resp.status_code == 200
    text = _text(resp.data)
    assert "Das MSA-Portal in Leichter Sprache" in text
    assert "/barrierefreiheit/" in resp.data.decode()


def test_every_page_links_the_statement_in_its_footer(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    """Signed out (login page) and signed in (landing page, a list): the footer links both."""
    client = app.test_client()
    for url in ("/login/",):
        body = client.get(url).data.decode()
        assert 'href="/barrierefreiheit/"' in body, url
        assert 'href="/barrierefreiheit/leichte-sprache"' in body, url
    client = login_as(matrix.ROLE_CASEWORKER)
    for url in ("/", "/personview/list/"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        body = resp.data.decode()
        assert 'href="/barrierefreiheit/"' in body, url

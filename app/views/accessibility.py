"""Barrierefreiheit: the accessibility statement (BITV 2.0) and the start page in Leichte Sprache.

Both pages are public (a visitor who cannot sign in must be able to read how to report a
barrier) and linked in the footer of every page. The statement's facts — when it was prepared,
how the portal was checked, the known gaps — live in ``app/data/accessibility_statement.json``
so the page, docs/accessibility.md and the tests read one source; the conformance level follows
from the known gaps (none: "vollständig vereinbar", else "teilweise vereinbar").
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from flask_appbuilder import AppBuilder, BaseView, expose

from app.dates import de_date, parse_date

STATEMENT_FILE = Path(__file__).resolve().parent.parent / "data" / "accessibility_statement.json"


@cache
def statement_facts() -> dict[str, Any]:
    """The statement's facts as stored (read once per process)."""
    facts: dict[str, Any] = json.loads(STATEMENT_FILE.read_text(encoding="utf-8"))
    return facts


def conformance(facts: dict[str, Any]) -> str:
    """BITV 2.0 wording of the conformance status: it follows from the known gaps."""
    return "vollständig vereinbar" if not facts.get("known_gaps") else "teilweise vereinbar"


def _settings() -> dict[str, str]:
    cfg = current_app.config
    return {
        "county": str(cfg.get("MSA_COUNTY_NAME") or "Landkreis"),
        "contact_email": str(cfg.get("MSA_ACCESSIBILITY_EMAIL") or ""),
        "contact_phone": str(cfg.get("MSA_ACCESSIBILITY_PHONE") or ""),
        "contact_address": str(cfg.get("MSA_ACCESSIBILITY_ADDRESS") or ""),
        "enforcement": str(cfg.get("MSA_ACCESSIBILITY_ENFORCEMENT") or ""),
        "enforcement_url": str(cfg.get("MSA_ACCESSIBILITY_ENFORCEMENT_URL") or ""),
    }


class AccessibilityView(BaseView):
    """Erklärung zur Barrierefreiheit and Leichte Sprache — readable without signing in."""

    route_base = "/barrierefreiheit"
    default_view = "statement"

    @expose("/")
    def statement(self) -> str:
        facts = statement_facts()
        return self.render_template(
            "accessibility/statement.html",
            facts=facts,
            status=conformance(facts),
            prepared_on=de_date(parse_date(facts["prepared_on"])),
            reviewed_on=de_date(parse_date(facts["reviewed_on"])),
            settings=_settings(),
        )

    @expose("/leichte-sprache")
    def easy_language(self) -> str:
        return self.render_template("accessibility/easy_language.html", settings=_settings())


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view_no_menu(AccessibilityView())

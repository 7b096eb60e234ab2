"""Name search ("beginnt mit") that an index can serve at national scale."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from app.security import matrix
from tests import factories
from tests.integration.test_performance import count_statements


def _names(html: str) -> list[str]:
    return re.findall(r">\s*(Such(?:name|test)\w*)\s*<", html, flags=re.IGNORECASE)


def test_starts_with_is_case_insensitive_literal_and_sorted_case_insensitively(
    app: Flask, login_as: Any
) -> None:
    with app.app_context():
        org = factories.make_org()
        for last in ("Suchnameb", "suchnamea", "SUCHNAMEC", "Suchtest", "Such_x", "Such%y"):
            factories.make_person(org, last_name=last)
        org_id = factories.id_of(org)
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    with count_statements(app) as statements:
        html = client.get("/personview/list/?_flt_0_last_name=suchname").get_data(as_text=True)
    found = list(dict.fromkeys(n for n in _names(html) if n.lower().startswith("suchname")))
    # all case variants, "Suchtest" not; ordered case-insensitively
    assert found == ["suchnamea", "Suchnameb", "SUCHNAMEC"]
    assert "Suchtest" not in html
    sql = " ".join(s for s in statements if "FROM person" in s).lower()
    assert re.search(r'\(?lower\(person\.last_name\)( collate "c"\))? like', sql), sql
    # "_" and "%" are literal characters, not wildcards
    html = client.get("/personview/list/?_flt_0_last_name=Such_").get_data(as_text=True)
    assert "Such_x" in html and "Such%y" not in html and "Suchnameb" not in html
    html = client.get("/personview/list/?_flt_0_last_name=Such%25").get_data(as_text=True)
    assert "Such%y" in html and "Such_x" not in html and "Suchnameb" not in html


def test_search_over_all_providers_for_the_reviewer(app: Flask, login_as: Any) -> None:
    with app.app_context():
        for _ in range(2):
            factories.make_person(factories.make_org(), last_name="Suchname_x")
    client = login_as(matrix.ROLE_REVIEWER)
    html = client.get("/personview/list/?_flt_0_last_name=SUCHNAME").get_data(as_text=True)
    assert html.count("Suchname_x") >= 2

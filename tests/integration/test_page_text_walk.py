"""Nothing raw on screen: walk EVERY GET page of ``app.url_map`` for every role.

The same walk as the statement budget (``test_page_statement_walk``: demo data, real ids, demo
accounts of five roles), so pages added later are covered without being listed. Each HTML page
answering 200 is reduced to what a user sees or hears — the text, and the ``title``,
``aria-label``, ``alt`` and ``placeholder`` attributes — and must not show:

- Python values ``None``, ``True``, ``False``;
- ISO dates (``2026-07-01``), ISO months (``2026-07``) or times marked ``UTC``;
- raw codes: snake_case words (``transitional_home``, ``assessment_aspect``);
- internal references such as ``(R-2.3)`` or ``(§3.1.11)``;
- English texts of Flask-AppBuilder (``Show``, ``Edit``, ``Delete``, ``Add``, ``Search`` …),
  its generated titles ("Edit Group Session") and messages ("Zeile hinzugefügt");
- one-word codes (``flat``, ``county``), a singular count with a plural noun ("1 Einträge"),
  plurals in brackets ("Quartal(e)") and the county without its name ("Landkreis –").

Generated documents (PDF, DOCX) are checked the same way on their extracted text.

Findings not fixed yet are listed in ``KNOWN`` (endpoint, role) → reason. Strict: a known page
without findings fails the test until its entry is removed.
"""

from __future__ import annotations

import html as html_lib
import io
import re
from typing import Any

import pytest
from flask import Flask

from tests.integration.test_page_statement_walk import ACCOUNTS, _clients_for, _load, _urls

_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_ATTR = re.compile(r'\s(?:title|aria-label|alt|placeholder)="([^"]*)"', re.I)
_TAG = re.compile(r"<[^>]+>")
_COMMENT = re.compile(r"<!--.*?-->", re.S)

#: English texts of Flask-AppBuilder that must not reach a German screen (whole text nodes)
ENGLISH = {
    "Show",
    "Edit",
    "Delete",
    "Add",
    "Search",
    "Actions",
    "Record Count",
    "No records found",
    "Show record",
    "Edit record",
    "Delete record",
    "Add a new record",
    "Refresh",
    "Back",
    "Save",
    "Previous",
    "Next",
    "Page size",
    "Order by",
    "Not In",
    "Equal to",
    "Not Equal to",
    "Starts with",
    "Ends with",
    "Contains",
    "Greater than",
    "Smaller than",
    "Relation",
    "Profile",
    "Logout",
    "Login",
    "User confirmation needed",
    "List Users",
    "Security",
    "Are you sure you want to delete this item?",
    "Add Filter",
    "Detail",
    "Cancel",
    # raw codes of one word (an enum read as text)
    "flat",
    "county",
    "provider",
}

CHECKS: list[tuple[str, re.Pattern[str]]] = [
    ("Python-Wert", re.compile(r"(?<![\w-])(None|True|False)(?![\w-])")),
    ("ISO-Datum", re.compile(r"(?<![\w./-])\d{4}-\d{2}(-\d{2})?(?![\w/-])")),
    ("UTC", re.compile(r"\bUTC\b")),
    ("Python-Liste", re.compile(r"^\[.*\]$")),
    ("Rohcode", re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./@-])")),
    ("interne Referenz", re.compile(r"\((?:R-\d+(?:\.\d+)*|§\s?\d+(?:\.\d+){2,})\)")),
    # FAB's titles and messages: "Edit Group Session", "Zeile hinzugefügt"
    ("FAB-Titel", re.compile(r"^(?:List|Show|Edit|Add|Delete) [A-Z]\w+")),
    ("FAB-Meldung", re.compile(r"\bZeile (?:hinzugefügt|geändert)\b")),
    # one thing in the plural, or a plural in brackets ("1 Einträge", "0 Quartal(e)")
    (
        "Einzahl",
        re.compile(r"(?<![\d.,])1 (?:Einträge|Haushalte|Zeilen|Quartale|Fallakten|Personen)\b"),
    ),
    ("Klammerplural", re.compile(r"[a-zäöüß]\((?:e|n|en)\)(?!\w)")),
    # the county without its name ("Landkreis –")
    ("Landkreis ohne Namen", re.compile(r"\bLandkreis\s+[–-]")),
]

#: (endpoint, role key) → why it is not fixed yet
KNOWN: dict[tuple[str, str], str] = {}


def visible_text(page: str) -> list[str]:
    """Text nodes and accessible attribute texts of an HTML page, unescaped."""
    page = _COMMENT.sub(" ", _SCRIPT.sub(" ", page))
    attrs = [html_lib.unescape(a) for a in _ATTR.findall(page)]
    # values of form fields are input, not text: drop <textarea>/<option value> contents? keep
    # option labels (they are text) but not value="…" attributes (not matched above)
    nodes = [html_lib.unescape(t).strip() for t in _TAG.split(page)]
    return [t for t in nodes + attrs if t]


def findings(texts: list[str]) -> list[str]:
    out = []
    for text in texts:
        if text in ENGLISH:
            out.append(f"englisch: {text!r}")
            continue
        for name, pattern in CHECKS:
            m = pattern.search(text)
            if m:
                out.append(f"{name}: {m.group(0)!r} in {text[:80]!r}")
    return out


def _unspace(line: str) -> str:
    """pypdf reads some runs of the PDFs letter by letter ("S e l a m   H a i l e"): join them,
    so a raw value in such a run is still found."""
    tokens = line.split(" ")
    letters = [t for t in tokens if t]
    if len(letters) >= 4 and sum(len(t) == 1 for t in letters) / len(letters) > 0.7:
        return re.sub(r" {2,}", " ", re.sub(r"(?<=\S) (?=\S)", "", line)).strip()
    return line


def document_text(data: bytes, content_type: str) -> str:
    if "pdf" in content_type:
        from pypdf import PdfReader

        text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
        return "\n".join(_unspace(line) for line in text.splitlines())
    if "wordprocessingml" in content_type:
        import docx

        d = docx.Document(io.BytesIO(data))
        cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in d.paragraphs] + cells)
    return ""


def walk_texts(
    app: Flask, role_key: str, focus: dict[str, Any]
) -> dict[tuple[str, str], list[str]]:
    browser, api = _clients_for(app, ACCOUNTS[role_key][0])
    found: dict[tuple[str, str], list[str]] = {}
    pages = documents = 0
    for endpoint, url in _urls(app, focus):
        client = api if url.startswith("/api/") else browser
        resp = client.get(url)
        if resp.status_code != 200:
            continue
        ctype = resp.headers.get("Content-Type", "")
        if "text/html" in ctype:
            texts = visible_text(resp.get_data(as_text=True))
        elif "pdf" in ctype or "wordprocessingml" in ctype:
            texts = [line.strip() for line in document_text(resp.data, ctype).splitlines()]
            texts = [t for t in texts if t]
            documents += 1
        else:
            continue
        pages += 1
        problems = findings(texts)
        if problems:
            found[(endpoint, url)] = sorted(set(problems))[:8]
    assert pages >= 10, pages
    if role_key in ("fachkraft", "leitung"):
        assert documents >= 2, documents  # social report and CV (PDF/DOCX) were read
    return found


@pytest.mark.parametrize("role_key", list(ACCOUNTS))
def test_no_raw_value_on_any_page_of_the_role(app: Flask, role_key: str) -> None:
    focus = _load(app)
    found = walk_texts(app, role_key, focus)
    problems = []
    for (endpoint, url), items in sorted(found.items()):
        if (endpoint, role_key) in KNOWN:
            continue
        problems.append(f"{url} [{endpoint}]: " + "; ".join(items))
    endpoints = {e for e, _ in found}
    problems += [
        f"{key} steht in KNOWN, zeigt aber nichts Rohes mehr: Eintrag entfernen"
        for key in KNOWN
        if key[1] == role_key and key[0] not in endpoints
    ]
    assert not problems, f"{len(problems)} Seiten ({role_key}):\n" + "\n".join(problems)

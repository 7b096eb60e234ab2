"""E2E: a caseworker writes, finalises and downloads a Sozialbericht in Chromium (German UI)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations


class SocialReportPage:
    """Page object of the Sozialbericht pages."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base

    def create_for_first_person(self) -> str:
        self.page.goto(f"{self.base}/sozialbericht/neu?q=MSA-")
        button = self.page.get_by_role("button", name="Sozialbericht anlegen").first
        name = button.locator(".sr-only").inner_text().removeprefix(" für ").strip()
        button.click()
        self.page.wait_for_load_state("networkidle")
        return name

    def fill_all(self, text: str, recommendation: str) -> None:
        for area in self.page.locator("textarea[name^=criterion_]").all():
            area.fill(text)
        self.page.fill("#recommendation", recommendation)

    def finalise(self) -> None:
        self.page.once("dialog", lambda dialog: dialog.accept())
        self.page.get_by_role("button", name="Speichern und abschließen").click()
        self.page.wait_for_load_state("networkidle")


def test_caseworker_writes_finalises_and_downloads_report(
    live_server: str, page: Any, tmp_path: Path
) -> None:
    """Write → save → finalise → download PDF and DOCX; the final version is read-only."""
    LoginPage(page, live_server).login("fachkraft.caritas")
    reports = SocialReportPage(page, live_server)
    name = reports.create_for_first_person()
    assert page.locator("h1").inner_text().startswith("Sozialbericht – Entwurf")
    assert page.get_by_text("Kenntnisse der deutschen Sprache").is_visible()
    assert page.get_by_text("Hausordnung: Brandschutz").is_visible()
    assert axe_violations(page) == []

    reports.fill_all("Im Alltag zuverlässig und selbstständig.", "Der Umzug wird befürwortet.")
    page.get_by_role("button", name="Entwurf speichern").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Entwurf gespeichert.").is_visible()
    edit_url = page.url

    reports.finalise()
    assert "(Endfassung)" in page.locator("h1").inner_text()
    assert page.get_by_text("SHA-256").is_visible()

    with page.expect_download() as info:
        page.get_by_role("link", name="PDF herunterladen").click()
    pdf_path = tmp_path / "bericht.pdf"
    info.value.save_as(pdf_path)
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    assert "Sozialbericht" in text and "Der Umzug wird befürwortet." in text
    assert name.split()[-1] in text
    assert "ENTWURF" not in text

    with page.expect_download() as info:
        page.get_by_role("link", name="DOCX herunterladen").click()
    docx_path = tmp_path / "bericht.docx"
    info.value.save_as(docx_path)
    from docx import Document

    assert any("befürwortet" in p.text for p in Document(str(docx_path)).paragraphs) or any(
        "befürwortet" in c.text
        for t in Document(str(docx_path)).tables
        for r in t.rows
        for c in r.cells
    )

    # the final version cannot be changed through the UI
    page.goto(edit_url)
    assert page.get_by_text("kann nicht geändert werden").first.is_visible()
    assert page.locator("textarea").count() == 0

    # a change makes a new version
    page.get_by_role("button", name="Neue Version anlegen").click()
    page.wait_for_load_state("networkidle")
    assert "Version 2" in page.locator("h1").inner_text()

"""Tests for the document renderer (Sozialbericht R-5.1, Lebenslauf R-5.4) — PDF, DOCX, HTML."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import shutil
import socket
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader

from app.services.documents import (
    DEFAULT_TEMPLATE_DIR,
    DocumentTemplateError,
    LocalOnlyURLFetcher,
    render_docx,
    render_html,
    render_pdf,
)

ARABIC_NAME = "يوسف حداد"
CYRILLIC_NAME = "Олександр Шевченко"

CRITERIA = [
    (
        "Kenntnisse der deutschen Sprache",
        "Integrationskurs mit B1 abgeschlossen.\nVerständigt sich sicher.",
    ),
    ("Kenntnisse über und Akzeptanz der Gesellschaft", "Orientierungskurs bestanden."),
    (
        "Akzeptanz der Hausordnung im ÜWH (Hygiene, Reinigung, Mülltrennung, Brandschutz, "
        "sparsamer Umgang mit Ressourcen)",
        "Zimmer stets sauber; Mülltrennung wird eingehalten.",
    ),
    ("Akzeptanz und Toleranz gegenüber Nachbarn", "Keine Beschwerden."),
    ("Geordnete Tagesstruktur", "Regelmäßiger Kursbesuch."),
    ("Erkennbares Bemühen um eine Arbeit", "Bewerbungen bei drei Betrieben."),
    ("Keine anhängigen Strafverfahren", "Nach Kenntnis der Fachkraft keine."),
    ("Wirtschaftlicher Umgang mit Geld", "Keine Schulden bekannt."),
]
RECOMMENDATION = (
    "Der Umzug in eigenen Wohnraum in der Goethestraße wird uneingeschränkt befürwortet."
)


def social_report_context(status: str = "Entwurf") -> dict[str, Any]:
    """Return a sample Sozialbericht context with umlauts and an Arabic-script name."""
    return {
        "person": {
            "full_name": "Haddad, Yousef",
            "original_script_name": ARABIC_NAME,
            "birth_date": "03.07.1988",
            "nationality": "syrisch",
            "accommodation": "Übergangswohnheim Musterstadt, Zimmer 12",
            "address": "Straße der Einheit 4\n12345 Musterstadt",
            "household_members": [
                {
                    "full_name": "Haddad, Rania",
                    "birth_date": "12.01.1990",
                    "relationship": "Ehefrau",
                },
                {
                    "full_name": "Haddad, Lina",
                    "birth_date": dt.date(2016, 5, 5),
                    "relationship": "Tochter",
                },
            ],
        },
        "criteria": [{"label": label, "assessment": text} for label, text in CRITERIA],
        "recommendation": RECOMMENDATION,
        "author": {"name": "Müller, Jörg", "organisation": "Diakonie Musterkreis e. V."},
        "version": 2,
        "status": status,
        "date": "14.03.2025",
        "reference": "MSA-2025-0042",
    }


def cv_context() -> dict[str, Any]:
    """Return a sample Lebenslauf context with a Cyrillic name and umlauts."""
    return {
        "person": {
            "full_name": CYRILLIC_NAME,
            "birth_date": dt.date(1992, 11, 21),
            "nationality": "ukrainisch",
            "address": "Straße des Friedens 7, 12345 Musterstadt",
            "phone": "0151 2345678",
            "email": "o.shevchenko@example.org",
        },
        "languages": [
            {"language": "Ukrainisch", "level": "Muttersprache", "certificate": ""},
            {"language": "Deutsch", "level": "B1", "certificate": "Deutsch-Test für Zuwanderer"},
        ],
        "degrees": [
            {
                "kind": "Studium",
                "title": "Bachelor Maschinenbau",
                "institution": "Polytechnische Universität Kyjiw",
                "country": "Ukraine",
                "year": "2014",
                "recognition": "Anerkennung beantragt",
            }
        ],
        "employment": [
            {
                "employer": "Metallbau Schulze GmbH",
                "from": "09/2024",
                "to": "",
                "duties": "Helfer in der Fertigung",
            },
            {
                "employer": "Antonov Werk, Kyjiw",
                "from": "2015",
                "to": "2022",
                "duties": "Konstruktionsingenieur",
            },
        ],
        "courses": [
            {
                "title": "Integrationskurs",
                "provider": "VHS Musterkreis",
                "from": "03/2023",
                "to": "02/2024",
                "result": "B1",
            }
        ],
        "interests": ["Fußball", "Schach"],
        "date": "14.03.2025",
    }


def squash(text: str) -> str:
    """Drop whitespace and (soft) hyphens so line breaks and hyphenation do not matter."""
    return re.sub(r"[\s\-\u00ad\u2010]+", "", text)


def pdf_text(pdf: bytes) -> str:
    """Return the text of all pages of ``pdf``."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def docx_text(data: bytes) -> str:
    """Return the text of a DOCX: body paragraphs, tables, headers and footers."""
    document = Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(paragraph.text for paragraph in section.header.paragraphs)
        parts.extend(paragraph.text for paragraph in section.footer.paragraphs)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def report_pdf_text() -> str:
    return pdf_text(render_pdf("social_report", social_report_context()))


@pytest.fixture(scope="module")
def report_docx_text() -> str:
    return docx_text(render_docx("social_report", social_report_context()))


# ------------------------------------------------------------------ Sozialbericht


def test_social_report_pdf_contains_person_criteria_recommendation(report_pdf_text: str) -> None:
    """The Sozialbericht PDF names the person, assesses every criterion, recommends."""
    text = squash(report_pdf_text)
    assert squash("Haddad, Yousef") in text
    assert squash(ARABIC_NAME) in text
    for label, assessment in CRITERIA:
        assert squash(label) in text
        assert squash(assessment) in text
    assert squash(RECOMMENDATION) in text
    assert "Übergangswohnheim" in text
    assert "StraßederEinheit4" in text
    assert "05.05.2016" in text  # a date object is formatted the German way


def test_social_report_pdf_has_letterhead_and_page_numbers(report_pdf_text: str) -> None:
    """The Sozialbericht carries the county letterhead and "Seite X von Y" on every page."""
    normalised = re.sub(r"\s+", " ", report_pdf_text)
    assert "Landkreis Musterkreis" in normalised
    assert "Fachdienst Migration und Integration" in normalised
    assert "MSA-2025-0042" in normalised
    pages = re.findall(r"Seite (\d+) von (\d+)", normalised)
    assert pages[0] == ("1", pages[0][1])
    assert len(pages) == int(pages[0][1])


def test_social_report_draft_is_marked_and_final_is_not(report_pdf_text: str) -> None:
    """A draft shows ENTWURF; the final version (Endfassung) does not."""
    assert "ENTWURF" in report_pdf_text
    final = pdf_text(render_pdf("social_report", social_report_context(status="Endfassung")))
    assert "ENTWURF" not in final
    assert "Endfassung" in final


def test_social_report_docx_contains_person_criteria_recommendation(report_docx_text: str) -> None:
    """The Sozialbericht DOCX contains the same content as the PDF."""
    assert "Haddad, Yousef" in report_docx_text
    assert ARABIC_NAME in report_docx_text
    for label, assessment in CRITERIA:
        assert label in report_docx_text
        assert assessment in report_docx_text
    assert RECOMMENDATION in report_docx_text
    assert "Übergangswohnheim" in report_docx_text
    assert "Landkreis Musterkreis" in report_docx_text
    assert "ENTWURF" in report_docx_text
    assert "Haddad, Lina" in report_docx_text  # loop rows of the household table
    assert "{{" not in report_docx_text and "{%" not in report_docx_text


def test_social_report_docx_footer_has_page_fields() -> None:
    """The DOCX footer reads "Seite X von Y" through Word's PAGE and NUMPAGES fields."""
    data = render_docx("social_report", social_report_context())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        footers = [archive.read(name).decode() for name in archive.namelist() if "footer" in name]
    joined = "".join(footers)
    assert "Seite" in joined and " PAGE " in joined and " NUMPAGES " in joined


def test_social_report_docx_final_has_no_draft_marker() -> None:
    """The final DOCX (Endfassung) carries no ENTWURF marker."""
    text = docx_text(render_docx("social_report", social_report_context(status="Endfassung")))
    assert "ENTWURF" not in text
    assert "Version 2 · Endfassung" in text


# ------------------------------------------------------------------ Lebenslauf


def test_cv_pdf_contains_all_sections() -> None:
    """The Lebenslauf PDF lists languages, degrees, employment, courses and interests."""
    raw = pdf_text(render_pdf("cv", cv_context()))
    text = squash(raw)
    for expected in (
        CYRILLIC_NAME,
        "21.11.1992",
        "Deutsch-Test für Zuwanderer",
        "Bachelor Maschinenbau",
        "Anerkennung beantragt",
        "Metallbau Schulze GmbH",
        "09/2024 – heute",
        "Integrationskurs",
        "Fußball, Schach",
        "Straße des Friedens 7",
    ):
        assert squash(expected) in text, expected
    assert "Seite 1" in raw
    assert "ENTWURF" not in raw


def test_cv_docx_contains_all_sections() -> None:
    """The Lebenslauf DOCX contains the same data as the PDF."""
    text = docx_text(render_docx("cv", cv_context()))
    for expected in (
        CYRILLIC_NAME,
        "21.11.1992",
        "Deutsch-Test für Zuwanderer",
        "Bachelor Maschinenbau",
        "Polytechnische Universität Kyjiw, Ukraine",
        "Metallbau Schulze GmbH",
        "09/2024 – heute",
        "2015 – 2022",
        "Integrationskurs",
        "Fußball, Schach",
    ):
        assert expected in text, expected
    assert "{{" not in text and "{%" not in text


def test_cv_with_empty_lists_renders() -> None:
    """A Lebenslauf without employment, degrees or courses still renders."""
    context = cv_context()
    context.update(employment=[], degrees=[], courses=[], languages=[], interests="")
    assert "Keine Angaben." in docx_text(render_docx("cv", context))
    assert "Keine Angaben." in render_html("cv", context)
    assert pdf_text(render_pdf("cv", context)).count("Keine Angaben") == 4


# ------------------------------------------------------------------ escaping and safety


def test_html_escapes_markup_in_context() -> None:
    """Text from the case file is escaped: a <script> in a field never becomes markup."""
    context = social_report_context()
    context["recommendation"] = "<script>alert('x')</script> & mehr"
    context["criteria"][0]["label"] = "<b>fett</b>"
    context["person"]["full_name"] = '"><img src=x onerror=alert(1)>'
    html = render_html("social_report", context)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; mehr" in html
    assert "&lt;b&gt;fett&lt;/b&gt;" in html
    assert "<img src=x" not in html


def test_docx_escapes_xml_in_context() -> None:
    """Markup and control characters in text fields neither break nor inject into the DOCX."""
    context = social_report_context()
    context["recommendation"] = "Mieter & Vermieter <w:p/> \x07\x0b Ende"
    text = docx_text(render_docx("social_report", context))
    assert "Mieter & Vermieter <w:p/>  Ende" in text


def test_render_does_not_modify_context() -> None:
    """The caller's context is left untouched (no letterhead or defaults written into it)."""
    context = social_report_context()
    before = copy.deepcopy(context)
    render_html("social_report", context)
    render_docx("social_report", context)
    assert context == before


def test_url_fetcher_refuses_remote_and_outside_files(tmp_path: Path) -> None:
    """The URL fetcher serves only files of the template folder and data: URLs."""
    (tmp_path / "inside.css").write_text("p { color: red; }", encoding="utf-8")
    fetcher = LocalOnlyURLFetcher(tmp_path)
    for url in ("http://example.org/logo.png", "https://example.org/x.css", "ftp://example.org/f"):
        with pytest.raises(ValueError, match="nicht erlaubt"):
            fetcher.fetch(url)
    with pytest.raises(ValueError, match="außerhalb"):
        fetcher.fetch((tmp_path.parent / "secret.txt").as_uri())
    assert fetcher.refused[0] == "http://example.org/logo.png"
    assert len(fetcher.refused) == 4
    response = fetcher.fetch((tmp_path / "inside.css").as_uri())
    assert response.read() == b"p { color: red; }"
    response.close()
    data = fetcher.fetch("data:text/plain,hallo")
    assert data.read() == b"hallo"
    data.close()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Record (and block) every attempt to open a network connection."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield attempts


def test_remote_urls_in_templates_are_not_fetched(
    tmp_path: Path, no_network: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template that links http/https resources renders without any network access."""
    from app.services.documents.render import LocalOnlyURLFetcher

    refused: list[str] = []
    original = LocalOnlyURLFetcher.fetch

    def spy(self: LocalOnlyURLFetcher, url: str, headers: object = None) -> object:
        try:
            return original(self, url, headers)  # type: ignore[arg-type]
        except ValueError:
            refused.append(url)
            raise

    monkeypatch.setattr(LocalOnlyURLFetcher, "fetch", spy)
    template_dir = tmp_path / "documents"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, template_dir)
    (template_dir / "remote.html").write_text(
        '{% extends "base.html" %}\n'
        '{% block head %}<link rel="stylesheet" href="https://fonts.example.org/font.css">'
        "{% endblock %}\n"
        '{% block content %}<img src="http://example.org/logo.png" alt="">'
        "<p>Übergangswohnheim</p>{% endblock %}\n",
        encoding="utf-8",
    )
    pdf = render_pdf("remote", social_report_context(), template_dir=template_dir)
    assert no_network == []
    assert "Übergangswohnheim" in pdf_text(pdf)
    assert "http://example.org/logo.png" in refused
    assert "https://fonts.example.org/font.css" in refused


# ------------------------------------------------------------------ templates and configuration


def test_template_dir_is_configurable(tmp_path: Path) -> None:
    """A county's own template folder is used instead of the default one."""
    (tmp_path / "notice.html").write_text(
        "<html><body><p>{{ letterhead.county }}: {{ text }}</p></body></html>", encoding="utf-8"
    )
    (tmp_path / "letterhead.json").write_text('{"county": "Landkreis Beispiel"}', encoding="utf-8")
    html = render_html("notice", {"text": "Grüße"}, template_dir=tmp_path)
    assert "Landkreis Beispiel: Grüße" in html
    assert "Landkreis Beispiel" in pdf_text(
        render_pdf("notice", {"text": "x"}, template_dir=str(tmp_path))
    )


def test_letterhead_can_be_overridden_per_call() -> None:
    """The letterhead from letterhead.json can be overridden key by key in the context."""
    context = social_report_context()
    context["letterhead"] = {"county": "Landkreis Beispiel"}
    html = render_html("social_report", context)
    assert "Landkreis Beispiel" in html
    assert "Fachdienst Migration und Integration" in html  # default kept


@pytest.mark.parametrize(
    "name", ["../secret", "social_report/../../x", "", "Social Report", "missing"]
)
def test_invalid_or_missing_template_names_are_refused(name: str) -> None:
    """Only plain names of existing templates are accepted (no path traversal)."""
    with pytest.raises(DocumentTemplateError):
        render_html(name, {})
    with pytest.raises(DocumentTemplateError):
        render_docx(name, {})


def test_committed_docx_templates_match_generator(tmp_path: Path) -> None:
    """The committed .docx templates are what make_docx_templates.py produces."""
    from tools import make_docx_templates

    make_docx_templates.main([str(tmp_path)])
    for name in make_docx_templates.TEMPLATES:
        generated = Document(str(tmp_path / f"{name}.docx"))
        committed = Document(str(DEFAULT_TEMPLATE_DIR / f"{name}.docx"))
        assert generated.element.body.xml == committed.element.body.xml, name


def _fc_families() -> str:
    try:
        return subprocess.run(
            ["fc-list", ":", "family"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def test_pdf_embeds_installed_fonts_for_latin_and_arabic() -> None:
    """The PDF embeds Noto/DejaVu fonts from the system, including one for Arabic script."""
    families = _fc_families()
    if "Noto Sans Arabic" not in families and "Noto Naskh Arabic" not in families:
        pytest.skip("no Arabic font installed (Debian package fonts-noto-core)")
    reader = PdfReader(io.BytesIO(render_pdf("social_report", social_report_context())))
    fonts: set[str] = set()
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        for font in resources.get("/Font", {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("Noto-Sans" in font or "DejaVu" in font for font in fonts), fonts
    assert any("Arabic" in font for font in fonts), fonts


def test_pdf_stylesheet_parsed_once_renders_as_the_link() -> None:
    """The county stylesheet is parsed once per process and styles a PDF exactly as the
    ``<link>`` did: same pages, same text (running header and footer from its ``@page`` rules)."""
    import shutil
    import subprocess  # nosec B404 - pdftotext on a file we wrote

    from weasyprint import HTML

    from app.services.documents import render

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext fehlt")
    context = {"kind": "appointment"}
    directory = render.DEFAULT_TEMPLATE_DIR
    render._parsed_stylesheet.cache_clear()
    fast = render.render_pdf("social_report", context)
    fast_again = render.render_pdf("social_report", context)
    assert render._parsed_stylesheet.cache_info().hits >= 1
    html = render.render_html("social_report", context)
    assert '<link rel="stylesheet" href="document.css">' in html
    slow = HTML(
        string=html,
        base_url=directory.as_uri() + "/",
        url_fetcher=render.LocalOnlyURLFetcher(directory),
    ).write_pdf(font_config=render._font_config())

    def text(pdf: bytes) -> str:
        out = subprocess.run(  # nosec B603 B607
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        )
        return out.stdout.decode()

    assert text(fast) == text(slow) == text(fast_again)
    assert text(fast).count("\f") == text(slow).count("\f")


def _pages_text(pdf: bytes) -> list[str]:
    """The text of each page of ``pdf`` as pdftotext lays it out."""
    out = subprocess.run(  # nosec B603 B607 - pdftotext on bytes we rendered
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return out.stdout.decode().split("\f")[:-1]


def test_social_report_draft_keeps_header_footer_tables_and_criteria_in_order() -> None:
    """The lean draft layout (fixed tables, fixed header fields, no section per criterion,
    docs/performance.md) still prints what a Sozialbericht must: on every page the footer
    with the county and "Seite X von Y" and the draft mark at the top; from page 2 the running
    title; the household as a table row per member; each criterion's heading right before its
    text, in order."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext fehlt")
    context = social_report_context()
    context["criteria"] = [
        {"label": f"{label} ({round_})", "assessment": text}
        for round_ in ("erste Runde", "zweite Runde")
        for label, text in CRITERIA
    ]
    pages = _pages_text(render_pdf("social_report", context))
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert "ENTWURF – nicht zur Weitergabe" in page
        assert "Landkreis Musterkreis · Fachdienst Migration und Integration" in page
        assert f"Seite {number} von {len(pages)}" in page
    assert "Sozialbericht · Haddad, Yousef · Az. MSA-2025-0042 · Version 2" in pages[1]
    assert "Sozialbericht · Haddad" not in pages[0]  # the letterhead stands there instead
    # the letters of the rotated ENTWURF watermark come out as lines of their own
    lines = [
        line.strip()
        for line in "".join(pages).splitlines()
        if not re.fullmatch(r"(?:[ENTWURF] ?)+", line.strip())
    ]
    rows = [re.sub(r"\s{2,}", " | ", line) for line in lines]
    assert "Name | Geburtsdatum | Verhältnis" in rows
    assert "Haddad, Rania | 12.01.1990 | Ehefrau" in rows
    assert "Haddad, Lina | 05.05.2016 | Tochter" in rows
    assert "Name, Vorname | Haddad, Yousef" in rows
    body = squash("".join(lines))
    position = 0
    for item in context["criteria"]:
        heading = body.find(squash(item["label"]), position)
        assert heading >= position, item["label"]
        text = body.find(squash(item["assessment"].splitlines()[0]), heading)
        assert text > heading, item["label"]
        position = text


def test_pdf_render_pauses_the_garbage_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint lays a document out with the cyclic collector paused (no scans of the
    document's box tree, no full collection of the worker's heap in the middle of a PDF);
    afterwards it runs again — also after a failed render — and a collector switched off
    by someone else stays off."""
    import gc

    from weasyprint import HTML

    from app.services.documents import render

    seen: list[bool] = []
    real = HTML.write_pdf

    def spy(self: HTML, *args: Any, **kwargs: Any) -> bytes:
        seen.append(gc.isenabled())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(HTML, "write_pdf", spy)
    before = render._COLLECTOR_PAUSE.count
    assert gc.isenabled()
    pdf = render_pdf("social_report", social_report_context())
    assert pdf.startswith(b"%PDF")
    assert seen == [False]
    assert gc.isenabled()
    assert render._COLLECTOR_PAUSE.count == before + 1

    def broken(self: HTML, *args: Any, **kwargs: Any) -> bytes:
        seen.append(gc.isenabled())
        raise RuntimeError("kaputt")

    monkeypatch.setattr(HTML, "write_pdf", broken)
    with pytest.raises(RuntimeError):
        render_pdf("social_report", social_report_context())
    assert seen[-1] is False
    assert gc.isenabled()

    monkeypatch.setattr(HTML, "write_pdf", spy)
    gc.disable()
    try:
        render_pdf("social_report", social_report_context())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_collector_pause_is_counted_across_overlapping_renders() -> None:
    """Two renders in threads overlap: the collector resumes when the last one ends."""
    import gc

    from app.services.documents.render import _CollectorPause

    pause = _CollectorPause()
    pause.__enter__()
    pause.__enter__()
    assert not gc.isenabled()
    pause.__exit__(None, None, None)
    assert not gc.isenabled()
    pause.__exit__(None, None, None)
    assert gc.isenabled()
    assert pause.count == 2


def test_pdf_cpu_driver_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """The in-process driver of docs/performance.md renders the bench draft and reports
    min / p50 / p95 and the size."""
    from bench import pdf_cpu

    assert pdf_cpu.main(["--runs", "2"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"social_report: CPU min / p50 / p95 = \d+ / \d+ / \d+ ms over 2 renders", out)

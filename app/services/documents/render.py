"""Render documents (Sozialbericht, Lebenslauf, …) from plain data into HTML, PDF and DOCX.

The renderer knows nothing about models or Flask: the caller passes a plain ``dict``
context (built by a pure ``build_context(...)`` elsewhere) and gets bytes back.

Templates are files a county can adapt without touching code, by default in
``app/templates/documents/``:

* ``<name>.html`` — Jinja2 HTML (extending ``base.html``, styled by ``document.css``),
  rendered to PDF by WeasyPrint;
* ``<name>.docx`` — a Word file with Jinja placeholders, rendered by docxtpl;
* ``letterhead.json`` — the county's letterhead (name, department, address, …),
  merged into every context as ``letterhead``.

Nothing is fetched from the network: WeasyPrint gets a URL fetcher that only reads
``file:`` URLs inside the template directory and ``data:`` URLs; fonts come from
fontconfig (Debian packages fonts-noto-core and fonts-dejavu-core).
"""

from __future__ import annotations

import atexit
import copy
import datetime as dt
import gc
import io
import json
import re
import threading
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from docxtpl import DocxTemplate
from jinja2 import ChainableUndefined, Environment, FileSystemLoader, Undefined
from weasyprint import CSS, HTML
from weasyprint import css as weasyprint_css
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.dates import de_date, de_datetime_long, shown_date, shown_datetime_long
from app.i18n import english
from app.i18n_templates import GERMAN_ONLY

__all__ = [
    "DEFAULT_TEMPLATE_DIR",
    "DocumentTemplateError",
    "LocalOnlyURLFetcher",
    "format_date_de",
    "load_letterhead",
    "render_docx",
    "render_html",
    "render_pdf",
]

DEFAULT_TEMPLATE_DIR: Final[Path] = Path(__file__).resolve().parents[2] / "templates" / "documents"
"""Folder of the county-adaptable document templates (``app/templates/documents``)."""

LETTERHEAD_FILE: Final[str] = "letterhead.json"

_TEMPLATE_NAME_RE: Final[re.Pattern[str]] = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Characters that are illegal in XML 1.0 (a DOCX would be corrupt); tab/newline/CR stay.
_XML_ILLEGAL_RE: Final[re.Pattern[str]] = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LOCAL_SCHEMES: Final[frozenset[str]] = frozenset({"file", "data"})


class DocumentTemplateError(LookupError):
    """Raise when a document template name is invalid or its file is missing."""


class LocalOnlyURLFetcher(URLFetcher):
    """Fetch only local resources for WeasyPrint; refuse http, https, ftp and all others.

    ``file:`` URLs are served only from inside ``root`` (the template directory), so a
    template cannot read arbitrary files either; ``data:`` URLs are allowed. Every refused
    URL is recorded in :attr:`refused` (useful for tests and logging).
    """

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols=sorted(_LOCAL_SCHEMES), allow_redirects=False)
        self.root: Path = root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Return the local resource at ``url`` or raise ``ValueError`` for anything remote."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _LOCAL_SCHEMES:
            self.refused.append(url)
            raise ValueError(f"Externe Ressource nicht erlaubt (kein Netzabruf): {url}")
        if scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            if not path.is_relative_to(self.root):
                self.refused.append(url)
                raise ValueError(f"Datei außerhalb des Vorlagenordners nicht erlaubt: {url}")
        response: URLFetcherResponse = super().fetch(url, headers)
        return response


def format_date_de(value: object) -> str:
    """Format a date as ``TT.MM.JJJJ`` (``app.dates``); empty for no date, other text unchanged."""
    if value is None or isinstance(value, Undefined):
        return ""
    return de_date(value, "")


def _template_dir(template_dir: str | Path | None) -> Path:
    return Path(template_dir).resolve() if template_dir is not None else DEFAULT_TEMPLATE_DIR


def _template_path(template_name: str, suffix: str, template_dir: Path) -> Path:
    name = template_name.removesuffix(suffix)
    if not _TEMPLATE_NAME_RE.fullmatch(name):
        raise DocumentTemplateError(f"Ungültiger Vorlagenname: {template_name!r}")
    path = template_dir / f"{name}{suffix}"
    if not path.is_file():
        raise DocumentTemplateError(f"Vorlage nicht gefunden: {path}")
    return path


def load_letterhead(template_dir: str | Path | None = None) -> dict[str, Any]:
    """Return the county letterhead from ``letterhead.json`` in the template folder.

    Read once per process and file version (a changed file is read again)."""
    path = _template_dir(template_dir) / LETTERHEAD_FILE
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return {}
    return copy.deepcopy(_read_letterhead(str(path), stamp))


@lru_cache(maxsize=16)
def _read_letterhead(path: str, _stamp: int) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise DocumentTemplateError(f"{path} muss ein JSON-Objekt enthalten")
    return data


def _prepare_context(context: Mapping[str, Any], template_dir: Path) -> dict[str, Any]:
    """Return a copy of ``context`` with the letterhead defaults and ``today`` filled in."""
    prepared: dict[str, Any] = copy.deepcopy(dict(context))
    letterhead = load_letterhead(template_dir)
    letterhead.update(prepared.get("letterhead") or {})
    prepared["letterhead"] = letterhead
    prepared.setdefault(
        "today", shown_date(dt.date.today(), "") if english() else format_date_de(dt.date.today())
    )
    return prepared


def _environment(loader_dir: Path | None) -> Environment:
    """The environment of the request's language (German outside a request)."""
    return _language_environment(loader_dir, english())


@lru_cache(maxsize=8)
def _language_environment(loader_dir: Path | None, in_english: bool) -> Environment:
    """The Jinja environment of a template folder, one per process and language: templates
    are compiled once (and again when their file changes, Jinja's ``auto_reload``).

    In English the templates' German texts go through the catalogue as on the pages
    (``app/i18n_templates.py``) and dates read ``7 Dec 2026``; German documents are unchanged.
    """
    env = Environment(
        loader=FileSystemLoader(str(loader_dir)) if loader_dir is not None else None,
        autoescape=True,
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # ``date_de`` stays as the documents' name of the one date format: county-adapted
    # templates use it; empty for no date as a letter wants it
    env.filters["date_de"] = format_date_de
    from app.services.documents.formatting import decimal_de, month_de

    env.filters["de_date"] = de_date
    env.filters["berlin_datetime"] = de_datetime_long
    if in_english:
        from flask_babel import gettext, ngettext

        from app.i18n_templates import TemplateTexts

        env.add_extension("jinja2.ext.i18n")
        env.add_extension(TemplateTexts)
        env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
        env.globals["english_document"] = True
        from app.formatting import _finalize

        env.finalize = _finalize
        env.filters["date_de"] = lambda value: shown_date(value, "") if value else ""
        env.filters["de_date"] = shown_date
        env.filters["berlin_datetime"] = shown_datetime_long
    env.filters["month_de"] = month_de
    env.filters["decimal_de"] = decimal_de
    from app.formatting import plural

    env.filters["plural"] = plural
    return env


def render_html(
    template_name: str,
    context: Mapping[str, Any],
    template_dir: str | Path | None = None,
) -> str:
    """Render ``<template_name>.html`` with ``context`` into an HTML string (autoescaped)."""
    directory = _template_dir(template_dir)
    path = _template_path(template_name, ".html", directory)
    env = _environment(directory)
    if english() and GERMAN_ONLY in path.read_text(encoding="utf-8"):
        env = _language_environment(directory, False)  # a letter to a client stays German
    template = env.get_template(path.name)
    return template.render(_prepare_context(context, directory))


def render_pdf(
    template_name: str,
    context: Mapping[str, Any],
    template_dir: str | Path | None = None,
    *,
    tagged: bool = False,
) -> bytes:
    """Render ``<template_name>.html`` with ``context`` into PDF bytes via WeasyPrint.

    ``tagged``: a PDF/UA-1 file with structure tags (headings, paragraphs, lists, the language
    of each part) that a screen reader can follow — the letters to clients are tagged.
    """
    directory = _template_dir(template_dir)
    html = render_html(template_name, {**context, "preparsed_stylesheet": True}, directory)
    fetcher = LocalOnlyURLFetcher(directory)
    document = HTML(string=html, base_url=directory.as_uri() + "/", url_fetcher=fetcher)
    with _COLLECTOR_PAUSE:
        if tagged:
            pdf: bytes = document.write_pdf(font_config=_font_config(), pdf_variant="pdf/ua-1")
        else:
            pdf = document.write_pdf(font_config=_font_config())
    return pdf


class _CollectorPause:
    """The cyclic garbage collector held off while WeasyPrint lays out a document.

    A two-page PDF leaves ~14,000 tracked objects in cycles (the box tree, styles) that live
    until the document is written; meanwhile the collector ran ~14 young and one middle
    collection over them, promoted them to the oldest generation, and every ~10th PDF paid a
    full collection of the worker's heap (10–100 ms, the p95 of the draft Sozialbericht).
    Paused, they stay young and one collection of the youngest generation frees them right
    after the PDF.
    Counted, so concurrent renders in threads resume it once; a collector switched off by
    someone else stays off.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._resume = False
        #: pauses begun (for tests)
        self.count = 0

    def __enter__(self) -> None:
        with self._lock:
            if self._active == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._active += 1
            self.count += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._active -= 1
            resume = self._active == 0 and self._resume
            if resume:
                gc.enable()
        if resume:
            gc.collect(0)


#: one per process: the collector is a process-wide switch
_COLLECTOR_PAUSE: Final[_CollectorPause] = _CollectorPause()


# -- the county stylesheet, parsed once per process ----------------------------------------
#: the marker base.html writes instead of ``<link rel="stylesheet">`` when rendering a PDF
_MARKER: Final[str] = "msa-stylesheet"
_find_stylesheets = weasyprint_css.find_stylesheets


@lru_cache(maxsize=16)
def _parsed_stylesheet(path: str, _stamp: int) -> tuple[CSS, tuple[Any, ...]]:
    """``document.css`` parsed (selectors matched by a prepared matcher) with its ``@page``
    rules; again only when the file changes. It has no ``@font-face``, ``@counter-style`` or
    ``@layer``, so nothing of it depends on the document it styles."""
    root = Path(path).parent
    page_rules: list[Any] = []
    css = CSS(
        filename=path,
        url_fetcher=LocalOnlyURLFetcher(root),
        media_type="print",
        page_rules=page_rules,
    )
    return css, tuple(page_rules)


def _stylesheets_with_preparsed(
    wrapper_element: Any,
    device_media_type: str,
    url_fetcher: Any,
    base_url: str | None,
    font_config: Any,
    counter_style: Any,
    color_profiles: Any,
    page_rules: list[Any],
    layers: Any,
) -> Iterator[CSS]:
    """WeasyPrint's author stylesheets of a document, with the marked stylesheet taken from
    :func:`_parsed_stylesheet` instead of parsed again (~20 ms of every PDF); source order is
    kept (the marker stands where the ``<link>`` stood, before the templates' ``<style>``)."""
    for wrapper in wrapper_element.query_all("meta"):
        element = wrapper.etree_element
        if element.get("name") != _MARKER or not base_url:
            continue
        root = Path(unquote(urlsplit(base_url).path))
        path = (root / str(element.get("content", ""))).resolve()
        if path.is_relative_to(root.resolve()) and path.suffix == ".css" and path.is_file():
            css, rules = _parsed_stylesheet(str(path), path.stat().st_mtime_ns)
            page_rules.extend(rules)
            yield css
    yield from _find_stylesheets(
        wrapper_element,
        device_media_type,
        url_fetcher,
        base_url,
        font_config,
        counter_style,
        color_profiles,
        page_rules,
        layers,
    )


weasyprint_css.find_stylesheets = _stylesheets_with_preparsed

_ENGINE = threading.local()
_ALL_FONTS: list[FontConfiguration] = []


@atexit.register
def _release_fonts() -> None:
    """Free the font configurations before the interpreter tears the libraries down (pango and
    fontconfig objects finalised after them crash the process on exit)."""
    _ALL_FONTS.clear()
    if hasattr(_ENGINE, "fonts"):
        del _ENGINE.fonts
    gc.collect()


def _font_config() -> FontConfiguration:
    """The font configuration of this thread, made once: fonts and their shaping data are
    loaded for the first PDF only (the templates use system fonts, no ``@font-face``, so
    nothing accumulates). Images are not kept: a document's data URLs are its own."""
    fonts: FontConfiguration | None = getattr(_ENGINE, "fonts", None)
    if fonts is None:
        fonts = _ENGINE.fonts = FontConfiguration()
        _ALL_FONTS.append(fonts)
    return fonts


#: the PDF documents a worker renders on demand (their fonts and styles are warmed up)
WARM_UP_TEMPLATES = ("social_report", "cv")


def warm_up(template_dir: str | Path | None = None) -> None:
    """Render each PDF template once, empty, to load its fonts (Latin, Arabic) and styles.

    The first PDF of a kind in a process pays for loading fonts, shaping tables and the CSS
    engine (~200–500 ms); a server calls this once per worker at start (gunicorn.conf.py) so
    no user waits for it.
    """
    for name in WARM_UP_TEMPLATES:
        render_pdf(name, {}, template_dir)


def _clean_for_xml(value: Any) -> Any:
    """Return ``value`` with XML-illegal control characters removed from all strings."""
    if isinstance(value, str):
        return _XML_ILLEGAL_RE.sub("", value)
    if isinstance(value, Mapping):
        return {key: _clean_for_xml(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_for_xml(item) for item in value]
    return value


def render_docx(
    template_name: str,
    context: Mapping[str, Any],
    template_dir: str | Path | None = None,
) -> bytes:
    """Render ``<template_name>.docx`` with ``context`` into DOCX bytes via docxtpl."""
    directory = _template_dir(template_dir)
    path = _template_path(template_name, ".docx", directory)
    document = DocxTemplate(str(path))
    prepared = _clean_for_xml(_prepare_context(context, directory))
    document.render(prepared, jinja_env=_environment(None), autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

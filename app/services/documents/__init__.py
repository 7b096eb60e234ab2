"""Document generation (Dokumente): Sozialbericht, Lebenslauf, … as PDF and DOCX from plain data."""

from app.services.documents.render import (
    DEFAULT_TEMPLATE_DIR,
    DocumentTemplateError,
    LocalOnlyURLFetcher,
    format_date_de,
    load_letterhead,
    render_docx,
    render_html,
    render_pdf,
)

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

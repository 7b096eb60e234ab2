"""Generate the DOCX templates (``social_report.docx``, ``cv.docx``) for docxtpl.

The generated files are committed in ``app/templates/documents/``; a county may edit them in
Word directly (keeping the ``{{ … }}`` and ``{%tr … %}`` placeholders) or change this script
and run it again::

    .venv/bin/python -m tools.make_docx_templates [TARGET_DIR]

The placeholders use the same context keys as the HTML templates (see docs/documents.md).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Inches, Length, Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from app.services.documents.render import DEFAULT_TEMPLATE_DIR

# Arial is present on every office PC of the county (Windows) and covers Latin with umlauts,
# Cyrillic and Arabic; LibreOffice on Debian substitutes the metric-compatible Liberation Sans.
# The PDF path does not use this: it takes Noto Sans / DejaVu Sans via fontconfig.
FONT: Final[str] = "Arial"
ACCENT: Final[RGBColor] = RGBColor(0x1F, 0x4E, 0x79)
DRAFT_RED: Final[RGBColor] = RGBColor(0xB0, 0x00, 0x20)
GREY: Final[RGBColor] = RGBColor(0x55, 0x55, 0x55)
HEADER_FILL: Final[str] = "E8EEF4"
TEXT_WIDTH: Final[Length] = Mm(165)  # A4 (210 mm) less 25 mm left and 20 mm right margin

NOT_FINAL: Final[str] = 'status != "Endfassung"'
FOOTER_ADDRESS: Final[str] = (
    "{{ letterhead.county }} · {{ letterhead.department }} · {{ letterhead.street }} · "
    "{{ letterhead.postal_code }} {{ letterhead.city }}"
    "{% if letterhead.phone %} · Tel. {{ letterhead.phone }}{% endif %}"
)


# ---------------------------------------------------------------- low-level helpers


def _set_run_font(element_rpr: BaseOxmlElement, size: float | None = None) -> None:
    """Set ``FONT`` for all scripts (ASCII, East Asian, complex script) on a ``w:rPr``."""
    fonts = element_rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        element_rpr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            element = element_rpr.find(qn(tag))
            if element is None:
                element = OxmlElement(tag)
                element_rpr.append(element)
            element.set(qn("w:val"), str(int(size * 2)))


def _add_field(paragraph: Paragraph, instruction: str) -> None:
    """Append a Word field (e.g. ``PAGE``, ``NUMPAGES``) to ``paragraph``."""

    def fld_char(kind: str) -> BaseOxmlElement:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    run = paragraph.add_run()
    run._r.append(fld_char("begin"))
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    run = paragraph.add_run()
    run._r.append(fld_char("separate"))
    paragraph.add_run("1")
    run = paragraph.add_run()
    run._r.append(fld_char("end"))


def _right_tab(paragraph: Paragraph) -> None:
    """Replace the centre/right tab stops of the Header/Footer style by one at the right margin."""
    stops = paragraph.paragraph_format.tab_stops
    for position in (Inches(3.25), Inches(6.5)):
        stops.add_tab_stop(position, WD_TAB_ALIGNMENT.CLEAR)
    stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)


def _shade(cell: _Cell, fill: str) -> None:
    """Give ``cell`` a background colour."""
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _borders(table: Table, *, visible: bool) -> None:
    """Draw thin grey horizontal rules between rows, or no borders at all."""
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        show = visible and edge in ("top", "bottom", "insideH")
        element.set(qn("w:val"), "single" if show else "nil")
        if show:
            element.set(qn("w:sz"), "4")
            element.set(qn("w:color"), "BBBBBB")
        borders.append(element)
    properties.append(borders)


def _repeat_header(table: Table) -> None:
    """Repeat the first row of ``table`` on every page."""
    row_properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row_properties.append(header)


def _para(
    container: DocxDocument | _Cell,
    text: str = "",
    *,
    bold: bool = False,
    size: float | None = None,
    color: RGBColor | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
    space_after: float | None = None,
    style: str | None = None,
) -> Paragraph:
    """Add a paragraph with one run formatted as given."""
    paragraph = container.add_paragraph(style=style)
    if text:
        run = paragraph.add_run(text)
        run.bold = bold
        if size is not None:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color
    if align is not None:
        paragraph.alignment = align
    if space_after is not None:
        paragraph.paragraph_format.space_after = Pt(space_after)
    return paragraph


def _cell_text(
    cell: _Cell, text: str, *, bold: bool = False, size: float | None = None
) -> Paragraph:
    """Write ``text`` into the (empty) first paragraph of ``cell``."""
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    if size is not None:
        run.font.size = Pt(size)
    paragraph.paragraph_format.space_after = Pt(0)
    return paragraph


def _heading(document: DocxDocument, text: str) -> Paragraph:
    """Add a section heading in the accent colour."""
    return document.add_paragraph(text, style="Heading 2")


def _key_value_table(document: DocxDocument, rows: Sequence[tuple[str, str, str | None]]) -> Table:
    """Add a two-column label/value table; a row with a condition gets ``{%tr if %}`` rows."""
    table = document.add_table(rows=0, cols=2)
    _borders(table, visible=True)
    for label, value, condition in rows:
        if condition:
            _cell_text(table.add_row().cells[0], f"{{%tr if {condition} %}}")
        cells = table.add_row().cells
        _cell_text(cells[0], label).runs[0].font.color.rgb = GREY
        _cell_text(cells[1], value)
        if condition:
            _cell_text(table.add_row().cells[0], "{%tr endif %}")
    _widths(table, [Cm(5.0), Cm(11.0)])
    return table


def _loop_table(
    document: DocxDocument,
    headers: Sequence[str],
    loop: str,
    cells: Sequence[str],
    widths: Sequence[int],
    empty: str = "Keine Angaben.",
) -> Table:
    """Add a table with a header row, one ``{%tr for … %}`` row per item and an ``else`` row.

    A cell template starting with ``**`` has a bold first line; ``\n`` starts a new paragraph.
    """
    table = document.add_table(rows=1, cols=len(headers))
    _borders(table, visible=True)
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        _cell_text(cell, header, bold=True, size=8.5)
        _shade(cell, HEADER_FILL)
    _repeat_header(table)
    _cell_text(table.add_row().cells[0], f"{{%tr for {loop} %}}")
    row = table.add_row().cells
    for cell, template in zip(row, cells, strict=True):
        lines = template.split("\n")
        paragraph = _cell_text(cell, lines[0], bold=template.startswith("**"))
        if template.startswith("**"):
            paragraph.runs[0].text = lines[0].strip("*")
        for line in lines[1:]:
            _cell_text_extra(cell, line)
    _cell_text(table.add_row().cells[0], "{%tr else %}")
    empty_row = table.add_row().cells
    _cell_text(empty_row[0], empty).runs[0].italic = True
    if len(empty_row) > 1:
        empty_row[0].merge(empty_row[-1])
    _cell_text(table.add_row().cells[0], "{%tr endfor %}")
    _widths(table, widths)
    return table


def _cell_text_extra(cell: _Cell, text: str) -> None:
    """Add a further paragraph to ``cell``."""
    paragraph = cell.add_paragraph()
    paragraph.add_run(text)
    paragraph.paragraph_format.space_after = Pt(0)


def _widths(table: Table, widths: Sequence[int]) -> None:
    """Fix the column widths of ``table``."""
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for column, width in zip(table.columns, widths, strict=False):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width


# ---------------------------------------------------------------- document skeleton


def _new_document(title: str) -> DocxDocument:
    """Return an A4 document with the house style (margins, font, headings)."""
    document = Document()
    section = document.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(20), Mm(25)
    section.left_margin, section.right_margin = Mm(25), Mm(20)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)

    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    _set_run_font(normal.element.get_or_add_rPr(), 10.5)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.15
    for name, size in (("Title", 18), ("Heading 1", 15), ("Heading 2", 12), ("Heading 3", 10.5)):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = ACCENT if name != "Heading 3" else RGBColor(0x11, 0x11, 0x11)
        _set_run_font(style.element.get_or_add_rPr(), size)
        style.paragraph_format.space_before = Pt(10 if name == "Heading 2" else 4)
        style.paragraph_format.space_after = Pt(4)
        style.paragraph_format.keep_with_next = True
    document.core_properties.title = title
    document.core_properties.author = "{{ letterhead.county }}"
    document.core_properties.comments = "Erzeugt mit MSA-Portal"
    return document


def _footer(document: DocxDocument, left_text: str) -> None:
    """Write the footer: ``left_text`` and "Seite X von Y" (Word fields PAGE / NUMPAGES)."""
    footer = document.sections[0].footer
    paragraph = footer.paragraphs[0]
    _right_tab(paragraph)
    run = paragraph.add_run(left_text)
    run.font.size = Pt(7.5)
    run.font.color.rgb = GREY
    paragraph.add_run("\tSeite ")
    _add_field(paragraph, "PAGE")
    paragraph.add_run(" von ")
    _add_field(paragraph, "NUMPAGES")
    for run in paragraph.runs:
        if run.font.size is None:
            run.font.size = Pt(8)


def _signature(document: DocxDocument, place_date: str, signer_lines: Sequence[str]) -> None:
    """Add place, date, a signature line and the signer's name."""
    place = _para(document, place_date, space_after=30)
    place.paragraph_format.space_before = Pt(18)
    place.paragraph_format.keep_with_next = True
    _para(document, "_" * 40, space_after=0, color=GREY).paragraph_format.keep_with_next = True
    for index, line in enumerate(signer_lines, start=1):
        signer = _para(document, line, space_after=0, size=9.5)
        signer.paragraph_format.keep_with_next = index < len(signer_lines)


# ---------------------------------------------------------------- Sozialbericht


def build_social_report() -> DocxDocument:
    """Return the Sozialbericht template (R-5.1) with docxtpl placeholders."""
    document = _new_document("Sozialbericht – {{ person.full_name }}")

    header = document.sections[0].header.paragraphs[0]
    _right_tab(header)
    run = header.add_run("{{ letterhead.county }}")
    run.bold, run.font.size, run.font.color.rgb = True, Pt(14), ACCENT
    run = header.add_run(f"\t{{% if {NOT_FINAL} %}}ENTWURF – nicht zur Weitergabe{{% endif %}}")
    run.bold, run.font.size, run.font.color.rgb = True, Pt(9), DRAFT_RED
    department = document.sections[0].header.add_paragraph("{{ letterhead.department }}")
    department.runs[0].font.size = Pt(10.5)
    _footer(document, FOOTER_ADDRESS)

    # Anschriftfeld (links) und Informationsblock (rechts), DIN 5008.
    zone = document.add_table(rows=1, cols=2)
    _borders(zone, visible=False)
    left, right = zone.rows[0].cells
    _cell_text(
        left,
        "{{ letterhead.county }} · {{ letterhead.street }} · "
        "{{ letterhead.postal_code }} {{ letterhead.city }}",
        size=7,
    ).runs[0].font.color.rgb = GREY
    _cell_text_extra(
        left, '{{ (recipient or letterhead.social_report_recipient or [])|join("\\n") }}'
    )
    info = [
        ("Aktenzeichen", "{{ reference }}"),
        ("Bearbeitet von", "{{ author.name }}"),
        ("Träger", "{{ author.organisation }}"),
        ("Telefon", "{{ author.phone }}"),
        ("E-Mail", "{{ author.email }}"),
        ("Fassung", '{{ "Version %s · %s"|format(version, status or "Entwurf") }}'),
        ("Datum", "{{ (date or today)|date_de }}"),
    ]
    for index, (label, value) in enumerate(info):
        paragraph = right.paragraphs[0] if index == 0 else right.add_paragraph()
        paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(2.6))
        paragraph.paragraph_format.space_after = Pt(0)
        label_run = paragraph.add_run(f"{label}\t")
        label_run.font.size, label_run.font.color.rgb = Pt(8.5), GREY
        value_run = paragraph.add_run(value)
        value_run.font.size = Pt(8.5)
        value_run.bold = label == "Datum"
    _widths(zone, [Mm(90), Mm(75)])

    _para(document, "")
    _para(document, f"{{%p if {NOT_FINAL} %}}")
    _para(
        document,
        "ENTWURF – nicht zur Weitergabe bestimmt",
        bold=True,
        color=DRAFT_RED,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _para(document, "{%p endif %}")

    document.add_paragraph("Sozialbericht", style="Title")
    _para(
        document,
        "zur Wohnfähigkeit außerhalb der Gemeinschaftsunterkunft "
        "(Antrag auf Umzug in eigenen Wohnraum)",
        color=GREY,
    )

    _heading(document, "Angaben zur Person")
    _key_value_table(
        document,
        [
            ("Name, Vorname", "{{ person.full_name }}", None),
            (
                "Name in Originalschrift",
                "{{ person.original_script_name }}",
                "person.original_script_name",
            ),
            ("Geburtsdatum", "{{ person.birth_date|date_de }}", None),
            ("Staatsangehörigkeit", "{{ person.nationality }}", None),
            ("Unterkunft", "{{ person.accommodation }}", "person.accommodation"),
            ("Anschrift", "{{ person.address }}", "person.address"),
        ],
    )

    document.add_paragraph("Haushaltsangehörige", style="Heading 3")
    _loop_table(
        document,
        ["Name", "Geburtsdatum", "Verhältnis"],
        "member in person.household_members",
        [
            "{{ member.full_name if member is mapping else member }}",
            "{{ member.birth_date|date_de }}",
            "{{ member.relationship }}",
        ],
        [Cm(7.0), Cm(4.0), Cm(5.0)],
        empty="Keine weiteren Haushaltsangehörigen.",
    )

    _heading(document, "Einschätzung der Wohnkompetenzen")
    _loop_table(
        document,
        ["Kriterium", "Einschätzung"],
        "criterion in criteria",
        [
            "**{{ loop.index }}. {{ criterion.label }}",
            "{{ criterion.assessment or 'Keine Angabe.' }}",
        ],
        [Cm(6.0), Cm(10.0)],
    )

    # the flat offer and its KdU check, as the PDF prints it (only when an offer is recorded)
    _para(document, "{%p if kdu_offer %}")
    _heading(document, "Wohnungsangebot und Kosten der Unterkunft")
    _key_value_table(
        document,
        [
            ("Angebot vom", "{{ kdu_offer.date }}", None),
            ("Gebiet", "{{ kdu_offer.area }}", None),
            ("Haushaltsgröße", "{{ kdu_offer.household_size }}", None),
            ("Bruttokaltmiete", "{{ kdu_offer.rent }}", None),
            ("Heizkosten", "{{ kdu_offer.heating }}", None),
            ("Ergebnis der Prüfung", "{{ kdu_offer.verdict }}", None),
            ("Angewandte Regel", "{{ kdu_offer.rule }}", None),
        ],
    )
    _para(document, "{%p endif %}")

    _heading(document, "Empfehlung")
    _para(document, "{{ recommendation }}").paragraph_format.keep_with_next = True

    _signature(
        document,
        "{{ letterhead.city }}, {{ (date or today)|date_de }}",
        [
            "{{ author.name }}",
            "Fachkraft der Migrationssozialarbeit",
            "{{ author.organisation }}",
        ],
    )
    return document


# ---------------------------------------------------------------- Lebenslauf


def build_cv() -> DocxDocument:
    """Return the Lebenslauf template (R-5.4) with docxtpl placeholders (no county letterhead)."""
    document = _new_document("Lebenslauf – {{ person.full_name }}")
    header = document.sections[0].header.paragraphs[0]
    run = header.add_run("Lebenslauf · {{ person.full_name }}")
    run.font.size, run.font.color.rgb = Pt(8), GREY
    _footer(document, "Lebenslauf · {{ person.full_name }}")

    _para(document, "LEBENSLAUF", size=9, color=GREY, space_after=0)
    document.add_paragraph("{{ person.full_name }}", style="Title")
    _para(
        document,
        "{{ person.address }}{% if person.phone %} · Tel. {{ person.phone }}{% endif %}"
        "{% if person.email %} · {{ person.email }}{% endif %}",
        size=9,
    )

    _heading(document, "Persönliche Daten")
    _key_value_table(
        document,
        [
            ("Name", "{{ person.full_name }}", None),
            (
                "Name in Originalschrift",
                "{{ person.original_script_name }}",
                "person.original_script_name and person.original_script_name != person.full_name",
            ),
            ("Geburtsdatum", "{{ person.birth_date|date_de }}", None),
            ("Staatsangehörigkeit", "{{ person.nationality }}", None),
            ("Anschrift", "{{ person.address }}", "person.address"),
            ("Telefon", "{{ person.phone }}", "person.phone"),
            ("E-Mail", "{{ person.email }}", "person.email"),
        ],
    )

    period = (
        "{{ %s['from'] }}{%% if %s['to'] %%} – {{ %s['to'] }}"
        "{%% elif %s['from'] %%} – heute{%% endif %%}"
    )
    _heading(document, "Berufserfahrung")
    _loop_table(
        document,
        ["Zeitraum", "Arbeitgeber und Tätigkeit"],
        "job in employment",
        [period % (("job",) * 4), "**{{ job.employer }}\n{{ job.duties }}"],
        [Cm(4.0), Cm(12.0)],
    )

    _heading(document, "Schul-, Berufs- und Studienabschlüsse")
    _loop_table(
        document,
        ["Art", "Abschluss", "Einrichtung, Land", "Jahr", "Anerkennung in Deutschland"],
        "degree in degrees",
        [
            "{{ degree.kind }}",
            "{{ degree.title }}",
            "{{ degree.institution }}{% if degree.institution and degree.country %}, {% endif %}"
            "{{ degree.country }}",
            "{{ degree.year }}",
            "{{ degree.recognition }}",
        ],
        [Cm(2.6), Cm(3.6), Cm(4.2), Cm(1.4), Cm(4.2)],
    )

    _heading(document, "Sprachkenntnisse")
    _loop_table(
        document,
        ["Sprache", "Niveau", "Nachweis"],
        "lang in languages",
        ["{{ lang.language }}", "{{ lang.level }}", "{{ lang.certificate }}"],
        [Cm(4.0), Cm(3.5), Cm(8.5)],
    )

    _heading(document, "Integrations- und Sprachkurse")
    _loop_table(
        document,
        ["Zeitraum", "Kurs"],
        "course in courses",
        [
            period % (("course",) * 4),
            "**{{ course.title }}\n{{ course.provider }}"
            "{% if course.provider and course.result %} · {% endif %}{{ course.result }}",
        ],
        [Cm(4.0), Cm(12.0)],
    )

    _para(document, "{%p if interests %}")
    _heading(document, "Interessen")
    _para(document, '{{ interests if interests is string else interests|join(", ") }}')
    _para(document, "{%p endif %}")

    _signature(
        document,
        "{{ place or letterhead.city }}, {{ (date or today)|date_de }}",
        ["{{ person.full_name }}"],
    )
    return document


TEMPLATES: Final = {"social_report": build_social_report, "cv": build_cv}


def main(argv: Sequence[str] | None = None) -> int:
    """Write all DOCX templates into the target folder (default: the template folder)."""
    args = list(sys.argv[1:] if argv is None else argv)
    target = Path(args[0]) if args else DEFAULT_TEMPLATE_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name, build in TEMPLATES.items():
        path = target / f"{name}.docx"
        build().save(str(path))
        print(f"geschrieben: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

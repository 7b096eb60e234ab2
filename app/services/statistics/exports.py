"""Exports of the Anlage-1 figures: flat rows, CSV, XLSX and PDF — the same numbers as the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from app.services.documents.formatting import decimal_de, month_de
from app.services.statistics.counting import FIGURE_LABELS, FIGURES, Quarter

# Flat rows for exports -------------------------------------------------------------------


def export_rows(stats: Mapping[str, Any]) -> list[list[Any]]:
    """Return the figures as a table: header, one row per caseworker and month, totals."""
    header = ["Fachkraft", "Monat", *(FIGURE_LABELS[f] for f in FIGURES)]
    rows: list[list[Any]] = [header]
    for cw in stats["caseworkers"]:
        for key, figures in cw["months"].items():
            rows.append([cw["username"], month_de(key), *(figures[f] for f in FIGURES)])
    for key, figures in stats["totals_by_month"].items():
        rows.append(["Summe", month_de(key), *(figures[f] for f in FIGURES)])
    rows.append(["Summe", "Quartal", *(stats["totals"][f] for f in FIGURES)])
    return rows


def indicator_rows(stats: Mapping[str, Any]) -> list[list[Any]]:
    """Return the indicators as label/value rows."""
    ind = stats["indicators"]
    return [
        ["Abgeschlossene Integrationskurse", ind["completed_courses"]],
        ["Übergänge in eigenen Wohnraum", ind["own_housing"]],
        ["Regelmäßig anwesende Personen (im Quartal betreut)", ind["persons_present"]],
        ["VZÄ (Mittel des Quartals)", ind["fte"]],
        ["Personen je VZÄ (Schlüssel 1:80)", ind["caseload_per_fte"]],
    ]


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas: prefix text starting with = + - @ with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(stats: Mapping[str, Any]) -> str:
    """Return the figures and indicators as CSV (semicolon, as German spreadsheets expect)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            safe_cell(f"Anlage 1 – {stats['organisation']}"),
            Quarter(stats["year"], stats["quarter"]).label,
        ]
    )
    for row in export_rows(stats):
        writer.writerow([safe_cell(c) for c in row])
    for label, value in indicator_rows(stats):
        shown = decimal_de(value) if isinstance(value, float) or value is None else value
        writer.writerow([safe_cell(label), safe_cell(shown)])
    return buf.getvalue()


def to_xlsx(stats: Mapping[str, Any]) -> bytes:
    """Return the figures and indicators as an XLSX workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Anlage 1"
    ws.append(
        [
            safe_cell(f"Anlage 1 – {stats['organisation']}"),
            Quarter(stats["year"], stats["quarter"]).label,
        ]
    )
    ws["A1"].font = Font(bold=True)
    for row in export_rows(stats):
        ws.append([safe_cell(c) for c in row])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    ind = wb.create_sheet("Indikatoren")
    for row in indicator_rows(stats):
        ind.append([safe_cell(c) for c in row])
        if isinstance(row[1], float):
            ind.cell(row=ind.max_row, column=2).number_format = "0.0"  # shown as 12,5 in German
    for sheet in (ws, ind):
        sheet.column_dimensions["A"].width = 40
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_pdf(stats: Mapping[str, Any], status_label: str | None = None) -> bytes:
    """Return the figures as a PDF (template app/templates/documents/quarterly_statistics.html)."""
    from app.services.documents import render_pdf

    return render_pdf(
        "quarterly_statistics",
        {
            "stats": stats,
            "period_label": Quarter(stats["year"], stats["quarter"]).label,
            "figures": FIGURES,
            "figure_labels": FIGURE_LABELS,
            "indicator_rows": indicator_rows(stats),
            "status_label": status_label,
        },
    )

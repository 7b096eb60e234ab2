"""Assignment lists as counties have them: written by openpyxl, re-saved by LibreOffice
(``soffice --headless --convert-to``) and as Windows-1252 CSV — merged cells, title and footer
lines, nationality adjectives and legal references, families all or nothing, parsed values in
the preview, counts in rows, wrong encodings flagged, control characters refused at analysis,
bounded reading (declared sizes), the analysis stored once per upload."""

from __future__ import annotations

import io
import re
import shutil
import subprocess  # nosec B404 - the test converts its own files with LibreOffice
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Accommodation, AccommodationKind, AssignmentImport, Household, Person
from app.security import matrix
from app.services.intake import aliases, import_table
from app.services.intake import assignment_import as imp

HEADER = [
    "Name",
    "Vorname",
    "Geburtsdatum",
    "Staatsangehörigkeit",
    "Unterkunft",
    "Familien-Nr.",
    "Aufenthaltsstatus",
]


def _setup(app: Flask) -> dict[str, int]:
    from tests import factories

    with app.app_context():
        a = factories.make_org("Caritas Test")
        b = factories.make_org("Diakonie Test")
        db.session.add_all(
            [
                Accommodation(
                    name="ÜWH Lindenweg", kind=AccommodationKind.transitional_home, operator_id=a.id
                ),
                Accommodation(
                    name="GU Am Hang", kind=AccommodationKind.shared_accommodation, operator_id=b.id
                ),
            ]
        )
        db.session.commit()
        return {"a": a.id, "b": b.id}


def _family_workbook() -> bytes:
    """A foreigners' authority list: merged title, family number merged over three rows,
    a footer line."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Zuweisungsliste Landkreis – Dezember"])
    ws.merge_cells("A1:G1")
    ws.append(HEADER)
    ws.append(
        ["Rahimi", "Ahmad", "03.04.1980", "afghanisch", "ÜWH Lindenweg", "F-7", "§ 24 AufenthG"]
    )
    ws.append(
        [
            "Rahimi",
            "Zahra",
            "12.05.19",
            "afghanische",
            "ÜWH Lindenweg",
            None,
            "AE § 25 Abs. 2 S. 1 Alt. 1 AufenthG",
        ]
    )
    ws.append(["Rahimi", "Omid", 29677, "Afghanistan", "ÜWH Lindenweg", None, None])
    ws.merge_cells("F3:F5")
    ws.append([])
    ws.append(["Summe: 3 Personen"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _libreoffice(content: bytes, tmp_path: Path) -> bytes:
    """Re-save a workbook with LibreOffice: xlsx → ods → xlsx."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice fehlt: make test installiert libreoffice-calc-nogui"
    src = tmp_path / "liste.xlsx"
    src.write_bytes(content)
    profile = f"-env:UserInstallation=file://{tmp_path}/lo-profile"
    for target, source in (("ods", src), ("xlsx", tmp_path / "ods" / "liste.ods")):
        out = tmp_path / target
        subprocess.run(  # nosec B603 - fixed arguments, own files
            [
                soffice,
                profile,
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(out),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    return (tmp_path / "xlsx" / "liste.xlsx").read_bytes()


@pytest.mark.parametrize("writer", ["openpyxl", "libreoffice"])
def test_merged_family_number_footer_and_aliases(app: Flask, tmp_path: Path, writer: str) -> None:
    """Every member of a family merged over three rows gets the household; the footer line is
    skipped; adjectives and legal references map onto the catalogues."""
    _setup(app)
    content = _family_workbook()
    if writer == "libreoffice":
        content = _libreoffice(content, tmp_path)
    with app.app_context():
        analysis = imp.analyse(content, "liste.xlsx")
        assert [r.data.get("household") for r in analysis.rows] == ["F-7", "F-7", "F-7"]
        assert analysis.skipped == [7] and analysis.details()["error_rows"] == 0
        ahmad, zahra, omid = analysis.rows
        assert ahmad.data["nationality"] == zahra.data["nationality"] == "af"
        assert omid.data["nationality"] == "af"
        assert ahmad.data["residence_status"] == "temporary_protection"
        assert zahra.data["residence_status"] == "refugee"
        # the preview shows what is stored: dates TT.MM.JJJJ, labels for codes
        assert zahra.shown["birth_date"] == "12.05.2019"
        assert omid.shown["birth_date"] == "01.04.1981"
        assert ahmad.shown["nationality"] == "Afghanistan"
        summary = imp.import_file(content, "liste.xlsx")
        assert summary["created"] == 3 and summary["households"] == 1
        assert summary["errors"] == []
        households = db.session.scalars(
            select(Person.household_id).where(Person.last_name == "Rahimi")
        ).all()
        assert len(set(households)) == 1 and households[0] is not None


def test_unknown_optional_value_warns_and_county_alias_maps_it(app: Flask) -> None:
    """An unknown status becomes a warning and an empty field (the person is imported); the
    Kreis-Admin's alias maps it from then on."""
    _setup(app)
    text = (
        "Name;Vorname;Geburtsdatum;Staatsangehörigkeit;Unterkunft;Aufenthaltsstatus\n"
        "Karimi;Sina;01.02.1990;syrisch;ÜWH Lindenweg;AE § 25 Abs. 2 AufenthG\n"
        "Karimi;Lina;01.02.1992;marsianisch;ÜWH Lindenweg;Duldung\n"
    ).encode()
    with app.app_context():
        first = imp.analyse(text, "x.csv")
        sina, lina = first.rows
        assert sina.status == "new" and sina.data.get("residence_status") is None
        assert sina.data["nationality"] == "sy"
        assert sina.warnings and "bleibt leer" in sina.warnings[0][1]
        assert lina.status == "new" and lina.data.get("nationality") is None
        assert first.details()["warning_rows"] == 2 and first.details()["error_rows"] == 0
        aliases.add_alias("residence_status", "AE § 25 Abs. 2 AufenthG", "refugee", actor=None)
        again = imp.analyse(text, "x.csv")
        assert again.rows[0].data["residence_status"] == "refugee"
        assert not again.rows[0].warnings


def test_family_over_two_providers_is_refused_whole(app: Flask) -> None:
    """A family whose members live at homes of two providers is not imported at all (German
    message on every member); a family with a broken row neither."""
    _setup(app)
    text = (
        "Name;Vorname;Geburtsdatum;Unterkunft;Familien-Nr.\n"
        "Ali;Amal;01.01.1980;ÜWH Lindenweg;9\n"
        "Ali;Bilal;02.02.2010;GU Am Hang;9\n"
        "Said;Dina;03.03.1985;ÜWH Lindenweg;10\n"
        "Said;Emir;31.02.2012;ÜWH Lindenweg;10\n"
        "Nur;Farid;04.04.1975;ÜWH Lindenweg;\n"
    ).encode("cp1252")
    with app.app_context():
        summary = imp.import_file(text, "x.csv")
        assert summary["created"] == 1 and summary["households"] == 0
        messages = {
            e["row"]: e["message"] for e in summary["errors"] if e["column"] == "Familien-Nr."
        }
        assert "verschiedenen Trägern" in messages[2] and "verschiedenen Trägern" in messages[3]
        assert "nur ganz importiert" in messages[4]
        assert db.session.scalar(select(func.count(Person.id))) == 1
        assert db.session.scalar(select(func.count(Household.id))) == 0


def test_windows_1252_csv_and_wrong_encoding_flagged(app: Flask) -> None:
    """Windows-1252 is read right; UTF-8 once read as Latin-1 ("MÃ¼ller") is flagged."""
    _setup(app)
    good = "Name;Vorname;Geburtsdatum;Unterkunft\nMüller;Jürgen;01.01.1970;ÜWH Lindenweg\n"
    bad = "Name;Vorname;Geburtsdatum;Unterkunft\nMÃ¼ller;JÃ¼rgen;01.01.1971;ÜWH Lindenweg\n"
    with app.app_context():
        row = imp.analyse(good.encode("cp1252"), "x.csv").rows[0]
        assert row.data["last_name"] == "Müller" and not row.warnings
        flagged = imp.analyse(bad.encode("utf-8"), "x.csv").rows[0]
        assert flagged.status == "new"
        assert {c for c, _m in flagged.warnings} == {"Name", "Vorname"}
        assert "Zeichenkodierung" in flagged.warnings[0][1]


def test_control_characters_refused_at_analysis_not_at_confirmation(
    app: Flask, login_as: Any
) -> None:
    """A NUL in a name is an error row in the preview; the confirmation imports the rest."""
    _setup(app)
    text = (
        "Name;Vorname;Geburtsdatum;Unterkunft\n"
        "Ha\x00ddad;Sami;01.01.1990;ÜWH Lindenweg\n"
        "Yusuf;Mira;02.02.1991;ÜWH Lindenweg\n"
    ).encode()
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    resp = admin.post(
        "/zuweisungen/upload",
        data={"file": (io.BytesIO(text), "liste.csv")},
        content_type="multipart/form-data",
    )
    pk = int(resp.headers["Location"].split("/")[2])
    page = admin.get(f"/zuweisungen/{pk}/vorschau").get_data(as_text=True)
    assert "Steuerzeichen" in page and "\x00" not in page
    resp = admin.post(f"/zuweisungen/{pk}/bestaetigen", follow_redirects=True)
    assert resp.status_code == 200
    assert "1 neu angelegt" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Person.last_name)).all() == ["Yusuf"]


def test_preview_pages_from_the_stored_analysis(app: Flask, login_as: Any) -> None:
    """The file is analysed once: the preview works from the stored rows (the file could be
    gone), shows parsed values and counts rows, not messages."""
    _setup(app)
    text = (
        "Name;Vorname;Geburtsdatum;Unterkunft;Zuweisung am\n"
        "Omar;Hadi;12.05.19;ÜWH Lindenweg;29677\n"
        ";;31.02.2000;Nirgendwo;kein Datum\n"  # one row, four messages
    ).encode()
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    resp = admin.post(
        "/zuweisungen/upload",
        data={"file": (io.BytesIO(text), "liste.csv")},
        content_type="multipart/form-data",
    )
    pk = int(resp.headers["Location"].split("/")[2])
    with app.app_context():
        record = db.session.get(AssignmentImport, pk)
        assert record is not None and record.analysed_at is not None
        record.content = b"not a list any more"
        db.session.commit()
    page = admin.get(f"/zuweisungen/{pk}/vorschau").get_data(as_text=True)
    assert "<td>12.05.2019</td>" in page and "<td>01.04.1981</td>" in page
    assert "<td>12.05.19</td>" not in page and "29677" not in page
    assert re.search(r"2 Zeilen:.*1 mit Fehlern", page, re.S)


def _with_dimension(content: bytes, ref: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(
                    rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), data
                )
            dst.writestr(info, data)
    return out.getvalue()


def test_declared_sizes_are_refused_before_reading(app: Flask, login_as: Any) -> None:
    """A small workbook declaring the largest sheet, and a zip member declaring more than the
    limit, are refused with a German message; nothing is stored."""
    bomb = _with_dimension(_family_workbook(), "A1:XFD1048576")
    assert len(bomb) < 10_000
    with pytest.raises(imp.ImportFileError, match=r"1\.048\.576 Zeilen × 16\.384 Spalten"):
        import_table.read_table(bomb, "x.xlsx")
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/padding.bin", b"\0" * (import_table.MAX_UNCOMPRESSED + 1))
    with pytest.raises(imp.ImportFileError, match="zu groß: entpackt"):
        import_table.read_table(big.getvalue(), "x.xlsx")
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    resp = admin.post(
        "/zuweisungen/upload",
        data={"file": (io.BytesIO(bomb), "liste.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Tabellengröße" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(AssignmentImport.id))) == 0


def test_alias_admin_page(app: Flask, login_as: Any) -> None:
    """The Kreis-Admin lists and adds aliases; a refused one keeps the input (422)."""
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    page = admin.get("/zuweisungen/zuordnungen/")
    assert page.status_code == 200 and "<title>Katalog-Zuordnungen" in page.get_data(as_text=True)
    refused = admin.post(
        "/zuweisungen/zuordnungen/",
        data={"catalogue": "nationality", "alias": "eritreisch-x", "code": ""},
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'value="eritreisch-x"' in body
    done = admin.post(
        "/zuweisungen/zuordnungen/",
        data={"catalogue": "nationality", "alias": "eritreisch-x", "code": "er"},
    )
    assert done.status_code == 302
    assert "eritreisch-x" in admin.get("/zuweisungen/zuordnungen/").get_data(as_text=True)
    caseworker = login_as(matrix.ROLE_CASEWORKER, None)
    assert caseworker.get("/zuweisungen/zuordnungen/").status_code in (302, 403)


def test_rows_and_columns_are_counted_while_reading() -> None:
    """Beyond the declared sizes: a CSV (or a sheet) longer or wider than the limits is refused
    while it is read, with a German message."""
    long_csv = b"Name;Vorname\n" + b"a;b\n" * (import_table.MAX_ROWS + 1)
    with pytest.raises(imp.ImportFileError, match="höchstens 250000"):
        import_table.read_table(long_csv, "x.csv")
    wide_csv = ";".join(["x"] * (import_table.MAX_COLUMNS + 1)).encode() + b"\n"
    with pytest.raises(imp.ImportFileError, match="Spalten"):
        import_table.read_table(wide_csv, "x.csv")
    wb = Workbook()
    ws = wb.active
    ws.append(["x"] * (import_table.MAX_COLUMNS + 5))
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(imp.ImportFileError, match="Spalten"):
        import_table.read_table(buf.getvalue(), "x.xlsx")

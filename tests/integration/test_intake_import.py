"""Assignment-list import (Zuweisungsliste): file formats, preview, one transaction,
idempotence, the CLI's JSON summary and exit codes, the county admin's browser steps."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccessLog, Accommodation, AccommodationKind, Household, Person
from app.security import matrix
from app.services.intake import assignment_import as imp

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "zuweisungsliste.csv"


def _setup(app: Flask) -> dict[str, Any]:
    from tests import factories

    with app.app_context():
        a = factories.make_org("Caritas Test")
        b = factories.make_org("Diakonie Test")
        acc_a = Accommodation(
            name="ÜWH Lindenweg", kind=AccommodationKind.transitional_home, operator_id=a.id
        )
        acc_b = Accommodation(
            name="GU Am Hang", kind=AccommodationKind.shared_accommodation, operator_id=b.id
        )
        db.session.add_all([acc_a, acc_b])
        db.session.commit()
        # already known at provider A, with another transliteration of the first name
        known = factories.make_person(
            a, first_name="Muhammad", last_name="Haddad", birth_date=dt.date(1985, 3, 14)
        )
        return {"a": a.id, "b": b.id, "acc_a": acc_a.id, "acc_b": acc_b.id, "known": known.id}


def _persons(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count(Person.id))))


def test_preview_writes_nothing_and_classifies_every_row(app: Flask) -> None:
    """The preview says per row new / known / error (row, column, German message); no writes."""
    ids = _setup(app)
    with app.app_context():
        analysis = imp.analyse(SAMPLE.read_bytes(), SAMPLE.name)
        by_row = {r.row: r for r in analysis.rows}
        assert analysis.layout.header_row == 3  # the title row and the empty row are skipped
        assert by_row[4].status in ("known", "update") and by_row[4].person_id == ids["known"]
        assert by_row[4].provider == "Caritas Test"
        assert by_row[5].status == "new" and by_row[5].data["nationality"] == "sy"
        assert by_row[6].data["nationality"] == "sy"  # ISO-3 code
        assert by_row[7].status == "new" and by_row[7].data["last_name"] == "Müller-Schäfer"
        assert by_row[8].status == "error"
        assert by_row[8].errors[0][0] == "Geburtsdatum" and "31.02.1992" in by_row[8].errors[0][1]
        assert by_row[9].errors == [
            ("Unterkunft", "Die Unterkunft „Gibt es nicht“ ist nicht bekannt.")
        ]
        summary = analysis.summary()
        assert summary["rows"] == 6 and summary["created"] == 3
        assert {e["row"] for e in summary["errors"]} == {8, 9}
    assert _persons(app) == 1


def test_import_is_one_transaction_households_and_idempotent(app: Flask) -> None:
    """Confirmed import creates the persons at the accommodation's provider, one household per
    Familien-Nr.; the same file again creates nothing; an updated file updates and reports."""
    ids = _setup(app)
    content = SAMPLE.read_bytes().decode("utf-8").encode("cp1252")  # Windows-1252 as well
    with app.app_context():
        summary = imp.import_file(content, "liste.csv")
        assert summary["created"] == 3 and summary["households"] == 1
        assert len(summary["errors"]) == 2
        persons = db.session.scalars(select(Person).where(Person.last_name == "Haddad")).all()
        assert {p.organisation_id for p in persons} == {ids["a"]}
        assert len({p.household_id for p in persons}) == 1 and persons[0].household_id
        assert db.session.scalar(select(func.count(Household.id))) == 1
        fatima = next(p for p in persons if p.first_name == "Fatima")
        assert fatima.residence_status == "asylum_permission"
        assert fatima.accommodation_id == ids["acc_a"] and fatima.file_number == "AZR-100002"
        assert fatima.name_key  # kept for the duplicate check
        logged = db.session.scalar(
            select(func.count(AccessLog.id)).where(AccessLog.action == "create")
        )
        assert logged == 3
        again = imp.import_file(content, "liste.csv")
        assert again["created"] == 0 and again["updated"] == 0
        assert again["unchanged"] == 4
        assert db.session.scalar(select(func.count(Person.id))) == 4
        # an updated file: another accommodation of the same provider, another status
        acc2 = Accommodation(
            name="Wohnung Rosenhof 3", kind=AccommodationKind.flat, operator_id=ids["a"]
        )
        db.session.add(acc2)
        db.session.commit()
        changed = SAMPLE.read_text(encoding="utf-8").replace(
            "AZR-100002;01.12.2026;ÜWH Lindenweg;F-17;Aufenthaltsgestattung",
            "AZR-100002;01.12.2026;Wohnung Rosenhof 3;F-17;duldung",
        )
        third = imp.import_file(changed.encode("utf-8"), "liste.csv")
        assert third["updated"] == 1 and third["created"] == 0
        db.session.expire_all()
        fatima = db.session.get(Person, fatima.id)
        assert fatima.accommodation_id == acc2.id and fatima.residence_status == "duldung"


def test_known_at_another_provider_is_not_moved(app: Flask) -> None:
    """A person known at provider A named for provider B's home: an error asking for a handover."""
    _setup(app)
    text = "Name;Vorname;Geburtsdatum;Unterkunft\nHaddad;Mohamad;14.03.1985;GU Am Hang\n"
    with app.app_context():
        summary = imp.import_file(text.encode(), "x.csv")
        assert summary["created"] == 0
        assert "Übergabe" in summary["errors"][0]["message"]


def test_xlsx_with_excel_dates_and_header_variants(app: Flask) -> None:
    from openpyxl import Workbook

    _setup(app)
    wb = Workbook()
    ws = wb.active
    ws.append(["Zuweisungsliste Dezember"])
    ws.append(["NACHNAME", " vorname ", "Geb.-Datum", "Aktenzeichen", "Unterkunft", "Familien Nr"])
    ws.append(["Nouri", "Sara", dt.datetime(1988, 3, 3), "AZ-9", "GU Am Hang", 5])
    ws.append([None, None, None, None, None, None])
    ws.append(["Nouri", "Omid", "12.12.2012", "AZ-10", "gu am hang", 5])
    buf = io.BytesIO()
    wb.save(buf)
    with app.app_context():
        summary = imp.import_file(buf.getvalue(), "liste.xlsx")
        assert summary == {
            "rows": 2,
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "households": 1,
            "errors": [],
        }


def test_cli_summary_and_exit_codes(app: Flask, tmp_path: Path) -> None:
    _setup(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["msa", "import-assignments", str(SAMPLE), "--dry-run"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert set(summary) == {"rows", "created", "updated", "unchanged", "households", "errors"}
    assert summary["created"] == 3 and _persons(app) == 1  # dry run: nothing written
    assert set(summary["errors"][0]) == {"row", "column", "message"}
    result = runner.invoke(args=["msa", "import-assignments", str(SAMPLE)])
    assert result.exit_code == 0 and json.loads(result.output)["created"] == 3
    bad = tmp_path / "ohne.csv"
    bad.write_text("Name;Vorname;Geburtsdatum\nA;B;01.01.1990\n", encoding="utf-8")
    result = runner.invoke(args=["msa", "import-assignments", str(bad)])
    assert result.exit_code != 0 and "Pflichtspalte fehlt: Unterkunft" in result.output
    result = runner.invoke(args=["msa", "import-assignments", str(tmp_path / "fehlt.csv")])
    assert result.exit_code != 0


def test_cli_create_accommodation(app: Flask) -> None:
    from tests import factories

    with app.app_context():
        factories.make_org("AWO Nord")
    runner = app.test_cli_runner()
    args = [
        "msa",
        "create-accommodation",
        "ÜWH Nord",
        "--organisation",
        "AWO Nord",
        "--capacity",
        "40",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=args).exit_code == 0  # idempotent
    with app.app_context():
        acc = db.session.scalars(
            select(Accommodation).where(Accommodation.name == "ÜWH Nord")
        ).one()
        assert acc.capacity == 40 and acc.operator.name == "AWO Nord"
    result = runner.invoke(args=["msa", "create-accommodation", "X", "--organisation", "Nix"])
    assert result.exit_code != 0


def test_browser_upload_preview_confirm(app: Flask, login_as: Any) -> None:
    """Kreis-Admin: upload → preview (nothing written) → confirm; a provider role may not."""
    _setup(app)
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    resp = admin.post(
        "/zuweisungen/upload",
        data={"file": (io.BytesIO(SAMPLE.read_bytes()), "zuweisungsliste.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    preview = resp.headers["Location"]
    resp = admin.get(preview, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Vorschau" in page
    assert "Caritas Test" in page and "31.02.1992" in page and "bereits bekannt" in page
    assert _persons(app) == 1
    pk = int(preview.split("/")[2])
    resp = admin.post(f"/zuweisungen/{pk}/bestaetigen", follow_redirects=True)
    assert resp.status_code == 200 and "Import abgeschlossen: 3 neu angelegt" in resp.get_data(
        as_text=True
    )
    assert _persons(app) == 4
    assert admin.post(f"/zuweisungen/{pk}/bestaetigen").status_code == 404  # not twice
    caseworker = login_as(matrix.ROLE_CASEWORKER, None)
    assert caseworker.get("/zuweisungen/").status_code in (302, 403)


def test_mapping_step_fixes_unknown_headers(app: Flask, login_as: Any) -> None:
    _setup(app)
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    text = "Titel\nFamilie;Rufname;Geb;Heim\nNouri;Sara;03.03.1988;GU Am Hang\n"
    resp = admin.post(
        "/zuweisungen/upload",
        data={"file": (io.BytesIO(text.encode()), "x.csv")},
        content_type="multipart/form-data",
    )
    mapping_url = resp.headers["Location"]
    page = admin.get(mapping_url).get_data(as_text=True)
    assert "Spalten zuordnen" in page and "Es fehlt noch" in page
    resp = admin.post(
        mapping_url,
        data={
            "map:Familie": "last_name",
            "map:Rufname": "first_name",
            "map:Geb": "birth_date",
            "map:Heim": "accommodation",
        },
    )
    assert resp.status_code == 302 and "vorschau" in resp.headers["Location"]
    assert "neu" in admin.get(resp.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("01.02.2003", dt.date(2003, 2, 1)),
        (37653, dt.date(2003, 2, 1)),
        ("2003-02-01", dt.date(2003, 2, 1)),
    ],
)
def test_dates(raw: Any, expected: dt.date) -> None:
    assert imp.parse_date(raw) == expected


def test_xlsx_sample_reads_like_the_csv_sample(app: Flask) -> None:
    """docs/samples: the workbook (Excel dates) and the CSV give the same summary."""
    _setup(app)
    with app.app_context():
        from_csv = imp.analyse(SAMPLE.read_bytes(), SAMPLE.name).summary()
        xlsx = SAMPLE.with_suffix(".xlsx")
        from_xlsx = imp.analyse(xlsx.read_bytes(), xlsx.name).summary()
        # the invalid date 31.02.1992 cannot be an Excel date: it stays text in both files
        assert from_xlsx == from_csv


def test_import_pages_within_statement_budget(app: Flask, login_as: Any) -> None:
    """Upload list, mapping and preview: at most 8 SQL statements each (docs/performance.md)."""
    from tests.integration.test_performance import MAX_STATEMENTS, count_statements

    _setup(app)
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    resp = admin.post(
        "/zuweisungen/upload",
        data={"file": (io.BytesIO(SAMPLE.read_bytes()), "zuweisungsliste.csv")},
        content_type="multipart/form-data",
    )
    pk = int(resp.headers["Location"].split("/")[2])
    for url in ("/zuweisungen/", f"/zuweisungen/{pk}/vorschau", f"/zuweisungen/{pk}/zuordnung"):
        admin.get(url)
        with count_statements(app) as statements:
            resp = admin.get(url)
        assert resp.status_code in (200, 302), url
        assert len(statements) <= MAX_STATEMENTS, (url, statements)

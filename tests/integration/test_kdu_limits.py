"""KdU limits: the Kreis-Admin's page and import, the check API, the flat offer of a move
procedure and its line in the Sozialbericht (German, scoped, refused where not allowed)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.models import KduLimit, MoveProcedure
from app.security import matrix
from app.services.housing import kdu
from tests.unit.test_social_report import docx_text, pdf_text

HEADER = (
    "Gebiet;Haushaltsgröße;gültig ab;gültig bis;Bruttokaltmiete;Heizkosten;Kaution;Erstausstattung"
)
ROWS = [
    "Nord;1;01.01.2025;31.12.2025;400,00;80,00;1.200,00;1.000,00",
    "Nord;1;01.01.2026;;450,00;90,00;1.350,00;1.100,00",
    "Nord;2;01.01.2025;;540,50;110,00;;",
    "Süd;1;01.01.2025;;380,00;75,00;;",
]


def _db() -> Any:
    from app.extensions import db

    return db


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def _import(app: Any, tmp_path: Any, content: bytes, name: str = "grenzen.csv") -> dict[str, Any]:
    path = tmp_path / name
    path.write_bytes(content)
    result = app.test_cli_runner().invoke(args=["msa", "import-kdu-limits", str(path)])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.output)
    return summary


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    from tests import factories as f

    with app.app_context():
        org_a = f.make_org("Träger A")
        org_b = f.make_org("Träger B")
        a = f.make_person(org_a, first_name="Amal", last_name="Haddad", benefit_basis="sgb2")
        b = f.make_person(org_b, first_name="Olena", last_name="Shevchenko")
        return {"org_a": f.id_of(org_a), "org_b": f.id_of(org_b), "a": f.id_of(a), "b": f.id_of(b)}


def test_import_counts_and_is_idempotent(app: Any, tmp_path: Any) -> None:
    """The CSV is imported with German amounts and dates; a re-import changes nothing; a
    changed amount updates its row; refused rows are listed with their row number."""
    first = _import(app, tmp_path, _csv(*ROWS))
    assert first == {"rows": 4, "created": 4, "updated": 0, "errors": []}
    again = _import(app, tmp_path, _csv(*ROWS))
    assert again == {"rows": 4, "created": 0, "updated": 0, "errors": []}
    changed = [*ROWS[:3], "Süd;1;01.01.2025;;390,00;75,00;;", "Süd;2;32.01.2025;;1;1;;"]
    third = _import(app, tmp_path, _csv(*changed))
    assert (third["rows"], third["created"], third["updated"]) == (5, 0, 1)
    assert [e["row"] for e in third["errors"]] == [6]
    assert third["errors"][0]["field"] == "gültig ab"
    with app.app_context():
        rows = _db().session.scalars(select(KduLimit).order_by(KduLimit.id)).all()
        assert len(rows) == 4
        nord = rows[1]
        assert (nord.rent, nord.heating, nord.deposit, nord.furnishing) == (
            Decimal("450.00"),
            Decimal("90.00"),
            Decimal("1350.00"),
            Decimal("1100.00"),
        )
        assert nord.valid_to is None and rows[0].valid_to == dt.date(2025, 12, 31)
        assert rows[3].rent == Decimal("390.00")


def test_import_xlsx_and_refusals(app: Any, tmp_path: Any) -> None:
    """An XLSX with date cells imports the same; an overlapping period and a file without the
    header are refused in German."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    sheet.append(["Ost", 3, dt.datetime(2026, 1, 1), None, 612.5, "120,00", None, None])
    sheet.append(["Ost", 3, dt.datetime(2026, 6, 1), None, 650, 125, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    summary = _import(app, tmp_path, buffer.getvalue(), "grenzen.xlsx")
    assert (summary["rows"], summary["created"]) == (2, 1)
    assert "überschneiden" in summary["errors"][0]["message"]
    with app.app_context():
        row = _db().session.scalars(select(KduLimit)).one()
        assert (row.area, row.household_size, row.rent) == ("Ost", 3, Decimal("612.50"))
    path = tmp_path / "leer.csv"
    path.write_bytes(b"Name;Vorname\nA;B\n")
    result = app.test_cli_runner().invoke(args=["msa", "import-kdu-limits", str(path)])
    assert result.exit_code != 0 and "Kopfzeile nicht gefunden" in result.output


#: (offer date, household size, rent, heating) → expected (within, valid_from) or None (404),
#: from the table ROWS above, written out by hand
CASES = [
    ("2025-06-30", 1, "400,00", "80,00", (True, "2025-01-01")),
    ("2025-06-30", 1, "400,01", "80,00", (False, "2025-01-01")),
    ("2025-12-31", 1, "420,00", "80,00", (False, "2025-01-01")),
    ("2026-01-01", 1, "420,00", "80,00", (True, "2026-01-01")),
    ("2026-01-01", 1, "420,00", "90,01", (False, "2026-01-01")),
    ("2030-05-05", 2, "540,50", "110", (True, "2025-01-01")),
    ("2024-12-31", 1, "1", "1", None),
    ("2026-01-01", 3, "1", "1", None),
]


def test_check_api_follows_the_table(app: Any, api_token: Any, world: dict[str, Any]) -> None:
    """GET /api/v1/kdu/check answers the limit valid on the day (area in any case), 404 when
    none is, 400 for bad input; roles without the move procedure are refused."""
    with app.app_context():
        kdu.import_limits(_csv(*ROWS), "grenzen.csv")
    headers = api_token(matrix.ROLE_CASEWORKER, world["org_a"])
    client = app.test_client()
    for on, size, rent, heating, expected in CASES:
        resp = client.get(
            "/api/v1/kdu/check",
            query_string={
                "area": "nord",
                "household_size": size,
                "on": on,
                "rent": rent,
                "heating": heating,
            },
            headers=headers,
        )
        if expected is None:
            assert resp.status_code == 404, (on, size)
            continue
        body = resp.get_json()
        assert resp.status_code == 200, body
        assert (body["within"], body["valid_from"]) == expected, (on, size, body)
        assert body["rule"].startswith("KdU-Grenze Nord, Haushalt mit")
        assert set(body) == {
            "within",
            "limit_rent",
            "limit_heating",
            "valid_from",
            "valid_to",
            "rule",
        }
    resp = client.get(
        "/api/v1/kdu/check",
        query_string={"area": "Nord", "household_size": "x", "on": "31.02.2026", "rent": "viel"},
        headers=headers,
    )
    assert resp.status_code == 400
    assert set(resp.get_json()["message"]) == {"household_size", "on", "rent", "heating"}
    for role in (matrix.ROLE_COUNTY_ADMIN, matrix.ROLE_DPO):
        other = api_token(role, None)
        resp = client.get(
            "/api/v1/kdu/check?area=Nord&household_size=1&on=2026-01-01&rent=1&heating=1",
            headers=other,
        )
        assert resp.status_code == 403, role


def test_county_admin_keeps_limits_on_the_page(
    app: Any, login_as: Any, world: dict[str, Any]
) -> None:
    """The Kreis-Admin lists, adds and changes limits (German, input kept on a refusal);
    provider roles and the reviewer cannot open the page."""
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    page = admin.get("/kdu-grenzen/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<title>KdU-Grenzen" in html and "0 Grenzen" in html
    bad = {"area": "Nord", "household_size": "null", "valid_from": "01.01.2026", "rent": "4x0"}
    resp = admin.post("/kdu-grenzen/neu", data=bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Bitte eine Zahl von 1 bis 30" in html and "Betrag in Euro" in html
    assert 'value="4x0"' in html and "Bitte „Heizkosten“ angeben" in html
    good = {
        "area": "Nord",
        "household_size": "2",
        "valid_from": "01.01.2026",
        "valid_to": "",
        "rent": "540,50",
        "heating": "110,00",
        "deposit": "1.621,50",
        "furnishing": "",
    }
    assert admin.post("/kdu-grenzen/neu", data=good).status_code == 302
    overlap = admin.post("/kdu-grenzen/neu", data={**good, "valid_from": "01.06.2026"})
    assert overlap.status_code == 422 and "überschneiden" in overlap.get_data(as_text=True)
    html = admin.get("/kdu-grenzen/").get_data(as_text=True)
    assert "540,50 €" in html and "1.621,50 €" in html and "unbefristet" in html
    with app.app_context():
        limit_id = _db().session.scalars(select(KduLimit.id)).one()
    form = admin.get(f"/kdu-grenzen/{limit_id}").get_data(as_text=True)
    assert 'value="540,50"' in form and 'value="01.01.2026"' in form
    resp = admin.post(f"/kdu-grenzen/{limit_id}", data={**good, "valid_to": "31.12.2026"})
    assert resp.status_code == 302
    with app.app_context():
        assert _db().session.get(KduLimit, limit_id).valid_to == dt.date(2026, 12, 31)
    for role, org in (
        (matrix.ROLE_CASEWORKER, world["org_a"]),
        (matrix.ROLE_LEAD, world["org_a"]),
        (matrix.ROLE_REVIEWER, None),
    ):
        other = login_as(role, org)
        for method, url in (
            ("get", "/kdu-grenzen/"),
            ("post", "/kdu-grenzen/neu"),
            ("post", f"/kdu-grenzen/{limit_id}"),
        ):
            resp = getattr(other, method)(url, data={**good, "rent": "1,00"})
            assert resp.status_code in (302, 403), (role, url)
            assert "/kdu-grenzen" not in resp.headers.get("Location", "")
    with app.app_context():
        assert _db().session.get(KduLimit, limit_id).rent == Decimal("540.50")


def test_offer_checked_on_the_offer_date_and_printed(
    app: Any, login_as: Any, world: dict[str, Any]
) -> None:
    """The caseworker records the flat offer; it is checked against the limit valid on the
    offer date, shows the rule, keeps its result when the limits change, and the Sozialbericht
    prints it. Another provider cannot record an offer."""
    with app.app_context():
        kdu.import_limits(_csv(*ROWS), "grenzen.csv")
    client = login_as(matrix.ROLE_CASEWORKER, world["org_a"])
    pid = int(
        client.post(f"/umzug/neu/{world['a']}", data={"track": "asylblg"})
        .headers["Location"]
        .rstrip("/")
        .split("/")[-1]
    )
    page = client.get(f"/umzug/{pid}").get_data(as_text=True)
    assert "Noch kein Wohnungsangebot erfasst" in page and 'value="Nord"' in page
    bad = {
        "area": "",
        "household_size": "1",
        "rent": "zu viel",
        "heating": "80",
        "offer_on": "2099-01-01",
    }
    resp = client.post(f"/umzug/{pid}/angebot", data=bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'value="zu viel"' in html
    assert "Bitte das Gebiet angeben" in html and "in der Zukunft" in html
    offer = {
        "area": "Nord",
        "household_size": "1",
        "living_space": "45,5",
        "rent": "420,00",
        "heating": "80,00",
        "offer_on": "15.12.2025",
    }
    resp = client.post(f"/umzug/{pid}/angebot", data=offer)
    assert resp.status_code == 302
    page = client.get(f"/umzug/{pid}").get_data(as_text=True)
    assert "über den KdU-Grenzen" in page
    assert "gültig ab 01.01.2025 bis 31.12.2025" in page and "400,00 €" in page
    resp = client.post(f"/umzug/{pid}/angebot", data={**offer, "offer_on": "02.01.2026"})
    page = client.get(f"/umzug/{pid}").get_data(as_text=True)
    assert "innerhalb der KdU-Grenzen" in page and "gültig ab 01.01.2026" in page
    with app.app_context():
        kdu.import_limits(_csv("Nord;1;01.01.2026;;300,00;90,00;;"), "neu.csv")
        procedure = _db().session.get(MoveProcedure, pid)
        assert procedure.offer_within is True and procedure.offer_rent == Decimal("420.00")
    # the Sozialbericht prints the offer and its check
    rid = int(
        client.post("/sozialbericht/neu", data={"person_id": world["a"]})
        .headers["Location"]
        .rstrip("/")
        .split("/")[-2]
    )
    text = pdf_text(client.get(f"/sozialbericht/{rid}/pdf").data)
    assert "Wohnungsangebot und Kosten der Unterkunft" in text
    assert "innerhalb der KdU-Grenzen" in text and "420,00" in text
    # … and so does its DOCX, with the same lines as the PDF
    docx = docx_text(client.get(f"/sozialbericht/{rid}/docx").data)
    assert "Wohnungsangebot und Kosten der Unterkunft" in docx
    for line in ("Angebot vom", "02.01.2026", "Nord", "420,00 €", "80,00 €"):
        assert line in docx, line
    assert "innerhalb der KdU-Grenzen" in docx and "gültig ab 01.01.2026" in docx
    assert "kdu_offer" not in docx and "{%" not in docx
    # another provider: not found, nothing written
    other = login_as(matrix.ROLE_CASEWORKER, world["org_b"])
    assert other.post(f"/umzug/{pid}/angebot", data={**offer, "rent": "1"}).status_code == 404
    reviewer = login_as(matrix.ROLE_REVIEWER)
    resp = reviewer.post(f"/umzug/{pid}/angebot", data={**offer, "rent": "1"})
    assert resp.status_code in (302, 403)
    with app.app_context():
        assert _db().session.get(MoveProcedure, pid).offer_rent == Decimal("420.00")

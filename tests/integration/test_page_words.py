"""Words a caseworker reads: counts in the right number, messages that name what was saved or
what is accepted, logs in names and labels, the county's name, refusals of a wrong upload."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask import Flask

from app.formatting import plural
from app.security import matrix
from tests import factories


@pytest.mark.parametrize(
    "count,expected",
    [
        (0, "0 Einträge"),
        (1, "1 Eintrag"),
        (2, "2 Einträge"),
        (1000, "1.000 Einträge"),
        (None, "0 Einträge"),
    ],
)
def test_plural_takes_the_number_of_the_count(count: Any, expected: str) -> None:
    assert plural(count, "Eintrag", "Einträge") == expected


def test_admin_log_changes_in_names_and_labels(app: Flask) -> None:
    from app.views.user_admin import describe_changes

    with app.app_context():
        org = factories.make_org("AWO Nord")
        changes = json.dumps(
            {
                "organisation_id": [None, org.id],
                "kind": ["provider", "county"],
                "fte": ["1.00", "0.5"],
                "permissions": [["can_read Person"], ["can_write ContactNote"]],
            }
        )
        shown = describe_changes(changes, {org.id: "AWO Nord"})
    text = " ".join(f"{f}: {o} → {n}" for f, o, n in shown)
    assert "Organisation: – → AWO Nord" in text
    assert "Art: Träger → Landkreis" in text
    assert "VZÄ: 1 → 0,50" in text or "VZÄ: 1,00 → 0,50" in text
    assert "Personen: lesen" in text and "Beratungsvermerke: schreiben" in text
    for raw in ("county", "provider", "0.5", "can_read", f"→ {org.id}"):
        assert raw not in text, (raw, text)


def test_admin_log_page_names_the_organisation(app: Flask, login_as: Any) -> None:
    from app.services.organisations import create_organisation

    admin = login_as(matrix.ROLE_ADMIN)
    with app.app_context():
        create_organisation("Diakonie Süd", "provider")
    page = admin.get("/verwaltungsprotokoll/").get_data(as_text=True)
    assert "Diakonie Süd" in page
    assert re.search(r"\b1 Eintrag gefunden|\d+ Einträge gefunden", page), page[-2000:]
    assert "provider" not in page


def test_staff_form_saves_with_a_named_message_and_returns_to_its_list(
    app: Flask, login_as: Any
) -> None:
    with app.app_context():
        org = factories.make_org("Caritas Nord")
        org_id = org.id
    lead = login_as(matrix.ROLE_LEAD, org_id, first_name="Lena", last_name="Leitner")
    resp = lead.post(
        "/stafftrainingview/add",
        data={"user": str(lead.user_id), "date": "05.12.2026", "title": "Asylrecht", "hours": "4"},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
    assert resp.headers["Location"].endswith("/stafftrainingview/list/")
    page = lead.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Fortbildung vom 05.12.2026 – Lena Leitner gespeichert." in page
    assert "Zeile hinzugefügt" not in page and "Added Row" not in page


def test_note_form_with_two_wrong_fields_shows_both(app: Flask, login_as: Any) -> None:
    with app.app_context():
        org = factories.make_org("Caritas West")
        person = factories.make_person(org)
        org_id, person_id = org.id, person.id
    worker = login_as(matrix.ROLE_CASEWORKER, org_id)
    resp = worker.post(
        f"/contactnoteview/document/{person_id}",
        data={
            "date": "31.02.2026",
            "kind": "individual",
            "duration_minutes": "viel",
            "summary": "Beratung",
        },
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    errors = re.findall(r'class="[^"]*has-error', page)
    assert len(errors) >= 2, page[-4000:]


def test_refused_catalogue_value_names_the_accepted_ones(app: Flask) -> None:
    from app.services.catalogues import accepted, choices

    with app.app_context():
        text = accepted("referral_outcome")
        first_code, first_label = choices("referral_outcome")[0]
    assert text.startswith("Erlaubt: ") and f"{first_label} ({first_code})" in text


def test_successful_note_leads_to_the_message(app: Flask, login_as: Any) -> None:
    with app.app_context():
        org = factories.make_org("Caritas Ost")
        person = factories.make_person(org)
        org_id, person_id = org.id, person.id
    worker = login_as(matrix.ROLE_CASEWORKER, org_id)
    with app.app_context():
        from app.services.catalogues import choices

        topic = choices("contact_topic")[0][0]
    resp = worker.post(
        f"/contactnoteview/document/{person_id}",
        data={
            "date": "01.12.2026",
            "kind": "individual",
            "topics": topic,
            "duration_minutes": "30",
            "summary": "Beratung zur Wohnungssuche",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
    assert resp.headers["Location"].endswith("#meldungen")
    page = worker.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="meldungen"' in page and "Beratungsvermerk vom 01.12.2026 gespeichert." in page


def test_pdf_as_assignment_list_is_no_spreadsheet(app: Flask, login_as: Any) -> None:
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    resp = admin.post(
        "/zuweisungen/upload",
        data={"file": (io.BytesIO(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "liste.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = resp.get_data(as_text=True)
    assert "keine Tabelle" in page and "PDF" in page
    assert "Keine Kopfzeile gefunden" not in page


def test_header_only_file_offers_no_import(app: Flask, login_as: Any) -> None:
    with app.app_context():
        factories.make_org("Caritas Süd")
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    header = "Name;Vorname;Geburtsdatum;Geschlecht;Staatsangehörigkeit;Unterkunft\n"
    resp = admin.post(
        "/zuweisungen/upload",
        data={"file": (io.BytesIO(header.encode()), "leer.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Import bestätigen" not in page, page[-3000:]
    assert "keine Datenzeilen" in page or "keine Kopfzeile" not in page


def test_county_name_in_footer_and_landing_page(app: Flask, login_as: Any) -> None:
    admin = login_as(matrix.ROLE_ADMIN)
    page = admin.get("/").get_data(as_text=True)
    name = app.config["MSA_COUNTY_NAME"]
    assert f"MSA-Portal · {name} · Migrationssozialarbeit" in page
    assert f"Migrationssozialarbeit im {name}" in page
    assert "Landkreis –" not in page
    # the Admin has starting points: no "no role assigned" after "Ihre Rollen: Admin"
    assert "Ihre Rollen: Admin" in page and "keine Rolle" not in page
    assert "/verwaltungsprotokoll/" in page
    # two-factor settings in the user menu
    assert 'href="/zwei-faktor/"' in page


def test_access_log_record_in_labels_and_german_date(app: Flask, login_as: Any) -> None:
    import datetime as dt

    from app.extensions import db
    from app.models import AccessLog

    with app.app_context():
        row = AccessLog(
            at=dt.datetime(2026, 12, 5, 9, 30),
            username="fachkraft.test",
            person_id=7,
            action="read",
            category="contact_note",
        )
        db.session.add(row)
        db.session.commit()
        row_id = row.id
    dpo = login_as(matrix.ROLE_DPO)
    for url in ("/accesslogview/list/", f"/accesslogview/show/{row_id}"):
        page = dpo.get(url).get_data(as_text=True)
        assert "Beratungsvermerk" in page and "05.12.2026" in page, (url, page[-3000:])
        assert ">read<" not in page and "contact_note" not in page and "2026-12-05" not in page
    show = dpo.get(f"/accesslogview/show/{row_id}").get_data(as_text=True)
    assert "<title>Eintrag des Zugriffsprotokolls – fachkraft.test – MSA-Portal</title>" in show
    assert "Show" not in re.sub(r"<script.*?</script>", "", show, flags=re.S)


def test_model_form_with_two_wrong_fields_shows_both(app: Flask, login_as: Any) -> None:
    with app.app_context():
        org_id = factories.make_org("Caritas Mitte").id
    lead = login_as(matrix.ROLE_LEAD, org_id)
    resp = lead.post(
        "/stafftrainingview/add",
        data={"user": str(lead.user_id), "date": "31.02.2026", "title": "Kurs", "hours": "viel"},
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "gespeichert" not in page
    form = page[page.find('id="model_form"') :] if 'id="model_form"' in page else page
    assert len(re.findall(r'class="alert alert-danger"', form)) >= 2, form[-4000:]
    assert 'value="Kurs"' in page and 'value="31.02.2026"' in page  # input kept

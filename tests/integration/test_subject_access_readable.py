"""The Art. 15 export reads as German: labels, dates, names — the JSON stays complete."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

from flask import Flask
from sqlalchemy import Table

from app.security import matrix
from tests import factories as f


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    from tests.integration.test_page_text_walk import _unspace

    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    return "\n".join(_unspace(line) for line in text.splitlines())


def test_every_exported_column_has_a_german_label_or_is_technical(app: Flask) -> None:
    from app.models import Handover, Person, PersonShare
    from app.services.data_protection.export_display import (
        HIDDEN,
        HIDDEN_TABLE_COLUMNS,
        column_label,
    )
    from app.services.data_protection.subject_access import TABLE_TITLES, _tables

    with app.app_context():
        owned, children = _tables()
        tables = [
            Person.__table__,
            *owned,
            *(t for t, _fk in children),
            PersonShare.__table__,
            Handover.__table__,
        ]
        missing = [
            f"{t.name}.{c.name}"
            for t in tables
            if isinstance(t, Table)
            for c in t.c
            if c.name not in HIDDEN
            and (t.name, c.name) not in HIDDEN_TABLE_COLUMNS
            and column_label(t.name, c.name) is None
        ]
        untitled = [
            t.name for t in [*owned, *(t for t, _fk in children)] if t.name not in TABLE_TITLES
        ]
    assert not missing, missing
    assert not untitled, untitled


def test_pdf_shows_labels_german_values_and_names(app: Flask, login_as: Any) -> None:
    from app.extensions import db
    from app.models import ContactNoteTopic, Handover, PersonLanguage, PersonShare

    with app.app_context():
        org = f.make_org("Träger A")
        specialist = f.make_org("Fachberatungsdienst")
        worker = f.make_user(matrix.ROLE_CASEWORKER, org, first_name="Miriam", last_name="Said")
        person = f.make_person(
            org,
            first_name="Selam",
            last_name="Haile",
            birth_date=dt.date(1990, 5, 17),
            employable=True,
            caseworker_id=worker.id,
        )
        partner = f.make_partner(name="Jobcenter Musterstadt")
        note = f.make_note(
            person, worker, date=dt.date(2026, 2, 9), partner_id=partner.id, interpreter_used=True
        )
        db.session.add(ContactNoteTopic(contact_note_id=note.id, code=_first_topic()))
        db.session.add(
            PersonLanguage(person_id=person.id, organisation_id=org.id, language="ar", level="b1")
        )
        db.session.add(
            PersonShare(
                person_id=person.id, organisation_id=specialist.id, consent_on=dt.date(2026, 3, 1)
            )
        )
        other = f.make_org("Diakonie Musterstadt")
        db.session.add(
            Handover(
                person_id=person.id,
                from_organisation_id=org.id,
                to_organisation_id=other.id,
                scope="full",
                consent_given=True,
                consent_on=dt.date(2026, 4, 2),
                consent_form="written",
                reason="Umzug in den Nachbarort",
                status="declined",
                offered_by_id=worker.id,
            )
        )
        db.session.commit()
        person_id, topic_label = person.id, _topic_label()
    client = login_as(matrix.ROLE_DPO)
    resp = client.get(f"/datenschutz/auskunft/{person_id}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = _pdf_text(resp.data)
    for expected in (
        "Geburtsdatum 17.05.1990",
        "Erwerbsfähig ja",
        "Fachkraft Miriam Said",
        "Netzwerkpartner Jobcenter Musterstadt",
        "Mit Sprachmittlung ja",
        "Datum 09.02.2026",
        "Sprache Arabisch",
        "Niveau (GER) B1",
        "Fachberatungsdienst, Einwilligung vom 01.03.2026",
        "Übergaben zwischen Trägern",
        "An Diakonie Musterstadt",
        "Von Träger A",
        "Umfang ganze Fallakte",
        "Form der Einwilligung schriftlich",
        "Anlass Umzug in den Nachbarort",
        "Angeboten von Miriam Said",
        topic_label,
    ):
        assert expected in text, (expected, text[:3000])
    for raw in ("organisation_id", "caseworker_id", "person_id", "None", "True", "UTC"):
        assert raw not in text, raw
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    # the JSON keeps every column under its technical name
    data = json.loads(client.get(f"/datenschutz/auskunft/{person_id}.json").data)
    assert data["person"]["caseworker_id"] and data["person"]["birth_date"] == "1990-05-17"
    assert data["records"]["contact_note"][0]["partner_id"]
    assert [h["scope"] for h in data["handovers"]] == ["full"]


def _first_topic() -> str:
    from app.services import catalogues

    return sorted(catalogues.labels("contact_topic"))[0]


def _topic_label() -> str:
    from app.services import catalogues

    labels = catalogues.labels("contact_topic")
    return labels[sorted(labels)[0]]


def test_access_log_names_every_category_and_reads_one_line_per_read(
    app: Flask, login_as: Any
) -> None:
    """A read of the special categories logs one row per category; the reader sees them by
    their German names — in the Art. 15 PDF as one line per read, in the log list per row —
    and no category code; the JSON keeps every row."""
    from app.formatting import ACCESS_LOG_CATEGORIES
    from app.models import AccessLog
    from app.services.case_management.special import ASPECT_CATEGORY
    from app.services.casefile import sensitive
    from app.services.data_protection.access_log import category_label, log_accesses

    # every category the portal writes has a name of its own
    written = {
        "case_file", "contact_note", "follow_up", "group_session", "referral", "appointment",
        "caseworker_assignment", "hardship", "case_management", "sensitive", "retention",
        "duplicate_check", "aktenpruefung", "auskunft_art15",
        *sensitive.CATEGORIES, *ASPECT_CATEGORY.values(),
    }  # fmt: skip
    assert {code for code in written if category_label(code) == code} == set()
    assert set(sensitive.CATEGORIES) <= set(ACCESS_LOG_CATEGORIES)
    with app.app_context():
        org = f.make_org("Träger A")
        person = f.make_person(org, first_name="Selam", last_name="Haile")
        person_id = person.id
        log_accesses(
            [(person_id, "read_sensitive", code, "Seite") for code in sensitive.CATEGORIES]
        )
        # two plain reads of the file in the same minute stay two lines
        log_accesses([(person_id, "read", "case_file", "Fallakte")] * 2)
        from app.extensions import db

        db.session.commit()
        assert db.session.query(AccessLog).filter_by(person_id=person_id).count() == 7
    client = login_as(matrix.ROLE_DPO)
    text = _pdf_text(client.get(f"/datenschutz/auskunft/{person_id}.pdf").data)
    joined = " ".join(text.split())
    # the five rows of the read are one line of the log ("Besondere Kategorien gelesen")
    assert joined.count("Kategorien gelesen") == 1, joined[-1500:]
    assert joined.count("Gelesen Fallakte") == 2, joined[-1500:]
    for label in sensitive.CATEGORIES.values():
        assert f"Besondere Kategorie: {label}" in joined or label in joined, label
    for code in sensitive.CATEGORIES:
        assert code not in text, code
    data = json.loads(client.get(f"/datenschutz/auskunft/{person_id}.json").data)
    assert len([e for e in data["access_log"] if e["action"] == "read_sensitive"]) == 5
    page = client.get(f"/accesslogview/list/?_flt_0_person_id={person_id}").get_data(as_text=True)
    assert "Besondere Kategorie: Gesundheitliche Situation" in page
    assert ">addiction_in_family<" not in page

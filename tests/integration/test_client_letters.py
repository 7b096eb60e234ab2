"""Bilingual letters to clients over HTTP, on SQLite and PostgreSQL.

Every kind renders in every listed language; the PDF's text (pdftotext) holds the German source
and, where the phrase catalogue is reviewed, the translation — Arabic in logical order; every
font is embedded (pdffonts); a language whose texts are not reviewed prints German only and
says so. Forbidden: another provider's person (404), the reviewer (403), unknown kind or
language (400), a handover or appointment of another person (404).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccessLog, Appointment, Handover
from app.models.organisation import MsaUser
from app.security import matrix
from app.services.documents import letters
from tests import factories
from tests.conftest import sign_in

#: direction marks and (Farsi) zero-width joiners: invisible, not part of the words compared
BIDI_MARKS = re.compile("[\u200c\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        out = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", fh.name, "-"],
            capture_output=True,
            check=True,
        ).stdout.decode()
    return " ".join(BIDI_MARKS.sub("", out).split())


def _fonts(data: bytes) -> list[list[str]]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        out = subprocess.run(
            ["pdffonts", fh.name],
            capture_output=True,
            check=True,
        ).stdout.decode()
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def _plain(text: str) -> str:
    """A phrase without its placeholders, as words (the values are checked on their own)."""
    return " ".join(BIDI_MARKS.sub("", re.sub(r"%\(\w+\)s", " ", text)).split())


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    with app.app_context():
        home = factories.make_org("Caritas Werder")
        other = factories.make_org("Diakonie Beelitz")
        fbd = factories.make_org("Fachberatungsdienst Psychosozial", kind="specialist_service")
        worker = factories.make_user(
            matrix.ROLE_CASEWORKER, home, first_name="Anna", last_name="Schulz"
        )
        person = factories.make_person(
            home, first_name="Samir", last_name="Haddad", caseworker_id=worker.id
        )
        stranger = factories.make_person(other, first_name="Olena", last_name="Koval")
        appointment = Appointment(
            organisation_id=home.id,
            owner_id=worker.id,
            person_id=person.id,
            date=dt.date(2026, 12, 15),
            start_time=dt.time(10, 30),
            title="Erstgespräch",
            place="Beratungsstelle Werder, Raum 2",
            interpreter_needed=True,
        )
        handover = Handover(
            person_id=person.id,
            from_organisation_id=home.id,
            to_organisation_id=other.id,
            scope="full",
            include_household=False,
        )
        foreign_handover = Handover(
            person_id=stranger.id,
            from_organisation_id=other.id,
            to_organisation_id=home.id,
            scope="master_data",
        )
        db.session.add_all([appointment, handover, foreign_handover])
        db.session.commit()
        ids = {
            "person": person.id,
            "stranger": stranger.id,
            "appointment": appointment.id,
            "handover": handover.id,
            "foreign_handover": foreign_handover.id,
            "fbd": fbd.id,
            "home": home.id,
            "worker": worker.id,
        }
    return {**ids, "client": sign_in(app.test_client(), ids["worker"])}


def _args(kind: str, w: dict[str, Any]) -> str:
    return {
        "appointment": f"&appointment_id={w['appointment']}",
        "consent_handover": f"&handover_id={w['handover']}",
        "consent_sharing": f"&organisation_id={w['fbd']}",
    }.get(kind, "")


@pytest.mark.parametrize("kind", list(letters.KINDS))
def test_every_kind_in_every_language(app: Flask, world: dict[str, Any], kind: str) -> None:
    client = world["client"]
    for code in ["de", *letters.LANGUAGES]:
        resp = client.get(
            f"/schreiben/{world['person']}/{kind}.pdf?lang={code}{_args(kind, world)}"
        )
        assert resp.status_code == 200, (kind, code, resp.status_code)
        assert resp.mimetype == "application/pdf"
        text = _pdf_text(resp.data)
        assert _plain(letters.TITLES[kind]) in text, (kind, code)
        assert "Samir Haddad" in text
        for row in _fonts(resp.data):
            assert row[-5] == "yes", (kind, code, row)  # emb
        if code == "de":
            continue
        status = letters.kind_status(kind, code)
        if status == letters.REVIEWED:
            translated = letters.catalogue(code).get(letters.TITLES[kind]).string  # type: ignore[union-attr]
            assert _plain(translated) in text, (kind, code)
            contact = letters.catalogue(code).get(letters.CONTACT).string  # type: ignore[union-attr]
            first_words = _plain(contact).split()[:3]
            assert " ".join(first_words) in text, (kind, code, first_words)
            assert "noch nicht in geprüfter Übersetzung" not in text
        else:
            assert "noch nicht in geprüfter Übersetzung vor" in text, (kind, code)


def test_arabic_is_extracted_in_logical_order(app: Flask, world: dict[str, Any]) -> None:
    resp = world["client"].get(f"/schreiben/{world['person']}/move_papers.pdf?lang=ar")
    text = _pdf_text(resp.data)
    phrase = letters.catalogue("ar").get(letters.BRING_ID).string  # type: ignore[union-attr]
    assert phrase == "بطاقة هويتك أو وثيقة إقامتك"
    assert phrase in text  # logical order: the first word first, not mirrored
    assert phrase[::-1] not in text
    names = {row[0].split("+", 1)[-1] for row in _fonts(resp.data)}
    assert any("Naskh-Arabic" in n for n in names), names


def test_handover_consent_names_the_receiver_and_the_scope(
    app: Flask, world: dict[str, Any]
) -> None:
    resp = world["client"].get(
        f"/api/v1/person/{world['person']}/letters/consent_handover.pdf"
        f"?lang=uk&handover_id={world['handover']}",
        headers=_api_headers(app, world),
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    text = _pdf_text(resp.data)
    assert "Diakonie Beelitz" in text
    assert _plain(letters.HANDOVER[2]) in text  # the whole case file (scope "full")
    assert _plain(letters.HANDOVER[3]) not in text
    assert "Caritas Werder" in text  # the sender, who will no longer see the file
    assert "Буде передано всю вашу справу" in text


def _api_headers(app: Flask, world: dict[str, Any]) -> dict[str, str]:
    with app.app_context():
        user = db.session.get(MsaUser, world["worker"])
        username = user.username  # type: ignore[union-attr]
    resp = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": factories.PASSWORD, "provider": "db"},
    )
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def test_forbidden_and_wrong_requests(
    app: Flask, world: dict[str, Any], login_as: Callable[..., FlaskClient]
) -> None:
    client = world["client"]
    p = world["person"]
    headers = _api_headers(app, world)
    api = app.test_client()
    # another provider's person: not in scope
    assert client.get(f"/schreiben/{world['stranger']}/counselling_end.pdf").status_code == 404
    assert (
        api.get(
            f"/api/v1/person/{world['stranger']}/letters/counselling_end.pdf", headers=headers
        ).status_code
        == 404
    )
    # unknown kind or language
    resp = api.get(f"/api/v1/person/{p}/letters/eviction.pdf?lang=ar", headers=headers)
    assert resp.status_code == 400
    assert "Unbekannte Art von Schreiben" in resp.get_json()["message"]
    resp = api.get(f"/api/v1/person/{p}/letters/appointment.pdf?lang=xx", headers=headers)
    assert resp.status_code == 400
    assert "Unbekannte Sprache" in resp.get_json()["message"]
    # a handover of another person, an appointment that does not exist
    assert (
        api.get(
            f"/api/v1/person/{p}/letters/consent_handover.pdf?handover_id={world['foreign_handover']}",
            headers=headers,
        ).status_code
        == 404
    )
    assert (
        api.get(
            f"/api/v1/person/{p}/letters/appointment.pdf?appointment_id=999999", headers=headers
        ).status_code
        == 404
    )
    # the reviewer reads case files but writes no letters
    with app.app_context():
        county = factories.make_org("Landkreis", kind="county")
    reviewer = login_as(matrix.ROLE_REVIEWER, county)
    assert reviewer.get(f"/schreiben/{p}/counselling_end.pdf").status_code in (302, 403)
    # without a token
    assert (
        app.test_client().get(f"/api/v1/person/{p}/letters/counselling_end.pdf").status_code == 401
    )


def test_every_letter_is_access_logged(app: Flask, world: dict[str, Any]) -> None:
    world["client"].get(f"/schreiben/{world['person']}/counselling_end.pdf?lang=fa")
    with app.app_context():
        rows = db.session.scalars(
            select(AccessLog.detail).where(AccessLog.person_id == world["person"])
        ).all()
        assert "Schreiben Ende der Beratung (fa)" in rows
        assert db.session.scalar(select(func.count()).select_from(AccessLog)) >= 1


def test_case_file_offers_the_letters(app: Flask, world: dict[str, Any]) -> None:
    body = world["client"].get(f"/personview/show/{world['person']}").get_data(as_text=True)
    assert "Schreiben an die Klientin / den Klienten" in body
    assert f"/schreiben/{world['person']}/appointment.pdf" in body
    assert "Arabisch (العربية)" in body


def test_coverage_cli_prints_kind_by_language(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["msa", "letters-coverage"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.output)
    assert set(table) == set(letters.KINDS)
    for kind, row in table.items():
        assert set(row) == set(letters.LANGUAGES), kind
        assert set(row.values()) <= {"reviewed", "unreviewed", "missing"}
    assert table["appointment"]["ar"] == "reviewed"
    # Tigrinya: drafts for every kind, none reviewed yet (docs/letters.md)
    assert {table[kind]["ti"] for kind in letters.KINDS} == {"unreviewed"}


def test_tigrinya_drafts_are_not_printed_but_the_script_is_embedded(
    app: Flask, world: dict[str, Any]
) -> None:
    """Every Tigrinya entry is unreviewed: the letter prints German with the notice, which
    names the language in its own script — so the Ethiopic font is used and embedded."""
    catalogue = letters.catalogue("ti")
    assert catalogue is not None
    for kind, phrases in letters.PHRASES.items():
        for msgid in phrases:
            assert letters.phrase_status("ti", msgid) == letters.UNREVIEWED, (kind, msgid)
    for kind in letters.KINDS:
        resp = world["client"].get(
            f"/schreiben/{world['person']}/{kind}.pdf?lang=ti{_args(kind, world)}"
        )
        assert resp.status_code == 200, kind
        text = _pdf_text(resp.data)
        assert "noch nicht in geprüfter Übersetzung vor" in text and "ትግርኛ" in text, kind
        draft = catalogue.get(letters.TITLES[kind]).string  # type: ignore[union-attr]
        assert draft and draft not in text, kind  # the unreviewed draft stays out
        fonts = _fonts(resp.data)
        ethiopic = [row for row in fonts if "Ethiopic" in row[0]]
        assert ethiopic, (kind, [row[0] for row in fonts])
        assert all(row[-5] == "yes" for row in ethiopic), ethiopic  # embedded


def test_an_unreviewed_phrase_makes_the_kind_german_only(tmp_path: Path, monkeypatch: Any) -> None:
    """A fuzzy entry (unreviewed) withdraws the language for every kind that uses it."""
    source = (letters.CATALOGUE_DIR / "fr.po").read_text(encoding="utf-8")
    marked = source.replace('msgid "Ende der Beratung"', '#, fuzzy\nmsgid "Ende der Beratung"', 1)
    assert marked != source
    (tmp_path / "fr.po").write_text(marked, encoding="utf-8")
    monkeypatch.setattr(letters, "CATALOGUE_DIR", tmp_path)
    letters.catalogue.cache_clear()
    try:
        assert letters.kind_status("counselling_end", "fr") == letters.UNREVIEWED
        assert letters.kind_status("appointment", "fr") == letters.REVIEWED
        context = letters.build_context(
            "counselling_end",
            "fr",
            {"person": "A B", "organisation": "O", "end_date": dt.date(2026, 12, 31)},
        )
        assert context["bilingual"] is False
        assert all(block["xx"] is None for block in context["blocks"])
    finally:
        letters.catalogue.cache_clear()


def test_without_a_record_id_the_latest_record_is_printed(
    app: Flask, world: dict[str, Any]
) -> None:
    """The ids are optional: the latest appointment, the latest handover, the first specialist
    service — a GET form of the case file works before a record is chosen."""
    client = world["client"]
    p = world["person"]
    text = _pdf_text(client.get(f"/schreiben/{p}/appointment.pdf?lang=en").data)
    assert "15.12.2026" in text
    text = _pdf_text(client.get(f"/schreiben/{p}/consent_handover.pdf?lang=en").data)
    assert "Diakonie Beelitz" in text
    text = _pdf_text(client.get(f"/schreiben/{p}/consent_sharing.pdf?lang=en").data)
    assert "Fachberatungsdienst Psychosozial" in text
    # the stranger's handover is not the caller's person's: still not found
    stranger = world["stranger"]
    assert client.get(f"/schreiben/{stranger}/consent_handover.pdf").status_code == 404

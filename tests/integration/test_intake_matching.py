"""Intake with the one name matcher: identifiers and names agree (conflict rows, known persons
gain the AZR number), every preview page that shows where a person is held is access-logged,
persons without a caseworker on the lead's desk with a bulk assignment (own provider only), and
the handover API's optional consent form."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccessLog, Accommodation, AccommodationKind, Person
from app.models.intake import Handover
from app.security import matrix
from app.services.intake import assignment_import as imp
from tests import factories

HEADER = "Name;Vorname;Geburtsdatum;AZR-Nummer;Unterkunft\n"


def _world(app: Flask) -> dict[str, Any]:
    with app.app_context():
        a = factories.make_org("Caritas Test")
        b = factories.make_org("Diakonie Test")
        home = Accommodation(
            name="ÜWH Lindenweg", kind=AccommodationKind.transitional_home, operator_id=a.id
        )
        db.session.add(home)
        db.session.commit()
        child = factories.make_person(
            a,
            first_name="Lina",
            last_name="Haddad",
            birth_date=dt.date(2013, 2, 2),
            file_number="AZR-1",
            accommodation_id=home.id,
            residence_status="duldung",
        )
        plain = factories.make_person(
            a, first_name="Muhammad", last_name="Al Hassan", birth_date=dt.date(1990, 5, 17)
        )
        internal = factories.make_person(
            a,
            first_name="Chalid",
            last_name="Abdelrahman",
            birth_date=dt.date(1979, 9, 30),
            file_number="MSA-000042",
        )
        other = factories.make_person(
            a,
            first_name="Omar",
            last_name="Jafari",
            birth_date=dt.date(1988, 4, 12),
            file_number="AZR-77",
        )
        return {
            "a": a.id,
            "b": b.id,
            "home": home.id,
            "child": child.id,
            "plain": plain.id,
            "internal": internal.id,
            "other": other.id,
        }


def test_an_azr_match_with_another_name_and_birth_date_is_a_conflict(app: Flask) -> None:
    """The number names a 13-year-old; the row names an adult: a conflict with both sides,
    never an update of the child's accommodation or status."""
    w = _world(app)
    text = HEADER + "Karimi;Mohamad;14.03.1985;AZR-1;ÜWH Lindenweg\n"
    with app.app_context():
        analysis = imp.analyse(text.encode(), "x.csv")
        row = analysis.rows[0]
        assert row.status == "conflict" and row.person_id == w["child"]
        assert row.conflict is not None and row.conflict["first_name"] == "Lina"
        message = row.errors[0][1]
        assert "Haddad, Lina, geb. 02.02.2013" in message
        assert "Karimi, Mohamad, geb. 14.03.1985" in message
        summary = imp.apply(analysis)
        assert summary["created"] == 0 and summary["updated"] == 0
        assert summary["errors"][0]["column"] == "AZR-Nummer"
        db.session.expire_all()
        child = db.session.get(Person, w["child"])
        assert child.residence_status == "duldung" and child.first_name == "Lina"
        assert db.session.scalar(select(func.count(Person.id))) == 4


def test_an_azr_match_with_a_spelling_variant_is_known(app: Flask) -> None:
    w = _world(app)
    text = HEADER + "Dschafari;Umar;12.04.1988;AZR-77;ÜWH Lindenweg\n"
    with app.app_context():
        row = imp.analyse(text.encode(), "x.csv").rows[0]
        assert row.status in ("known", "update") and row.person_id == w["other"]


def test_name_and_birth_date_match_without_a_number_is_known_and_gains_it(app: Flask) -> None:
    """No AZR number, or only the portal's internal one: known by name and birth date (particles
    and transliteration), and the person gains the file's number on confirmation."""
    w = _world(app)
    text = (
        HEADER
        + "Al-Hassan;Mohammed;17.05.1990;AZR-555;ÜWH Lindenweg\n"
        + "Abdul Rahman;Khalid;30.09.1979;AZR-556;ÜWH Lindenweg\n"
        # another AZR number than the person's own: another person
        + "Jafari;Omar;12.04.1988;AZR-78;ÜWH Lindenweg\n"
    )
    with app.app_context():
        analysis = imp.analyse(text.encode(), "x.csv")
        first, second, third = analysis.rows
        assert first.status == "update" and first.person_id == w["plain"]
        assert first.changes["file_number"] == "AZR-555"
        assert second.status == "update" and second.person_id == w["internal"]
        assert third.status == "new"
        summary = imp.apply(analysis)
        assert summary["created"] == 1 and summary["updated"] == 2
        db.session.expire_all()
        assert db.session.get(Person, w["plain"]).file_number == "AZR-555"
        assert db.session.get(Person, w["internal"]).file_number == "AZR-556"
        again = imp.import_file(text.encode(), "x.csv")
        assert again["created"] == 0 and again["updated"] == 0 and again["unchanged"] == 3


def _preview_rows(app: Flask) -> list[tuple[int | None, str | None]]:
    with app.app_context():
        return [
            (pid, detail)
            for pid, detail in db.session.execute(
                select(AccessLog.person_id, AccessLog.detail)
                .where(AccessLog.category == "import_preview")
                .order_by(AccessLog.id)
            )
        ]


def test_every_preview_page_that_shows_a_provider_is_access_logged(
    app: Flask, login_as: Any
) -> None:
    w = _world(app)
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    text = (
        HEADER
        + "Al-Hassan;Mohammed;17.05.1990;;ÜWH Lindenweg\n"
        + "Neu;Person;01.02.2000;;ÜWH Lindenweg\n"
    )
    resp = admin.post(
        "/zuweisungen/upload",
        data={"file": (io.BytesIO(text.encode()), "liste.csv")},
        content_type="multipart/form-data",
    )
    preview = str(resp.headers["Location"])
    page = admin.get(preview, follow_redirects=True).get_data(as_text=True)
    assert "Caritas Test" in page
    assert [pid for pid, _d in _preview_rows(app)] == [w["plain"]]
    admin.get(preview, follow_redirects=True)  # shown again: logged again
    rows = _preview_rows(app)
    assert [pid for pid, _d in rows] == [w["plain"], w["plain"]]
    assert all("liste.csv" in (d or "") for _p, d in rows)


def test_conflict_row_shows_both_sides_in_the_preview(app: Flask, login_as: Any) -> None:
    _world(app)
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    text = HEADER + "Karimi;Mohamad;14.03.1985;AZR-1;ÜWH Lindenweg\n"
    resp = admin.post(
        "/zuweisungen/upload",
        data={"file": (io.BytesIO(text.encode()), "liste.csv")},
        content_type="multipart/form-data",
    )
    page = admin.get(str(resp.headers["Location"]), follow_redirects=True).get_data(as_text=True)
    assert "Konflikt" in page and "Haddad, Lina, geb. 02.02.2013" in page
    assert "Karimi, Mohamad, geb. 14.03.1985" in page


# -- persons without a caseworker ---------------------------------------------------------
def _desk_world(app: Flask) -> dict[str, Any]:
    with app.app_context():
        a = factories.make_org("Träger A")
        b = factories.make_org("Träger B")
        cw_a = factories.make_user(matrix.ROLE_CASEWORKER, a, first_name="Clara")
        cw_b = factories.make_user(matrix.ROLE_CASEWORKER, b)
        p1 = factories.make_person(a, first_name="Amal", last_name="Nouri")
        p2 = factories.make_person(a, first_name="Omid", last_name="Nouri")
        done = factories.make_person(a, caseworker_id=cw_a.id)
        pb = factories.make_person(b, first_name="Rami", last_name="Haddad")
        return {
            "a": a.id,
            "b": b.id,
            "cw_a": cw_a.id,
            "cw_b": cw_b.id,
            "p1": p1.id,
            "p2": p2.id,
            "done": done.id,
            "pb": pb.id,
        }


def _caseworker_of(app: Flask, pid: int) -> int | None:
    with app.app_context():
        return db.session.scalar(select(Person.caseworker_id).where(Person.id == pid))


def test_lead_desk_shows_persons_without_caseworker_and_assigns_in_bulk(
    app: Flask, login_as: Any
) -> None:
    w = _desk_world(app)
    lead = login_as(matrix.ROLE_LEAD, w["a"])
    desk = lead.get("/").get_data(as_text=True)
    assert "ohne zuständige Fachkraft" in desk
    page = lead.get("/ohne-fachkraft/").get_data(as_text=True)
    assert "<title>Personen ohne zuständige Fachkraft" in page
    assert "Nouri" in page and "Haddad" not in page  # own provider only
    resp = lead.post(
        "/ohne-fachkraft/zuweisen",
        data={"person_ids": [w["p1"], w["p2"]], "caseworker_id": w["cw_a"]},
    )
    assert resp.status_code == 302
    assert _caseworker_of(app, w["p1"]) == w["cw_a"] == _caseworker_of(app, w["p2"])
    with app.app_context():
        logged = db.session.execute(
            select(AccessLog.person_id, AccessLog.user_id).where(
                AccessLog.category == "caseworker_assignment"
            )
        ).all()
        assert sorted(p for p, _u in logged) == sorted([w["p1"], w["p2"]])
        assert {u for _p, u in logged} == {lead.user_id}  # type: ignore[attr-defined]
    assert "Nouri" not in lead.get("/ohne-fachkraft/").get_data(as_text=True)


def test_bulk_assignment_is_scoped_to_the_leads_organisation(app: Flask, login_as: Any) -> None:
    w = _desk_world(app)
    lead_b = login_as(matrix.ROLE_LEAD, w["b"])
    # another provider's persons: refused, nothing written
    resp = lead_b.post(
        "/ohne-fachkraft/zuweisen",
        data={"person_ids": [w["p1"]], "caseworker_id": w["cw_b"]},
        follow_redirects=True,
    )
    assert "gehören nicht zu Ihrem Träger" in resp.get_data(as_text=True)
    assert _caseworker_of(app, w["p1"]) is None
    # another provider's caseworker: refused
    lead_a = login_as(matrix.ROLE_LEAD, w["a"])
    resp = lead_a.post(
        "/ohne-fachkraft/zuweisen",
        data={"person_ids": [w["p1"]], "caseworker_id": w["cw_b"]},
        follow_redirects=True,
    )
    page = resp.get_data(as_text=True)
    assert "Die Fachkraft gehört nicht zu Ihrem Träger." in page
    assert 'value="{}" id="p-{}" checked'.format(w["p1"], w["p1"]) in page  # choice kept
    assert _caseworker_of(app, w["p1"]) is None
    # a person who already has one: refused
    resp = lead_a.post(
        "/ohne-fachkraft/zuweisen",
        data={"person_ids": [w["done"]], "caseworker_id": w["cw_a"]},
        follow_redirects=True,
    )
    assert "schon eine" in resp.get_data(as_text=True)
    # a caseworker may not assign in bulk, nor see the list
    caseworker = login_as(matrix.ROLE_CASEWORKER, w["a"])
    resp = caseworker.post(
        "/ohne-fachkraft/zuweisen", data={"person_ids": [w["p1"]], "caseworker_id": w["cw_a"]}
    )
    assert resp.status_code in (302, 403) and _caseworker_of(app, w["p1"]) is None
    assert caseworker.get("/ohne-fachkraft/").status_code in (302, 403)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AccessLog.id)).where(
                    AccessLog.category == "caseworker_assignment"
                )
            )
            == 0
        )


def test_unassigned_page_within_statement_budget(app: Flask, login_as: Any) -> None:
    from tests.integration.test_performance import MAX_STATEMENTS, count_statements

    w = _desk_world(app)
    with app.app_context():
        for _ in range(60):  # more than one page
            factories.make_person(w["a"])
    lead = login_as(matrix.ROLE_LEAD, w["a"])
    for url in ("/ohne-fachkraft/", "/ohne-fachkraft/?seite=2", "/"):
        lead.get(url)
        with count_statements(app) as statements:
            resp = lead.get(url)
        assert resp.status_code == 200, url
        assert len(statements) <= MAX_STATEMENTS, (url, statements)
    assert "Seite 2 von 2" in lead.get("/ohne-fachkraft/?seite=2").get_data(as_text=True)


# -- handover API: consent_form is optional ------------------------------------------------
def test_handover_api_consent_form_defaults_to_not_recorded(
    app: Flask, client: Any, api_token: Any
) -> None:
    with app.app_context():
        a = factories.make_org("Träger A")
        b = factories.make_org("Träger B")
        p = factories.make_person(a)
        ids = {"a": a.id, "b": b.id, "p": p.id}
    headers = api_token(matrix.ROLE_CASEWORKER, ids["a"])
    body = {
        "person_id": ids["p"],
        "to_organisation_id": ids["b"],
        "scope": "full",
        "consent_given": True,
        "consent_on": "2026-11-30",
    }
    resp = client.post("/api/v1/handover/", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    with app.app_context():
        handover = db.session.get(Handover, resp.get_json()["id"])
        assert handover.consent_form == "not_recorded"
    listed = client.get("/api/v1/handover/", headers=headers).get_json()["result"]
    assert listed[0]["consent_form"] == "not_recorded"
    bad = client.post(
        "/api/v1/handover/",
        json={**body, "consent_form": "gesungen"},
        headers=headers,
    )
    assert bad.status_code in (400, 409)

"""REST API of the Sozialbericht and the CV (INTERFACES.md): scoping, immutability, logging."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from app.models import AccessLog, PersonDegree, PersonLanguage, SocialReport
from app.security import matrix
from app.services.catalogues import catalogue_file
from tests.unit.test_social_report import docx_text, pdf_text


def _criteria() -> dict[str, str]:
    entries = catalogue_file()["social_report_criterion"]
    return {e["code"]: f"Bewertung {e['code']}" for e in entries}


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    """Two providers with one person each (no app context is kept open: g is per request)."""
    from tests import factories as f

    with app.app_context():
        org_a = f.make_org("Träger A")
        org_b = f.make_org("Träger B")
        person_a = f.make_person(org_a, first_name="Amal", last_name="Haddad")
        person_b = f.make_person(org_b, first_name="Olena", last_name="Shevchenko")
        return {
            "org_a": f.id_of(org_a),
            "org_b": f.id_of(org_b),
            "a": f.id_of(person_a),
            "b": f.id_of(person_b),
        }


def _create(client: Any, headers: dict[str, str], person_id: int, **extra: Any) -> Any:
    return client.post(
        "/api/v1/socialreport/",
        json={"person_id": person_id, "criteria": _criteria(), "recommendation": "Ja.", **extra},
        headers=headers,
    )


def test_write_finalise_download_and_put_refused(
    app: Any, client: Any, api_token: Any, world: dict[str, Any]
) -> None:
    """Draft → finalise → PDF/DOCX; a later PUT is refused (409) and the row is unchanged."""
    headers = api_token(matrix.ROLE_CASEWORKER, world["org_a"])
    resp = _create(client, headers, world["a"])
    assert resp.status_code == 201, resp.get_data(as_text=True)
    rid = resp.get_json()["id"]
    assert resp.get_json()["result"]["status"] == "draft"

    resp = client.put(
        f"/api/v1/socialreport/{rid}",
        json={"daily_structure": "Geordneter Tagesablauf", "recommendation": "Befürwortet."},
        headers=headers,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["result"]["criteria"]["daily_structure"] == "Geordneter Tagesablauf"

    resp = client.post(f"/api/v1/socialreport/{rid}/finalise", headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    final = resp.get_json()["result"]
    assert final["status"] == "final" and len(final["sha256"]) == 64 and final["finalised_by"]

    with app.app_context():
        from app.extensions import db

        before = tuple(db.session.execute(text("SELECT * FROM social_report")).one())
    resp = client.put(
        f"/api/v1/socialreport/{rid}", json={"recommendation": "Abgelehnt."}, headers=headers
    )
    assert resp.status_code == 409
    assert "abgeschlossen" in resp.get_json()["message"]
    assert client.post(f"/api/v1/socialreport/{rid}/finalise", headers=headers).status_code == 409
    with app.app_context():
        from app.extensions import db

        assert tuple(db.session.execute(text("SELECT * FROM social_report")).one()) == before

    pdf = client.get(f"/api/v1/socialreport/{rid}/pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    content = pdf_text(pdf.data)
    assert "Haddad" in content and "Befürwortet." in content and "Shevchenko" not in content
    import hashlib

    assert hashlib.sha256(pdf.data).hexdigest() == final["sha256"]
    docx = client.get(f"/api/v1/socialreport/{rid}/docx", headers=headers)
    assert docx.status_code == 200
    assert "Geordneter Tagesablauf" in docx_text(docx.data)

    with app.app_context():
        from app.extensions import db

        logged = db.session.scalars(
            select(AccessLog.detail).where(
                AccessLog.action == "document", AccessLog.person_id == world["a"]
            )
        ).all()
    assert len(logged) == 2 and all("Sozialbericht" in d for d in logged)


def test_new_version_keeps_old_one(client: Any, api_token: Any, world: dict[str, Any]) -> None:
    """A change after finalising is a new version; both stay downloadable."""
    headers = api_token(matrix.ROLE_LEAD, world["org_a"])
    rid = _create(client, headers, world["a"]).get_json()["id"]
    client.post(f"/api/v1/socialreport/{rid}/finalise", headers=headers)
    resp = client.post(f"/api/v1/socialreport/{rid}/new_version", headers=headers)
    assert resp.status_code == 201
    v2 = resp.get_json()["id"]
    assert resp.get_json()["result"]["number"] == 2
    assert (
        client.put(
            f"/api/v1/socialreport/{v2}", json={"recommendation": "Version 2"}, headers=headers
        ).status_code
        == 200
    )
    assert client.post(f"/api/v1/socialreport/{v2}/finalise", headers=headers).status_code == 200
    listing = client.get(f"/api/v1/socialreport/?person_id={world['a']}", headers=headers)
    assert [r["number"] for r in listing.get_json()["result"]] == [2, 1]
    assert "Version 2" not in pdf_text(
        client.get(f"/api/v1/socialreport/{rid}/pdf", headers=headers).data
    )
    assert "Version 2" in pdf_text(
        client.get(f"/api/v1/socialreport/{v2}/pdf", headers=headers).data
    )


def test_bad_input_gets_german_messages(client: Any, api_token: Any, world: dict[str, Any]) -> None:
    headers = api_token(matrix.ROLE_CASEWORKER, world["org_a"])
    resp = client.post("/api/v1/socialreport/", json={"criteria": {}}, headers=headers)
    assert resp.status_code == 400 and "Pflichtfeld" in str(resp.get_json())
    resp = _create(client, headers, world["a"], criteria={"erfunden": "x"})
    assert resp.status_code == 400 and "Unbekanntes Kriterium" in str(resp.get_json())
    rid = client.post(
        "/api/v1/socialreport/", json={"person_id": world["a"], "prefill": False}, headers=headers
    ).get_json()["id"]
    resp = client.post(f"/api/v1/socialreport/{rid}/finalise", headers=headers)
    assert resp.status_code == 400 and "Empfehlung" in resp.get_json()["message"]


def test_other_providers_report_and_cv_are_404(
    app: Any, client: Any, api_token: Any, world: dict[str, Any]
) -> None:
    """Another provider's report and CV are not found, and no report is created for them."""
    headers_b = api_token(matrix.ROLE_CASEWORKER, world["org_b"])
    rid_b = _create(client, headers_b, world["b"]).get_json()["id"]
    headers_a = api_token(matrix.ROLE_CASEWORKER, world["org_a"])
    for method, url in [
        ("get", f"/api/v1/socialreport/{rid_b}"),
        ("get", f"/api/v1/socialreport/{rid_b}/pdf"),
        ("get", f"/api/v1/socialreport/{rid_b}/docx"),
        ("put", f"/api/v1/socialreport/{rid_b}"),
        ("post", f"/api/v1/socialreport/{rid_b}/finalise"),
        ("post", f"/api/v1/socialreport/{rid_b}/new_version"),
        ("get", f"/api/v1/person/{world['b']}/cv/pdf"),
        ("get", f"/api/v1/person/{world['b']}/cv/docx"),
    ]:
        resp = getattr(client, method)(url, json={"recommendation": "x"}, headers=headers_a)
        assert resp.status_code == 404, (method, url, resp.status_code)
    assert _create(client, headers_a, world["b"]).status_code == 404
    listing = client.get("/api/v1/socialreport/", headers=headers_a).get_json()
    assert listing["count"] == 0
    with app.app_context():
        from app.extensions import db

        rows = db.session.scalars(select(SocialReport)).all()
        assert len(rows) == 1 and rows[0].status == "draft" and rows[0].recommendation == "Ja."
        assert (
            db.session.scalars(select(AccessLog).where(AccessLog.action == "document")).all() == []
        )


def test_reviewer_reads_but_cannot_write(
    client: Any, api_token: Any, world: dict[str, Any]
) -> None:
    """Reviewers (Prüfer) may read and download but not write; the county admin sees nothing."""
    rid = _create(client, api_token(matrix.ROLE_CASEWORKER, world["org_a"]), world["a"]).get_json()[
        "id"
    ]
    reviewer = api_token(matrix.ROLE_REVIEWER)
    assert client.get(f"/api/v1/socialreport/{rid}/pdf", headers=reviewer).status_code == 200
    assert client.post(f"/api/v1/socialreport/{rid}/finalise", headers=reviewer).status_code == 403
    assert _create(client, reviewer, world["a"]).status_code == 403
    admin = api_token(matrix.ROLE_COUNTY_ADMIN)
    assert client.get(f"/api/v1/socialreport/{rid}", headers=admin).status_code == 403
    assert client.get(f"/api/v1/person/{world['a']}/cv/pdf", headers=admin).status_code == 403


def test_cv_pdf_and_docx_from_case_file(
    app: Any, client: Any, api_token: Any, world: dict[str, Any]
) -> None:
    """The CV lists languages, degrees and employment of the person and nobody else's."""
    with app.app_context():
        from app.extensions import db
        from app.models import Employment, IntegrationCourse, Person

        person = db.session.get(Person, world["a"])
        person.private_interests = "Fußball; Kochen"
        db.session.add_all(
            [
                PersonLanguage(
                    person_id=world["a"],
                    organisation_id=world["org_a"],
                    language="ar",
                    level="native",
                ),
                PersonLanguage(
                    person_id=world["a"],
                    organisation_id=world["org_a"],
                    language="de",
                    level="b1",
                    certificate="DTZ B1",
                ),
                PersonDegree(
                    person_id=world["a"],
                    organisation_id=world["org_a"],
                    kind="vocational",
                    title="Elektriker",
                    country="Syrien",
                    year=2012,
                ),
                Employment(
                    person_id=world["a"],
                    organisation_id=world["org_a"],
                    employer="Elektro Aleppo",
                    duties="Hausinstallationen",
                ),
                IntegrationCourse(
                    person_id=world["a"],
                    organisation_id=world["org_a"],
                    course="general",
                    completed=True,
                    outcome="certificate",
                ),
                Employment(
                    person_id=world["b"],
                    organisation_id=world["org_b"],
                    employer="Fremdfirma Kyjiw",
                ),
            ]
        )
        db.session.commit()
    headers = api_token(matrix.ROLE_CASEWORKER, world["org_a"])
    pdf = client.get(f"/api/v1/person/{world['a']}/cv/pdf", headers=headers)
    docx = client.get(f"/api/v1/person/{world['a']}/cv/docx", headers=headers)
    assert pdf.status_code == 200 and docx.status_code == 200
    for content in (pdf_text(pdf.data), docx_text(docx.data)):
        for expected in (
            "Amal Haddad",
            "Elektriker",
            "Elektro Aleppo",
            "Hausinstallationen",
            "DTZ B1",
            "Arabisch",
            "Fußball",
            "Allgemeiner Integrationskurs",
        ):
            assert expected in content, expected
        assert "Fremdfirma" not in content and "Shevchenko" not in content

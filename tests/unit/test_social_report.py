"""Sozialbericht service (R-5.1, R-5.2): prefill, drafts, finalising, versions — without HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import ContactNoteTopic, Employment, PersonLanguage, SocialReport
from app.models.housing import FinalisedRecordError
from app.services.housing import social_report as reports


def _texts(**extra: str) -> dict[str, str]:
    values = {code: f"Einschätzung {code}" for code, _ in reports.criteria()}
    values.update(extra)
    return values


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    from docx import Document

    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


@pytest.fixture
def setup(factory: Any) -> dict[str, Any]:
    org = factory.make_org("Caritas Test")
    user = factory.make_user("Fachkraft", org, first_name="Fatma", last_name="Kaya")
    person = factory.make_person(
        org,
        first_name="Amal",
        last_name="Haddad",
        first_name_original="أمل",
        last_name_original="حداد",
        nationality="sy",
        file_number="MSA-000777",
    )
    return {"org": org, "user": user, "person": person}


def test_catalogue_has_every_criterion_of_the_paper(app: Any, db_session: Any) -> None:
    """The criteria of §3.1.1 come from catalogue social_report_criterion, house rules included."""
    codes = {code for code, _ in reports.criteria()}
    assert {
        "german_language",
        "society_knowledge_acceptance",
        "house_rules_hygiene",
        "house_rules_cleaning",
        "house_rules_waste_separation",
        "house_rules_fire_safety",
        "house_rules_saving_resources",
        "neighbour_acceptance",
        "daily_structure",
        "job_search_effort",
        "no_pending_criminal_proceedings",
        "money_management",
    } <= codes


def test_draft_is_prefilled_from_languages_and_employment(setup: dict[str, Any]) -> None:
    """Language levels and work efforts from the case file prefill the draft."""
    person = setup["person"]
    db.session.add_all(
        [
            PersonLanguage(
                person_id=person.id,
                organisation_id=person.organisation_id,
                language="de",
                level="b1",
                certificate="telc B1",
            ),
            Employment(
                person_id=person.id,
                organisation_id=person.organisation_id,
                employer="Bäckerei Schulz",
                position="Aushilfe",
                start_on=dt.date(2025, 3, 1),
            ),
        ]
    )
    db.session.commit()
    report = reports.create_draft(person, author=setup["user"])
    assert report.status == "draft"
    assert report.number == 1 and report.series_id == report.id
    assert "B1" in report.assessments["german_language"]
    assert "telc B1" in report.assessments["german_language"]
    assert "Bäckerei Schulz" in report.assessments["job_search_effort"]
    assert report.author_name == "Fatma Kaya"


def test_housing_notes_are_offered_as_suggestions(setup: dict[str, Any], factory: Any) -> None:
    """Recent notes with topic housing are suggestions; other topics are not."""
    person, user = setup["person"], setup["user"]
    housing = factory.make_note(person, user, summary="Wohnungsbesichtigung Lindenstraße")
    other = factory.make_note(person, user, summary="Kita-Anmeldung")
    db.session.add_all(
        [
            ContactNoteTopic(contact_note_id=housing.id, code="housing"),
            ContactNoteTopic(contact_note_id=other.id, code="other"),
        ]
    )
    db.session.commit()
    summaries = [s.summary for s in reports.suggestions(person.id)]
    assert summaries == ["Wohnungsbesichtigung Lindenstraße"]


def test_unknown_criterion_is_refused(setup: dict[str, Any]) -> None:
    with pytest.raises(reports.ReportError) as err:
        reports.create_draft(setup["person"], author=None, assessments={"nonsense": "x"})
    assert err.value.field == "nonsense"


def test_finalise_needs_every_criterion_and_a_recommendation(setup: dict[str, Any]) -> None:
    """Each criterion is assessed with text, and there is a recommendation (R-5.1)."""
    report = reports.create_draft(setup["person"], author=setup["user"], use_prefill=False)
    reports.update_draft(report, author=None, assessments={"german_language": "gut"})
    with pytest.raises(reports.ReportError, match="Empfehlung"):
        reports.finalise(report, author=setup["user"])
    assert report.status == "draft"


def test_finalised_report_stores_pdf_checksum_and_author(setup: dict[str, Any]) -> None:
    """Finalising renders the PDF once and stores it with SHA-256 and author."""
    report = reports.create_draft(
        setup["person"],
        author=setup["user"],
        assessments=_texts(),
        recommendation="Der Umzug wird befürwortet.",
    )
    reports.finalise(report, author=setup["user"])
    db.session.expire_all()
    stored = db.session.get(SocialReport, report.id)
    assert stored is not None and stored.status == "final"
    pdf = reports.pdf_bytes(stored)
    assert pdf.startswith(b"%PDF")
    assert stored.sha256 == hashlib.sha256(pdf).hexdigest()
    assert stored.finalised_by_name == "Fatma Kaya"
    assert reports.checksum_ok(stored)
    content = pdf_text(pdf)
    assert "Haddad" in content and "Endfassung" in content
    assert "Der Umzug wird befürwortet." in content
    for _, label in reports.criteria():
        assert label.split(":")[-1].strip()[:20] in content


def test_finalised_report_is_immutable(setup: dict[str, Any]) -> None:
    """A final version cannot be changed: the service and the model refuse, the row stays."""
    report = reports.create_draft(
        setup["person"], author=setup["user"], assessments=_texts(), recommendation="Ja."
    )
    reports.finalise(report, author=setup["user"])
    before = db.session.execute(
        text("SELECT assessments, recommendation, sha256, version FROM social_report")
    ).one()
    with pytest.raises(FinalisedRecordError):
        reports.update_draft(report, author=None, recommendation="Nein.")
    db.session.rollback()
    report = db.session.get(SocialReport, report.id)
    report.recommendation = "Heimlich geändert"
    with pytest.raises(FinalisedRecordError):
        db.session.commit()
    db.session.rollback()
    report = db.session.get(SocialReport, report.id)
    report.status = "draft"
    with pytest.raises(FinalisedRecordError):
        db.session.flush()
    db.session.rollback()
    report = db.session.get(SocialReport, report.id)
    db.session.delete(report)
    with pytest.raises(FinalisedRecordError):
        db.session.flush()
    db.session.rollback()
    after = db.session.execute(
        text("SELECT assessments, recommendation, sha256, version FROM social_report")
    ).one()
    assert tuple(after) == tuple(before)
    with pytest.raises(FinalisedRecordError):
        reports.finalise(db.session.get(SocialReport, report.id), author=None)


def test_change_after_finalising_makes_a_new_version(setup: dict[str, Any]) -> None:
    """A change after finalising is a new version; every version stays downloadable."""
    v1 = reports.create_draft(
        setup["person"], author=setup["user"], assessments=_texts(), recommendation="Ja."
    )
    reports.finalise(v1, author=setup["user"])
    v1_sha = v1.sha256
    v2 = reports.new_version(v1, author=setup["user"])
    assert v2.id != v1.id and v2.number == 2 and v2.series_id == v1.series_id
    assert v2.status == "draft" and v2.assessments == v1.assessments
    assert reports.new_version(v1, author=None).id == v2.id  # one open draft per series
    reports.update_draft(v2, author=None, recommendation="Ja, mit Auflagen.")
    reports.finalise(v2, author=setup["user"])
    versions = reports.versions_of(setup["person"].id)
    assert [v.number for v in versions] == [2, 1]
    assert v1.sha256 == v1_sha and v1.recommendation == "Ja."
    assert "mit Auflagen" in pdf_text(reports.pdf_bytes(v2))
    assert "mit Auflagen" not in pdf_text(reports.pdf_bytes(v1))
    with pytest.raises(reports.ReportError):
        reports.new_version(reports.new_version(v2, author=None), author=None)


def test_documents_contain_the_person_and_nothing_of_another(
    setup: dict[str, Any], factory: Any
) -> None:
    """PDF and DOCX show criteria and the person's data, never another person's."""
    other = factory.make_person(setup["org"], first_name="Olena", last_name="Shevchenko")
    reports.create_draft(other, author=None, assessments=_texts(), recommendation="Fremd")
    report = reports.create_draft(
        setup["person"], author=setup["user"], assessments=_texts(), recommendation="Eigen"
    )
    for content in (
        pdf_text(reports.pdf_bytes(report)),
        docx_text(reports.docx_bytes(report)),
    ):
        assert "Haddad" in content and "Amal" in content and "MSA-000777" in content
        assert "Kenntnisse der deutschen Sprache" in content
        assert "Wirtschaftlicher Umgang mit Geld" in content
        assert "Einschätzung money_management" in content
        assert "Shevchenko" not in content and "Fremd" not in content
        # no flat offer recorded: neither document prints the KdU section
        assert "Wohnungsangebot und Kosten der Unterkunft" not in content
    reports.finalise(report, author=setup["user"])
    final_docx = docx_text(reports.docx_bytes(report))
    assert "Haddad" in final_docx and "Endfassung" in final_docx


def test_build_context_is_pure_plain_data(setup: dict[str, Any]) -> None:
    """build_context returns only plain data (dicts, lists, strings, numbers)."""
    report = reports.create_draft(setup["person"], author=setup["user"], assessments=_texts())
    ctx = reports.build_context(reports.load_facts(setup["person"]), report)

    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | float | bool)

    assert plain(ctx)
    assert ctx["person"]["original_script_name"] == "أمل حداد"
    assert len(ctx["criteria"]) == len(reports.criteria())
    assert db.session.scalars(select(SocialReport)).all()

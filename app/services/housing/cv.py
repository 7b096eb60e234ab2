"""Lebenslauf (R-5.4): the CV of an employable person, generated from the case file (§3.1.1).

``build_context`` is pure; ``load_and_build`` loads the case file in a few queries.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.models import Employment, IntegrationCourse, Person, PersonDegree, PersonLanguage
from app.services.documents import format_date_de, render_docx, render_pdf

DEGREE_KINDS = {
    "school": "Schule",
    "vocational": "Ausbildung",
    "university": "Studium",
    "bachelor": "Studium (Bachelor)",
    "master": "Studium (Master)",
    "doctorate": "Promotion",
    "work_experience_only": "Berufserfahrung ohne Abschluss",
}


def _label(labels: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    return labels.get(code, code)


def build_context(
    person: Person,
    *,
    languages: list[PersonLanguage],
    degrees: list[PersonDegree],
    employment: list[Employment],
    courses: list[IntegrationCourse],
    labels: dict[str, dict[str, str]],
    place: str | None = None,
) -> dict[str, Any]:
    """Return the plain CV context (keys of docs/documents.md) from loaded case-file rows."""
    original = " ".join(
        p for p in (person.first_name_original, person.last_name_original) if p
    ).strip()
    interests: list[str] = [
        line.strip()
        for line in (person.private_interests or "").replace(";", "\n").splitlines()
        if line.strip()
    ]
    return {
        "person": {
            "full_name": f"{person.first_name} {person.last_name}",
            "original_script_name": original or None,
            "birth_date": format_date_de(person.birth_date),
            "nationality": _label(labels.get("nationality", {}), person.nationality),
            "phone": person.phone or "",
            "email": person.email or "",
        },
        "languages": [
            {
                "language": _label(labels.get("language", {}), lang.language),
                "level": _label(labels.get("cefr_level", {}), lang.level),
                "certificate": lang.certificate or "",
            }
            for lang in languages
        ],
        "degrees": [
            {
                "kind": DEGREE_KINDS.get(d.kind, d.kind),
                "title": d.title,
                "institution": d.institution or "",
                "country": _label(labels.get("nationality", {}), d.country),
                "year": d.year or "",
                "recognition": _label(labels.get("recognition", {}), d.recognition_status),
            }
            for d in degrees
        ],
        "employment": [
            {
                "employer": job.employer
                + (
                    f" ({_label(labels.get('nationality', {}), job.country)})"
                    if job.country
                    else ""
                )
                + (f" – {job.position}" if job.position else ""),
                "from": format_date_de(job.start_on),
                "to": format_date_de(job.end_on),
                "duties": job.duties or "",
            }
            for job in employment
        ],
        "courses": [
            {
                "title": _label(labels.get("integration_course_type", {}), c.course),
                "provider": "",
                "from": format_date_de(c.start_on),
                "to": format_date_de(c.end_on),
                "result": _label(labels.get("ik_result", {}), c.outcome)
                or ("abgeschlossen" if c.completed else ""),
            }
            for c in courses
        ],
        "interests": interests,
        "place": place,
    }


def load_and_build(person: Person) -> dict[str, Any]:
    """Load the CV data of ``person`` (all kinds in ONE statement) and build the context."""
    from app.services.bundle import Bundle
    from app.services.catalogues import labels_many

    bundle = Bundle()
    for key, model, order in (
        ("languages", PersonLanguage, PersonLanguage.id),
        ("degrees", PersonDegree, PersonDegree.year.desc()),
        ("employment", Employment, Employment.start_on.desc()),
        ("courses", IntegrationCourse, IntegrationCourse.start_on.desc()),
    ):
        bundle.add(key, select(model).where(model.person_id == person.id).order_by(order))
    data = bundle.run()
    return build_context(
        person,
        languages=data["languages"],
        degrees=data["degrees"],
        employment=data["employment"],
        courses=data["courses"],
        labels=labels_many(
            "language",
            "cefr_level",
            "recognition",
            "nationality",
            "integration_course_type",
            "ik_result",
        ),
    )


def cv_pdf(person: Person) -> bytes:
    """Return the CV of ``person`` as PDF."""
    return render_pdf("cv", load_and_build(person))


def cv_docx(person: Person) -> bytes:
    """Return the CV of ``person`` as DOCX."""
    return render_docx("cv", load_and_build(person))

"""Sozialbericht (R-5.1, R-5.2): prefill from the case file, drafts, finalising, versions.

``build_context`` is pure: it turns already loaded case-file facts and a report into plain data
for the document renderer. The verb functions (``create_draft``, ``update_draft``, ``finalise``,
``new_version``) are one transaction each; a finalised version is never changed again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import undefer

from app.extensions import db
from app.models import (
    ContactNote,
    ContactNoteTopic,
    Employment,
    MsaUser,
    Person,
    PersonLanguage,
)
from app.models.base import utcnow
from app.models.housing import (
    REPORT_DRAFT,
    REPORT_FINAL,
    REPORT_STATUS_LABELS,
    FinalisedRecordError,
    MoveProcedure,
    SocialReport,
)
from app.services.documents import format_date_de, render_docx, render_pdf

CRITERIA_CATALOGUE = "social_report_criterion"
#: language codes/labels that mean German
GERMAN = frozenset({"de", "deu", "ger", "deutsch", "german"})
SUGGESTION_TOPICS = ("housing",)
MAX_TEXT = 20000

__all__ = [
    "CaseFileFacts",
    "FinalisedRecordError",
    "ReportError",
    "build_context",
    "create_draft",
    "criteria",
    "docx_bytes",
    "finalise",
    "load_facts",
    "new_version",
    "pdf_bytes",
    "prefill",
    "suggestions",
    "update_draft",
    "versions_of",
]


class ReportError(ValueError):
    """Invalid input for a Sozialbericht (German message; ``field`` names the input)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Suggestion:
    """A recent contact note on housing, offered as a suggestion for the assessment."""

    date: dt.date
    summary: str
    result: str


@dataclass(frozen=True)
class CaseFileFacts:
    """Everything a Sozialbericht takes from the case file, loaded once."""

    person: Person
    organisation_name: str
    household: list[Person]
    languages: list[PersonLanguage]
    employment: list[Employment]
    criteria: list[tuple[str, str]]
    language_labels: dict[str, str] = field(default_factory=dict)
    level_labels: dict[str, str] = field(default_factory=dict)
    accommodation: str | None = None
    #: the latest flat offer of a move procedure and its KdU check (None: no offer recorded)
    offer: dict[str, Any] | None = None


def criteria() -> list[tuple[str, str]]:
    """Return (code, German label) of the criteria of catalogue ``social_report_criterion``."""
    from app.services.catalogues import choices

    return choices(CRITERIA_CATALOGUE)


def load_facts(person: Person) -> CaseFileFacts:
    """Load the case-file facts of ``person`` (a few queries, none per row)."""
    from app.services.bundle import Bundle
    from app.services.catalogues import load_many

    catalogues = load_many(CRITERIA_CATALOGUE, "language", "cefr_level")
    bundle = Bundle()  # household, languages and employment in ONE statement
    bundle.add(
        "household",
        select(Person)
        .where(
            Person.household_id == person.household_id,
            Person.household_id.is_not(None),
            Person.id != person.id,
        )
        .order_by(Person.birth_date),
    )
    bundle.add(
        "languages",
        select(PersonLanguage)
        .where(PersonLanguage.person_id == person.id)
        .order_by(PersonLanguage.id),
    )
    bundle.add(
        "employment",
        select(Employment)
        .where(Employment.person_id == person.id)
        .order_by(Employment.start_on.desc()),
    )
    bundle.add(
        "offers",
        select(MoveProcedure)
        .where(MoveProcedure.person_id == person.id, MoveProcedure.offer_on.is_not(None))
        .order_by(MoveProcedure.offer_on.desc(), MoveProcedure.id.desc())
        .limit(1),
    )
    data = bundle.run()
    household: list[Person] = data["household"]
    languages: list[PersonLanguage] = data["languages"]
    employment: list[Employment] = data["employment"]
    accommodation = person.accommodation.name if person.accommodation is not None else None
    return CaseFileFacts(
        person=person,
        organisation_name=person.organisation.name if person.organisation else "",
        household=household,
        languages=languages,
        employment=employment,
        # criteria() in one query with the labels: the active criteria, in order
        criteria=[
            (code, label) for code, label, active in catalogues[CRITERIA_CATALOGUE] if active
        ],
        language_labels={code: label for code, label, _ in catalogues["language"]},
        level_labels={code: label for code, label, _ in catalogues["cefr_level"]},
        accommodation=accommodation,
        offer=_offer_context(data["offers"][0]) if data["offers"] else None,
    )


def _offer_context(procedure: MoveProcedure) -> dict[str, Any]:
    """The flat offer and its KdU check as the document prints it."""
    from app.services.housing.kdu import euro
    from app.services.housing.move_procedure import offer_verdict

    return {
        "date": format_date_de(procedure.offer_on),
        "area": procedure.offer_area or "",
        "household_size": procedure.offer_household_size,
        "rent": euro(procedure.offer_rent),
        "heating": euro(procedure.offer_heating),
        "verdict": offer_verdict(procedure),
        "rule": procedure.offer_rule or "",
    }


def _is_german(language: str, labels: dict[str, str]) -> bool:
    return language.lower() in GERMAN or labels.get(language, "").lower() in GERMAN


def prefill(facts: CaseFileFacts) -> dict[str, str]:
    """Return suggested assessment texts from the case file (language levels, work efforts)."""
    out: dict[str, str] = {}
    german = [lang for lang in facts.languages if _is_german(lang.language, facts.language_labels)]
    if german:
        parts = []
        for lang in german:
            level = facts.level_labels.get(lang.level or "", lang.level or "ohne Niveauangabe")
            text = f"Deutschkenntnisse auf Niveau {level}"
            if lang.certificate:
                text += f" (Nachweis: {lang.certificate})"
            parts.append(text)
        out["german_language"] = "; ".join(parts) + "."
    if facts.employment:
        lines = []
        for job in facts.employment:
            period = format_date_de(job.start_on) or "?"
            period += " – " + (format_date_de(job.end_on) or "heute")
            line = f"{job.employer} ({period})"
            if job.position:
                line = f"{job.position} bei {line}"
            lines.append(line)
        out["job_search_effort"] = "Beschäftigung bzw. Bemühen um Arbeit: " + "; ".join(lines) + "."
    return out


def suggestions(person_id: int, limit: int = 5) -> list[Suggestion]:
    """Return the latest contact notes on housing of a person, as suggestions."""
    rows = db.session.execute(
        select(ContactNote.date, ContactNote.summary, ContactNote.result)
        .join(ContactNoteTopic, ContactNoteTopic.contact_note_id == ContactNote.id)
        .where(ContactNote.person_id == person_id, ContactNoteTopic.code.in_(SUGGESTION_TOPICS))
        .order_by(ContactNote.date.desc(), ContactNote.id.desc())
        .limit(limit)
    ).all()
    return [Suggestion(d, s or "", r or "") for d, s, r in rows]


def _catalogue_label(catalogue: str, code: str | None) -> str:
    """German label of a catalogue code ("" for none) — never the raw code."""
    if not code:
        return ""
    from app.services.catalogues import labels

    with db.session.no_autoflush:  # the report being finalised is not flushed by a read
        return labels(catalogue).get(code, code)


def build_context(facts: CaseFileFacts, report: SocialReport) -> dict[str, Any]:
    """Return the plain document context of ``report`` (keys of docs/documents.md)."""
    person = facts.person
    original = " ".join(
        p for p in (person.first_name_original, person.last_name_original) if p
    ).strip()
    members = [
        {
            "full_name": f"{m.last_name}, {m.first_name}",
            "birth_date": format_date_de(m.birth_date),
            "relationship": _catalogue_label("household_relation", m.household_role),
        }
        for m in facts.household
    ]
    assessments = report.assessments or {}
    date = report.finalised_at.date() if report.finalised_at else dt.date.today()
    return {
        "person": {
            "full_name": f"{person.last_name}, {person.first_name}",
            "original_script_name": original or None,
            "birth_date": format_date_de(person.birth_date),
            "nationality": _catalogue_label("nationality", person.nationality),
            "accommodation": facts.accommodation,
            "household_members": members,
        },
        "criteria": [
            {"code": code, "label": label, "assessment": assessments.get(code, "")}
            for code, label in facts.criteria
        ],
        "kdu_offer": facts.offer,
        "recommendation": report.recommendation or "",
        "author": {"name": report.author_name or "", "organisation": facts.organisation_name},
        "version": report.number,
        "status": REPORT_STATUS_LABELS[REPORT_FINAL] if report.is_final else "Entwurf",
        "date": format_date_de(date),
        "reference": person.file_number or f"P-{person.id}",
    }


def _clean_assessments(values: dict[str, Any], valid: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, text in values.items():
        if code not in valid:
            raise ReportError(f"Unbekanntes Kriterium: {code}", field=code)
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise ReportError("Die Einschätzung muss ein Text sein", field=code)
        if len(text) > MAX_TEXT:
            raise ReportError("Der Text ist zu lang (höchstens 20.000 Zeichen)", field=code)
        out[code] = text.strip()
    return out


def _user_name(user: MsaUser | None) -> str | None:
    if user is None:
        return None
    return f"{user.first_name} {user.last_name}".strip() or user.username


def create_draft(
    person: Person,
    *,
    author: MsaUser | None,
    assessments: dict[str, Any] | None = None,
    recommendation: str | None = None,
    use_prefill: bool = True,
) -> SocialReport:
    """Create a new Sozialbericht draft (version 1), prefilled from the case file."""
    valid = {code for code, _ in criteria()}
    given = _clean_assessments(assessments or {}, valid)
    values: dict[str, str] = {}
    if use_prefill:
        values.update(prefill(load_facts(person)))
    values.update({k: v for k, v in given.items() if v or k not in values})
    report = SocialReport(
        person_id=person.id,
        organisation_id=person.organisation_id,
        number=1,
        status=REPORT_DRAFT,
        assessments=values,
        recommendation=(recommendation or "").strip() or None,
        author_id=author.id if author else None,
        author_name=_user_name(author),
    )
    db.session.add(report)
    db.session.flush()
    report.series_id = report.id
    db.session.commit()
    return report


def update_draft(
    report: SocialReport,
    *,
    author: MsaUser | None,
    assessments: dict[str, Any] | None = None,
    recommendation: str | None = None,
) -> SocialReport:
    """Change the texts of a draft; a finalised version raises ``FinalisedRecordError``."""
    if report.is_final:
        raise FinalisedRecordError(
            "Ein abgeschlossener Sozialbericht kann nicht geändert werden; "
            "legen Sie eine neue Version an"
        )
    valid = {code for code, _ in criteria()}
    if assessments is not None:
        merged = dict(report.assessments or {})
        merged.update(_clean_assessments(assessments, valid))
        report.assessments = merged
    if recommendation is not None:
        report.recommendation = recommendation.strip() or None
    if author is not None:
        report.author_id = author.id
        report.author_name = _user_name(author)
    db.session.commit()
    return report


def missing_for_final(report: SocialReport) -> list[str]:
    """Return the labels of criteria without assessment (and the recommendation if empty)."""
    values = report.assessments or {}
    missing = [label for code, label in criteria() if not (values.get(code) or "").strip()]
    if not (report.recommendation or "").strip():
        missing.append("Empfehlung")
    return missing


def finalise(report: SocialReport, *, author: MsaUser | None) -> SocialReport:
    """Freeze a draft: render and store its PDF, checksum, author and the document context."""
    if report.is_final:
        raise FinalisedRecordError("Der Sozialbericht ist bereits abgeschlossen")
    missing = missing_for_final(report)
    if missing:
        raise ReportError(
            "Vor dem Abschließen ist jedes Kriterium einzuschätzen und eine Empfehlung "
            "anzugeben. Es fehlt: " + ", ".join(missing)
        )
    facts = load_facts(report.person)
    report.finalised_at = utcnow()
    report.finalised_by_id = author.id if author else None
    report.finalised_by_name = _user_name(author)
    if author is not None:
        report.author_id = author.id
        report.author_name = _user_name(author)
    report.status = REPORT_FINAL
    context = build_context(facts, report)
    pdf = render_pdf("social_report", context)
    report.snapshot = context
    report.pdf = pdf
    report.sha256 = hashlib.sha256(pdf).hexdigest()
    db.session.commit()
    return report


def new_version(report: SocialReport, *, author: MsaUser | None) -> SocialReport:
    """Start a new draft version from a finalised one (the old version stays unchanged)."""
    if not report.is_final:
        raise ReportError(
            "Ein Entwurf wird direkt bearbeitet; eine neue Version entsteht nur "
            "aus einer Endfassung"
        )
    series = report.series_id or report.id
    latest = db.session.scalars(
        select(SocialReport)
        .where(SocialReport.series_id == series)
        .order_by(SocialReport.number.desc())
        .limit(1)
    ).one()
    if not latest.is_final:
        return latest
    draft = SocialReport(
        person_id=report.person_id,
        organisation_id=report.organisation_id,
        series_id=series,
        number=latest.number + 1,
        status=REPORT_DRAFT,
        assessments=dict(latest.assessments or {}),
        recommendation=latest.recommendation,
        author_id=author.id if author else None,
        author_name=_user_name(author),
    )
    db.session.add(draft)
    db.session.commit()
    return draft


def versions_of(person_id: int) -> list[SocialReport]:
    """Return all report versions of a person, newest series and version first."""
    return list(
        db.session.scalars(
            select(SocialReport)
            .where(SocialReport.person_id == person_id)
            .order_by(SocialReport.series_id.desc(), SocialReport.number.desc())
        )
    )


def pdf_bytes(report: SocialReport) -> bytes:
    """Return the stored PDF of a final version, or render the draft with an ENTWURF mark."""
    if report.is_final:
        stored = db.session.scalars(
            select(SocialReport.pdf).where(SocialReport.id == report.id)
        ).one()
        if stored is None:
            raise FinalisedRecordError("Die gespeicherte Datei fehlt")
        return bytes(stored)
    return render_pdf("social_report", build_context(load_facts(report.person), report))


def docx_bytes(report: SocialReport) -> bytes:
    """Return the DOCX: from the frozen context of a final version, else from the draft."""
    if report.is_final:
        loaded = db.session.scalars(
            select(SocialReport)
            .options(undefer(SocialReport.snapshot))
            .where(SocialReport.id == report.id)
        ).one()
        if loaded.snapshot:
            return render_docx("social_report", loaded.snapshot)
    return render_docx("social_report", build_context(load_facts(report.person), report))


def checksum_ok(report: SocialReport) -> bool:
    """Return whether the stored PDF still matches its SHA-256 checksum."""
    if not report.is_final or report.sha256 is None:
        return False
    return hashlib.sha256(pdf_bytes(report)).hexdigest() == report.sha256

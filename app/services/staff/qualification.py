"""Qualifikationsprofil (§4.2): the items of the concept paper, the rule „erfüllt §4.2“ and the
verb that keeps a caseworker's profile.

§4.2 of the concept paper asks of every caseworker: a university degree in social pedagogy /
social work or a comparable training, knowledge of immigration law, intercultural and social
competence, experience in conflict mediation, basic knowledge of English, Russian, French or
Arabic, communication and team skills and knowledge of the network (the *required* items). A
case-/care-management certificate is desirable, a class B driving licence and PC skills are an
advantage (the *desirable* items). The requirement as a whole is met when every required item
is met — written once here (:func:`assess`); the pages, the county figures and the tests use it.

„Grundkenntnisse“ of a language is level A2 („Grundlegende Kenntnisse“ in the CEFR catalogue)
or higher, or the native language; A1 alone does not count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import func, select

from app.dates import DateError, parse_date
from app.extensions import db
from app.models.organisation import MsaUser, Organisation
from app.models.staff import QualificationProfile, StaffTraining
from app.security import matrix
from app.services.catalogues import valid_codes
from app.services.errors import DomainError, Problems, unit_of_work


class QualificationError(DomainError):
    """A refused qualification profile (German message, field, stable key)."""

    status = 422


#: degree categories (code → German label)
DEGREE_CATEGORIES = {
    "social_work": "Soziale Arbeit / Sozialpädagogik",
    "comparable": "vergleichbare Aus- oder Weiterbildung",
    "other": "anderer Abschluss",
}
#: degree categories that meet §4.2
DEGREE_MEETS = frozenset({"social_work", "comparable"})
#: language levels a profile may record (codes of the catalogue ``cefr_level``), lowest first
LEVELS = ("a1", "a2", "b1", "b2", "c1", "c2", "native")
#: §4.2 names basic knowledge of one of these languages
NAMED_LANGUAGES = frozenset({"en", "ru", "fr", "ar"})
#: the levels that count as „Grundkenntnisse“ (A2 or higher, or native)
BASIC_LEVELS = frozenset(LEVELS[1:])
#: the yes/no items of the profile (field → German label)
FLAGS = {
    "migration_law": "Kenntnisse im Zuwanderungsrecht",
    "intercultural": "Interkulturelle und soziale Kompetenz",
    "conflict_mediation": "Erfahrung in der Konfliktvermittlung",
    "communication_team": "Kommunikations- und Teamfähigkeit",
    "network_knowledge": "Netzwerkkenntnisse (Behörden, Dienste, Ärzte, Institutionen)",
    "driving_licence_b": "Führerschein Klasse B",
    "pc_skills": "PC-Kenntnisse",
}
MAX_LANGUAGES = 12


@dataclass(frozen=True)
class Item:
    """One item of §4.2: key, German label, short label, required (or only desirable)."""

    key: str
    label: str
    short: str
    required: bool


ITEMS: tuple[Item, ...] = (
    Item(
        "degree", "Abschluss Sozialpädagogik / Soziale Arbeit oder vergleichbar", "Abschluss", True
    ),
    Item("migration_law", FLAGS["migration_law"], "Zuwanderungs\u00adrecht", True),
    Item("intercultural", FLAGS["intercultural"], "Inter\u00adkulturelle Kompetenz", True),
    Item("conflict_mediation", FLAGS["conflict_mediation"], "Konflikt\u00advermittlung", True),
    Item(
        "languages",
        "Grundkenntnisse Englisch, Russisch, Französisch oder Arabisch",
        "Sprachen",
        True,
    ),
    Item("communication_team", FLAGS["communication_team"], "Kommunikation, Team", True),
    Item("network_knowledge", "Netzwerkkenntnisse", "Netzwerk", True),
    Item("cm_certificate", "Abschluss als Case- bzw. Care-Manager:in", "Case-Management", False),
    Item("driving_licence_b", FLAGS["driving_licence_b"], "Führer\u00adschein B", False),
    Item("pc_skills", FLAGS["pc_skills"], "PC", False),
)
REQUIRED = tuple(i.key for i in ITEMS if i.required)


@dataclass(frozen=True)
class Assessment:
    """Which §4.2 items a profile meets, and whether §4.2 is met as a whole."""

    items: dict[str, bool]

    @property
    def meets(self) -> bool:
        """Every required item is met."""
        return all(self.items[key] for key in REQUIRED)

    @property
    def missing(self) -> list[str]:
        """The labels of the required items not met."""
        return [i.label for i in ITEMS if i.required and not self.items[i.key]]


def assess(profile: QualificationProfile | None) -> Assessment:
    """The §4.2 items one profile meets (no profile: none)."""
    if profile is None:
        return Assessment({item.key: False for item in ITEMS})
    languages = profile.languages or {}
    met = {
        "degree": profile.degree_category in DEGREE_MEETS,
        "languages": any(
            code in NAMED_LANGUAGES and level in BASIC_LEVELS for code, level in languages.items()
        ),
        "cm_certificate": profile.cm_certified_on is not None,
    }
    for key in FLAGS:
        met[key] = bool(getattr(profile, key))
    return Assessment({item.key: met[item.key] for item in ITEMS})


# --- the verb ------------------------------------------------------------------------------


def _is_lead(actor: Any) -> bool:
    return any(getattr(r, "name", None) == matrix.ROLE_LEAD for r in getattr(actor, "roles", []))


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "on", "true", "ja", "y", "yes"}


def _text(value: Any, field: str, limit: int, problems: Problems) -> str | None:
    text = " ".join(str(value or "").split())
    if len(text) > limit:
        problems.add(field, f"{field}.too_long", f"Bitte höchstens {limit} Zeichen angeben.")
    return text or None


def _languages(value: Any, problems: Problems) -> dict[str, str] | None:
    """``{code: level}`` from a mapping or a list of (code, level) pairs; empty codes skipped."""
    if value is None or value == "":
        return None
    pairs: Sequence[Any] = list(value.items()) if isinstance(value, Mapping) else value
    if not isinstance(pairs, list | tuple):
        problems.add("languages", "languages.format", "Bitte Sprachen mit Niveau angeben.")
        return None
    known = valid_codes("language")
    out: dict[str, str] = {}
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            problems.add("languages", "languages.format", "Bitte Sprachen mit Niveau angeben.")
            return None
        code, level = (str(pair[0] or "").strip(), str(pair[1] or "").strip().lower())
        if not code and not level:
            continue
        if code not in known:
            problems.add(
                "languages",
                "languages.unknown",
                f"Unbekannte Sprache „{code or '–'}“ – bitte aus der Liste wählen.",
            )
        elif level not in LEVELS:
            problems.add(
                "languages",
                "languages.level",
                "Bitte für jede Sprache ein Niveau von A1 bis C2 oder Muttersprache wählen.",
            )
        elif code in out:
            problems.add(
                "languages", "languages.repeated", "Jede Sprache bitte nur einmal angeben."
            )
        else:
            out[code] = level
    if len(out) > MAX_LANGUAGES:
        problems.add(
            "languages", "languages.many", f"Bitte höchstens {MAX_LANGUAGES} Sprachen angeben."
        )
    return out or None


def clean(values: Mapping[str, Any], today: dt.date, problems: Problems) -> dict[str, Any]:
    """The typed profile fields of ``values``; every refusal goes into ``problems``."""
    out: dict[str, Any] = {}
    category = str(values.get("degree_category") or "").strip() or None
    if category is not None and category not in DEGREE_CATEGORIES:
        problems.add(
            "degree_category", "degree_category.unknown", "Bitte eine Art des Abschlusses wählen."
        )
    out["degree_category"] = category
    out["degree_title"] = _text(values.get("degree_title"), "degree_title", 300, problems)
    year_raw = str(values.get("degree_year") or "").strip()
    out["degree_year"] = None
    if year_raw:
        if year_raw.isdigit() and 1950 <= int(year_raw) <= today.year:
            out["degree_year"] = int(year_raw)
        else:
            problems.add(
                "degree_year",
                "degree_year.invalid",
                f"Bitte ein Jahr zwischen 1950 und {today.year} angeben.",
            )
    if (out["degree_title"] or out["degree_year"]) and category is None:
        problems.add(
            "degree_category", "degree_category.missing", "Bitte die Art des Abschlusses wählen."
        )
    certified = values.get("cm_certified_on")
    out["cm_certified_on"] = None
    if isinstance(certified, dt.date):
        out["cm_certified_on"] = certified
    elif certified:
        try:
            out["cm_certified_on"] = parse_date(str(certified))
        except DateError as exc:
            problems.add("cm_certified_on", "cm_certified_on.invalid", str(exc))
    if out["cm_certified_on"] is not None and out["cm_certified_on"] > today:
        problems.add(
            "cm_certified_on",
            "cm_certified_on.future",
            "Das Zertifikat kann nicht in der Zukunft erworben sein.",
        )
    out["cm_certifier"] = _text(values.get("cm_certifier"), "cm_certifier", 100, problems)
    if (
        out["cm_certifier"]
        and out["cm_certified_on"] is None
        and not problems.has("cm_certified_on")
    ):
        problems.add(
            "cm_certified_on",
            "cm_certified_on.missing",
            "Bitte das Datum des Zertifikats angeben.",
        )
    out["languages"] = _languages(values.get("languages"), problems)
    for flag in FLAGS:
        out[flag] = _truthy(values.get(flag))
    notes = str(values.get("notes") or "").strip()
    if len(notes) > 2000:
        problems.add("notes", "notes.too_long", "Bitte höchstens 2000 Zeichen angeben.")
    out["notes"] = notes or None
    return out


def _target(user_id: int, actor: Any) -> MsaUser:
    """The caseworker account the actor (a lead of the same provider) may keep a profile of."""
    account = db.session.get(MsaUser, user_id)
    org = getattr(actor, "organisation_id", None)
    if not _is_lead(actor) or org is None:
        raise QualificationError(
            "Das Qualifikationsprofil pflegt die Trägerleitung.", key="forbidden", status=403
        )
    if account is None or account.organisation_id != org:
        raise QualificationError(
            "Diese Mitarbeiterin oder diesen Mitarbeiter gibt es bei Ihrem Träger nicht.",
            key="unknown_account",
            status=404,
        )
    return account


def profile_of(user_id: int) -> QualificationProfile | None:
    """The stored profile of an account (None: none yet)."""
    return db.session.scalars(
        select(QualificationProfile).where(QualificationProfile.user_id == user_id)
    ).first()


def save_profile(
    user_id: int,
    values: Mapping[str, Any],
    *,
    actor: Any,
    today: dt.date | None = None,
) -> QualificationProfile:
    """Create or change the qualification profile of a caseworker of the actor's provider."""
    account = _target(user_id, actor)
    problems = Problems(QualificationError)
    typed = clean(values, today or dt.date.today(), problems)
    problems.raise_if_any()
    with unit_of_work():
        profile = profile_of(account.id)
        if profile is None:
            profile = QualificationProfile(
                user_id=account.id, organisation_id=account.organisation_id
            )
            db.session.add(profile)
        for name, value in typed.items():
            setattr(profile, name, value)
    return profile


# --- the overviews -------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewRow:
    """One caseworker in the lead's overview: the profile's assessment, the last training."""

    user_id: int
    name: str
    profile: QualificationProfile | None
    assessment: Assessment
    last_training: dt.date | None


def _caseworkers(organisation_id: int | None = None) -> Any:
    """Active caseworker accounts (of one provider), ordered by name."""
    query = select(MsaUser).where(
        MsaUser.active.is_(True),
        MsaUser.organisation_id.is_not(None),
        MsaUser.roles.any(Role.name == matrix.ROLE_CASEWORKER),
    )
    if organisation_id is not None:
        query = query.where(MsaUser.organisation_id == organisation_id)
    return query


def overview_page(organisation_id: int, page: int, size: int) -> tuple[list[OverviewRow], int]:
    """One page of the provider's caseworkers with their §4.2 assessment; and the total."""
    base = _caseworkers(organisation_id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    accounts = db.session.scalars(
        base.order_by(MsaUser.last_name, MsaUser.first_name, MsaUser.id)
        .limit(size)
        .offset(page * size)
    ).all()
    ids = [a.id for a in accounts]
    profiles = {
        p.user_id: p
        for p in db.session.scalars(
            select(QualificationProfile).where(QualificationProfile.user_id.in_(ids))
        )
    }
    trainings = dict(
        db.session.execute(
            select(StaffTraining.user_id, func.max(StaffTraining.date))
            .where(StaffTraining.organisation_id == organisation_id)
            .where(StaffTraining.user_id.in_(ids))
            .group_by(StaffTraining.user_id)
        ).all()
    )
    rows = [
        OverviewRow(
            user_id=a.id,
            name=f"{a.first_name} {a.last_name}".strip(),
            profile=profiles.get(a.id),
            assessment=assess(profiles.get(a.id)),
            last_training=trainings.get(a.id),
        )
        for a in accounts
    ]
    return rows, total


@dataclass(frozen=True)
class ProviderFigures:
    """County view of one provider: caseworkers, how many meet §4.2 and each item."""

    organisation_id: int
    name: str
    caseworkers: int
    meets: int
    items: dict[str, int]


def county_figures() -> list[ProviderFigures]:
    """Per provider: the number of caseworkers meeting §4.2 and each item (counts only)."""
    accounts = db.session.execute(
        _caseworkers()
        .with_only_columns(MsaUser.id, MsaUser.organisation_id)
        .order_by(MsaUser.organisation_id)
    ).all()
    # the profiles are read unscoped (the Kreis-Admin sees no provider's rows) and leave this
    # function as counts only; the page is the county roles' (resource QualificationCounty)
    profiles = {
        p.user_id: p
        for p in db.session.scalars(
            select(QualificationProfile).execution_options(msa_unscoped=True)
        )
    }
    names = dict(db.session.execute(select(Organisation.id, Organisation.name)).all())
    out: dict[int, dict[str, Any]] = {}
    for user_id, org in accounts:
        entry = out.setdefault(
            org, {"caseworkers": 0, "meets": 0, "items": {i.key: 0 for i in ITEMS}}
        )
        result = assess(profiles.get(user_id))
        entry["caseworkers"] += 1
        entry["meets"] += int(result.meets)
        for key, met in result.items.items():
            entry["items"][key] += int(met)
    return sorted(
        (
            ProviderFigures(org, str(names.get(org, "")), e["caseworkers"], e["meets"], e["items"])
            for org, e in out.items()
        ),
        key=lambda f: f.name.lower(),
    )

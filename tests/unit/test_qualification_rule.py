"""Qualifikation nach §4.2: the rule „erfüllt §4.2“ restated as a table of the concept paper's
required items and compared with the service over generated profiles."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.models.staff import QualificationProfile
from app.services.staff import qualification as q

#: §4.2, required items: (item, what the profile must hold). Written from the paper, not from
#: the service: degree in social pedagogy/social work or comparable; basic knowledge (A2 or
#: more, or native) of English, Russian, French or Arabic; the five competences as yes.
GOOD_DEGREES = {"social_work", "comparable"}
BASIC = {"a2", "b1", "b2", "c1", "c2", "native"}
REQUIRED_TABLE: list[tuple[str, Any]] = [
    ("degree", lambda p: p["degree_category"] in GOOD_DEGREES),
    ("migration_law", lambda p: p["migration_law"] is True),
    ("intercultural", lambda p: p["intercultural"] is True),
    ("conflict_mediation", lambda p: p["conflict_mediation"] is True),
    (
        "languages",
        lambda p: any(
            code in {"en", "ru", "fr", "ar"} and level in BASIC
            for code, level in (p["languages"] or {}).items()
        ),
    ),
    ("communication_team", lambda p: p["communication_team"] is True),
    ("network_knowledge", lambda p: p["network_knowledge"] is True),
]
DESIRABLE_TABLE: list[tuple[str, Any]] = [
    ("cm_certificate", lambda p: p["cm_certified_on"] is not None),
    ("driving_licence_b", lambda p: p["driving_licence_b"] is True),
    ("pc_skills", lambda p: p["pc_skills"] is True),
]

profiles = st.fixed_dictionaries(
    {
        "degree_category": st.sampled_from([None, "social_work", "comparable", "other"]),
        "cm_certified_on": st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2026, 1, 1))),
        "languages": st.one_of(
            st.none(),
            st.dictionaries(
                st.sampled_from(["en", "ru", "fr", "ar", "de", "tr", "fa", "uk"]),
                st.sampled_from(list(q.LEVELS)),
                max_size=4,
            ),
        ),
        **{flag: st.booleans() for flag in q.FLAGS},
    }
)


@settings(max_examples=300, deadline=None)
@given(profiles)
def test_rule_equals_the_table(values: dict[str, Any]) -> None:
    """§4.2 is met exactly when every required row of the table holds; each item as listed."""
    profile = QualificationProfile(**values)
    result = q.assess(profile)
    expected_items = {key: bool(rule(values)) for key, rule in REQUIRED_TABLE + DESIRABLE_TABLE}
    assert result.items == expected_items
    assert result.meets == all(rule(values) for _key, rule in REQUIRED_TABLE)
    assert {i.key for i in q.ITEMS if i.required} == {key for key, _ in REQUIRED_TABLE}


def test_no_profile_meets_nothing() -> None:
    result = q.assess(None)
    assert not result.meets and not any(result.items.values())
    assert len(result.missing) == len(REQUIRED_TABLE)


def test_a1_is_not_basic_knowledge_but_native_is() -> None:
    base = dict.fromkeys(q.FLAGS, True) | {"degree_category": "comparable"}
    assert not q.assess(QualificationProfile(**base, languages={"en": "a1"})).meets
    assert q.assess(QualificationProfile(**base, languages={"ar": "native"})).meets
    assert not q.assess(QualificationProfile(**base, languages={"tr": "c2"})).meets


def test_clean_refuses_with_german_messages(app: Any) -> None:
    from app.services.errors import Problems

    problems = Problems(q.QualificationError)
    with app.app_context():
        q.clean(
            {
                "degree_category": "phd",
                "degree_year": "1800",
                "cm_certifier": "DGCC",
                "languages": [("en", "z9"), ("xx", "a1")],
            },
            dt.date(2026, 12, 7),
            problems,
        )
    keys = {p.key for p in problems.items}
    assert {
        "degree_category.unknown",
        "degree_year.invalid",
        "cm_certified_on.missing",
        "languages.level",
        "languages.unknown",
    } <= keys

"""Checks of the shipped reference data in app/data (catalogues and name transliterations)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "app" / "data"
CODE_RE = re.compile(r"^[a-z0-9_]+$")

#: limits of the catalogue_entry table (app/models/catalogue.py)
MAX_NAME = 64
MAX_CODE = 64
MAX_LABEL = 300

#: catalogues the app relies on: CATALOGUES.md §1–§10 and the concept paper
REQUIRED = {
    "residence_status_group",
    "residence_status",
    "procedure_stage",
    "residence_document_type",
    "residence_condition",
    "work_permission",
    "benefit_basis",
    "supplementary_benefit",
    "health_cover",
    "vulnerability",
    "case_flag",
    "ik_basis",
    "integration_course_type",
    "integration_course_module",
    "course_enrolment_status",
    "dtz_result",
    "ik_result",
    "professional_language_course",
    "cefr_level",
    "language_skill",
    "language_certificate",
    "childcare_type",
    "school_type",
    "school_cert",
    "foreign_school_level",
    "vocational_qualification",
    "qualification_status",
    "recognition",
    "recognition_body",
    "marital_status",
    "household_relation",
    "partner_category",
    "partner_type",
    "specialty",
    "conference_role",
    "service_type",
    "nationality",
    "language",
    "contact_topic",
    "assessment_aspect",
    "social_report_criterion",
    "closure_reason",
    "contact_kind",
    "sex",
}

#: catalogue whose entries carry extra["parent"] -> catalogue that holds the parent code
PARENTS = {
    "residence_status": "residence_status_group",
    "partner_type": "partner_category",
    "social_report_criterion": "social_report_criterion",
}


def _load(name: str) -> Any:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def catalogues() -> dict[str, list[dict[str, Any]]]:
    data = _load("catalogues.json")
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def transliterations() -> dict[str, Any]:
    data = _load("transliterations.json")
    assert isinstance(data, dict)
    return data


def test_required_catalogues_present(catalogues):
    missing = REQUIRED - set(catalogues)
    assert not missing, f"missing catalogues: {sorted(missing)}"


def test_catalogue_names(catalogues):
    for name in catalogues:
        assert CODE_RE.match(name), name
        assert len(name) <= MAX_NAME, name


def test_every_catalogue_non_empty(catalogues):
    for name, entries in catalogues.items():
        assert isinstance(entries, list), name
        assert entries, f"{name} is empty"


def test_codes_unique_and_well_formed(catalogues):
    for name, entries in catalogues.items():
        codes = [entry["code"] for entry in entries]
        dupes = {c for c in codes if codes.count(c) > 1}
        assert not dupes, f"{name}: duplicate codes {sorted(dupes)}"
        for code in codes:
            assert isinstance(code, str), (name, code)
            assert CODE_RE.match(code), f"{name}: bad code {code!r}"
            assert len(code) <= MAX_CODE, (name, code)


def test_entries_have_labels_and_valid_extra(catalogues):
    for name, entries in catalogues.items():
        for entry in entries:
            assert set(entry) <= {"code", "de", "en", "extra"}, (name, entry)
            for lang in ("de", "en"):
                label = entry.get(lang)
                assert isinstance(label, str), (name, entry["code"], lang)
                assert label.strip(), (name, entry["code"], lang)
                assert len(label) <= MAX_LABEL, (name, entry["code"], lang)
            if "extra" in entry:
                assert isinstance(entry["extra"], dict), (name, entry["code"])
                assert entry["extra"], (name, entry["code"])


def test_parent_references_resolve(catalogues):
    for name, parent_catalogue in PARENTS.items():
        parent_codes = {e["code"] for e in catalogues[parent_catalogue]}
        for entry in catalogues[name]:
            parent = entry.get("extra", {}).get("parent")
            if name != "social_report_criterion":
                assert parent, f"{name}.{entry['code']} has no parent"
            if parent:
                assert parent in parent_codes, (name, entry["code"], parent)


def test_no_unexpected_parents(catalogues):
    for name, entries in catalogues.items():
        if name in PARENTS:
            continue
        for entry in entries:
            assert "parent" not in entry.get("extra", {}), (name, entry["code"])


def test_contact_kind_codes(catalogues):
    assert [e["code"] for e in catalogues["contact_kind"]] == [
        "individual",
        "accompaniment",
        "group",
    ]


def test_contact_topics_cover_sections_3_1_1_to_3_1_11(catalogues):
    topics = catalogues["contact_topic"]
    assert len(topics) >= 11
    sections = {t["extra"]["section"] for t in topics}
    assert sections == {f"3.1.{i}" for i in range(1, 12)}


def test_closure_reasons(catalogues):
    assert {e["code"] for e in catalogues["closure_reason"]} == {
        "goal_reached",
        "self_steering",
        "other",
    }


def test_sex_codes(catalogues):
    assert [e["code"] for e in catalogues["sex"]] == ["female", "male", "diverse", "unknown"]


def test_nationalities(catalogues):
    nats = catalogues["nationality"]
    destatis = [e["extra"]["destatis"] for e in nats if "destatis" in e.get("extra", {})]
    assert len(destatis) == len(set(destatis)), "Destatis codes must be unique"
    iso2 = [e["extra"]["iso2"] for e in nats if "iso2" in e.get("extra", {})]
    assert len(iso2) == len(set(iso2))
    by_code = {e["code"]: e for e in nats}
    assert by_code["sy"]["extra"]["destatis"] == "475"
    assert by_code["ua"]["extra"]["destatis"] == "166"
    assert {"stateless", "unclarified", "not_specified"} <= set(by_code)
    languages = {e["code"] for e in catalogues["language"]}
    for entry in nats:
        for lang in entry.get("extra", {}).get("languages", []):
            assert lang in languages, (entry["code"], lang)


def test_language_codes_are_iso_639_shaped(catalogues):
    for entry in catalogues["language"]:
        assert re.match(r"^[a-z]{2,3}$", entry["code"]), entry["code"]


def test_special_category_catalogues_marked(catalogues):
    for name in ("vulnerability", "case_flag"):
        for entry in catalogues[name]:
            assert entry["extra"].get("special_category") is True, (name, entry["code"])


# --------------------------------------------------------------------------- transliterations


def test_transliteration_groups_shape(transliterations):
    groups = transliterations["groups"]
    assert isinstance(groups, list)
    assert groups
    for group in groups:
        assert isinstance(group, list)
        assert len(group) >= 2, group
        for variant in group:
            assert isinstance(variant, str)
            assert variant.strip(), group


def test_transliteration_variant_in_one_group_only(transliterations):
    seen: dict[str, int] = {}
    for index, group in enumerate(transliterations["groups"]):
        for variant in {v.casefold() for v in group}:
            assert variant not in seen, f"{variant!r} in groups {seen[variant]} and {index}"
            seen[variant] = index


def _group_of(transliterations: dict[str, Any], name: str) -> int | None:
    for index, group in enumerate(transliterations["groups"]):
        if name.casefold() in {v.casefold() for v in group}:
            return index
    return None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("mohammed", "muhammad"),
        ("Ahmad", "Ahmed"),
        ("Hussein", "Husein"),
        ("Hussein", "Hüseyin"),
        ("Yusuf", "Youssef"),
        ("Yusuf", "Jusuf"),
        ("Abdel", "Abdul"),
        ("Olena", "Jelena"),
        ("Tesfay", "Tesfaye"),
    ],
)
def test_transliteration_pairs_share_a_group(transliterations, first, second):
    group = _group_of(transliterations, first)
    assert group is not None, first
    assert group == _group_of(transliterations, second)


def test_transliteration_rules_shape(transliterations):
    rules = transliterations["rules"]
    assert rules
    for rule in rules:
        assert isinstance(rule, list)
        assert len(rule) == 2, rule
        source, target = rule
        assert isinstance(source, str)
        assert source, rule
        assert isinstance(target, str)

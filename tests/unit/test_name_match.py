"""The one name matcher: particles, transliteration pairs, name variants, 01.01. birth dates,
and its precision and recall on the labelled pairs of tests/data/name_pairs.csv."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from app.services.casefile import name_match
from app.services.casefile.name_match import compare

PAIRS = Path(__file__).resolve().parents[1] / "data" / "name_pairs.csv"
#: the figures recorded in docs/intake.md; the guard fails on any drop below them
RECORDED_PRECISION = 0.993
RECORDED_RECALL = 0.967

BORN = dt.date(1990, 5, 17)


def _date(text: str) -> dt.date:
    day, month, year = (int(x) for x in text.split("."))
    return dt.date(year, month, day)


def _pairs() -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _figures() -> tuple[float, float, list[dict[str, str]]]:
    tp = fp = fn = 0
    wrong: list[dict[str, str]] = []
    for row in _pairs():
        match = compare(
            row["a_first"],
            row["a_last"],
            _date(row["a_born"]),
            row["b_first"],
            row["b_last"],
            _date(row["b_born"]),
        )
        same = row["label"] == "same"
        if match.same and same:
            tp += 1
        elif match.same:
            fp += 1
            wrong.append(row)
        elif same:
            fn += 1
            wrong.append(row)
    return tp / (tp + fp), tp / (tp + fn), wrong


def test_pair_list_is_large_and_has_hard_negatives() -> None:
    rows = _pairs()
    assert len(rows) >= 300
    labels = {r["label"] for r in rows}
    assert labels == {"same", "different"}
    kinds = {r["kind"] for r in rows if r["label"] == "different"}
    assert {"sibling", "same name, other birth date", "same name, other year (01.01.)"} <= kinds
    twins = [r for r in rows if r["kind"] == "sibling" and r["a_born"] == r["b_born"]]
    assert twins  # siblings born the same day: only the given name tells them apart


def test_precision_and_recall_do_not_drop_below_the_recorded_figures() -> None:
    precision, recall, _wrong = _figures()
    assert precision >= RECORDED_PRECISION, precision
    assert recall >= RECORDED_RECALL, recall


# particles written apart, hyphenated or joined; the assimilated article (DIN 31635)
@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Omar", "Al Hassan"), ("Omar", "Al-Hassan")),
        (("Omar", "Alhassan"), ("Omar", "El Hassan")),
        (("Khalid", "Abdelrahman"), ("Khalid", "Abd al-Rahman")),
        (("Abdurrahman", "Ar-Rashid"), ("Abdul Rahman", "Al Rashid")),
        (("Jamal", "Abu Bakr"), ("Jamal", "Abubakr")),
        (("Hussein", "Ben Ali"), ("Hussein", "Bin Ali")),
        (("Jan", "van der Berg"), ("Jan", "Van-der-Berg")),
        (("Nour", "An-Nour"), ("Nour", "Al Nour")),
    ],
)
def test_particles_are_one_name_part(a: tuple[str, str], b: tuple[str, str]) -> None:
    match = compare(*a, BORN, *b, BORN)
    assert match.same and match.score == 100, match


# transliteration pairs: kh/ch/h, j/dsch/dj, ou/u, w/v, sh/sch, diacritics
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Khalil", "Chalil"),
        ("Jafari", "Dschafari"),
        ("Jafari", "Djafari"),
        ("Mansour", "Mansur"),
        ("Wardak", "Vardak"),
        ("Hashemi", "Haschemi"),
        ("Hadžić", "Hadzic"),
        ("Öztürk", "Oeztuerk"),
    ],
)
def test_transliteration_pairs_fold_together(a: str, b: str) -> None:
    assert compare("Amal", a, BORN, "Amal", b, BORN).score == 100


def test_a_missing_particle_matches_with_less_weight() -> None:
    match = compare("Omar", "Hassan", BORN, "Omar", "Al-Hassan", BORN)
    assert match.same and match.score < 100
    assert any("Namenspartikel" in r for r in match.reasons)


def test_siblings_and_other_dates_are_other_persons() -> None:
    assert not compare("Karim", "Haddad", BORN, "Karima", "Haddad", BORN).same
    assert not compare("Hasan", "Haddad", BORN, "Hasna", "Haddad", BORN).same
    later = BORN + dt.timedelta(days=2)
    assert not compare("Ali", "Rezaei", BORN, "Ali", "Rezaei", later).same
    assert not compare("Ali", "Rezaei", BORN, "Ali", "Rezaei", BORN.replace(year=1991)).same


def test_year_only_dates_weigh_less() -> None:
    jan1 = dt.date(1990, 1, 1)
    both = compare("Mohammad", "Ahmadi", jan1, "Mohammad", "Ahmadi", jan1)
    one = compare("Mohammad", "Ahmadi", jan1, "Mohammad", "Ahmadi", BORN)
    full = compare("Mohammad", "Ahmadi", BORN, "Mohammad", "Ahmadi", BORN)
    assert full.score > both.score > one.score
    assert both.same and one.possible and not one.same
    assert any("01.01." in r for r in both.reasons)
    flagged = compare("A", "B", BORN, "A", "B", BORN, a_year_only=True)
    assert flagged.score == one.score  # a year given alone counts as 01.01.


def test_swapped_names_and_sex() -> None:
    assert compare("Ahmad", "Haddad", BORN, "Haddad", "Ahmed", BORN).same
    assert not compare(
        "Noor", "Haddad", BORN, "Nur", "Haddad", BORN, a_sex="female", b_sex="male"
    ).same


def test_candidate_dates_cover_year_only_and_swaps() -> None:
    days, span = name_match.candidate_dates(dt.date(1990, 3, 5))
    assert dt.date(1990, 5, 3) in days and dt.date(1990, 1, 1) in days and span is None
    days, span = name_match.candidate_dates(dt.date(1990, 1, 1))
    assert span == (dt.date(1990, 1, 1), dt.date(1990, 12, 31))


def test_the_table_names_its_sources() -> None:
    import json

    data = json.loads(name_match.DATA_FILE.read_text(encoding="utf-8"))
    sources = " ".join(data["sources"])
    for standard in ("DIN 31635", "ISO 233", "ALA-LC", "UNGEGN", "BGN/PCGN"):
        assert standard in sources

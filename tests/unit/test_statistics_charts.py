"""Server-rendered SVG charts (R-7.4): drawn without JavaScript or network."""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.security import matrix
from app.services.statistics import charts

SVG = "{http://www.w3.org/2000/svg}"


def test_bar_chart_scales_bars_and_draws_reference_line() -> None:
    svg = charts.bar_chart(
        "c1",
        "Test",
        ["A", "B"],
        [("Einzel", [10, 5]), ("Gruppe", [0, 2])],
        reference=80,
        reference_label="Schlüssel 1:80",
    )
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Test"
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    heights = [float(b.get("height")) for b in bars]
    assert len(bars) == 4
    assert heights[0] == 2 * heights[1] and heights[2] == 0
    assert root.find(f"{SVG}line[@class='reference']") is not None
    assert "Einzel – A: 10" in root.find(f"{SVG}desc").text


def test_line_chart_and_escaping() -> None:
    svg = charts.line_chart("c2", "<Trend>", ["Jan 25", "Feb 25"], [("x&y", [1, 3])])
    root = ET.fromstring(svg)  # well-formed despite < and &
    assert len(list(root.iter(f"{SVG}circle"))) == 2
    assert "&lt;Trend&gt;" in svg and "x&amp;y" in svg


def test_nice_max() -> None:
    assert [charts.nice_max(v) for v in (0, 0.7, 3, 7, 84, 130)] == [1, 1, 5, 10, 100, 200]


@given(
    st.one_of(
        st.integers(min_value=1, max_value=10**7).map(float),
        st.floats(min_value=0.01, max_value=1e7, allow_nan=False, allow_infinity=False),
    )
)
def test_the_axis_covers_the_largest_value_and_not_twice_it(top: float) -> None:
    """The axis ends at or above the largest value, below twice it, on a round tick."""
    integers = top.is_integer()
    upper, intervals = charts.axis_scale(top, integers=integers)
    assert top <= upper < 2 * top or (top < 1 and upper <= 1)
    assert 1 <= intervals <= 6
    step = upper / intervals
    if integers:
        assert abs(step - round(step)) < 1e-9  # whole-number ticks for counts
    # the tick step is 1, 2, 2.5 or 5 × 10^n
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(abs(mantissa - m) < 1e-6 for m in (1, 2, 2.5, 5)), step


def test_axis_examples() -> None:
    assert charts.axis_scale(5, integers=True) == (5.0, 5)
    assert charts.axis_scale(93, integers=True) == (100.0, 5)
    assert charts.axis_scale(0.85) == (1.0, 5)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöü -/", min_size=1, max_size=80))
def test_a_category_label_is_wrapped_never_cut(label: str) -> None:
    lines = charts.wrap_label(label, 20)
    assert len(lines) <= charts.LABEL_LINES
    joined = "".join(lines).replace(" ", "")
    assert joined == label.replace(" ", "")


def test_long_topic_and_provider_names_read_whole() -> None:
    topic = "Begegnungsmöglichkeiten und Freizeitangebote"
    provider = "Caritasverband Musterkreis e.V."
    svg = charts.bar_chart("c3", "T", [topic, provider], [("Vermerke", [3, 7])])
    text = "".join(ET.fromstring(svg).itertext())
    assert "…" not in svg
    assert "Begegnungsmöglichkeiten" in text and "Freizeitangebote" in text
    assert "Musterkreis" in text
    # many topics: a horizontal chart, each name beside its bar, whole
    names = [topic, "Arbeitssuche", "Sprachliche und kulturelle Barrieren abbauen"] * 4
    svg = charts.hbar_chart("c4", "T", names, [("Vermerke", list(range(12)))])
    root = ET.fromstring(svg)
    text = "".join(root.itertext())
    assert "…" not in svg and "Freizeitangebote" in text and "Barrieren abbauen" in text
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert abs(widths[2] - 2 * widths[1]) < 0.2 and widths[0] == 0


def test_reviewer_dashboard_draws_five_charts(factory: Any) -> None:
    a = factory.make_org("Träger A")
    cw = factory.make_user(matrix.ROLE_CASEWORKER, a)
    person = factory.make_person(a)
    factory.make_note(person, cw, date=dt.date(2025, 5, 5))
    board = charts.reviewer_dashboard(2025, 2)
    ids = [c["id"] for c in board["charts"]]
    assert ids == [
        "chart-trend",
        "chart-providers",
        "chart-topics",
        "chart-indicators",
        "chart-caseload",
    ]
    providers = board["charts"][1]
    assert providers["table"]["rows"] == [("Träger A", [1, 0, 0, 0])]
    assert all(re.match(r"<svg ", c["svg"]) for c in board["charts"])


def test_charts_are_readable_for_reviewers() -> None:
    """Issue 16: full width, integer ticks for counts, full labels as tooltips, one title."""
    import re

    from app.services.statistics.charts import bar_chart

    svg = bar_chart(
        "c", "Vermerke je Thema", ["Rechtliche und behördliche Angelegenheiten", "Kurz"],
        [("Vermerke", [3, 5])],
    )  # fmt: skip
    assert 'width="100%"' in svg
    ticks = re.findall(r'text-anchor="end" fill="#333">([^<]+)</text>', svg)
    assert ticks and all(t.isdigit() for t in ticks), ticks
    assert "<title>Rechtliche und behördliche Angelegenheiten</title>" in svg
    assert svg.count("Vermerke je Thema") == 1  # only the accessible <title>

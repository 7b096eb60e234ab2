"""Server-side SVG charts for reviewers (R-7.4): no JavaScript, nothing loaded from the web.

Each function takes already aggregated figures and returns a self-contained ``<svg>`` string
with ``role="img"``, a ``<title>`` and a ``<desc>`` (screen readers); the page shows the same
numbers in a table next to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

#: Okabe–Ito palette (distinguishable with colour-vision deficiencies)
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
WIDTH = 720
HEIGHT = 400
MARGIN_LEFT = 56
MARGIN_RIGHT = 16
MARGIN_TOP = 40
MARGIN_BOTTOM = 160
#: lines of a category label at most (whole words; a label is never cut)
LABEL_LINES = 3

Series = Sequence[tuple[str, Sequence[float | None]]]


def nice_max(value: float) -> float:
    """Return a round upper bound of the axis (1, 2, 2.5, 5 × 10^n) at or above ``value``."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return float(step * exp)
    return float(10 * exp)  # pragma: no cover - loop always returns


def _fmt(v: float) -> str:
    return f"{v:g}".replace(".", ",")


def _frame(title: str, desc: str, body: list[str], chart_id: str, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="msa-chart" id="{escape(chart_id)}" '
        f'width="100%" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
        # no style attribute (the CSP allows none): a presentation attribute for the font,
        # the size from app/static/css/msa.css (svg.msa-chart)
        f'font-family="sans-serif">'
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>'
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#fff"/>'
        # the page's heading names the chart: no second, visible title in the picture
        + "".join(body)
        + "</svg>"
    )


def axis_scale(top: float, *, integers: bool = False) -> tuple[float, int]:
    """Return (upper end, number of intervals) of the value axis for the largest value ``top``.

    The smallest round scale at or above ``top`` (a little above for decimals) with 3 to 6
    intervals of 1, 2, 2.5 or 5 × 10^n — never twice the largest value; counts get whole-number
    steps (small counts one per unit)."""
    if top <= 0:
        return 1.0, 1 if integers else 4
    if integers and top <= 6:
        upper = math.ceil(top)
        return float(upper), upper
    target = top if integers else top * 1.05
    best: tuple[float, int] | None = None
    exp = 10 ** math.floor(math.log10(target / 6))
    for mult in (exp, exp * 10):
        for base in (1, 2, 2.5, 5):
            step = base * mult
            if integers and not float(step).is_integer():
                continue
            for n in (4, 5, 3, 6):
                upper = step * n
                if upper >= target and (best is None or upper < best[0] - 1e-9):
                    best = (upper, n)
    assert best is not None  # nosec B101 - the loop covers every target
    return float(round(best[0], 10)), best[1]


def _axes(
    top: float, reference: float | None, *, integers: bool = False
) -> tuple[list[str], float]:
    """Grid lines and tick labels; counts (``integers``) get whole-number ticks only."""
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    upper, intervals = axis_scale(
        max(top, reference or 0), integers=integers and float(reference or 0).is_integer()
    )
    body: list[str] = []
    for i in range(intervals + 1):
        v = upper * i / intervals
        y = MARGIN_TOP + plot_h - plot_h * i / intervals
        body.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#ddd"/><text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#333">{_fmt(round(v, 2))}</text>'
        )
    return body, upper


def _whole(values: Sequence[float]) -> bool:
    """Whether all values are counts (whole numbers)."""
    return all(float(v).is_integer() for v in values)


def _y(v: float, upper: float) -> float:
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    return MARGIN_TOP + plot_h - plot_h * (v / upper)


def _legend(series: Series) -> list[str]:
    body = []
    x = MARGIN_LEFT
    y = HEIGHT - 30
    for i, (name, _values) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        if x + 24 + 6 * len(name) > WIDTH:  # wrap to a second row
            x, y = MARGIN_LEFT, y + 18
        body.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{y}" font-size="11" fill="#222">{escape(name)}</text>'
        )
        x += 24 + 6 * len(name)
    return body


def wrap_label(text: str, width: int) -> list[str]:
    """Split a category label into lines of about ``width`` characters at spaces and hyphens;
    words are never cut, the whole label is kept."""
    words = [w for w in text.replace("-", "- ").replace("/", "/ ").split(" ") if w]
    lines: list[str] = []
    for word in words:
        joiner = "" if lines and lines[-1].endswith(("-", "/")) else " "
        if lines and len(lines[-1]) + len(joiner) + len(word) <= width:
            lines[-1] += joiner + word
        else:
            lines.append(word)
    if len(lines) > LABEL_LINES:  # keep the whole text: join the rest into the last line
        lines = [*lines[: LABEL_LINES - 1], " ".join(lines[LABEL_LINES - 1 :])]
    return lines or [""]


def _tspans(lines: list[str], x: float, dy: int) -> str:
    return "".join(
        f'<tspan x="{x:.1f}" dy="{0 if i == 0 else dy}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )


def _category_labels(categories: Sequence[str], step: float) -> list[str]:
    base = HEIGHT - MARGIN_BOTTOM
    if step >= 90:
        width = max(8, int(step / 6.5))
        return [
            f'<text x="{MARGIN_LEFT + step * (i + 0.5):.1f}" y="{base + 16}" font-size="11" '
            f'text-anchor="middle" fill="#222"><title>{escape(c)}</title>'
            + _tspans(wrap_label(c, width), MARGIN_LEFT + step * (i + 0.5), 13)
            + "</text>"
            for i, c in enumerate(categories)
        ]
    out = []
    for i, c in enumerate(categories):  # narrow columns: slanted labels, in up to 3 lines
        x = MARGIN_LEFT + step * (i + 0.5)
        out.append(
            f'<text x="{x:.1f}" y="{base + 12}" font-size="10" text-anchor="end" fill="#222" '
            f'transform="rotate(-35 {x:.1f} {base + 12})"><title>{escape(c)}</title>'
            + _tspans(wrap_label(c, 22), x, 11)
            + "</text>"
        )
    return out


def _reference_line(reference: float | None, label: str, upper: float) -> list[str]:
    if reference is None:
        return []
    y = _y(reference, upper)
    return [
        f'<line class="reference" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" '
        f'y2="{y:.1f}" stroke="#D55E00" stroke-width="2" stroke-dasharray="6 4"/>'
        f'<text x="{WIDTH - MARGIN_RIGHT}" y="{y - 4:.1f}" font-size="11" text-anchor="end" '
        f'fill="#A33">{escape(label)}</text>'
    ]


def _describe(categories: Sequence[str], series: Series) -> str:
    parts = []
    for name, values in series:
        vals = ", ".join(
            f"{c}: {_fmt(v) if v is not None else '–'}"
            for c, v in zip(categories, values, strict=False)
        )
        parts.append(f"{name} – {vals}")
    return "; ".join(parts)


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Series,
    *,
    reference: float | None = None,
    reference_label: str = "",
) -> str:
    """Return a grouped bar chart; ``reference`` draws a dashed line (e.g. the 1:80 ratio)."""
    values = [v or 0 for _n, vals in series for v in vals]
    grid, upper = _axes(max(values, default=0), reference, integers=_whole(values))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    step = plot_w / max(len(categories), 1)
    bar_w = step * 0.8 / max(len(series), 1)
    body = list(grid)
    for s, (name, vals) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        for i, v in enumerate(vals):
            value = v or 0
            x = MARGIN_LEFT + step * i + step * 0.1 + bar_w * s
            y = _y(value, upper)
            h = HEIGHT - MARGIN_BOTTOM - y
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(name)} – '
                f"{escape(categories[i])}: {_fmt(value)}</title></rect>"
            )
    body += _reference_line(reference, reference_label, upper)
    body += _category_labels(categories, step)
    body += _legend(series)
    return _frame(title, _describe(categories, series), body, chart_id)


#: the label column of a horizontal bar chart (long category names read whole)
HBAR_LABEL_W = 260


def hbar_chart(chart_id: str, title: str, categories: Sequence[str], series: Series) -> str:
    """Return a horizontal bar chart of one series: for many categories with long names (topics),
    each name wrapped beside its bar, never cut; the value at the end of the bar."""
    values = [v or 0 for v in (series[0][1] if series else [])]
    upper, intervals = axis_scale(max(values, default=0), integers=_whole(values))
    left, right, top = HBAR_LABEL_W + 10, WIDTH - MARGIN_RIGHT - 30, 28
    labels = [wrap_label(c, 40) for c in categories]
    heights = [max(26, 13 * len(lines) + 10) for lines in labels]
    height = top + sum(heights) + 12
    body: list[str] = []
    for i in range(intervals + 1):
        x = left + (right - left) * i / intervals
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{height - 10}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{top - 10}" font-size="11" text-anchor="middle" '
            f'fill="#333">{_fmt(round(upper * i / intervals, 2))}</text>'
        )
    y = top
    name = series[0][0] if series else ""
    for c, lines, h, v in zip(categories, labels, heights, values, strict=False):
        mid = y + h / 2
        first = mid - (len(lines) - 1) * 13 / 2 + 4
        body.append(
            f'<text x="{HBAR_LABEL_W}" y="{first:.1f}" font-size="11" text-anchor="end" '
            f'fill="#222">' + _tspans(lines, HBAR_LABEL_W, 13) + "</text>"
        )
        w = (right - left) * v / upper
        body.append(
            f'<rect class="bar" x="{left}" y="{mid - 8:.1f}" width="{w:.1f}" height="16" '
            f'fill="{PALETTE[0]}"><title>{escape(name)} – {escape(c)}: {_fmt(v)}</title></rect>'
            f'<text x="{left + w + 4:.1f}" y="{mid + 4:.1f}" font-size="11" fill="#222">'
            f"{_fmt(v)}</text>"
        )
        y += h
    return _frame(title, _describe(categories, series), body, chart_id, height)


def line_chart(chart_id: str, title: str, categories: Sequence[str], series: Series) -> str:
    """Return a line chart with one line and dots per series (trends over months/quarters)."""
    values = [v or 0 for _n, vals in series for v in vals]
    grid, upper = _axes(max(values, default=0), None, integers=_whole(values))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    step = plot_w / max(len(categories), 1)
    body = list(grid)
    for s, (name, vals) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        points = [(MARGIN_LEFT + step * (i + 0.5), _y(v or 0, upper)) for i, v in enumerate(vals)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(
            f'<polyline class="line" points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="2.5"/>'
        )
        for i, (x, y) in enumerate(points):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>'
                f"{escape(name)} – {escape(categories[i])}: {_fmt(vals[i] or 0)}</title></circle>"
            )
    body += _category_labels(categories, step)
    body += _legend(series)
    return _frame(title, _describe(categories, series), body, chart_id)


MONTH_NAMES = ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")


def month_label(key: str) -> str:
    """Return ``Mär 26`` for ``2026-03``."""
    year, month = key.split("-")
    return f"{MONTH_NAMES[int(month) - 1]} {year[2:]}"


#: bars per provider chart: with more providers, the largest (state and national scale)
MAX_BARS = 25
#: providers named in the "above the ratio" notice
MAX_NAMED = 30


def _of(shown: int, total: int, which: str = "meisten Beratungen") -> str:
    return f" – die {shown} mit den {which} von {total} Trägern" if shown < total else ""


def reviewer_dashboard(year: int, quarter: int) -> dict[str, object]:
    """Return the reviewer's charts (SVG) and their tables for a quarter (aggregates only).

    Trend per month (12 months up to the quarter's end), figures per provider, notes per topic,
    indicators over the last four quarters, caseload per FTE against 1:80 — all from SQL
    aggregates of :mod:`app.services.statistics.counting`.
    """
    from dateutil.relativedelta import relativedelta

    from app.services.statistics import counting as st

    period = st.Quarter(year, quarter)
    orgs = st.reporting_organisations()
    ids = [i for i, _n in orgs]
    names = [n for _i, n in orgs]
    shown = ("individual", "group", "education_system", "return_counselling")

    # one aggregation of the 12 months serves the trend and the quarter per provider; from the
    # precomputed rollup while it is fresh (national scale), else live
    trend_start = period.end.replace(day=1) - relativedelta(months=11)
    from app.services.statistics import rollup

    state = rollup.fresh_state(trend_start, period.end)
    if state is not None:
        # all reporting organisations (None): filtered by a subquery, not 1,500 parameters
        rows, org_rows = rollup.dashboard_rows(trend_start, period.start, period.end, None)
        known = set(ids)
        org_rows = [row for row in org_rows if row[0] in known]
    else:
        rows = org_rows = st.monthly_counts(trend_start, period.end, ids)
    per_month = st.sum_per_month(rows, trend_start, period.end)
    months = list(per_month)
    trend = [(st.FIGURE_LABELS[f], [per_month[m][f] for m in months]) for f in shown]

    per_org = st.sum_per_organisation(org_rows, ids, period.start, period.end)
    # a state or the whole country has hundreds of providers: the bars show the largest
    top = ids
    if len(ids) > MAX_BARS:  # the largest, in name order
        largest = sorted(ids, key=lambda i: -sum(per_org[i][f] for f in shown))[:MAX_BARS]
        top = [i for i in ids if i in set(largest)]
    top_names = [names[ids.index(i)] for i in top]
    providers = [(st.FIGURE_LABELS[f], [per_org[i][f] for i in top]) for f in shown]

    topics = (
        rollup.notes_per_topic_labelled(period.start, period.end, None)
        if state is not None
        else st.notes_per_topic_labelled(period.start, period.end, ids)
    )  # all topics of the catalogue (not only the first 10)
    topic_names = [label for _c, label, _n in topics]
    topic_series = [("Vermerke", [n for _c, _l, n in topics])]

    quarters = [period]
    for _ in range(3):
        quarters.insert(0, quarters[0].previous())
    # the four quarters in one statement; the last one is the current quarter
    per_quarter = (
        rollup.indicators_for_quarters(quarters, ids)
        if state is not None
        else st.indicators_for_periods([(q.start, q.end) for q in quarters], ids)
    )
    ind_rows = []
    for q, per in zip(quarters, per_quarter, strict=True):
        ind_rows.append(
            (
                f"Q{q.quarter}/{q.year}",
                sum(v["completed_courses"] for v in per.values()),
                sum(v["own_housing"] for v in per.values()),
            )
        )
    ind_cats = [r[0] for r in ind_rows]
    ind_series = [
        ("Abgeschlossene Integrationskurse", [r[1] for r in ind_rows]),
        ("Übergänge in eigenen Wohnraum", [r[2] for r in ind_rows]),
    ]

    current = per_quarter[-1]
    heavy = ids
    if len(ids) > MAX_BARS:  # the highest caseloads, in name order
        # a provider without staff hours has no caseload per FTE: it sorts last
        highest = sorted(ids, key=lambda i: -(current[i]["caseload_per_fte"] or 0))[:MAX_BARS]
        heavy = [i for i in ids if i in set(highest)]
    heavy_names = [names[ids.index(i)] for i in heavy]
    caseload = [("Personen je VZÄ", [current[i]["caseload_per_fte"] for i in heavy])]
    above = [n for i, n in orgs if current[i]["above_ratio"]]

    def table(categories: Sequence[str], series: Series) -> dict[str, object]:
        return {
            "header": [name for name, _v in series],
            "rows": [(c, [vals[k] for _n, vals in series]) for k, c in enumerate(categories)],
        }

    month_names = [month_label(m) for m in months]
    return {
        "period": period,
        "charts": [
            {
                "id": "chart-trend",
                "title": "Beratungen je Monat (12 Monate)",
                "svg": line_chart("chart-trend", "Beratungen je Monat", month_names, trend),
                "table": table(month_names, trend),
            },
            {
                "id": "chart-providers",
                "title": f"Beratungen je Träger ({period.label})" + _of(len(top), len(ids)),
                "svg": bar_chart("chart-providers", "Beratungen je Träger", top_names, providers),
                "table": table(top_names, providers),
            },
            {
                "id": "chart-topics",
                "title": f"Vermerke je Thema ({period.label})",
                "svg": hbar_chart("chart-topics", "Vermerke je Thema", topic_names, topic_series),
                "table": table(topic_names, topic_series),
            },
            {
                "id": "chart-indicators",
                "title": "Indikatoren je Quartal",
                "svg": line_chart(
                    "chart-indicators", "Indikatoren je Quartal", ind_cats, ind_series
                ),
                "table": table(ind_cats, ind_series),
            },
            {
                "id": "chart-caseload",
                "title": f"Betreuungsschlüssel je Träger ({period.label})"
                + _of(len(heavy), len(ids), "höchsten"),
                "svg": bar_chart(
                    "chart-caseload",
                    "Personen je VZÄ",
                    heavy_names,
                    caseload,
                    reference=st.CASELOAD_RATIO,
                    reference_label="Schlüssel 1:80",
                ),
                "table": table(heavy_names, caseload),
            },
        ],
        "above_ratio": above[:MAX_NAMED],
        "above_ratio_more": max(0, len(above) - MAX_NAMED),
        # trend, providers and topics from the precomputed rollup: its time (UTC), else None
        "rollup_refreshed_at": state.refreshed_at if state is not None else None,
    }

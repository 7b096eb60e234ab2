"""Referral statistics (R-6.2): referrals per network partner, category, topic, outcome.

Counted per quarter (or any period) and organisation from the ``referral`` rows plus the
anonymous counts kept when case files were destroyed (``statistics_retained_referral``), in ONE
aggregate statement: ``UNION ALL`` of both, grouped by organisation, partner, topic and outcome,
joined with the partner's name and category. A referral counts for the organisation stored on
it (the provider that documented it). For the county across providers only aggregates are
shown: partners, categories, topics, outcomes and the number per provider — never persons.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, String, cast, func, literal, select, union_all
from sqlalchemy.sql import Select

from app.extensions import db
from app.models import NetworkPartner, Organisation, Referral
from app.models.figures import RetainedReferralCount
from app.services.catalogues import labels_many
from app.services.export_safety import safe_cell
from app.services.statistics.counting import Quarter

NO_TOPIC = "Ohne Themenbereich"
NO_OUTCOME = "Nicht erfasst"


def referral_rows_query(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int] | None
) -> Select[Any]:
    """The aggregate SELECT of ``(org, partner_id, partner name, category, topic, outcome, n)``
    (unscoped: callers decide which organisations a user may see)."""
    r = Referral.__table__.c
    live = select(
        r.organisation_id.label("org"),
        r.partner_id.label("partner"),
        func.coalesce(r.topic_code, "").label("topic"),
        func.coalesce(r.outcome, "").label("outcome"),
        literal(1).label("n"),
    ).where(r.date >= start, r.date <= end)
    k = RetainedReferralCount.__table__.c
    month_no = k.year * 100 + k.month
    kept = select(
        k.organisation_id,
        k.partner_id,
        cast(k.topic_code, String),
        cast(k.outcome, String),
        cast(k.referrals, Integer),
    ).where(month_no >= start.year * 100 + start.month, month_no <= end.year * 100 + end.month)
    if organisation_ids is not None:
        live = live.where(r.organisation_id.in_(organisation_ids))
        kept = kept.where(k.organisation_id.in_(organisation_ids))
    u = union_all(live, kept).subquery("referrals")
    p = NetworkPartner.__table__.c
    stmt = (
        select(
            u.c.org,
            u.c.partner,
            func.coalesce(p.name, ""),
            func.coalesce(p.category, ""),
            u.c.topic,
            u.c.outcome,
            func.sum(u.c.n),
        )
        .select_from(u.outerjoin(NetworkPartner.__table__, p.id == u.c.partner))
        .group_by(u.c.org, u.c.partner, p.name, p.category, u.c.topic, u.c.outcome)
    )
    return stmt.execution_options(msa_unscoped=True)


def decode_rows(rows: Any) -> list[tuple[int, int, str, str, str, str, int]]:
    """Rows of :func:`referral_rows_query` as plain tuples."""
    return [
        (int(o), int(pid), name or "", cat or "", topic or "", outcome or "", int(n or 0))
        for o, pid, name, cat, topic, outcome, n in rows
    ]


def _referral_rows(
    start: dt.date, end: dt.date, organisation_ids: Sequence[int] | None
) -> list[tuple[int, int, str, str, str, str, int]]:
    """Return ``(org, partner_id, partner name, category, topic, outcome, n)`` rows."""
    return decode_rows(db.session.execute(referral_rows_query(start, end, organisation_ids)))


def _sorted(counter: Counter[Any], label: Any) -> list[dict[str, Any]]:
    return [
        {"code": code, "label": label(code), "referrals": n}
        for code, n in sorted(counter.items(), key=lambda item: (-item[1], str(label(item[0]))))
    ]


def referral_statistics_for(
    start: dt.date,
    end: dt.date,
    organisation_ids: Sequence[int] | None,
    *,
    rows: Sequence[tuple[int, int, str, str, str, str, int]] | None = None,
    names: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """Return referrals of the organisations in ``start``–``end`` by partner, category, topic
    and outcome, and per organisation (aggregates only)."""
    if rows is None:
        rows = _referral_rows(start, end, organisation_ids)
    cat = labels_many("partner_category", "contact_topic", "referral_outcome")
    categories, topics, outcomes = (
        cat.get("partner_category", {}),
        cat.get("contact_topic", {}),
        cat.get("referral_outcome", {}),
    )
    partners: dict[int, dict[str, Any]] = {}
    by_category: Counter[str] = Counter()
    by_topic: Counter[str] = Counter()
    by_outcome: Counter[str] = Counter()
    by_org: Counter[int] = Counter()
    for org, pid, name, category, topic, outcome, n in rows:
        entry = partners.setdefault(
            pid,
            {
                "partner_id": pid,
                "partner": name or f"Partner {pid}",
                "category": category,
                "category_label": categories.get(category, category or "–"),
                "referrals": 0,
                "outcomes": Counter(),
            },
        )
        entry["referrals"] += n
        entry["outcomes"][outcome] += n
        by_category[category] += n
        by_topic[topic] += n
        by_outcome[outcome] += n
        by_org[org] += n
    outcome_label = lambda code: outcomes.get(code, code) if code else NO_OUTCOME  # noqa: E731
    partner_list = sorted(partners.values(), key=lambda e: (-e["referrals"], e["partner"]))
    for entry in partner_list:
        entry["outcomes"] = {(code or "none"): n for code, n in sorted(entry["outcomes"].items())}
    out: dict[str, Any] = {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "total": sum(by_org.values()),
        "by_partner": partner_list,
        "by_category": _sorted(by_category, lambda c: categories.get(c, c or "–")),
        "by_topic": _sorted(by_topic, lambda t: topics.get(t, t) if t else NO_TOPIC),
        "by_outcome": _sorted(by_outcome, outcome_label),
        "outcome_labels": {"none": NO_OUTCOME, **outcomes},
    }
    for group in ("by_topic", "by_outcome"):
        for item in out[group]:
            item["code"] = item["code"] or "none"
    if names is not None:
        out["by_provider"] = [
            {"organisation_id": org_id, "organisation": name, "referrals": by_org.get(org_id, 0)}
            for org_id, name in names.items()
        ]
    return out


def referral_statistics(
    year: int,
    quarter: int,
    organisation_id: int | None,
    *,
    county: bool = False,
    organisations: Sequence[tuple[int, str]] | None = None,
) -> dict[str, Any]:
    """Referrals of one provider in a quarter, or (``organisation_id`` None, county) of all
    reporting providers with the number per provider (``organisations``: if read already)."""
    from app.services.statistics.counting import reporting_organisations

    period = Quarter(year, quarter)
    if organisation_id is None:
        if not county:
            raise ValueError("organisation_id fehlt")
        orgs = dict(organisations if organisations else reporting_organisations())
        stats = referral_statistics_for(period.start, period.end, list(orgs), names=orgs)
        stats.update(organisation=None, organisation_id=None, scope="county")
    else:
        name = db.session.execute(
            select(Organisation.name).where(Organisation.id == organisation_id)
        ).scalar_one_or_none()
        if name is None:
            from app.services.statistics.counting import StatisticsError

            raise StatisticsError("Diese Organisation gibt es nicht")
        stats = referral_statistics_for(period.start, period.end, [organisation_id])
        stats.update(organisation=name, organisation_id=organisation_id, scope="provider")
    stats.update(year=year, quarter=quarter)
    return stats


def export_rows(stats: Mapping[str, Any]) -> list[list[Any]]:
    """The referral statistics as one table (sections one after the other)."""
    who = stats.get("organisation") or "alle Träger (Landkreis)"
    head = f"Vermittlungen – {who} – {Quarter(stats['year'], stats['quarter']).label}"
    rows: list[list[Any]] = [[head], [], ["Netzwerkpartner", "Kategorie", "Vermittlungen"]]
    labels = stats["outcome_labels"]
    for p in stats["by_partner"]:
        detail = ", ".join(f"{labels.get(k, k)}: {n}" for k, n in p["outcomes"].items())
        rows.append([p["partner"], p["category_label"], p["referrals"], detail])
    for title, key in (
        ("Kategorie", "by_category"),
        ("Themenbereich", "by_topic"),
        ("Ergebnis", "by_outcome"),
    ):
        rows.append([])
        rows.append([title, "Vermittlungen"])
        rows.extend([item["label"], item["referrals"]] for item in stats[key])
    if "by_provider" in stats:
        rows.append([])
        rows.append(["Träger", "Vermittlungen"])
        rows.extend([item["organisation"], item["referrals"]] for item in stats["by_provider"])
    rows.append([])
    rows.append(["Summe", stats["total"]])
    return rows


def to_csv(stats: Mapping[str, Any]) -> str:
    """CSV (semicolon, formula-safe) of :func:`export_rows`."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for row in export_rows(stats):
        writer.writerow([safe_cell(c) for c in row])
    return buf.getvalue()


def to_xlsx(stats: Mapping[str, Any]) -> bytes:
    """XLSX (formula-safe) of :func:`export_rows`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Vermittlungen"
    for row in export_rows(stats):
        ws.append([safe_cell(c) for c in row])
    ws["A1"].font = Font(bold=True)
    ws.column_dimensions["A"].width = 45
    ws.column_dimensions["B"].width = 30
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

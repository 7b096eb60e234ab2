"""Every GET page and REST call of every role: the route list and its measurement.

``routes(app, focus)`` lists every GET route of ``app.url_map`` with its path parameters filled
with ids of real rows (the focus person of the bench provider and what hangs off it, else the
focus organisation's first row, else the model's first row) — the same list the statement walk
test (`tests/integration/test_page_statement_walk.py`) requests with the demo data.

``measure_walk`` requests each of them ``requests`` times per role through the running gunicorn
of ``bench.run`` (session cookie for pages, JWT for the API, as a browser and an integration
would) and keeps p50/p95 of the server time and CPU (``Server-Timing``), the statements and the
size; ``render_walk`` makes the table for docs/performance.md: per role the number of routes
and how many are over the target, then the slowest routes and every answer ≥ 500.
``python -m bench.run --database-url … --scale lopsided --walk``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select

#: role key -> (sign-in name, role) of the accounts that use the portal
ACCOUNTS = {
    "fachkraft": "fachkraft.caritas",
    "leitung": "leitung.caritas",
    "pruefer": "pruefer",
    "kreisadmin": "kreisadmin",
    "datenschutz": "datenschutz",
}

#: endpoints never requested: assets, sign-out, language switch, GET routes that change data
#: (FAB's delete and single-row actions), file downloads of FAB's upload columns (none used),
#: redirects back and the pending second sign-in step
SKIP_ENDPOINTS = {
    "static",
    "appbuilder.static",
    "AuthDBView.logout",
    "AuthDBView.login",
    "LocaleView.index",
    "UtilView.back",
    "TotpView.verify",
}
SKIP_SUFFIXES = (".delete", ".action", ".download")

#: query strings a page needs to show its content (else it shows an empty search form)
QUERY = {
    "SocialReportView.add": "?person_id={person}",
    "DataProtectionView.subject_access": "?person={person}",
    "ContactNoteView.add": "?person={person}",
    "MyFollowUpView.add": "?person={person}",
    "PersonLanguageView.add": "?person_id={person}",
    "PersonDegreeView.add": "?person_id={person}",
    "EmploymentView.add": "?person_id={person}",
    "IntegrationCourseView.add": "?person_id={person}",
    "PersonVulnerabilityView.add": "?person_id={person}",
    "StatisticsApi.quarterly": "?year={year}&quarter={quarter}",
}
#: path ids other than the model's first row: a draft is edited, a final report is not
PK = {"SocialReportView.edit": "draft_report"}

_ARG = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _models() -> dict[str, Any]:
    from app.models import (
        CaseManagementCase,
        FileAudit,
        FileAuditItem,
        HardshipProcedure,
        MoveProcedure,
        MsaUser,
        Person,
        SocialReport,
    )

    return {
        "SocialReportView": SocialReport,
        "SocialReportApi": SocialReport,
        "MoveProcedureView": MoveProcedure,
        "HardshipView": HardshipProcedure,
        "HardshipApi": HardshipProcedure,
        "CaseManagementView": CaseManagementCase,
        "CaseManagementApi": CaseManagementCase,
        "PersonCvApi": Person,
        "audit_id": FileAudit,
        "item_id": FileAuditItem,
        "person_id": Person,
        # the qualification profile of an account of the focus provider
        "QualificationView": MsaUser,
    }


def _id_of(app: Any, model: Any, focus: dict[str, Any]) -> int | None:
    """The focus person's row of ``model``, else the focus organisation's, else the first."""
    from app.extensions import db

    columns = inspect(model).columns
    if model.__name__ == "Person":
        return int(focus["person"])
    tries = []
    if "person_id" in columns:
        tries.append(columns["person_id"] == focus["person"])
    if "organisation_id" in columns:
        tries.append(columns["organisation_id"] == focus["org"])
    tries.append(None)
    with app.app_context():
        for where in tries:
            stmt = select(columns["id"]).order_by(columns["id"]).limit(1)
            if where is not None:
                stmt = stmt.where(where)
            row = db.session.scalar(stmt)
            if row is not None:
                return int(row)
    return None


def routes(app: Any, focus: dict[str, Any]) -> list[tuple[str, str]]:
    """(endpoint, url) of every GET route, path parameters filled with real ids.

    ``focus``: ``org``, ``person``, ``draft_report``, ``year``, ``quarter``."""
    models = _models()
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    ids: dict[Any, int | None] = {}

    def id_for(model: Any) -> int | None:
        if model not in ids:
            ids[model] = _id_of(app, model, focus)
        return ids[model]

    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        endpoint = rule.endpoint
        if "GET" not in (rule.methods or set()) or endpoint in SKIP_ENDPOINTS:
            continue
        if endpoint.endswith(SKIP_SUFFIXES):
            continue
        view_name = endpoint.split(".")[0]
        view = views.get(view_name)
        view_model = models.get(view_name) or getattr(getattr(view, "datamodel", None), "obj", None)
        missing = False

        def value(
            match: re.Match[str], view_model: Any = view_model, endpoint: str = endpoint
        ) -> str:
            nonlocal missing
            converter, choices, name = match.groups()
            if converter == "any":
                return (choices or "").split(",")[0].strip()
            if name == "version":
                return "v1"
            if name == "fmt":
                return "csv"
            if name == "group_by":
                return "role"
            model = models.get(name) or view_model
            if endpoint in PK:
                row = focus[PK[endpoint]]
            else:
                row = id_for(model) if model is not None else None
            if row is None:
                missing = True
                return "0"
            return str(row)

        url = _ARG.sub(value, rule.rule)
        if missing:
            continue
        url += QUERY.get(endpoint, "").format(**focus)
        out.append((endpoint, url))
    return out


# --------------------------------------------------------------------------- measuring
@dataclass
class WalkRow:
    role: str
    endpoint: str
    url: str
    status: int
    p50: float
    p95: float
    cpu_p95: float
    sql: int
    kib: float


def measure_walk(
    port: int, app: Any, focus: dict[str, Any], requests: int, log: Any, warm: int = 3
) -> list[WalkRow]:
    """Request every route ``requests`` times for every role in ACCOUNTS, after ``warm``
    requests (at least one per gunicorn worker: a worker's first render of a page is cold)."""
    from bench.run import Client, _pct

    urls = routes(app, focus)
    rows: list[WalkRow] = []
    for role, username in ACCOUNTS.items():
        browser, api = Client(port), Client(port)
        try:
            browser.login(username)
        except RuntimeError as exc:  # the account is not in this database (e.g. no DPO)
            log(f"  {role}: übersprungen ({exc})")
            continue
        api.api_login(username)
        for endpoint, url in urls:
            client = api if url.startswith("/api/") else browser
            first = client.request("GET", url)
            for _ in range(warm - 1):  # every worker once: its first render is cold
                first = client.request("GET", url)
            if first.status != 200:
                rows.append(
                    WalkRow(role, endpoint, url, first.status, *([float("nan")] * 3), -1, 0)
                )
                continue
            times, cpus, sqls, size = [], [], [], len(first.body)
            for _ in range(requests):
                reply = client.request("GET", url)
                times.append(reply.server_ms)
                cpus.append(reply.cpu_ms)
                sqls.append(reply.sql)
                size = len(reply.body)
            rows.append(
                WalkRow(
                    role,
                    endpoint,
                    url,
                    200,
                    _pct(times, 0.5),
                    _pct(times, 0.95),
                    _pct(cpus, 0.95),
                    max(sqls),
                    size / 1024,
                )
            )
        ok = [r for r in rows if r.role == role and r.status == 200]
        log(f"  {role}: {len(ok)} Routen mit 200, langsamste p95 "
            f"{max((r.p95 for r in ok), default=0):.0f} ms")  # fmt: skip
    return rows


def _n(value: float) -> str:
    return (
        "–"
        if value != value
        else f"{value:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".")
    )


def render_walk(rows: list[WalkRow], meta: dict[str, str], target_ms: float, top: int = 25) -> str:
    """Summary per role, the ``top`` slowest routes (p95) and every answer ≥ 500."""
    lines = [
        f"### {meta['title']} — alle Seiten und API-Aufrufe je Rolle",
        "",
        f"{meta['date']}; {meta['machine']}; {meta['data']}; {meta['workers']} gunicorn-Worker; "
        f"{meta['requests']} Anfragen je Route nach {meta.get('warm', '3')} Aufwärm-Anfragen "
        "(jeder Worker mindestens einmal); Last (1 min) vorher / "
        f"nachher {meta['load']}.",
        "",
        f"| Rolle | GET-Routen | mit 200 | 403/404 | ≥ 500 | p95 > {target_ms:.0f} ms | "
        "größte p95 ms | meiste SQL | größte KiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for role in ACCOUNTS:
        mine = [r for r in rows if r.role == role]
        if not mine:
            lines.append(f"| {role} | – (Konto fehlt in dieser Datenbank) | | | | | | | |")
            continue
        ok = [r for r in mine if r.status == 200]
        lines.append(
            f"| {role} | {len(mine)} | {len(ok)} | "
            f"{sum(1 for r in mine if r.status in (403, 404))} | "
            f"{sum(1 for r in mine if r.status >= 500)} | "
            f"{sum(1 for r in ok if r.p95 > target_ms)} | "
            f"{_n(max((r.p95 for r in ok), default=float('nan')))} | "
            f"{max((r.sql for r in ok), default=0)} | "
            f"{_n(max((r.kib for r in ok), default=float('nan')))} |"
        )
    slow = sorted((r for r in rows if r.status == 200), key=lambda r: -r.p95)[:top]
    lines += [
        "",
        f"Die {len(slow)} langsamsten (p95):",
        "",
        "| Rolle | Route | p50 ms | p95 ms | CPU p95 ms | SQL | KiB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.role} | `{r.url}` | {_n(r.p50)} | {_n(r.p95)} | {_n(r.cpu_p95)} | {r.sql} | "
        f"{_n(r.kib)} |"
        for r in slow
    ]
    errors = [r for r in rows if r.status >= 500]
    if errors:
        lines += ["", "Antworten ≥ 500:", ""]
        lines += [f"- {r.role}: `{r.url}` → {r.status}" for r in errors]
    return "\n".join(lines) + "\n"

"""Benchmark runner: ``python -m bench.run --db sqlite|postgres --scale county|state|national|N``.

Creates a fresh database, migrates it (``flask msa init``), fills it (bench.generate), starts
gunicorn with ``--workers`` processes on 127.0.0.1 and a free port, signs in and requests every
page of ``bench.pages.PAGES`` ``--requests`` times. Per page: p50/p95 of the server time and the
SQL statements (from the opt-in ``Server-Timing`` header, MSA_SERVER_TIMING=1), response size,
and beside it the bare SQL of the page timed alone against the database (ratio portal/bare).
The table is written into docs/performance.md between markers for this database and scale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import platform
import re
import secrets
import signal
import socket
import subprocess  # nosec B404
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
PG_BASE = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "Demo-Passwort-2026"  # nosec B105


# --------------------------------------------------------------------------- HTTP client
@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    server_ms: float
    sql: int
    cpu_ms: float = float("nan")


def _csrf_token(html: bytes) -> str:
    """The value of the first ``csrf_token`` field of a page."""
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        rb'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if not match:
        raise RuntimeError("Seite ohne CSRF-Token")
    return match.group(1).decode()


class Client:
    """A tiny cookie-keeping HTTP client (a new connection per request, like a browser tab)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.token: str | None = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        headers = {"Accept-Language": "de"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        for cookie in resp.msg.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        timing = resp.getheader("Server-Timing") or ""
        app_ms = re.search(r"app;dur=([\d.]+)", timing)
        sql = re.search(r'desc="(\d+)"', timing)
        cpu = re.search(r"cpu;dur=([\d.]+)", timing)
        return Reply(
            resp.status,
            {k.lower(): v for k, v in resp.getheaders()},
            data,
            float(app_ms.group(1)) if app_ms else float("nan"),
            int(sql.group(1)) if sql else -1,
            float(cpu.group(1)) if cpu else float("nan"),
        )

    def login(self, username: str) -> Reply:
        page = self.request("GET", "/login/")
        reply = self.request(
            "POST",
            "/login/",
            {"csrf_token": _csrf_token(page.body), "username": username, "password": PASSWORD},
        )
        if reply.status != 302 or "/login" in reply.headers.get("location", ""):
            raise RuntimeError(f"Anmeldung von {username} fehlgeschlagen ({reply.status})")
        return reply

    def api_login(self, username: str) -> None:
        import json

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        body = json.dumps({"username": username, "password": PASSWORD, "provider": "db"})
        conn.request("POST", "/api/v1/security/login", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = json.loads(resp.read() or b"{}")
        conn.close()
        self.token = data.get("access_token")


# --------------------------------------------------------------------------- databases
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _create_database(kind: str, keep: bool) -> tuple[str, Any]:
    stamp = dt.datetime.now().strftime("%Y%m%d%H%M%S")
    if kind == "sqlite":
        path = Path(tempfile.gettempdir()) / f"msa-bench-{stamp}.db"
        url = f"sqlite:///{path}"

        def drop_sqlite() -> None:
            if not keep:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)

        return url, drop_sqlite
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(PG_BASE)
    name = f"msa_bench_{stamp}"
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop_pg() -> None:
        if keep:
            return
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return base.set(database=name).render_as_string(hide_password=False), drop_pg


def _db_version(engine: Any) -> str:
    from sqlalchemy import text

    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            version = conn.execute(text("SHOW server_version")).scalar()
            return f"PostgreSQL {str(version).split()[0]}"
        return f"SQLite {conn.execute(text('SELECT sqlite_version()')).scalar()}"


# --------------------------------------------------------------------------- measuring
def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Row:
    name: str
    user: str
    status: str
    p50: float
    p95: float
    sql: int
    kib: float
    bare_p50: float
    bare_p95: float
    target: float | None
    cpu_p50: float = float("nan")
    cpu_p95: float = float("nan")

    @property
    def ratio(self) -> float:
        return self.p50 / self.bare_p50 if self.bare_p50 > 0 else float("nan")


def _bare(engine: Any, statements: tuple[str, ...], params: dict[str, Any], n: int) -> list[float]:
    from sqlalchemy import text

    times = []
    with engine.connect() as conn:
        for _ in range(n + 2):
            t0 = time.perf_counter()
            for sql in statements:
                used = {k: v for k, v in params.items() if f":{k}" in sql}
                result = conn.execute(text(sql), used)
                if result.returns_rows:
                    result.fetchall()
            times.append((time.perf_counter() - t0) * 1000)
            conn.rollback()  # the bare INSERTs of a form page leave nothing behind
    return times[2:]


def _params(engine: Any) -> dict[str, Any]:
    from bench.pages import params

    with engine.connect() as conn:
        return params(conn)


def measure(
    port: int, engine: Any, requests: int, log: Any, only: list[str] | None = None
) -> list[Row]:
    from bench.pages import LOGIN, PAGES, USERS, Page

    params = _params(engine)
    sessions: dict[str, Client] = {}
    for key, (username, _desc) in USERS.items():
        client = Client(port)
        client.login(username)
        client.api_login(username)
        sessions[key] = client
    rows: list[Row] = []
    for page in PAGES:
        if only and not any(part.lower() in page.name.lower() for part in only):
            continue
        client = sessions[page.user]
        path = page.path.format(**params)

        def send(page: Page = page, client: Client = client, path: str = path) -> Reply:
            form: dict[str, str] | None = None
            if page.form is not None:
                form = page.form(params)
                if page.form_page:  # a fresh CSRF token, fetched outside the timing
                    html = client.request("GET", page.form_page.format(**params)).body
                    form["csrf_token"] = _csrf_token(html)
            return client.request(page.method, path, form)

        first = send()
        if first.status == 404 and page.optional:
            rows.append(
                Row(
                    page.name,
                    page.user,
                    "nicht vorhanden",
                    *([float("nan")] * 2),
                    -1,
                    float("nan"),
                    float("nan"),
                    float("nan"),
                    page.target_ms,
                )
            )
            log(f"  {page.name}: nicht vorhanden")
            continue
        times, sqls, size, cpus = [], [], len(first.body), []
        if first.status != page.expect_status:
            raise RuntimeError(f"{page.name}: HTTP {first.status} für {path}")
        for _ in range(requests):
            reply = send()
            if reply.status != page.expect_status:
                raise RuntimeError(f"{page.name}: HTTP {reply.status} für {path}")
            times.append(reply.server_ms)
            cpus.append(reply.cpu_ms)
            sqls.append(reply.sql)
            size = len(reply.body)
        bare = _bare(engine, page.bare, params, requests) if page.bare else []
        row = Row(
            page.name,
            page.user,
            str(first.status),
            _pct(times, 0.5),
            _pct(times, 0.95),
            max(sqls),
            size / 1024,
            _pct(bare, 0.5),
            _pct(bare, 0.95),
            page.target_ms,
            _pct(cpus, 0.5),
            _pct(cpus, 0.95),
        )
        rows.append(row)
        log(
            f"  {page.name}: p50 {row.p50:.1f} ms, p95 {row.p95:.1f} ms, {row.sql} SQL, "
            f"{row.kib:.1f} KiB, bare {row.bare_p50:.2f} ms"
        )
    if only:  # a selection of pages: the sign-in is not among them
        return rows
    # sign-in: a fresh session each time (the password hash dominates)
    times, sqls, size, cpus = [], [], 0, []
    logins = max(5, min(requests, 20))
    for _ in range(logins):
        client = Client(port)
        reply = client.login(USERS["fachkraft"][0])
        times.append(reply.server_ms)
        cpus.append(reply.cpu_ms)
        sqls.append(reply.sql)
        size = len(reply.body)
    bare = _bare(engine, LOGIN.bare, params, logins)
    rows.append(
        Row(
            LOGIN.name,
            "fachkraft",
            "302",
            _pct(times, 0.5),
            _pct(times, 0.95),
            max(sqls),
            size / 1024,
            _pct(bare, 0.5),
            _pct(bare, 0.95),
            None,
            _pct(cpus, 0.5),
            _pct(cpus, 0.95),
        )
    )
    log(f"  {LOGIN.name}: p50 {rows[-1].p50:.1f} ms")
    return rows


# --------------------------------------------------------------------------- report
def _machine(engine: Any) -> str:
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        mem = "?"
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    return (
        f"{os.cpu_count()} CPU-Kerne ({cpu}), {mem} RAM, Python {platform.python_version()}, "
        f"{_db_version(engine)}, {platform.system()} {platform.release()}"
    )


def _de(number: float) -> str:
    """German thousands separator: 50.000."""
    return f"{number:,.0f}".replace(",", ".")


def _fmt(value: float, digits: int = 1) -> str:
    return "–" if value != value else f"{value:.{digits}f}"  # NaN check


def render(rows: list[Row], meta: dict[str, str]) -> str:
    lines = [
        f"### {meta['title']}",
        "",
        f"- Gemessen: {meta['date']}; Maschine: {meta['machine']}",
        f"- Daten: {meta['data']}; Erzeugung: {meta['gen']}",
        f"- Server: gunicorn, {meta['workers']} Worker (sync); {meta['requests']} Anfragen je "
        "Seite nacheinander; Serverzeit, CPU-Zeit des Workers und SQL-Anzahl aus dem "
        "`Server-Timing`-Kopf; Last der Maschine (1 min) beim Start/Ende: "
        f"{meta.get('load', '?')}",
        "",
        "| Seite / API | Benutzer | p50 ms | p95 ms | CPU p50 ms | CPU p95 ms | SQL | KiB | "
        "nacktes SQL p50 ms | Verhältnis p50 | Ziel p95 ms | erfüllt (p95) | erfüllt (CPU p95) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|",
    ]
    for r in rows:
        if r.status == "nicht vorhanden":
            lines.append(
                f"| {r.name} | {r.user} | – | – | – | – | – | – | – | – | "
                f"{_fmt(r.target or float('nan'), 0)} | nicht vorhanden | |"
            )
            continue
        ok = ok_cpu = "–"
        if r.target is not None:
            fits = r.sql <= 8 and r.kib <= 200
            ok = "ja" if (fits and r.p95 <= r.target) else "nein"
            ok_cpu = "ja" if (fits and r.cpu_p95 <= r.target) else "nein"
        lines.append(
            f"| {r.name} | {r.user} | {_fmt(r.p50)} | {_fmt(r.p95)} | {_fmt(r.cpu_p50)} | "
            f"{_fmt(r.cpu_p95)} | {r.sql} | {_fmt(r.kib)} | "
            f"{_fmt(r.bare_p50, 2)} | {_fmt(r.ratio)}× | {_fmt(r.target or float('nan'), 0)} | "
            f"{ok} | {ok_cpu} |"
        )
    return "\n".join(lines) + "\n"


def write_report(key: str, block: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Performance\n\n## Messergebnisse\n\n"
    start, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    section = f"{start}\n{block}{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    else:
        marker = "<!-- bench:end -->"
        if marker in text:
            text = text.replace(marker, f"{section}\n\n{marker}")
        else:
            text = text.rstrip() + f"\n\n{section}\n"
    DOC.write_text(text)


# --------------------------------------------------------------------------- the walk
def _walk(args: Any, port: int, url: str, meta: dict[str, str], log: Any) -> None:
    """Every GET route of every role (bench/walk.py) against the running server."""
    from sqlalchemy import select

    from app import create_app
    from app.demo.data import PROVIDERS
    from app.extensions import db
    from app.models import Organisation, SocialReport
    from bench.pages import bench_person_id
    from bench.walk import measure_walk, render_walk

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        org = db.session.scalars(
            select(Organisation.id).where(Organisation.name == PROVIDERS[0])
        ).one()
        person = bench_person_id(db.session.connection(), org)
        # the data protection officer of the demo data (the generator makes no DPO)
        from app.demo.data_protection import DEMO_DPO_USERNAME
        from app.models import MsaUser

        if not db.session.scalar(select(MsaUser.id).where(MsaUser.username == DEMO_DPO_USERNAME)):
            from app.demo.accounts import COUNTY
            from app.security.matrix import ROLE_DPO
            from app.services.staff.accounts import create_user

            create_user(DEMO_DPO_USERNAME, PASSWORD, ROLE_DPO, organisation=COUNTY, fte=0.5)
            db.session.commit()
        draft = db.session.scalars(
            select(SocialReport.id).where(
                SocialReport.person_id == person, SocialReport.status == "draft"
            )
        ).first()
    today = dt.date.today()
    focus = {
        "org": org,
        "person": person,
        "draft_report": draft,
        "year": today.year,
        "quarter": (today.month - 1) // 3 + 1,
    }
    log(f"Rundgang: jede GET-Route jeder Rolle, {args.walk_requests} Anfragen je Route …")
    load_before = os.getloadavg()[0]
    warm = args.workers + 1
    rows = measure_walk(port, app, focus, args.walk_requests, log, warm=warm)
    walk_meta = {
        **meta,
        "requests": str(args.walk_requests),
        "warm": str(warm),
        "load": f"{load_before:.1f} / {os.getloadavg()[0]:.1f}",
    }
    block = render_walk(rows, walk_meta, args.walk_target)
    print(block)
    if not args.no_report:
        write_report(f"{args.report_key or f'{args.db}:{args.scale}'}:walk", block)


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="MSA-Portal Benchmark (docs/performance.md)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--scale", default="county", help="county|state|national|lopsided|<Personen>"
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="Datenbank danach nicht löschen")
    parser.add_argument("--database-url", help="vorhandene, gefüllte Datenbank verwenden")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--time-budget", type=float, help="Erzeugung nach N Sekunden abbrechen")
    parser.add_argument("--no-report", action="store_true", help="docs/performance.md lassen")
    parser.add_argument(
        "--only",
        action="append",
        help="nur Seiten, deren Name dies enthält (mehrfach möglich; ohne Anmeldung)",
    )
    parser.add_argument("--report-key", help="Abschnitt in docs/performance.md (statt db:scale)")
    parser.add_argument(
        "--walk",
        action="store_true",
        help="danach jede GET-Route jeder Rolle messen (bench/walk.py, Abschnitt …:walk)",
    )
    parser.add_argument(
        "--walk-requests", type=int, default=5, help="Anfragen je Route im Rundgang"
    )
    parser.add_argument("--walk-target", type=float, default=100.0, help="Ziel p95 ms im Rundgang")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    if args.database_url:
        url, drop = args.database_url, (lambda: None)
    else:
        url, drop = _create_database(args.db, args.keep)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MSA_ENV": "development",
        "SECRET_KEY": secrets.token_hex(32),
        "MSA_SERVER_TIMING": "1",
        "MSA_AUTH_RATE_LIMIT": "100000 per minute",
        "FLASK_APP": "run.py",
        # the county admin's second factor is not what the benchmark measures
        "MSA_TOTP_REQUIRED_ROLES": "",
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "MSA_ENV", "SECRET_KEY")})
    server = None
    try:
        gen_text = "vorhandene Datenbank"
        if not args.database_url:
            log(f"Datenbank {url.split('@')[-1]} anlegen und migrieren …")
            flask = str(Path(sys.executable).with_name("flask"))
            subprocess.run(
                [flask, "msa", "init"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )  # nosec B603
            from app import create_app
            from bench.generate import generate

            app = create_app()
            with app.app_context():
                log(f"Daten erzeugen ({args.scale}) …")
                result = generate(args.scale, log=log, time_budget=args.time_budget)
            gen_text = (
                f"{_de(result.seconds)} s ({_de(result.persons)} Personen, "
                f"{_de(result.households)} Haushalte, {_de(result.notes)} Beratungsvermerke, "
                f"{_de(result.topics)} Themen, {_de(result.follow_ups)} Wiedervorlagen, "
                f"{result.providers} Träger, {_de(result.staff)} Fachkräfte)"
            )
            log(f"Erzeugt in {gen_text}")
            if args.generate_only:
                return 0
        flask = str(Path(sys.executable).with_name("flask"))
        if args.database_url:  # an existing database: bring the schema to head first
            subprocess.run(
                [flask, "msa", "init"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )  # nosec B603
        # the scheduled job of a state or national installation (docs/deployment.md)
        started = time.perf_counter()
        subprocess.run(
            [flask, "msa", "refresh-statistics"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )  # nosec B603
        rollup_s = time.perf_counter() - started
        gen_text += (
            f"; Voraggregation der Auswertungen (`flask msa refresh-statistics`, der geplante "
            f"Job): {_fmt(rollup_s)} s"
        )
        log(f"Voraggregation: {rollup_s:.1f} s")
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            persons = conn.execute(text("SELECT count(*) FROM person")).scalar() or 0
            notes = conn.execute(text("SELECT count(*) FROM contact_note")).scalar() or 0
        port = _free_port()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        server = subprocess.Popen(  # nosec B603
            [
                gunicorn,
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "300",
                "--log-level",
                "warning",
                "run:app",
            ],
            cwd=ROOT,
            env=env,
        )
        for _ in range(600):
            try:
                if Client(port).request("GET", "/login/").status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn antwortet nicht")
        # warm every worker (templates, caches) before measuring
        for _ in range(args.workers * 3):
            Client(port).request("GET", "/login/")
        load_before = os.getloadavg()[0]
        log(f"Messen: {args.requests} Anfragen je Seite, {args.workers} gunicorn-Worker …")
        rows = measure(port, engine, args.requests, log, args.only)
        if args.database_url:  # an existing database: its section follows its kind and size
            args.db = "postgres" if url.startswith("postgresql") else "sqlite"
            from bench.generate import SCALES

            args.scale = (
                args.scale
                if args.scale == "lopsided"
                else next(
                    (name for name, (count, _p) in SCALES.items() if count == persons), str(persons)
                )
            )
        meta = {
            "title": f"{args.db} · {args.scale}",
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": _machine(engine),
            "data": f"{_de(persons)} Personen, {_de(notes)} Beratungsvermerke",
            "gen": gen_text,
            "workers": str(args.workers),
            "requests": str(args.requests),
            "load": f"{load_before:.1f} / {os.getloadavg()[0]:.1f}",
        }
        if rows:
            block = render(rows, meta)
            print(block)
            if not args.no_report:
                write_report(args.report_key or f"{args.db}:{args.scale}", block)
                log(f"→ {DOC.relative_to(ROOT)}")
        if args.walk:
            _walk(args, port, url, meta, log)
        engine.dispose()
        return 0
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        drop()


if __name__ == "__main__":
    sys.exit(main())

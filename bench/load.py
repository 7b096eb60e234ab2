"""Load scenario: ``python -m bench.load --db sqlite|postgres --scale county --hosts 2``.

Several app hosts (gunicorn processes on their own ports, the same database, the same
``SECRET_KEY`` and the same Redis for the shared counters — what a county runs behind a load
balancer) and a pool of simulated users, each signed in with a role of its own and sending
requests back to back (closed loop, no think time) to the hosts in turn:

- caseworkers read their desk, the person list, a search, their persons' case files, the notes
  and follow-up lists, and document contacts (the writes: ``--write-share`` of their requests);
- the provider's lead reads the desk, the team's lists and the quarter's figures;
- the county's reviewer reads all providers' lists, searches and figures.

Each phase runs ``--seconds`` with one of the ``--clients`` counts (e.g. ``4,16``), bounded by
``--max-requests`` per phase. Reported per phase: requests per second, p50/p95/p99 of the
client's latency (reads and writes apart), errors by kind, the split of the time (queued
outside the app, the app's CPU, SQL, waiting for a core inside the app — from the
``Server-Timing`` header) and the CPU seconds of the app hosts, the database server and Redis
(from /proc). After the run every write is checked exactly once: each note carries a token;
every acknowledged note must be stored once, none twice, and a note stored without an
acknowledgement (a request that failed after the commit) is listed.

The table is written into docs/performance.md between ``<!-- bench:load:<db> -->`` markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import signal
import subprocess  # nosec B404
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.run import (
    DOC,
    ROOT,
    Client,
    Reply,
    _create_database,
    _csrf_token,
    _de,
    _fmt,
    _free_port,
    _machine,
    _pct,
    write_report,
)

#: username -> role key; the demo accounts (bench.pages.USERS and two more caseworkers)
ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("fachkraft.caritas", "fachkraft"),
    ("fachkraft2.caritas", "fachkraft"),
    ("fachkraft.diakonie", "fachkraft"),
    ("leitung.caritas", "leitung"),
    ("leitung.diakonie", "leitung"),
    ("pruefer", "pruefer"),
)
TOKEN_PREFIX = "Lasttest"


@dataclass
class UserPlan:
    """What one account reads (weighted paths) and, for caseworkers, whose files it writes to."""

    username: str
    role: str
    reads: list[tuple[str, str, int]]  # (action name, path, weight)
    persons: list[int] = field(default_factory=list)


@dataclass
class Sample:
    action: str
    write: bool
    status: int
    ok: bool
    client_ms: float
    app_ms: float
    sql_ms: float
    cpu_ms: float
    error: str = ""


def _search_prefix(conn: Any, org_id: int | None) -> str:
    from sqlalchemy import text

    sql = "SELECT last_name FROM person"
    sql += " WHERE organisation_id = :o" if org_id else ""
    name = conn.execute(text(sql + " ORDER BY id LIMIT 1"), {"o": org_id}).scalar()
    return str(name or "A")[:4]


def plans(engine: Any) -> list[UserPlan]:
    """One plan per account from the filled database (ids of the account's own persons)."""
    from sqlalchemy import text

    today = dt.date.today()
    quarter = (today.month - 1) // 3 + 1
    result: list[UserPlan] = []
    with engine.connect() as conn:
        for username, role in ACCOUNTS:
            row = conn.execute(
                text("SELECT id, organisation_id FROM ab_user WHERE username = :u"),
                {"u": username},
            ).one_or_none()
            if row is None:
                continue
            user_id, org_id = row
            search = _search_prefix(conn, org_id if role != "pruefer" else None)
            common = [
                ("Startseite", "/", 3),
                ("Personenliste", "/personview/list/", 2),
                ("Personensuche", f"/personview/list/?_flt_0_last_name={search}", 2),
            ]
            if role == "fachkraft":
                persons = [
                    int(pid)
                    for (pid,) in conn.execute(
                        text(
                            "SELECT id FROM person WHERE caseworker_id = :u "
                            "AND organisation_id = :o ORDER BY id LIMIT 200"
                        ),
                        {"u": user_id, "o": org_id},
                    )
                ]
                if not persons:
                    continue
                reads = [
                    *common,
                    ("Fallakte", "/personview/show/{person}", 6),
                    ("Beratungsvermerke", "/contactnoteview/list/", 1),
                    ("Wiedervorlagen", "/myfollowupview/list/", 1),
                ]
                result.append(UserPlan(username, role, reads, persons))
            elif role == "leitung":
                reads = [
                    *common,
                    ("Beratungsvermerke", "/contactnoteview/list/", 1),
                    ("Statistik Quartal", f"/statistics/?year={today.year}&quarter={quarter}", 1),
                ]
                result.append(UserPlan(username, role, reads))
            else:
                reads = [
                    *common,
                    (
                        "Statistik alle Träger",
                        f"/statistics-review/?year={today.year}&quarter={quarter}",
                        1,
                    ),
                ]
                result.append(UserPlan(username, role, reads))
    return result


def _note_form(token: str, csrf: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "date": dt.date.today().isoformat(),
        "kind": "individual",
        "duration_minutes": "30",
        "topics": "work",
        "summary": f"{TOKEN_PREFIX} {token}: Beratung zur Arbeitssuche, Unterlagen besprochen.",
        "result": "",
        "partner_id": "",
        "follow_up_on": "",
        "follow_up_title": "",
    }


class SimulatedUser(threading.Thread):
    """One signed-in user sending requests back to back to the hosts in turn."""

    def __init__(
        self,
        index: int,
        plan: UserPlan,
        ports: list[int],
        run_id: str,
        write_share: float,
        stop_at: float,
        budget: threading.Semaphore,
    ) -> None:
        super().__init__(daemon=True)
        self.index, self.plan, self.ports, self.run_id = index, plan, ports, run_id
        self.write_share, self.stop_at, self.budget = write_share, stop_at, budget
        self.rng = random.Random(index)
        self.samples: list[Sample] = []
        self.acked: list[str] = []
        self.sent: list[str] = []
        self.seq = 0
        # one session per host: a cookie signed with the shared key is valid on every host
        self.clients = [Client(port) for port in ports]
        self.csrf: list[str] = []

    def sign_in(self) -> None:
        for client in self.clients:
            client.login(self.plan.username)
            if self.plan.persons:
                page = client.request("GET", f"/personview/show/{self.plan.persons[0]}")
                self.csrf.append(_csrf_token(page.body))

    def _one(self, host: int) -> Sample:
        client = self.clients[host]
        write = bool(self.plan.persons) and self.rng.random() < self.write_share
        person = self.rng.choice(self.plan.persons) if self.plan.persons else 0
        started = time.perf_counter()
        try:
            if write:
                self.seq += 1
                token = f"{self.run_id}-{self.index}-{self.seq}"
                self.sent.append(token)
                reply: Reply = client.request(
                    "POST",
                    f"/contactnoteview/document/{person}",
                    _note_form(token, self.csrf[host]),
                )
                ok = reply.status == 302 and "/login" not in reply.headers.get("location", "")
                if ok:
                    self.acked.append(token)
                action = "Beratungsvermerk speichern"
            else:
                weights = [weight for _name, _path, weight in self.plan.reads]
                action, path, _weight = self.rng.choices(self.plan.reads, weights)[0]
                reply = client.request("GET", quote(path.format(person=person), safe="/?=&_"))
                ok = reply.status == 200
        except Exception as exc:  # refused, reset, timed out, unreadable: an error of the service
            return Sample(
                "Verbindung", write, 0, False, (time.perf_counter() - started) * 1000,
                float("nan"), float("nan"), float("nan"), type(exc).__name__,
            )  # fmt: skip
        timing = reply.headers.get("server-timing", "")
        sql_ms = float("nan")
        if "sql;dur=" in timing:
            sql_ms = float(timing.split("sql;dur=")[1].split(";")[0].split(",")[0])
        return Sample(
            action,
            write,
            reply.status,
            ok,
            (time.perf_counter() - started) * 1000,
            reply.server_ms,
            sql_ms,
            reply.cpu_ms,
            "" if ok else f"HTTP {reply.status}",
        )

    def run(self) -> None:
        host = self.index % len(self.ports)
        while time.perf_counter() < self.stop_at and self.budget.acquire(blocking=False):
            self.samples.append(self._one(host))
            host = (host + 1) % len(self.ports)


# --------------------------------------------------------------------------- CPU accounting
def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


def _processes() -> dict[str, list[int]]:
    """pids by group: app hosts (gunicorn), database server, Redis."""
    groups: dict[str, list[int]] = {"App-Hosts": [], "PostgreSQL": [], "Redis": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if "gunicorn" in cmd and "run:app" in cmd:
            groups["App-Hosts"].append(int(entry.name))
        elif comm.startswith("postgres"):
            groups["PostgreSQL"].append(int(entry.name))
        elif comm.startswith("redis-server"):
            groups["Redis"].append(int(entry.name))
    return groups


def _cpu_snapshot() -> dict[str, int]:
    return {group: sum(_ticks(pid) for pid in pids) for group, pids in _processes().items()} | {
        "Lastgenerator": int(time.process_time() * os.sysconf("SC_CLK_TCK"))
    }


# --------------------------------------------------------------------------- a phase
@dataclass
class Phase:
    clients: int
    seconds: float
    samples: list[Sample]
    cpu_seconds: dict[str, float]
    acked: list[str]
    sent: list[str]

    def rate(self) -> float:
        return len(self.samples) / self.seconds if self.seconds else float("nan")


def run_phase(
    user_plans: list[UserPlan],
    ports: list[int],
    clients: int,
    seconds: float,
    max_requests: int,
    write_share: float,
    run_id: str,
    log: Any,
) -> Phase:
    budget = threading.Semaphore(max_requests)
    users = [
        SimulatedUser(
            i, user_plans[i % len(user_plans)], ports, run_id, write_share, float("inf"), budget
        )
        for i in range(clients)
    ]
    for user in users:
        user.sign_in()
    before = _cpu_snapshot()
    started = time.perf_counter()
    for user in users:
        user.stop_at = started + seconds
        user.start()
    for user in users:
        user.join()
    elapsed = time.perf_counter() - started
    after = _cpu_snapshot()
    hz = os.sysconf("SC_CLK_TCK")
    phase = Phase(
        clients,
        elapsed,
        [s for u in users for s in u.samples],
        {k: (after.get(k, 0) - before.get(k, 0)) / hz for k in after},
        [t for u in users for t in u.acked],
        [t for u in users for t in u.sent],
    )
    log(
        f"  {clients} Nutzer: {len(phase.samples)} Anfragen in {elapsed:.1f} s "
        f"({phase.rate():.1f}/s), Fehler {sum(not s.ok for s in phase.samples)}"
    )
    return phase


def exactly_once(engine: Any, run_id: str, acked: list[str], sent: list[str]) -> dict[str, int]:
    """Compare the acknowledged writes with what the database holds."""
    from sqlalchemy import text

    stored: Counter[str] = Counter()
    with engine.connect() as conn:
        for (summary,) in conn.execute(
            text("SELECT summary FROM contact_note WHERE summary LIKE :p"),
            {"p": f"{TOKEN_PREFIX} {run_id}%"},
        ):
            stored[str(summary).split(" ", 2)[1].rstrip(":")] += 1
    acked_set = set(acked)
    return {
        "gesendet": len(sent),
        "bestätigt": len(acked_set),
        "gespeichert": sum(stored.values()),
        "bestätigt, aber nicht gespeichert": sum(1 for t in acked_set if stored[t] == 0),
        "doppelt gespeichert": sum(1 for t in stored if stored[t] > 1),
        "gespeichert ohne Bestätigung": sum(1 for t in stored if t not in acked_set),
    }


# --------------------------------------------------------------------------- report
def _mean(values: list[float]) -> float:
    clean = [v for v in values if v == v]
    return sum(clean) / len(clean) if clean else float("nan")


def render(phases: list[Phase], check: dict[str, int], meta: dict[str, str]) -> str:
    lines = [
        f"### Last · {meta['db']}",
        "",
        f"- Gemessen: {meta['date']}; Maschine: {meta['machine']}",
        f"- Daten: {meta['data']}",
        f"- {meta['hosts']} App-Hosts (gunicorn, je {meta['workers']} Worker, sync), gemeinsame "
        f"Datenbank, {meta['redis']}; Nutzer im geschlossenen Kreis ohne Denkzeit, abwechselnd "
        f"an die Hosts; Schreibanteil der Fachkräfte {meta['write_share']}; "
        f"{meta['seconds']} s je Stufe; Last der Maschine (1 min) vor/nach: {meta['load']}",
        "",
        "| Nutzer | Anfragen | Anfragen/s | Fehler | p50 ms | p95 ms | p99 ms | "
        "Lesen p95 ms | Schreiben p95 ms | davon Warteschlange ms | App-CPU ms | SQL ms | "
        "in der App wartend ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in phases:
        lat = [s.client_ms for s in p.samples]
        reads = [s.client_ms for s in p.samples if not s.write]
        writes = [s.client_ms for s in p.samples if s.write]
        queue = _mean([s.client_ms - s.app_ms for s in p.samples])
        cpu = _mean([s.cpu_ms for s in p.samples])
        sql = _mean([s.sql_ms for s in p.samples])
        wait = _mean([s.app_ms - s.cpu_ms - s.sql_ms for s in p.samples])
        errors = sum(not s.ok for s in p.samples)
        lines.append(
            f"| {p.clients} | {_de(len(p.samples))} | {_fmt(p.rate())} | {errors} | "
            f"{_fmt(_pct(lat, 0.5))} | {_fmt(_pct(lat, 0.95))} | {_fmt(_pct(lat, 0.99))} | "
            f"{_fmt(_pct(reads, 0.95))} | {_fmt(_pct(writes, 0.95))} | {_fmt(queue)} | "
            f"{_fmt(cpu)} | {_fmt(sql)} | {_fmt(wait)} |"
        )
    lines += ["", "CPU-Sekunden je Stufe (2 Kerne = 2 s je Sekunde):", ""]
    groups = sorted({g for p in phases for g in p.cpu_seconds})
    lines.append("| Nutzer | " + " | ".join(groups) + " | Sekunden |")
    lines.append("|---:|" + "---:|" * (len(groups) + 1))
    for p in phases:
        cells = " | ".join(_fmt(p.cpu_seconds.get(g, 0.0)) for g in groups)
        lines.append(f"| {p.clients} | {cells} | {_fmt(p.seconds)} |")
    failures = Counter(f"{s.action}: {s.error}" for p in phases for s in p.samples if not s.ok)
    if failures:
        lines += ["", "Fehler: " + "; ".join(f"{k} × {v}" for k, v in failures.most_common())]
    lines += [
        "",
        "Genau einmal: " + ", ".join(f"{k} {v}" for k, v in check.items()),
        "",
    ]
    return "\n".join(lines)


def _start_host(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(  # nosec B603
        [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "300",
         "--log-level", "warning", "run:app"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    for _ in range(600):
        try:
            if Client(port).request("GET", "/login/").status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn antwortet nicht")


def _redis_url() -> str:
    """Redis on 127.0.0.1:6379 when it answers (a database of its own), else none."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379/11"
    except OSError:
        pass
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="MSA-Portal Lastszenario (docs/performance.md)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--scale", default="county", help="county|state|lopsided|<Personen>")
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn-Worker je Host")
    parser.add_argument("--clients", default="4,16", help="Nutzerzahlen der Stufen, z. B. 4,16")
    parser.add_argument("--seconds", type=float, default=60.0, help="Dauer je Stufe")
    parser.add_argument("--max-requests", type=int, default=20_000, help="Obergrenze je Stufe")
    parser.add_argument("--write-share", type=float, default=0.3)
    parser.add_argument("--database-url", help="vorhandene, gefüllte Datenbank verwenden")
    parser.add_argument("--keep", action="store_true", help="Datenbank danach nicht löschen")
    parser.add_argument("--no-report", action="store_true", help="docs/performance.md lassen")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    if args.database_url:
        url, drop = args.database_url, (lambda: None)
    else:
        url, drop = _create_database(args.db, args.keep)
    redis = _redis_url()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MSA_ENV": "development",
        "SECRET_KEY": secrets.token_hex(32),
        "MSA_SERVER_TIMING": "1",
        "MSA_AUTH_RATE_LIMIT": "100000 per minute",
        "FLASK_APP": "run.py",
        "REDIS_URL": redis,
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "MSA_ENV", "SECRET_KEY")})
    hosts: list[subprocess.Popen[bytes]] = []
    try:
        flask = str(Path(sys.executable).with_name("flask"))
        subprocess.run(
            [flask, "msa", "init"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )  # nosec B603
        if not args.database_url:
            from app import create_app
            from bench.generate import generate

            with create_app().app_context():
                log(f"Daten erzeugen ({args.scale}) …")
                generate(args.scale, log=log)
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            persons = conn.execute(text("SELECT count(*) FROM person")).scalar() or 0
            notes = conn.execute(text("SELECT count(*) FROM contact_note")).scalar() or 0
        ports = [_free_port() for _ in range(args.hosts)]
        hosts = [_start_host(port, args.workers, env) for port in ports]
        for port in ports:  # warm every worker
            for _ in range(args.workers * 3):
                Client(port).request("GET", "/login/")
        user_plans = plans(engine)
        run_id = uuid.uuid4().hex[:8]
        load_before = os.getloadavg()[0]
        phases = []
        for step, count in enumerate(int(c) for c in args.clients.split(",") if c.strip()):
            phases.append(
                run_phase(
                    user_plans, ports, count, args.seconds, args.max_requests,
                    args.write_share, f"{run_id}.{step}", log,
                )
            )  # fmt: skip
        check = exactly_once(
            engine,
            run_id,
            [t for p in phases for t in p.acked],
            [t for p in phases for t in p.sent],
        )
        log("Genau einmal: " + ", ".join(f"{k} {v}" for k, v in check.items()))
        meta = {
            "db": "PostgreSQL" if url.startswith("postgresql") else "SQLite",
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": _machine(engine),
            "data": f"{_de(persons)} Personen, {_de(notes)} Beratungsvermerke ({args.scale})",
            "hosts": str(args.hosts),
            "workers": str(args.workers),
            "redis": "Redis für die gemeinsamen Zähler" if redis else "ohne Redis",
            "write_share": f"{args.write_share:.0%}",
            "seconds": _fmt(args.seconds, 0),
            "load": f"{load_before:.1f} / {os.getloadavg()[0]:.1f}",
        }
        block = render(phases, check, meta)
        print(block)
        if not args.no_report:
            write_report(f"load:{'postgres' if meta['db'] == 'PostgreSQL' else 'sqlite'}", block)
            log(f"→ {DOC.relative_to(ROOT)}")
        engine.dispose()
        bad = check["bestätigt, aber nicht gespeichert"] + check["doppelt gespeichert"]
        return 1 if bad else 0
    finally:
        for host in hosts:
            host.send_signal(signal.SIGTERM)
        for host in hosts:
            try:
                host.wait(timeout=20)
            except subprocess.TimeoutExpired:
                host.kill()
        drop()


if __name__ == "__main__":
    sys.exit(main())

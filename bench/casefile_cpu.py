"""In-process driver of the case file page: ``python -m bench.casefile_cpu --database-url URL``.

Signs in as the bench caseworker with Flask's test client (no HTTP server, no other process)
and requests the bench person's case file (``bench.pages.bench_person_id``, the 100-note
history of ``bench.generate.add_bench_documents``) ``--requests`` times after a warm-up.
Prints process-time (CPU) and wall-clock p50/p95 per request; ``--profile FILE`` writes a
cProfile of the measured requests (``python -m pstats FILE``), ``--top N`` prints its N most
expensive functions by cumulative time.

The database is one made by ``python -m bench.run --db sqlite --scale N --generate-only
--keep`` (the page's cost depends on the person's history, not on the number of persons).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import secrets
import sys
import time
from typing import Any


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fallakte in-process (CPU p50/p95)")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warm-up", type=int, default=10)
    parser.add_argument("--path", help="andere Seite statt der Fallakte (mit {person_id})")
    parser.add_argument("--profile", help="cProfile der gemessenen Anfragen in diese Datei")
    parser.add_argument("--top", type=int, default=0)
    args = parser.parse_args(argv)

    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "MSA_ENV": "development",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32),
            "MSA_AUTH_RATE_LIMIT": "100000 per minute",
        }
    )
    from app import create_app
    from app.extensions import db
    from bench.pages import BENCH_USERNAME, params
    from bench.run import PASSWORD

    app = create_app()
    with app.app_context():
        values = params(db.session.connection())
        db.session.remove()
    path = (args.path or "/personview/show/{person_id}").format(**values)
    client: Any = app.test_client()
    login = client.get("/login/")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', login.data)
    form = {"username": BENCH_USERNAME, "password": PASSWORD}
    if token:
        form["csrf_token"] = token.group(1).decode()
    reply = client.post("/login/", data=form)
    if reply.status_code != 302:
        raise SystemExit(f"Anmeldung fehlgeschlagen ({reply.status_code})")
    for _ in range(args.warm_up):
        assert client.get(path).status_code == 200  # nosec B101 - a driver, not the app
    cpu: list[float] = []
    wall: list[float] = []
    profiler = cProfile.Profile() if args.profile or args.top else None
    size = 0
    for _ in range(args.requests):
        c0, w0 = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        resp = client.get(path)
        if profiler is not None:
            profiler.disable()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        if resp.status_code != 200:
            raise SystemExit(f"{path}: {resp.status_code}")
        size = len(resp.data)
    load = os.getloadavg()
    print(
        f"{path}: {args.requests} Anfragen, {size / 1024:.0f} KiB; "
        f"CPU p50 {_pct(cpu, 0.5):.1f} ms p95 {_pct(cpu, 0.95):.1f} ms; "
        f"Wanduhr p50 {_pct(wall, 0.5):.1f} ms p95 {_pct(wall, 0.95):.1f} ms; "
        f"Last {load[0]:.2f} {load[1]:.2f}"
    )
    if profiler is not None:
        if args.profile:
            profiler.dump_stats(args.profile)
        if args.top:
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())

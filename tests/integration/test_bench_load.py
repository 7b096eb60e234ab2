"""CI guard for the load scenario (``bench/load.py``): two app hosts, mixed roles, writes.

A short run on a small county against the test backend's database kind: every request of
every simulated user answers as expected and every acknowledged note is stored exactly once
(the scenario's own check, compared here once more against the database). Times are the
benchmark's business, never asserted here.
"""

from __future__ import annotations

import os
import re
import subprocess  # nosec B404
import sys
from pathlib import Path

from tests.conftest import backend

ROOT = Path(__file__).resolve().parents[2]


def test_load_scenario_two_hosts_exactly_once() -> None:
    env = {**os.environ}
    if backend() == "postgres":
        base = os.environ.get(
            "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
        env["BENCH_POSTGRES_URL"] = base.rsplit("/", 1)[0] + "/postgres"
    result = subprocess.run(  # nosec B603
        [
            sys.executable, "-m", "bench.load", "--db", backend(), "--scale", "300",
            "--hosts", "2", "--workers", "1", "--clients", "3", "--seconds", "4",
            "--write-share", "0.5", "--no-report",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    phase = re.search(r"3 Nutzer: (\d+) Anfragen in [\d.]+ s \([\d.]+/s\), Fehler (\d+)", out)
    assert phase, out[-3000:]
    assert int(phase.group(1)) > 0
    assert phase.group(2) == "0", out[-3000:]
    check = re.search(
        r"Genau einmal: gesendet (\d+), bestätigt (\d+), gespeichert (\d+), bestätigt, aber "
        r"nicht gespeichert (\d+), doppelt gespeichert (\d+), gespeichert ohne Bestätigung (\d+)",
        out,
    )
    assert check, out[-3000:]
    sent, acked, stored, lost, twice, unacked = (int(g) for g in check.groups())
    assert sent > 0 and acked == sent == stored
    assert (lost, twice, unacked) == (0, 0, 0)
    # the table a county reads: one row per phase, the host count and the exactly-once line
    assert "| 3 |" in out and "2 App-Hosts" in out

"""Benchmark of the assignment import's bounds: ``python -m bench.import_limits``.

Two cases (docs/intake.md, "Bounded work"):

* **the bomb** — a small workbook (written by openpyxl) whose sheet declares the largest size
  Excel knows (A1:XFD1048576): the reader must refuse it quickly, before memory grows;
* **long lists** — ``--rows`` rows (default 100,000 and 200,000) as ``.xlsx`` (converted by
  LibreOffice) and as Windows-1252 CSV: the upload's one analysis (read streaming, parse, match,
  store the rows) and the first preview page, then a later page read from the stored analysis.

For each case the wall time, the CPU time and the load average (the machine may be shared),
and the memory peak: the peak resident size of the process
(``VmHWM`` of ``/proc/self/status``, else ``resource.getrusage``; each list is uploaded in a
fresh child process, the files are written by another, so neither the demo data nor the
writing counts) and, for the quick steps, Python's allocations (``tracemalloc``, a second run
of the step). A fresh SQLite database (or ``--database-url``). Not a timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import re
import resource
import shutil
import subprocess  # nosec B404 - runs this module itself to write the files
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIRST = ["Mohammed", "Fatima", "Ahmad", "Olena", "Jürgen", "Zahra", "Yusuf", "Aisha", "Omar"]
LAST = ["Haddad", "Kovalenko", "Ahmadi", "Müller", "Al-Hassan", "Nouri", "Rahimi", "Shevchenko"]
HEADER = [
    "Name",
    "Vorname",
    "Geburtsdatum",
    "AZR-Nummer",
    "Unterkunft",
    "Familien-Nr.",
    "Staatsangehörigkeit",
    "Aufenthaltsstatus",
]


def _rows(rows: int, homes: list[str], seed: int = 7) -> Any:
    rnd = random.Random(seed)
    n = family = 0
    while n < rows:
        family += 1
        last = rnd.choice(LAST) + (f"-{family % 97}" if family % 3 else "")
        home = rnd.choice(homes)
        for _ in range(min(rnd.randint(1, 5), rows - n)):
            n += 1
            born = dt.date(1950, 1, 1) + dt.timedelta(days=rnd.randint(0, 25000))
            yield [
                last,
                rnd.choice(FIRST),
                f"{born:%d.%m.%Y}",
                f"AZR-{n:07d}",
                home,
                f"F{family}",
                "syrisch",
                "§ 24 AufenthG",
            ]


def write_files(rows: int, homes: list[str], folder: Path) -> None:
    """Write the long list as .csv (Windows-1252) and .xlsx (run in a child process): the
    workbook as Excel and LibreOffice write it (shared strings, a declared dimension) by
    converting the list with ``soffice --headless``; without LibreOffice by openpyxl's
    write-only mode (inline strings, slower to read)."""
    lines = ["Zuweisungsliste (Benchmark)", ";".join(HEADER)]
    lines += [";".join(row) for row in _rows(rows, homes)]
    lines.append(f"Summe: {rows} Personen")
    text = "\n".join(lines) + "\n"
    (folder / "liste.csv").write_text(text, encoding="cp1252")
    soffice = shutil.which("soffice")
    if soffice:
        (folder / "utf8").mkdir()
        (folder / "utf8" / "liste.csv").write_text(text, encoding="utf-8")
        subprocess.run(  # nosec B603 - fixed arguments, own files
            [
                soffice,
                f"-env:UserInstallation=file://{folder}/lo-profile",
                "--headless",
                "--infilter=CSV:59,34,76,1",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(folder),
                str(folder / "utf8" / "liste.csv"),
            ],
            check=True,
            capture_output=True,
        )
        return
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for line in lines:
        ws.append(line.split(";"))
    wb.save(folder / "liste.xlsx")


def bomb() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["Haddad", "Omar", "01.01.1990", "", "X", "", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(
                    rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data
                )
            dst.writestr(info.filename, data)
    return out.getvalue()


def _rss_mb() -> float:
    """Peak resident size of this process in MB: ``VmHWM`` (Linux; ``getrusage`` keeps the
    parent's peak across fork and exec), else ``resource.getrusage``."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(label: str, work: Callable[[], str], *, traced: bool = True) -> None:
    """Time ``work`` once, then (``traced``) run it again under tracemalloc for its peak."""
    rss_before = _rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    note = work()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    rss = _rss_mb()
    peak = ""
    if traced:
        tracemalloc.start()
        work()
        _current, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peak = f", Python-Spitze {top / 2**20:.1f} MB"
    print(
        f"{label}: {seconds:.2f} s (CPU {cpu:.2f} s, Last {load}){peak}, RSS-Spitze "
        f"{rss:.0f} MB (vorher {rss_before:.0f} MB) — {note}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 200_000])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--write", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--homes", default="", help=argparse.SUPPRESS)
    parser.add_argument("--analyse", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.analyse:
        analyse_one(Path(args.analyse), args.rows[0])
        return
    if args.write:
        write_files(args.rows[0], args.homes.split("|"), Path(args.write))
        return
    tmp = Path(tempfile.mkdtemp())
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("MSA_ENV", "development")
    from flask_migrate import upgrade

    from app import create_app
    from app.demo.data import load_demo_data
    from app.extensions import db
    from app.models import Accommodation
    from app.services.intake.import_table import ImportFileError, read_table
    from app.services.setup import sync_security_and_catalogues

    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})
    with app.app_context():
        upgrade(revision="heads")
        sync_security_and_catalogues()
        load_demo_data(persons=10)
        homes = [name for (name,) in db.session.query(Accommodation.name)]

        content = bomb()

        def refuse() -> str:
            try:
                read_table(content, "bombe.xlsx")
            except ImportFileError as exc:
                return f"{len(content)} Bytes, abgelehnt: {exc}"
            return "NICHT abgelehnt"

        measure("Bombe (A1:XFD1048576)", refuse)
        for rows in args.rows:
            folder = tmp / str(rows)
            folder.mkdir()
            long_list(folder, rows, homes)


def long_list(folder: Path, rows: int, homes: list[str]) -> None:
    """Write the list of ``rows`` rows (child process), then upload each file in a fresh
    child process: its peak resident size is the upload's alone."""
    subprocess.run(  # nosec B603 - this module, fixed arguments
        [
            sys.executable,
            "-m",
            "bench.import_limits",
            "--write",
            str(folder),
            "--rows",
            str(rows),
            "--homes",
            "|".join(homes),
        ],
        check=True,
    )
    for name in ("liste.xlsx", "liste.csv"):
        subprocess.run(  # nosec B603 - this module, fixed arguments
            [
                sys.executable,
                "-m",
                "bench.import_limits",
                "--analyse",
                str(folder / name),
                "--rows",
                str(rows),
            ],
            check=True,
            env={**os.environ},
        )


def analyse_one(path: Path, rows: int) -> None:
    """Upload one list (one analysis, rows stored), then read a preview page (child process)."""
    from app import create_app
    from app.services.intake import import_store

    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})
    with app.app_context():
        data = path.read_bytes()
        user = type("Actor", (), {"id": None})()
        made: list[Any] = []

        def analyse() -> str:
            record = import_store.upload(data, path.name, actor=user)
            made.append(record)
            s = import_store.ensure_analysed(record)["summary"]
            import_store.stored_rows(record, page=1, size=100, only_errors=False)
            return (
                f"{len(data) / 2**20:.1f} MB, {s['rows']} Zeilen, neu {s['created']}, "
                f"Fehlerzeilen {s['error_rows']}, übersprungen {s['skipped_rows']}"
            )

        def page() -> str:
            shown, pages = import_store.stored_rows(
                made[0], page=max(1, rows // 200), size=100, only_errors=False
            )
            return f"Seite {max(1, rows // 200)} mit {len(shown)} Zeilen von {pages}"

        measure(
            f"{rows} Zeilen {path.name}: Hochladen + eine Analyse + erste Vorschauseite",
            analyse,
            traced=False,
        )
        measure(f"{rows} Zeilen {path.name}: eine Vorschauseite", page)


if __name__ == "__main__":
    main()

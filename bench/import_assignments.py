"""Benchmark of the assignment-list import (issue 14): ``python -m bench.import_assignments``.

Creates a fresh SQLite database (or ``--database-url``), demo organisations and accommodations,
writes an assignment list of ``--rows`` rows (families of 1–5, umlauts, transliteration
variants) as CSV, and times analysis + import, then the second (idempotent) import.
Target (issue 14): 10,000 rows in under 30 s on SQLite. Not a timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time
from pathlib import Path

FIRST = [
    "Mohammed",
    "Fatima",
    "Ahmad",
    "Olena",
    "Jürgen",
    "Zahra",
    "Yusuf",
    "Aisha",
    "Omar",
    "Maryam",
]
LAST = ["Haddad", "Kovalenko", "Ahmadi", "Müller", "Al-Hassan", "Nouri", "Rahimi", "Shevchenko"]


def make_csv(rows: int, accommodations: list[str], seed: int = 5) -> str:
    rnd = random.Random(seed)
    lines = [
        "Zuweisungsliste (Benchmark)",
        "Name;Vorname;Geburtsdatum;AZR-Nummer;Unterkunft;Familien-Nr.;Staatsangehörigkeit",
    ]
    n = 0
    family = 0
    while n < rows:
        family += 1
        size = rnd.randint(1, 5)
        last = rnd.choice(LAST) + (f"-{family % 97}" if family % 3 else "")
        home = rnd.choice(accommodations)
        for _ in range(min(size, rows - n)):
            n += 1
            born = dt.date(1950, 1, 1) + dt.timedelta(days=rnd.randint(0, 25000))
            lines.append(
                f"{last};{rnd.choice(FIRST)};{born:%d.%m.%Y};AZR-{n:07d};{home};F{family};Syrien"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("MSA_ENV", "development")
    from flask_migrate import upgrade

    from app import create_app
    from app.demo.data import load_demo_data
    from app.extensions import db
    from app.models import Accommodation
    from app.services.intake.assignment_import import import_file
    from app.services.setup import sync_security_and_catalogues

    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})
    with app.app_context():
        upgrade()
        sync_security_and_catalogues()
        load_demo_data(persons=10)
        homes = [name for (name,) in db.session.query(Accommodation.name)]
        content = make_csv(args.rows, homes).encode("utf-8")
        start = time.perf_counter()
        first = import_file(content, "bench.csv")
        middle = time.perf_counter()
        second = import_file(content, "bench.csv")
        end = time.perf_counter()
    errors = len(first["errors"])
    print(
        f"{args.rows} Zeilen: Import {middle - start:.1f} s (neu {first['created']}, "
        f"Haushalte {first['households']}, Fehler {errors}); zweiter Import "
        f"{end - middle:.1f} s (neu {second['created']}, unverändert {second['unchanged']})"
    )


if __name__ == "__main__":
    main()

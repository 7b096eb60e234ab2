"""CPU per PDF in one process: the Sozialbericht draft (and the other PDF documents) rendered N
times after one warm-up; measured, not asserted.

    .venv/bin/python -m bench.pdf_cpu [--runs 30] [--template social_report] [--profile]
    .venv/bin/python -m bench.pdf_cpu --database-url sqlite:////tmp/msa-bench-….db

Without a database the context is plain data shaped like the benchmark's draft (the thirteen
criteria of the catalogue with the demo assessments, a household of three, an Arabic-script
name); with ``--database-url`` it is the bench person's draft built from the case file as the
page builds it (``social_report.build_context``). As in a gunicorn worker (gunicorn.conf.py),
everything loaded by the warm-up is frozen out of the garbage collector before measuring.
Prints process time (``time.process_time``) min / p50 / p95 in ms, the PDF's size and pages;
``--profile`` adds the cProfile top list.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def plain_context() -> dict[str, Any]:
    """The benchmark draft as plain data (no database)."""
    from app.demo.housing import ASSESSMENTS

    catalogue = json.loads((ROOT / "app" / "data" / "catalogues.json").read_text("utf-8"))
    criteria = [
        {"code": row["code"], "label": row["de"], "assessment": ASSESSMENTS.get(row["code"], "")}
        for row in catalogue["social_report_criterion"]
    ]
    return {
        "person": {
            "full_name": "Haddad, Amal",
            "original_script_name": "أمل حداد",
            "birth_date": "01.05.1990",
            "nationality": "syrisch",
            "accommodation": "Übergangswohnheim Musterstadt, Zimmer 12",
            "household_members": [
                {"full_name": "Haddad, Rania", "birth_date": "12.01.1992", "relationship": "Ehe"},
                {"full_name": "Haddad, Lina", "birth_date": "05.05.2016", "relationship": "Kind"},
                {"full_name": "Haddad, Omar", "birth_date": "17.09.2019", "relationship": "Kind"},
            ],
        },
        "criteria": criteria,
        "kdu_offer": None,
        "recommendation": "Die Wohnfähigkeit ist gegeben; der Umzug wird befürwortet.",
        "author": {"name": "Jörg Müller", "organisation": "Diakonie Musterkreis e. V."},
        "version": 2,
        "status": "Entwurf",
        "date": "07.12.2026",
        "reference": "MSA-2026-0042",
    }


def _database_context(url: str) -> tuple[Any, dict[str, Any]]:
    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.models import MsaUser, Person, SocialReport
    from app.services.housing import social_report
    from bench.pages import BENCH_USERNAME, bench_person_id

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    ctx = app.app_context()
    ctx.push()
    author = db.session.scalars(select(MsaUser).where(MsaUser.username == BENCH_USERNAME)).one()
    person = db.session.get(
        Person, bench_person_id(db.session.connection(), author.organisation_id)
    )
    assert person is not None  # nosec B101 - bench_person_id found it
    report = db.session.scalars(
        select(SocialReport)
        .where(SocialReport.person_id == person.id, SocialReport.status != "final")
        .order_by(SocialReport.id.desc())
    ).first()
    assert report is not None and not report.is_final  # nosec B101 - the generator made one
    return ctx, social_report.build_context(social_report.load_facts(person), report)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--template", default="social_report")
    parser.add_argument("--database-url")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", help="write the last PDF to this file")
    parser.add_argument("--template-dir", help="another template folder (default: the app's)")
    args = parser.parse_args(argv)

    from app.services.documents.render import render_pdf

    if args.database_url:
        _ctx, context = _database_context(args.database_url)
    else:
        context = plain_context()
    pdf = render_pdf(args.template, context, args.template_dir)  # warm-up: fonts, styles
    gc.collect()
    gc.freeze()  # as gunicorn.conf.py does after its warm-up
    times = []
    profiler = cProfile.Profile() if args.profile else None
    for _ in range(args.runs):
        started = time.process_time()
        if profiler is not None:
            profiler.enable()
        pdf = render_pdf(args.template, context, args.template_dir)
        if profiler is not None:
            profiler.disable()
        times.append((time.process_time() - started) * 1000)
    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page ")
    print(
        f"{args.template}: CPU min / p50 / p95 = {min(times):.0f} / {statistics.median(times):.0f}"
        f" / {_pct(times, 0.95):.0f} ms over {args.runs} renders; {len(pdf):,} bytes"
        f"{f', {pages} pages' if pages else ''}"
    )
    gc.unfreeze()
    if args.out:
        Path(args.out).write_bytes(pdf)
    if profiler is not None:
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: generation time of the Sozialbericht and the CV (PDF, DOCX); measured, not asserted.

    .venv/bin/python -m bench.housing_documents [--runs 5]

Runs on a temporary SQLite database with one demo person; prints the median per document.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        from flask_migrate import upgrade

        from app import create_app
        from app.demo.housing import ASSESSMENTS, _cv_data
        from app.extensions import db
        from app.models import Organisation, OrganisationKind, Person
        from app.services.housing import cv, social_report
        from app.services.setup import sync_security_and_catalogues

        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.db'}"})
        with app.app_context():
            upgrade()
            sync_security_and_catalogues()
            org = Organisation(name="Bench-Träger", kind=OrganisationKind("provider"))
            db.session.add(org)
            db.session.commit()
            person = Person(
                organisation_id=org.id,
                first_name="Amal",
                last_name="Haddad",
                first_name_original="أمل",
                last_name_original="حداد",
                birth_date=__import__("datetime").date(1990, 5, 1),
            )
            db.session.add(person)
            db.session.commit()
            _cv_data(person)
            db.session.commit()
            report = social_report.create_draft(
                person, author=None, assessments=ASSESSMENTS, recommendation="Befürwortet."
            )
            results = {
                "Sozialbericht PDF (Entwurf)": _median_ms(
                    lambda: social_report.pdf_bytes(report), args.runs
                ),
                "Sozialbericht DOCX": _median_ms(
                    lambda: social_report.docx_bytes(report), args.runs
                ),
                "Lebenslauf PDF": _median_ms(lambda: cv.cv_pdf(person), args.runs),
                "Lebenslauf DOCX": _median_ms(lambda: cv.cv_docx(person), args.runs),
            }
            start = time.perf_counter()
            social_report.finalise(report, author=None)
            results["Sozialbericht abschließen (einmalig)"] = (time.perf_counter() - start) * 1000
            results["Endfassung PDF (gespeichert)"] = _median_ms(
                lambda: social_report.pdf_bytes(report), args.runs
            )
    for name, ms in results.items():
        print(f"{name:40s} {ms:8.1f} ms")


if __name__ == "__main__":
    main()

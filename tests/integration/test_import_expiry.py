"""Unconfirmed assignment lists are deleted after IMPORT_PREVIEW_KEEP_HOURS (purpose limitation).

Finding: an uploaded assignment list that was never confirmed or discarded stayed in the
database with every name and birth date in it, for ever.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import AssignmentImport
from app.models.base import utcnow
from app.security import matrix

FILE = b"Name;Vorname;Geburtsdatum;Unterkunft\nHaddad;Amal;01.02.1990;GU Am Hang\n"


def _imports(app: Flask, **ages: tuple[str, float]) -> dict[str, int]:
    """Uploads ``name=(status, hours ago)``; return their ids."""
    with app.app_context():
        rows = {
            name: AssignmentImport(
                filename=f"{name}.csv",
                content=FILE if status == "preview" else None,
                status=status,
                created_at=utcnow() - dt.timedelta(hours=hours),
            )
            for name, (status, hours) in ages.items()
        }
        db.session.add_all(rows.values())
        db.session.commit()
        return {name: row.id for name, row in rows.items()}


def _left(app: Flask) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(AssignmentImport.id)).all())


def test_purge_expired_deletes_unconfirmed_uploads_after_the_keeping_time(app: Flask) -> None:
    """`msa purge-expired`: a preview older than 24 h goes (with its file); a younger one and
    confirmed or discarded imports (their file already emptied) stay."""
    assert app.config.get("IMPORT_PREVIEW_KEEP_HOURS", 24) == 24
    ids = _imports(
        app,
        old=("preview", 25),
        young=("preview", 23),
        imported=("imported", 24 * 30),
        discarded=("discarded", 24 * 30),
    )
    result = app.test_cli_runner().invoke(args=["msa", "purge-expired"])
    assert result.exit_code == 0, result.output
    assert "Unbestätigte Zuweisungslisten gelöscht: 1" in result.output
    assert _left(app) == {ids["young"], ids["imported"], ids["discarded"]}


def test_the_dry_run_deletes_nothing(app: Flask) -> None:
    ids = _imports(app, old=("preview", 48))
    result = app.test_cli_runner().invoke(args=["msa", "purge-expired", "--dry-run"])
    assert "Unbestätigte Zuweisungslisten gelöscht: 1" in result.output
    assert _left(app) == {ids["old"]}


def test_opening_the_import_page_deletes_stale_uploads(app: Flask, login_as: Any) -> None:
    """Opportunistically: the county admin's import page removes stale uploads before it lists
    the latest imports."""
    ids = _imports(app, old=("preview", 30), young=("preview", 1))
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    page = admin.get("/zuweisungen/").get_data(as_text=True)
    assert "old.csv" not in page and "young.csv" in page
    assert _left(app) == {ids["young"]}
    assert admin.get(f"/zuweisungen/{ids['old']}/vorschau").status_code == 404

"""Catalogues are read once per request — and a write in the request is seen."""

from __future__ import annotations

from flask import Flask

from tests.integration.test_performance import count_statements


def test_one_statement_for_all_catalogues_and_a_write_drops_the_snapshot(app: Flask) -> None:
    from app.extensions import db
    from app.models import CatalogueEntry
    from app.services import catalogues

    with app.test_request_context("/"):
        with count_statements(app) as statements:
            sexes = catalogues.labels("sex")
            languages = catalogues.choices("language")
            catalogues.labels("nationality")
        assert sexes and languages
        assert len(statements) == 1  # one snapshot for three catalogues
        db.session.add(
            CatalogueEntry(
                catalogue="language",
                code="xx-test",
                label_de="Testsprache",
                label_en="Test language",
                sort_order=0,
                active=True,
            )
        )
        db.session.flush()
        assert ("xx-test", "Testsprache") in catalogues.choices("language")
        assert catalogues.labels("language")["xx-test"] == "Testsprache"
        db.session.rollback()
    # outside a request: read every time (CLI, services)
    with app.app_context():
        with count_statements(app) as statements:
            catalogues.labels("sex")
            catalogues.labels("sex")
        assert len(statements) == 2

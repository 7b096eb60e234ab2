"""Fixed along the way: occupancy, CLI errors, ``_info`` descriptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from app.security import matrix
from tests import factories
from tests.integration.test_performance import count_statements


def test_occupancy_is_the_same_for_every_role_and_warns_above_capacity(
    app: Flask, login_as: Any
) -> None:
    """Belegung counts the persons of all providers living there, for every role alike."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Accommodation, Person

    with app.app_context():
        a = factories.make_org("Träger A")
        b = factories.make_org("Träger B")
        county = factories.make_org("Landkreis", kind="county")
        flat = Accommodation(name="Wohnung Lindenweg", capacity=2, kind="flat")
        db.session.add(flat)
        db.session.commit()
        for org in (a, a, b):
            factories.make_person(org, accommodation_id=flat.id)
        # moved away / moved into own housing: no longer living there
        factories.make_person(a, accommodation_id=flat.id, moved_away_on=dt.date(2025, 1, 1))
        factories.make_person(
            a, accommodation_id=flat.id, moved_in_own_housing_on=dt.date(2025, 1, 1)
        )
        ids = {"a": a.id, "county": county.id, "flat": flat.id}
    for role, org in (
        (matrix.ROLE_CASEWORKER, ids["a"]),
        (matrix.ROLE_LEAD, ids["a"]),
        (matrix.ROLE_COUNTY_ADMIN, ids["county"]),
        (matrix.ROLE_REVIEWER, None),
    ):
        client = login_as(role, org)
        html = client.get("/accommodationview/list/").get_data(as_text=True)
        assert "3 von 2 Plätzen – überbelegt" in html, (role, html[-3000:])
    # the count is part of the list's statement (not one per row) and only there: a page that
    # joins the accommodation of a person does not count its occupants
    with app.app_context():
        for n in range(5):
            db.session.add(Accommodation(name=f"Haus {n}", capacity=10, kind="flat"))
        db.session.commit()
    with count_statements(app) as statements:
        html = client.get("/accommodationview/list/").get_data(as_text=True)
    assert "0 von 10 Plätzen" in html
    assert sum("occupant" in s for s in statements) == 1, statements
    with app.app_context():
        person = db.session.scalars(
            select(Person).where(Person.accommodation_id == ids["flat"])
        ).first()
        statement = str(select(Accommodation))
        assert "occupant" not in statement and person is not None


def test_cli_error_is_one_line(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "msa",
            "statistics",
            "--organisation",
            "Gibtsnicht",
            "--year",
            "2026",
            "--quarter",
            "1",
        ]
    )
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Fehler:"), result.output


def test_info_has_no_catalogue_header(app: Flask, client: Any, api_token: Any) -> None:
    with app.app_context():
        org_id = factories.make_org().id
    headers = api_token(matrix.ROLE_CASEWORKER, org_id)
    body = client.get("/api/v1/person/_info", headers=headers).get_data(as_text=True)
    assert "Project-Id-Version" not in body


def test_api_counselling_end_not_under_asylblg(app: Flask, client: Any, api_token: Any) -> None:
    with app.app_context():
        org_id = factories.make_org().id
    headers = api_token(matrix.ROLE_CASEWORKER, org_id)
    base = {"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"}
    for basis, expected in (("asylblg_basic", None), ("sgb2", "2026-04-15")):
        resp = client.post(
            "/api/v1/person/",
            json={
                **base,
                "benefit_basis": basis,
                "moved_in_own_housing_on": "2026-01-15",
                "confirm_new": True,  # the second person has the same name and birth date
            },
            headers=headers,
        )
        assert resp.status_code == 201, resp.get_json()
        assert resp.get_json()["result"]["counselling_ends_on"] == expected

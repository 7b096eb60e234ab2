"""Lebenslauf-Pool: employable persons without a CV or with one older than six months, for
the lead and the caseworker (scoped, paged); the REST person list filters on ``employable``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import prison
import pytest

from app.models import AccessLog
from app.security import matrix
from app.services.housing import cv_pool

TODAY = dt.date.today()
#: name → (employable, moved away, last CV by the own provider (days ago), last CV by others)
PEOPLE: dict[str, tuple[bool, bool, int | None, int | None]] = {
    "Ohnelauf": (True, False, None, None),
    "Frisch": (True, False, 3, None),
    "Alt": (True, False, 200, None),
    "Grenze": (True, False, 170, None),
    "Nichterwerb": (False, False, None, None),
    "Weggezogen": (True, True, None, None),
    "Fremdlauf": (True, False, None, 1),
}


def _expected(names: dict[str, tuple[bool, bool, int | None, int | None]]) -> set[str]:
    """The rule written out: employable, not moved away, no own CV within six months."""
    limit = cv_pool.cutoff(TODAY)
    out = set()
    for name, (employable, away, own, _other) in names.items():
        recent = own is not None and TODAY - dt.timedelta(days=own) >= limit
        if employable and not away and not recent:
            out.add(name)
    return out


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    from app.extensions import db
    from tests import factories as f

    with app.app_context():
        org_a = f.make_org("Träger A")
        org_b = f.make_org("Träger B")
        worker = f.make_user(matrix.ROLE_CASEWORKER, org_a)
        ids = {}
        for name, (employable, away, own, other) in PEOPLE.items():
            person = f.make_person(
                org_a,
                last_name=name,
                employable=employable,
                moved_away_on=TODAY if away else None,
                caseworker_id=worker.id if name in ("Ohnelauf", "Alt") else None,
            )
            ids[name] = person.id
            for days, org in ((own, f.id_of(org_a)), (other, None)):
                if days is None:
                    continue
                db.session.add(
                    AccessLog(
                        at=dt.datetime.combine(TODAY - dt.timedelta(days=days), dt.time(12)),
                        username="x",
                        organisation_id=org,
                        person_id=person.id,
                        action="document",
                        detail="Lebenslauf (PDF)",
                    )
                )
        f.make_person(org_b, last_name="Anderswo", employable=True)
        db.session.commit()
        return {"org_a": f.id_of(org_a), "worker": worker.id, "ids": ids}


def _names(html: str) -> set[str]:
    return {name for name in [*PEOPLE, "Anderswo"] if f">{name}, " in html}


def test_pool_follows_the_rule_for_lead_and_caseworker(
    app: Any, login_as: Any, world: dict[str, Any]
) -> None:
    lead = login_as(matrix.ROLE_LEAD, world["org_a"])
    page = lead.get("/lebenslauf-pool/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<title>Lebenslauf-Pool" in html
    assert _names(html) == _expected(PEOPLE) == {"Ohnelauf", "Alt", "Fremdlauf"}
    count = len(_expected(PEOPLE))
    assert f"{count} {'Person' if count == 1 else 'Personen'} ohne aktuellen Lebenslauf" in html
    assert "noch keiner" in html
    from tests.conftest import sign_in

    worker = sign_in(app.test_client(), world["worker"])
    mine = worker.get("/lebenslauf-pool/?meine=1").get_data(as_text=True)
    assert _names(mine) == {"Ohnelauf", "Alt"}
    assert _names(worker.get("/lebenslauf-pool/").get_data(as_text=True)) == _expected(PEOPLE)
    assert worker.get("/lebenslauf-pool/?seite=x").status_code == 400
    beyond = worker.get("/lebenslauf-pool/?seite=2").get_data(as_text=True)
    assert _names(beyond) == set() and "3 Personen" in beyond
    with app.app_context():
        # outside a request no provider scope applies: both providers, no CV at all first
        rows, total = cv_pool.pool_page(0, 3)
        assert total == 4
        assert [r.last_name for r in rows] == ["Anderswo", "Fremdlauf", "Ohnelauf"]
        rows, _ = cv_pool.pool_page(1, 3)
        assert [r.last_name for r in rows] == ["Alt"] and rows[0].last_cv_at is not None


@pytest.mark.parametrize(
    "role",
    [matrix.ROLE_COUNTY_ADMIN, matrix.ROLE_REVIEWER, matrix.ROLE_DPO, matrix.ROLE_SPECIALIST],
)
def test_pool_refused_for_other_roles(
    app: Any, login_as: Any, world: dict[str, Any], role: str
) -> None:
    org = world["org_a"] if role == matrix.ROLE_SPECIALIST else None
    resp = login_as(role, org).get("/lebenslauf-pool/")
    assert resp.status_code in (302, 403)
    assert "/lebenslauf-pool" not in resp.headers.get("Location", "")


def test_rest_person_list_filters_on_employable(
    app: Any, api_token: Any, world: dict[str, Any]
) -> None:
    headers = api_token(matrix.ROLE_CASEWORKER, world["org_a"])
    client = app.test_client()
    for value, expected in ((True, 6), (False, 1)):
        q = prison.dumps({"filters": [{"col": "employable", "opr": "eq", "value": value}]})
        resp = client.get(f"/api/v1/person/?q={q}", headers=headers)
        body = resp.get_json()
        assert resp.status_code == 200, body
        assert body["count"] == expected
        assert all(row["employable"] is value for row in body["result"])
        assert "Anderswo" not in {row["last_name"] for row in body["result"]}


def test_pool_reads_the_cv_entries_by_the_document_index(
    app: Any, login_as: Any, world: dict[str, Any]
) -> None:
    """The pool asks the log once, grouped, through ``ix_access_log_document`` — no sub-query
    per person and no scan of the access log (which grows with every read)."""
    from sqlalchemy import text

    from app.extensions import db
    from tests.integration.test_query_plans import _capture

    lead = login_as(matrix.ROLE_LEAD, world["org_a"])
    lead.get("/lebenslauf-pool/")
    with _capture(app) as seen:
        assert lead.get("/lebenslauf-pool/").status_code == 200
    pool = [(s, p) for s, p in seen if "access_log" in s]
    assert len(pool) == 2, [s for s, _p in seen]  # the count and the page
    with app.app_context():
        conn = db.session.connection()
        for statement, parameters in pool:
            assert "access_log.person_id = person.id" not in statement  # not correlated
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET enable_seqscan = off"))
                plan = conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
            else:
                plan = [
                    str(r[-1])
                    for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                ]
            joined = "\n".join(plan)
            assert "ix_access_log_document" in joined, joined
            assert "Seq Scan on access_log" not in joined, joined
            # SQLite: every read of the log goes through the partial index (its document rows)
            reads = [
                line
                for line in plan
                if line.strip().startswith(("SCAN access_log", "SEARCH access_log"))
                or ("Scan" in line and " on access_log" in line)
            ]
            assert reads, joined
            assert all("ix_access_log_document" in line for line in reads), joined
        db.session.rollback()

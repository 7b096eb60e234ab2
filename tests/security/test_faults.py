"""Honest answers under database faults (finding Medium).

Finding: under database faults a create was committed and then the reply failed (500), so the
client retried and the note existed twice; some outage replies were 500 instead of 503 (once
Werkzeug's bare HTML page on the API).
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.security import matrix
from tests import factories
from tests.conftest import backend, make_test_app, sign_in

UNAVAILABLE = "Datenbank ist vorübergehend nicht erreichbar"


def _dead_url() -> str:
    if backend() == "postgres":
        return "postgresql+psycopg://postgres@127.0.0.1:1/msa_gone?connect_timeout=1"
    return "sqlite:////nonexistent-msa-directory/gone.db"


def _fill(rule: Any) -> str:
    def value(match: re.Match[str]) -> str:
        choices = re.match(r"any\(([^,)]+)", match.group(1) or "")
        return choices.group(1).strip() if choices else "1"

    return re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", value, rule.rule)


def test_every_route_answers_503_in_german_when_the_database_is_gone(api_token: Any) -> None:
    """Every GET route of the portal (HTML and API) with a signed-in user: 503, German, no
    stack trace, never 500 or Werkzeug's page; a create on the API too."""
    api = api_token(matrix.ROLE_ADMIN)  # a token of the healthy app: same secret key
    app = make_test_app(_dead_url())
    html = sign_in(app.test_client(), 1)
    checked = 0
    wrong: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint.endswith("static"):
            continue
        url = _fill(rule)
        is_api = url.startswith("/api/")
        resp = app.test_client().get(url, headers=api) if is_api else html.get(url)
        checked += 1
        body = resp.get_data(as_text=True)
        if resp.status_code != 503 or UNAVAILABLE not in (
            (resp.get_json(silent=True) or {}).get("message", "") if is_api else body
        ):
            wrong.append(f"{url} {resp.status_code}")
        assert "Traceback" not in body and "OperationalError" not in body
    resp = app.test_client().post("/api/v1/contactnote/", json={"person_id": 1}, headers=api)
    assert resp.status_code == 503 and resp.is_json
    assert resp.headers.get("Retry-After")
    assert checked > 50
    assert not wrong, wrong


# --- exactly once under killed connections (PostgreSQL) ----------------------------------------

NOTE = {
    "date": "2026-11-02",
    "kind": "individual",
    "topics": [],
    "result": "ok",
    "education_system": False,
    "return_counselling": False,
}


class _Killer(threading.Thread):
    """Terminates every connection of the test database (but its own) at random moments."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        url = make_url(database_url)
        self.database = url.database
        self.engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.stop = threading.Event()
        self.kills = 0

    def run(self) -> None:
        rnd = random.Random(17)  # nosec B311 (test timing, not security)
        deadline = time.monotonic() + 120
        with self.engine.connect() as conn:
            while not self.stop.is_set() and time.monotonic() < deadline:
                time.sleep(rnd.uniform(0.005, 0.12))
                killed = conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :d AND pid <> pg_backend_pid()"
                    ),
                    {"d": self.database},
                ).scalar()
                self.kills += int(killed or 0)
        self.engine.dispose()


@pytest.mark.skipif(backend() != "postgres", reason="kills PostgreSQL backends")
def test_killed_connections_during_writes_never_duplicate_or_lie(
    app: Flask, database_url: str, api_token: Any
) -> None:
    """Kill the database connections while notes are created (as the attack run did):
    every 201 exists exactly once, every error reply left nothing behind, and retries with the
    same Idempotency-Key never duplicate."""
    from app.extensions import db
    from app.models import ContactNote

    with app.app_context():
        org = factories.make_org()
        person = factories.make_person(org)
        person_id = person.id
        headers = api_token(matrix.ROLE_CASEWORKER, org)
    client = app.test_client()
    statuses: dict[int, int] = {}
    with_key: dict[str, tuple[str, list[int], list[int]]] = {}
    without_key: dict[str, int] = {}
    killer = _Killer(database_url)
    killer.start()
    try:
        for n in range(40):
            # without key: the reply must tell the truth about this one request
            marker = f"ohne-{n}-{uuid.uuid4().hex[:6]}"
            resp = client.post(
                "/api/v1/contactnote/",
                json={**NOTE, "person_id": person_id, "summary": marker},
                headers=headers,
            )
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
            without_key[marker] = resp.status_code
            # with key: retried until 201, every reply recorded
            marker = f"mit-{n}-{uuid.uuid4().hex[:6]}"
            key = str(uuid.uuid4())
            codes: list[int] = []
            ids: list[int] = []
            for attempt in range(60):
                if attempt:
                    time.sleep(0.02 * min(attempt, 10))  # a client backs off between retries
                resp = client.post(
                    "/api/v1/contactnote/",
                    json={**NOTE, "person_id": person_id, "summary": marker},
                    headers={**headers, "Idempotency-Key": key},
                )
                codes.append(resp.status_code)
                statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
                if resp.status_code == 201:
                    ids.append(int(resp.get_json()["id"]))
                    if len(ids) == 2:
                        break  # one more retry after success: must be the same row
            with_key[marker] = (key, codes, ids)
    finally:
        killer.stop.set()
        killer.join()
    assert killer.kills > 0
    assert set(statuses) <= {201, 503}, statuses  # never 500, never a bare page
    assert statuses.get(503, 0) > 0, "the faults did not hit any request"
    with app.app_context():
        db.session.remove()
        counts = dict(
            db.session.execute(
                select(ContactNote.summary, func.count()).group_by(ContactNote.summary)
            ).all()
        )
    for marker, code in without_key.items():
        assert counts.get(marker, 0) == (1 if code == 201 else 0), (marker, code)
    for marker, (_key, codes, ids) in with_key.items():
        assert 201 in codes, (marker, codes)
        assert counts.get(marker, 0) == 1, (marker, codes)
        assert len(set(ids)) == 1, (marker, ids)

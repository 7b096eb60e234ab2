"""Retries that work (exactly-once creates with ``Idempotency-Key``).

Findings: a retry after a 503 met the lock the failed request had left behind and got 409 for
up to 30 s (notes were lost after eight retries); a retry whose body meant the same but was
formatted differently was refused (the fingerprint compared bytes).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import ContactNote, MsaUser
from app.security import matrix
from app.services.reliability import idempotency
from tests import factories
from tests.conftest import backend

NOTE = {
    "date": "2026-11-02",
    "kind": "individual",
    "topics": [],
    "result": "ok",
    "education_system": False,
    "return_counselling": False,
}


@pytest.fixture
def with_redis(app: Flask) -> Iterator[None]:
    """Redis configured (real, 127.0.0.1:6379), as in production."""
    before = app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    yield
    app.config["REDIS_URL"] = before
    app.extensions.pop("msa_redis", None)


def _setup(app: Flask, api_token: Any) -> tuple[int, dict[str, str], int]:
    with app.app_context():
        org = factories.make_org()
        person_id = factories.make_person(org).id
        headers = api_token(matrix.ROLE_CASEWORKER, org)
        user_id = db.session.scalar(select(MsaUser.id).order_by(MsaUser.id.desc()))
    return person_id, headers, int(user_id)


def _count(app: Flask, summary: str) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count()).select_from(ContactNote).where(ContactNote.summary == summary)
            )
            or 0
        )


def test_a_failed_request_leaves_no_lock_behind(
    app: Flask, api_token: Any, with_redis: None
) -> None:
    """A request that took the key's lock and then failed (its worker died after a 503) leaves
    nothing behind: the retry creates the note at once, exactly once."""
    person_id, headers, user_id = _setup(app, api_token)
    key = str(uuid.uuid4())
    with app.app_context():
        assert idempotency.acquire(user_id, key)
        db.session.rollback()  # the failed request's transaction ends (rollback, lost connection)
        db.session.remove()
    client = app.test_client()
    body = {**NOTE, "person_id": person_id, "summary": "nach-503"}
    resp = client.post(
        "/api/v1/contactnote/", json=body, headers={**headers, "Idempotency-Key": key}
    )
    assert resp.status_code == 201, resp.get_json()
    again = client.post(
        "/api/v1/contactnote/", json=body, headers={**headers, "Idempotency-Key": key}
    )
    assert again.status_code == 201 and again.get_json()["id"] == resp.get_json()["id"]
    assert _count(app, "nach-503") == 1


def test_a_running_request_still_holds_its_key(app: Flask, api_token: Any) -> None:
    """While a request with the key runs, a second one is told so (409) — PostgreSQL; SQLite
    runs one write at a time. When it ends, the retry goes through."""
    person_id, headers, user_id = _setup(app, api_token)
    key = str(uuid.uuid4())
    body = {**NOTE, "person_id": person_id, "summary": "parallel"}
    client = app.test_client()
    holding, done = threading.Event(), threading.Event()

    def running_request() -> None:
        with app.app_context():
            assert idempotency.acquire(user_id, key)
            holding.set()
            done.wait(30)
            db.session.rollback()

    worker = threading.Thread(target=running_request)
    worker.start()
    try:
        assert holding.wait(30)
        resp = client.post(
            "/api/v1/contactnote/", json=body, headers={**headers, "Idempotency-Key": key}
        )
    finally:
        done.set()
        worker.join()
    expected = 409 if backend() == "postgres" else 201
    assert resp.status_code == expected, resp.get_json()
    resp = client.post(
        "/api/v1/contactnote/", json=body, headers={**headers, "Idempotency-Key": key}
    )
    assert resp.status_code == 201
    assert _count(app, "parallel") == 1


def test_the_same_body_formatted_differently_is_the_same_request(
    app: Flask, api_token: Any
) -> None:
    """Keys in another order and other whitespace: the retry is answered with the first
    create; a body with another value under the same key is refused (422)."""
    person_id, headers, _user_id = _setup(app, api_token)
    key = str(uuid.uuid4())
    body = {**NOTE, "person_id": person_id, "summary": "einmal"}
    client = app.test_client()
    first = client.post(
        "/api/v1/contactnote/", json=body, headers={**headers, "Idempotency-Key": key}
    )
    assert first.status_code == 201
    reformatted = json.dumps(dict(reversed(list(body.items()))), indent=4).encode()
    again = client.post(
        "/api/v1/contactnote/",
        data=reformatted,
        headers={**headers, "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert again.status_code == 201, again.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    other = client.post(
        "/api/v1/contactnote/",
        json={**body, "summary": "anders"},
        headers={**headers, "Idempotency-Key": key},
    )
    assert other.status_code == 422
    assert _count(app, "einmal") == 1

"""Closed oracles: the duplicate check across providers answers only valid requests, within a
budget per account, and every check — hit or miss — is in the access log (R-2.6, R-8.2).

Finding: the person create call ran the cross-provider duplicate check before validating the
body; an invalid body answered 409 on a hit and 400 on a miss and created nothing — 28 probes a
second, unthrottled, misses unlogged — enough to find another provider's client's birth date.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccessLog, Accommodation, AccommodationKind, Person
from app.security import matrix
from tests import factories

REDIS = "redis://127.0.0.1:6379/15"
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "zuweisungsliste.csv"
BORN = dt.date(1987, 6, 5)


@pytest.fixture
def budget(app: Flask) -> Iterator[dict[str, Any]]:
    """The duplicate-check budget switched on, counted in the real Redis."""
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter("*msa-duplicate-check*"):
        client.delete(key)
    saved = {k: app.config.get(k) for k in ("REDIS_URL", "RATELIMIT_ENABLED")}
    app.config.update(REDIS_URL=REDIS, RATELIMIT_ENABLED=True)
    yield app.config
    app.config.update(saved)
    app.config.pop("DUPLICATE_CHECK_RATE_LIMIT", None)
    app.config.pop("IMPORT_CHECK_RATE_LIMIT", None)
    for key in client.scan_iter("*msa-duplicate-check*"):
        client.delete(key)


def _world(app: Flask, api_token: Any) -> dict[str, Any]:
    with app.app_context():
        a = factories.make_org("Träger A")
        b = factories.make_org("Träger B")
        p = factories.make_person(a, first_name="Amal", last_name="Haddad", birth_date=BORN)
        ids: dict[str, Any] = {"a": a.id, "b": b.id, "p": p.id}
    ids["hb"] = api_token(matrix.ROLE_LEAD, ids["b"])
    ids["hb2"] = api_token(matrix.ROLE_LEAD, ids["b"])
    return ids


def _log(app: Flask, action: str) -> list[tuple[Any, ...]]:
    with app.app_context():
        rows = db.session.execute(
            select(AccessLog.username, AccessLog.person_id, AccessLog.detail)
            .where(AccessLog.action == action)
            .order_by(AccessLog.id)
        ).all()
        return [tuple(r) for r in rows]


def _persons(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count(Person.id))) or 0)


def test_an_invalid_body_answers_alike_for_hit_and_miss(app: Flask, api_token: Any) -> None:
    """An invalid body is refused (400) before any matching: the same answer whether the
    birth date is another provider's client's or not, no hint, no check."""
    w = _world(app, api_token)
    client = app.test_client()
    replies = []
    for born in (BORN, BORN + dt.timedelta(days=1)):
        body = {
            "first_name": "Amal",
            "last_name": "Hadad",
            "birth_date": born.isoformat(),
            "assigned_on": "kein Datum",
        }
        resp = client.post("/api/v1/person/", json=body, headers=w["hb"])
        replies.append((resp.status_code, resp.get_json()))
    assert replies[0] == replies[1]
    assert replies[0][0] == 400
    assert _log(app, "duplicate_hint") == [] and _log(app, "duplicate_check") == []
    assert _persons(app) == 1


def test_every_check_hit_or_miss_is_logged_with_the_asking_account(
    app: Flask, api_token: Any
) -> None:
    w = _world(app, api_token)
    client = app.test_client()
    with app.app_context():
        asking = db.session.scalar(select(AccessLog.username).limit(1))  # none yet
    assert asking is None
    miss = {"first_name": "Omar", "last_name": "Said", "birth_date": "1990-02-03"}
    assert client.post("/api/v1/person/", json=miss, headers=w["hb"]).status_code == 201
    hit = {"first_name": "Amal", "last_name": "Hadad", "birth_date": BORN.isoformat()}
    assert client.post("/api/v1/person/", json=hit, headers=w["hb"]).status_code == 409
    checks = _log(app, "duplicate_check")
    assert len(checks) == 2
    users = {u for u, _p, _d in checks}
    assert len(users) == 1 and None not in users and "system" not in users
    assert "0 Treffer bei anderen Trägern" in checks[0][2]
    assert "1 Treffer bei anderen Trägern" in checks[1][2]
    assert [(u, p) for u, p, _d in _log(app, "duplicate_hint")] == [(checks[1][0], w["p"])]


def test_the_duplicate_check_is_throttled_per_account(
    app: Flask, api_token: Any, budget: dict[str, Any]
) -> None:
    """Past the account's budget the check (and so the create) is refused with 429 — logged —;
    another account still has its own budget."""
    budget["DUPLICATE_CHECK_RATE_LIMIT"] = "3 per hour"
    w = _world(app, api_token)
    client = app.test_client()
    codes = []
    for day in range(4):
        body = {
            "first_name": "Probe",
            "last_name": "Konto",
            "birth_date": (BORN + dt.timedelta(days=10 + day)).isoformat(),
        }
        codes.append(client.post("/api/v1/person/", json=body, headers=w["hb"]).status_code)
    assert codes == [201, 201, 201, 429]
    assert _persons(app) == 4
    assert any("gedrosselt" in (d or "") for _u, _p, d in _log(app, "duplicate_check"))
    body = {"first_name": "Amal", "last_name": "Hadad", "birth_date": BORN.isoformat()}
    assert client.post("/api/v1/person/", json=body, headers=w["hb2"]).status_code == 409


def test_the_browser_form_is_the_same_door(
    app: Flask, api_token: Any, login_as: Any, budget: dict[str, Any]
) -> None:
    """The person form in the browser: every check logged with the asking account, the same
    budget per account; a refused check creates nothing."""
    budget["DUPLICATE_CHECK_RATE_LIMIT"] = "2 per hour"
    w = _world(app, api_token)
    browser = login_as(matrix.ROLE_LEAD, w["b"])
    for day in (20, 21):
        form = {
            "first_name": "Probe",
            "last_name": "Formular",
            "birth_date": (BORN + dt.timedelta(days=day)).strftime("%d.%m.%Y"),
        }
        assert browser.post("/personview/add", data=form).status_code == 302
    checks = _log(app, "duplicate_check")
    assert len(checks) == 2 and all("Browser" in d for _u, _p, d in checks)
    form = {"first_name": "Amal", "last_name": "Hadad", "birth_date": BORN.strftime("%d.%m.%Y")}
    page = browser.post("/personview/add", data=form).get_data(as_text=True)
    assert "Zu viele Dublettenprüfungen" in page and "Träger A" not in page
    assert _persons(app) == 3
    assert "gedrosselt" in _log(app, "duplicate_check")[-1][2]


def _import_world(app: Flask) -> None:
    with app.app_context():
        a = factories.make_org("Caritas Test")
        b = factories.make_org("Diakonie Test")
        db.session.add_all(
            [
                Accommodation(
                    name="ÜWH Lindenweg",
                    kind=AccommodationKind.transitional_home,
                    operator_id=a.id,
                ),
                Accommodation(
                    name="GU Am Hang",
                    kind=AccommodationKind.shared_accommodation,
                    operator_id=b.id,
                ),
            ]
        )
        db.session.commit()
        factories.make_person(
            a, first_name="Muhammad", last_name="Haddad", birth_date=dt.date(1985, 3, 14)
        )


def _upload(admin: Any) -> str:
    resp = admin.post(
        "/zuweisungen/upload",
        data={"file": (io.BytesIO(SAMPLE.read_bytes()), "zuweisungsliste.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    return str(resp.headers["Location"])


def test_the_import_preview_check_is_logged_once_and_throttled(
    app: Flask, login_as: Any, budget: dict[str, Any]
) -> None:
    """The preview of an assignment list logs its check once (paging does not count again);
    an account past its row budget gets no preview."""
    _import_world(app)
    admin = login_as(matrix.ROLE_COUNTY_ADMIN)
    first = _upload(admin)
    assert admin.get(first, follow_redirects=True).status_code == 200
    assert admin.get(first, follow_redirects=True).status_code == 200
    checks = _log(app, "duplicate_check")
    assert len(checks) == 1 and "Zuweisungsliste" in checks[0][2]
    assert checks[0][0] not in (None, "system")
    assert len(_log(app, "duplicate_hint")) == 1  # the person known at Caritas
    budget["IMPORT_CHECK_RATE_LIMIT"] = "5 per day"  # the sample has 8 rows
    second = _upload(admin)
    page = admin.get(second, follow_redirects=True).get_data(as_text=True)
    assert "Zu viele Dublettenprüfungen" in page
    assert "gedrosselt" in _log(app, "duplicate_check")[-1][2]

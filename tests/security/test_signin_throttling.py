"""Sign-in throttling slows the attacker without locking the owner out.

Finding: anyone could lock any account for 60 s with five wrong passwords (after which the
right one was refused as well), and one address kept a dozen accounts locked. The rule now
(docs/security.md, OWASP ASVS 5.0 V6): failures count per account and per source address for
unknown devices; a browser in which the account signed in before is a known device, exempt
from both locks, with its own small counter.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.security import matrix, throttling
from tests import factories
from tests.conftest import make_test_app

WRONG = "falsch-falsch-falsch"


def _limited(database_url: str, **extra: Any) -> Flask:
    config: dict[str, Any] = {
        "RATELIMIT_ENABLED": True,
        "AUTH_RATE_LIMITED": True,
        "AUTH_RATE_LIMIT": "1000 per minute",
        "RATELIMIT_KEY_PREFIX": f"msa-test-{uuid.uuid4().hex}",
        **extra,
    }
    return make_test_app(database_url, **config)


def _client(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _try(client: FlaskClient, username: str, password: str) -> int:
    resp = client.post("/login/", data={"username": username, "password": password})
    if resp.status_code == 302 and "/login" in resp.headers["Location"]:
        return 401  # back to the sign-in form: refused
    return resp.status_code


def test_the_owner_on_a_known_device_signs_in_while_the_account_is_attacked(
    app: Flask, database_url: str
) -> None:
    with app.app_context():
        username = factories.make_user(matrix.ROLE_CASEWORKER, None).username
    limited = _limited(database_url, AUTH_ACCOUNT_RATE_LIMIT="3 per minute")
    owner = _client(limited, "10.1.0.1")
    assert _try(owner, username, factories.PASSWORD) == 302
    assert owner.get_cookie(throttling.DEVICE_COOKIE) is not None
    owner.get("/logout/")
    # the attacker, from many addresses, with wrong passwords
    codes = [_try(_client(limited, f"10.9.0.{n}"), username, WRONG) for n in range(1, 6)]
    assert codes == [401, 401, 401, 429, 429]
    # an unknown device (a new browser) waits, even with the right password …
    stranger = _client(limited, "10.1.0.1")
    assert _try(stranger, username, factories.PASSWORD) == 429
    # … a tampered device cookie is an unknown device …
    forged = _client(limited, "10.1.0.1")
    forged.set_cookie(throttling.DEVICE_COOKIE, "W1siYWJjIiwiZGVmIl1d.falsch")
    assert _try(forged, username, factories.PASSWORD) == 429
    # … but the owner's own browser is not locked out
    assert _try(owner, username, factories.PASSWORD) == 302
    owner.get("/logout/")
    # a known device has its own counter: a stolen cookie allows only a few guesses
    thief = _client(limited, "10.7.0.1")
    thief.set_cookie(throttling.DEVICE_COOKIE, owner.get_cookie(throttling.DEVICE_COOKIE).value)
    device_limit = 5  # AUTH_DEVICE_RATE_LIMIT default
    assert [_try(thief, username, WRONG) for _ in range(device_limit + 1)] == [401] * (
        device_limit
    ) + [429]


def test_one_address_cannot_lock_a_dozen_accounts(app: Flask, database_url: str) -> None:
    """Five wrong passwords for each of twelve accounts from one address: the address is
    stopped after its own limit, and at most two accounts are slowed for new devices."""
    with app.app_context():
        names = [factories.make_user(matrix.ROLE_CASEWORKER, None).username for _ in range(12)]
    limited = _limited(
        database_url, AUTH_ACCOUNT_RATE_LIMIT="5 per minute", AUTH_SOURCE_RATE_LIMIT="10 per hour"
    )
    attacker = _client(limited, "10.2.0.1")
    codes = [_try(attacker, name, WRONG) for name in names for _ in range(5)]
    assert codes.count(401) == 10 and codes.count(429) == 50
    # the owners, each in a new browser at the office's address
    signed_in = [_try(_client(limited, "10.3.0.1"), name, factories.PASSWORD) for name in names]
    assert signed_in.count(302) >= 10, signed_in


def test_the_counters_are_shared_through_redis(app: Flask, database_url: str) -> None:
    """Two processes (two app instances) count one source address together in Redis."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    prefix = f"msa-test-{uuid.uuid4().hex}"
    config = {
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "AUTH_SOURCE_RATE_LIMIT": "3 per minute",
    }
    first = _client(_limited(database_url, **config), "10.4.0.1")
    second = _client(_limited(database_url, **config), "10.4.0.1")
    assert _try(first, "eins", WRONG) == 401
    assert _try(second, "zwei", WRONG) == 401
    assert _try(first, "drei", WRONG) == 401
    assert _try(second, "vier", WRONG) == 429
    store = redis.Redis.from_url(url)
    keys = list(store.scan_iter(f"*{prefix}*"))
    assert any(b"msa-login-source" in k for k in keys)
    assert any(b"msa-login-account" in k for k in keys)
    store.delete(*keys)

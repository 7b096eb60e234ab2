"""Sign-in throttling that slows the attacker without locking the owner out.

Three counters of *failed* sign-ins (OWASP ASVS 5.0 V6.3.1, V6.1.1; OWASP "device cookies"),
in Flask-Limiter's storage — Redis when ``REDIS_URL`` is set, so every process and host counts
together; otherwise the process's memory:

* **per account** (``AUTH_ACCOUNT_RATE_LIMIT``, from any address): guessing one account from
  many addresses stops — but only for *unknown devices*;
* **per source address** (``AUTH_SOURCE_RATE_LIMIT``, across all accounts): one address
  cannot guess (or lock) a dozen accounts — also only for unknown devices;
* **per account and known device** (``AUTH_DEVICE_RATE_LIMIT``): a browser in which the
  account signed in successfully carries a signed, HttpOnly cookie (``msa_device``) naming a
  random device id for that account. Such a device is exempt from the two locks above and
  has its own counter: five wrong passwords typed by an attacker elsewhere never lock the
  owner out at the own desk, and a stolen cookie still only allows a few guesses.

FAB's limit per address on every sign-in request (``AUTH_RATE_LIMIT``) stays as a coarse
guard against floods.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from typing import Any

from flask import current_app, request
from flask_babel import gettext

NAMESPACE = "msa-login-account"
SOURCE_NAMESPACE = "msa-login-source"
DEVICE_NAMESPACE = "msa-login-device"
DEVICE_COOKIE = "msa_device"
#: accounts remembered per browser (a shared office computer)
DEVICE_COOKIE_ENTRIES = 5
_SALT = "msa-known-device"


def _limiter() -> Any:
    sm = current_app.appbuilder.sm  # type: ignore[attr-defined]
    if not sm.is_auth_limited or not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    return getattr(sm, "limiter", None)


def _item(setting: str, default: str) -> Any:
    from limits import parse

    return parse(current_app.config.get(setting) or default)


def _account_item() -> Any:
    return _item("AUTH_ACCOUNT_RATE_LIMIT", "5 per minute")


def _source_item() -> Any:
    return _item("AUTH_SOURCE_RATE_LIMIT", "20 per 10 minutes")


def _device_item() -> Any:
    return _item("AUTH_DEVICE_RATE_LIMIT", "5 per minute")


def _key(username: str) -> str:
    return (username or "").strip().lower()[:256]


def _source() -> str:
    return str(request.remote_addr or "unknown")


def _namespace(name: str = NAMESPACE) -> str:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return f"{prefix}:{name}" if prefix else name


def _account_tag(username: str) -> str:
    """A keyed hash of the sign-in name: the cookie does not show which accounts used it."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, _key(username).encode(), hashlib.sha256).hexdigest()[:24]


def _serializer() -> Any:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt=_SALT)


def _device_entries() -> list[list[str]]:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        data = _serializer().loads(raw)
    except Exception:  # tampered or signed with an old key: an unknown device
        return []
    if not isinstance(data, list):
        return []
    return [
        [str(e[0]), str(e[1])]
        for e in data
        if isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)
    ]


def known_device(username: str) -> str | None:
    """The device id under which this browser signed in to the account before (or None)."""
    if not _key(username):
        return None
    tag = _account_tag(username)
    return next((device for account, device in _device_entries() if account == tag), None)


def _wait(strategy: Any, item: Any, namespace: str, key: str) -> int:
    if strategy.test(item, _namespace(namespace), key):
        return 0
    reset_at, _remaining = strategy.get_window_stats(item, _namespace(namespace), key)
    return max(1, math.ceil(reset_at - time.time()))


def wait_seconds(username: str) -> int:
    """Seconds until this sign-in attempt may be made (0: now).

    A known device of the account waits only for its own counter; any other device for the
    account's and the source address's counters.
    """
    limiter = _limiter()
    if limiter is None or not _key(username):
        return 0
    strategy = limiter.limiter
    device = known_device(username)
    if device is not None:
        return _wait(strategy, _device_item(), DEVICE_NAMESPACE, f"{_key(username)}:{device}")
    return max(
        _wait(strategy, _source_item(), SOURCE_NAMESPACE, _source()),
        _wait(strategy, _account_item(), NAMESPACE, _key(username)),
    )


def failed(username: str) -> None:
    """Count a failed sign-in (known device: its own counter; else account and source)."""
    limiter = _limiter()
    if limiter is None or not _key(username):
        return
    strategy = limiter.limiter
    device = known_device(username)
    if device is not None:
        strategy.hit(_device_item(), _namespace(DEVICE_NAMESPACE), f"{_key(username)}:{device}")
        return
    strategy.hit(_source_item(), _namespace(SOURCE_NAMESPACE), _source())
    strategy.hit(_account_item(), _namespace(NAMESPACE), _key(username))


def remember_device(response: Any, username: str) -> Any:
    """After a complete sign-in: mark this browser as a known device of the account (a new
    device id each time, like a session id; at most a few accounts per browser)."""
    if not _key(username):
        return response
    tag = _account_tag(username)
    entries = [e for e in _device_entries() if e[0] != tag][-(DEVICE_COOKIE_ENTRIES - 1) :]
    entries.append([tag, secrets.token_urlsafe(16)])
    days = int(current_app.config.get("AUTH_DEVICE_COOKIE_DAYS", 180))
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(entries),
        max_age=days * 86400,
        httponly=True,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        samesite="Lax",
    )
    return response


def message(seconds: int) -> str:
    """German (translatable) message with the waiting time."""
    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        return gettext(
            "Zu viele Anmeldeversuche. Bitte warten Sie %(n)s Minuten und versuchen Sie es "
            "dann erneut.",
            n=minutes,
        )
    return gettext(
        "Zu viele Anmeldeversuche. Bitte warten Sie %(n)s Sekunden und versuchen Sie es "
        "dann erneut.",
        n=seconds,
    )


def ip_wait_seconds() -> int:
    """Seconds until the IP limit that refused this request resets (for the 429 page)."""
    limiter = _limiter()
    current = getattr(limiter, "current_limit", None) if limiter is not None else None
    if current is None:
        return 60
    return max(1, math.ceil(float(current.reset_at) - time.time()))

"""Sign-in throttling per account (in addition to FAB's limit per IP address).

A limit per IP alone either locks out a whole office behind one NAT address (if strict) or lets
one account be guessed from many addresses (if loose). So: a generous limit per IP
(``AUTH_RATE_LIMIT``, FAB/Flask-Limiter) and a strict one per account name
(``AUTH_ACCOUNT_RATE_LIMIT``) that counts failed attempts only. Both live in Flask-Limiter's
storage — Redis when ``REDIS_URL`` is set, so every process and host counts together.
"""

from __future__ import annotations

import math
import time
from typing import Any

from flask import current_app
from flask_babel import gettext

NAMESPACE = "msa-login-account"


def _limiter() -> Any:
    sm = current_app.appbuilder.sm  # type: ignore[attr-defined]
    if not sm.is_auth_limited or not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    return getattr(sm, "limiter", None)


def _item() -> Any:
    from limits import parse

    return parse(current_app.config.get("AUTH_ACCOUNT_RATE_LIMIT", "5 per minute"))


def _key(username: str) -> str:
    return (username or "").strip().lower()[:256]


def _namespace() -> str:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return f"{prefix}:{NAMESPACE}" if prefix else NAMESPACE


def wait_seconds(username: str) -> int:
    """Seconds until the account may try again (0: it may try now)."""
    limiter = _limiter()
    if limiter is None or not _key(username):
        return 0
    item = _item()
    strategy = limiter.limiter
    if strategy.test(item, _namespace(), _key(username)):
        return 0
    reset_at, _remaining = strategy.get_window_stats(item, _namespace(), _key(username))
    return max(1, math.ceil(reset_at - time.time()))


def failed(username: str) -> None:
    """Count a failed sign-in of the account."""
    limiter = _limiter()
    if limiter is not None and _key(username):
        limiter.limiter.hit(_item(), _namespace(), _key(username))


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

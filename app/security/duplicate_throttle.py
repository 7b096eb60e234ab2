"""Throttle of the duplicate check per account (R-2.6): the hint must not become an oracle.

The duplicate check answers "known at provider X" for a name and a birth date; unthrottled, an
account could probe birth dates until it hits another provider's client. So every account has a
budget of checked persons: ``DUPLICATE_CHECK_RATE_LIMIT`` for single checks (person create
API), ``IMPORT_CHECK_RATE_LIMIT`` for the rows of assignment-list previews (one preview counts
its rows once). The counters live in Redis when ``REDIS_URL`` is set (every process and host
counts together), else in the rate limiter's storage (``RATELIMIT_STORAGE_URI``, in memory per
process). ``RATELIMIT_ENABLED = False`` (test runs) switches the budget off, not the logging.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app

NAMESPACE = "msa-duplicate-check"
DEFAULT_LIMIT = "30 per 10 minutes"
DEFAULT_IMPORT_LIMIT = "2000 per day"
#: the refusal (German)
MESSAGE = "Zu viele Dublettenprüfungen von diesem Konto. Bitte versuchen Sie es später erneut."


def _storage() -> Any:
    from limits.storage import storage_from_string

    uri = (
        current_app.config.get("REDIS_URL")
        or current_app.config.get("RATELIMIT_STORAGE_URI")
        or "memory://"
    )
    cache: dict[str, Any] = current_app.extensions.setdefault("msa_duplicate_throttle", {})
    if uri not in cache:
        cache[uri] = storage_from_string(uri)
    return cache[uri]


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _account(user: Any) -> str:
    return f"{getattr(user, 'id', '')}:{getattr(user, 'username', '')}"[:300]


def allow(user: Any, *, cost: int = 1) -> bool:
    """Count ``cost`` checked persons against the account's budget; False when it is spent."""
    if not _enabled():
        return True
    from limits import parse
    from limits.strategies import FixedWindowRateLimiter

    item = parse(current_app.config.get("DUPLICATE_CHECK_RATE_LIMIT", DEFAULT_LIMIT))
    return bool(FixedWindowRateLimiter(_storage()).hit(item, NAMESPACE, _account(user), cost=cost))


def allow_preview(user: Any, preview: str, rows: int) -> tuple[bool, bool]:
    """(allowed, first time) for the preview ``preview`` (an import and its column mapping):
    its rows count once against the account's import budget, however often it is paged."""
    from limits import parse
    from limits.strategies import FixedWindowRateLimiter

    marker = hashlib.sha256(f"{_account(user)}:{preview}".encode()).hexdigest()
    first = int(_storage().incr(f"{NAMESPACE}:preview:{marker}", 86400)) == 1
    if not first or not _enabled():
        return True, first
    item = parse(current_app.config.get("IMPORT_CHECK_RATE_LIMIT", DEFAULT_IMPORT_LIMIT))
    limiter = FixedWindowRateLimiter(_storage())
    allowed = bool(limiter.hit(item, f"{NAMESPACE}-import", _account(user), cost=max(1, rows)))
    if not allowed:
        # refused previews may be tried again once the budget allows
        _storage().clear(f"{NAMESPACE}:preview:{marker}")
    return allowed, True

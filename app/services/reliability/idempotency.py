"""Idempotency keys of REST creates (``Idempotency-Key`` header): a retry never duplicates.

The key is stored in the SAME database transaction as the created row
(:class:`app.models.admin_log.IdempotencyRecord`): when the reply is lost after the commit
(connection killed, client time-out), the retry finds the key and gets the row that was
committed; when the transaction did not commit, neither the row nor the key exists and the
retry creates it. A store outside the database (Redis) cannot give that guarantee — the row
could be committed and the key lost between the two writes — so with ``REDIS_URL`` set, Redis
only serialises two concurrent requests with the same key (a short lock); the record of what was
done is always the database's. Two requests racing past the lock still meet the unique
constraint (user, key): the second create is rolled back and answered with the first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from app.extensions import db
from app.models.admin_log import IdempotencyRecord
from app.models.base import utcnow

HEADER = "Idempotency-Key"
#: printable ASCII without spaces, 1–128 characters (a UUID fits)
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")
#: how long a key is kept (a client retries within minutes; a day is generous)
KEEP = dt.timedelta(hours=24)
LOCK_SECONDS = 30


class BadIdempotencyKeyError(ValueError):
    """A malformed ``Idempotency-Key`` header (German message)."""


@dataclass(frozen=True)
class Done:
    """What an earlier request with the same key created."""

    fingerprint: str
    resource: str
    object_id: int | None


def parse_key(raw: str | None) -> str | None:
    """Return the key of the header value, None without header; raise on a malformed key."""
    if raw is None:
        return None
    if not KEY_PATTERN.match(raw):
        raise BadIdempotencyKeyError(
            "Der Idempotency-Key muss 1 bis 128 druckbare Zeichen ohne Leerzeichen haben."
        )
    return raw


def fingerprint(method: str, path: str, body: bytes) -> str:
    """Hash of the request a key was first used for (the same key for another body: refused)."""
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


def lookup(user_id: int, key: str) -> Done | None:
    """The earlier create with this key by this user (keys older than KEEP are forgotten)."""
    row = db.session.execute(
        select(
            IdempotencyRecord.fingerprint,
            IdempotencyRecord.resource,
            IdempotencyRecord.object_id,
        ).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.created_at >= utcnow() - KEEP,
        )
    ).first()
    return None if row is None else Done(row[0], row[1], row[2])


def remember(user_id: int, key: str, fp: str, resource: str, object_id: int | None) -> None:
    """Add the key to the current transaction (committed together with the created row)."""
    db.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.created_at < utcnow() - KEEP,
        )
    )
    db.session.add(
        IdempotencyRecord(
            user_id=user_id, key=key, fingerprint=fp, resource=resource, object_id=object_id
        )
    )


def _redis() -> Any:
    url = current_app.config.get("REDIS_URL") or ""
    if not url:
        return None
    import redis

    client = current_app.extensions.get("msa_redis")
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        current_app.extensions["msa_redis"] = client
    return client


def acquire(user_id: int, key: str) -> bool:
    """Take the short lock of (user, key) in Redis; True without Redis or when it is down."""
    client = _redis()
    if client is None:
        return True
    try:
        return bool(client.set(f"msa:idem:{user_id}:{key}", "1", nx=True, ex=LOCK_SECONDS))
    except Exception:  # Redis down: the unique constraint still protects
        return True


def release(user_id: int, key: str) -> None:
    """Give the lock back."""
    client = _redis()
    if client is None:
        return
    with contextlib.suppress(Exception):  # the lock expires by itself
        client.delete(f"msa:idem:{user_id}:{key}")

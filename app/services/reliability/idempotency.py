"""Idempotency keys of REST creates (``Idempotency-Key`` header): a retry never duplicates.

The key is stored in the SAME database transaction as the created row
(:class:`app.models.admin_log.IdempotencyRecord`): when the reply is lost after the commit
(connection killed, client time-out), the retry finds the key and gets the row that was
committed; when the transaction did not commit, neither the row nor the key exists and the
retry creates it.

Two concurrent requests with the same key are serialised by a lock that lives exactly as long as
the create's transaction — a PostgreSQL advisory transaction lock: a commit, a rollback, a
killed connection or a dead worker frees it, so a retry after a 503 (or any failed request)
never meets a stale lock. (A lock in Redis with an expiry outlived failed requests: retries got
409 for up to 30 s.) SQLite writes one transaction at a time anyway. Two requests racing past
the lock still meet the unique constraint (user, key): the second create is rolled back and
answered with the first.

The fingerprint compares the parsed JSON body in canonical form (sorted keys, no whitespace):
a retry that formats the same body differently is the same request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

from sqlalchemy import delete, select, text

from app.extensions import db
from app.models.admin_log import IdempotencyRecord
from app.models.base import utcnow

HEADER = "Idempotency-Key"
#: printable ASCII without spaces, 1–128 characters (a UUID fits)
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")
#: how long a key is kept (a client retries within minutes; a day is generous)
KEEP = dt.timedelta(hours=24)


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


def canonical_body(body: bytes) -> bytes:
    """The body as canonical JSON (sorted keys, no whitespace); other bodies unchanged."""
    try:
        value = json.loads(body)
    except ValueError:
        return body
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(method: str, path: str, body: bytes) -> str:
    """Hash of the request a key was first used for (the same key for another body: refused)."""
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", canonical_body(body)):
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


def _lock_id(user_id: int, key: str) -> int:
    digest = hashlib.sha256(f"msa-idempotency:{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def acquire(user_id: int, key: str) -> bool:
    """Take the lock of (user, key) for the current transaction; False while another request
    with the same key is running. Freed by the transaction's end, whatever ends it."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        db.session.execute(
            text("SELECT pg_try_advisory_xact_lock(:lock)"), {"lock": _lock_id(user_id, key)}
        ).scalar()
    )


def release(user_id: int, key: str) -> None:
    """Nothing to give back: the lock ends with the transaction (commit, rollback, lost
    connection)."""

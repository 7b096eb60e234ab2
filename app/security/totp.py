"""TOTP second factor (RFC 6238): enrolment, verification with replay protection, policy.

Every user may switch on a second factor; roles listed in ``MSA_TOTP_REQUIRED_ROLES`` must.
A code is accepted once: the accepted time step is stored on the user (``totp_last_step``) and
any code of that step or an earlier one is refused afterwards (no replay within its window).
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import pyotp
from flask import current_app

from app.extensions import db
from app.i18n import translate

#: time step of the codes (seconds) and accepted clock drift (steps either side)
INTERVAL = 30
DRIFT_STEPS = 1
ISSUER = "MSA-Portal"


def new_secret() -> str:
    """Return a new random base32 secret (160 bit)."""
    return pyotp.random_base32(32)


def provisioning_uri(username: str, secret: str) -> str:
    """Return the ``otpauth://`` URI an authenticator app reads from the QR code."""
    issuer = str(current_app.config.get("APP_NAME") or ISSUER)
    return pyotp.TOTP(secret, interval=INTERVAL).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """Return the QR code of ``uri`` as inline SVG markup (no external request)."""
    import segno

    svg: str = segno.make(uri, error="m").svg_inline(scale=4, title=translate("QR-Code"))
    return svg


def required_roles() -> frozenset[str]:
    """Return the role names that must use a second factor (config)."""
    return frozenset(current_app.config.get("MSA_TOTP_REQUIRED_ROLES") or ())


def is_required(user: Any) -> bool:
    """True if one of the user's roles requires a second factor."""
    names = {getattr(r, "name", None) for r in getattr(user, "roles", None) or ()}
    return bool(names & required_roles())


def is_enabled(user: Any) -> bool:
    """True if the user has a confirmed second factor."""
    return bool(getattr(user, "totp_enabled", False) and getattr(user, "totp_secret", None))


def needs_second_factor(user: Any) -> bool:
    """True if signing in needs a code (or enrolment) after the password."""
    return is_enabled(user) or is_required(user)


def _normalise(code: str | None) -> str:
    return "".join(ch for ch in str(code or "") if not ch.isspace())


def matching_step(secret: str, code: str | None, now: float | None = None) -> int | None:
    """Return the time step whose code equals ``code`` (within the drift), else None."""
    code = _normalise(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=INTERVAL)
    current = int((time.time() if now is None else now) // INTERVAL)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # compare every candidate (constant work) with a timing-safe comparison
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def verify(user: Any, code: str | None, now: float | None = None, *, commit: bool = True) -> bool:
    """Check ``code`` for ``user``'s confirmed secret; accept each time step only once."""
    if not is_enabled(user):
        return False
    step = matching_step(user.totp_secret, code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    if commit:
        db.session.commit()
    return True


def enable(user: Any, secret: str, code: str | None, now: float | None = None) -> bool:
    """Confirm enrolment: store ``secret`` if ``code`` fits it; return success."""
    step = matching_step(secret, code, now)
    if step is None:
        return False
    user.totp_secret = secret
    user.totp_enabled = True
    user.totp_last_step = step
    db.session.commit()
    return True


def disable(user: Any) -> None:
    """Remove the second factor (own choice, or an administrator's reset)."""
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_step = None
    db.session.commit()

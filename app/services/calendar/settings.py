"""A user's calendar and reminder settings: feed token, names in the feed, the e-mail digest."""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import select

from app.extensions import db
from app.models.organisation import MsaUser
from app.services.errors import unit_of_work

#: the feed covers appointments from this many days ago to this many days ahead
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 365


def issue_calendar_token(user: MsaUser) -> str:
    """Give ``user`` a new secret feed token (the old feed URL stops working); return it."""
    with unit_of_work():
        user.calendar_token = secrets.token_urlsafe(32)
    return user.calendar_token


def revoke_calendar_token(user: MsaUser) -> None:
    """Switch the user's feed off: its URL answers 404 from now on."""
    with unit_of_work():
        user.calendar_token = None


def set_calendar_names(user: MsaUser, show: bool) -> None:
    """Show client names in the feed's titles (opt-in) or not (default)."""
    with unit_of_work():
        user.calendar_names = bool(show)


def set_reminder_digest(user: MsaUser, enabled: bool) -> None:
    """Switch the user's daily reminder e-mail on or off."""
    with unit_of_work():
        user.reminder_digest = bool(enabled)


def user_for_token(token: str) -> MsaUser | None:
    """Return the active user whose feed token is ``token``, else None (constant-time check)."""
    if not token or len(token) < 20 or len(token) > 64:
        return None
    user = db.session.scalars(
        select(MsaUser).where(MsaUser.calendar_token == token, MsaUser.active.is_(True))
    ).first()
    if user is None or not hmac.compare_digest(user.calendar_token or "", token):
        return None
    return user

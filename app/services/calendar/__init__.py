"""Appointments (Termine), the personal calendar and its iCalendar feed (§3.1.2)."""

from app.services.calendar.feed import ical_feed
from app.services.calendar.settings import (
    FEED_DAYS_AHEAD,
    FEED_DAYS_BACK,
    issue_calendar_token,
    revoke_calendar_token,
    set_calendar_names,
    set_reminder_digest,
    user_for_token,
)

__all__ = [
    "FEED_DAYS_AHEAD",
    "FEED_DAYS_BACK",
    "ical_feed",
    "issue_calendar_token",
    "revoke_calendar_token",
    "set_calendar_names",
    "set_reminder_digest",
    "user_for_token",
]

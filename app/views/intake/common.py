"""Intake views: the small helpers shared by the import, handover and sharing views."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, flash, request
from flask_appbuilder.api import BaseApi

from app.dates import DateError, parse_date
from app.services.intake.common import IntakeError

INBOX_PAGE_SIZE = 50

#: session key of a refused handover offer's input (shown again on the case file)
HANDOVER_FORM_KEY = "msa_handover_form"
#: the input of a refused share form, kept for the next view of the case file
SHARE_FORM_KEY = "msa_share_form"


def _date(raw: Any) -> dt.date | None:
    """Parse ``JJJJ-MM-TT`` (date input, API) or ``TT.MM.JJJJ``; None if empty; 400 if wrong."""
    try:
        return parse_date(raw)
    except DateError as exc:
        raise IntakeError(exc.message) from None


def berlin(value: Any) -> str:
    """Template filter: a stored UTC time as ``TT.MM.JJJJ HH:MM`` in Europe/Berlin."""
    from app.dates import de_datetime

    return de_datetime(value)


def _flash_error(exc: IntakeError) -> None:
    flash(exc.message, "danger")


def _json_error(api: BaseApi, exc: IntakeError) -> Response:
    return api.response(exc.status, message=exc.message)


def _id(value: Any) -> bool:
    """Whether a JSON value is a usable id (an integer in the database's range, not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _body() -> dict[str, Any] | None:
    payload = request.get_json(silent=True)
    return payload if isinstance(payload, dict) else None

"""Cooperation, calendar, reminders without a database: iCalendar, SMTP, digest, caseload."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import icalendar
import pytest

from app.services.calendar.feed import FeedEvent, build_calendar, escape_text, fold
from app.services.reminders.digest import Digest, render_digest
from app.services.reminders.mail import MailConfigError, parse_smtp_url
from app.services.staff.figures import CaseloadRow


def test_feed_text_is_parsed_by_a_real_icalendar_library() -> None:
    """The feed is RFC 5545: a calendar app reads title, place and local Berlin time."""
    event = FeedEvent(
        uid="appointment-1@msa.example",
        start=dt.datetime(2026, 7, 1, 10, 30),
        end=dt.datetime(2026, 7, 1, 11, 30),
        summary="Begleitung; Ausländerbehörde, Zimmer 3 – " + "sehr langer Betreff " * 6,
        location="Kreishausplatz 1, 12345 Musterstadt",
        description="Dolmetschung erforderlich\nhttps://msa.example/appointment/show/1",
        stamp=dt.datetime(2026, 6, 1, 8, 0),
    )
    text = build_calendar([event], "MSA-Portal – Termine")
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    cal = icalendar.Calendar.from_ical(text)
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == event.summary
    assert str(vevent["LOCATION"]) == event.location
    assert str(vevent["DESCRIPTION"]) == event.description
    start = vevent.decoded("DTSTART")
    assert start.replace(tzinfo=None) == event.start
    assert start.utcoffset() == dt.timedelta(hours=2)  # summer time in Berlin


def test_escape_and_fold() -> None:
    """Commas, semicolons, backslashes and line breaks are escaped; folding keeps umlauts whole."""
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    folded = fold("SUMMARY:" + "ä" * 60)
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "SUMMARY:" + "ä" * 60


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "user", "password"),
    [
        ("smtp://mail.example:2525", "mail.example", 2525, False, None, None),
        ("smtp://mail.example", "mail.example", 25, False, None, None),
        ("smtps://u%40kreis:p%3Ass@mail.example", "mail.example", 465, True, "u@kreis", "p:ss"),
    ],
)
def test_smtp_url(
    url: str, host: str, port: int, tls: bool, user: str | None, password: str | None
) -> None:
    """MSA_SMTP_URL: smtp://host:port, optional user:password, smtps:// for TLS."""
    settings = parse_smtp_url(url)
    assert (settings.host, settings.port, settings.tls) == (host, port, tls)
    assert (settings.username, settings.password) == (user, password)


@pytest.mark.parametrize("url", ["", "http://mail.example", "smtp://", "smtp://h:abc"])
def test_bad_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(MailConfigError):
        parse_smtp_url(url)


def test_digest_text_has_counts_and_links_only() -> None:
    """The e-mail says how many and where to look — nothing about whom."""
    digest = Digest(1, "fk", "fk@kreis.example", 2, 1, 1, 0, 3)
    digest.links = {
        "follow_ups": "https://msa/f",
        "calendar": "https://msa/c",
        "permits": "https://msa/p",
    }
    subject, body = render_digest(digest, dt.date(2026, 3, 2))
    assert subject == "MSA-Portal: Ihre Erinnerungen für den 02.03.2026"
    assert "2 heute fällig, 1 überfällig" in body
    assert "https://msa/p" in body and "8 Wochen ablaufen: 3" in body
    assert "Termine" in body
    assert not Digest(1, "x", "x@y").links and Digest(1, "x", "x@y").empty


def test_caseload_against_one_to_eighty_per_fte() -> None:
    """A half-time caseworker carries 40 persons at most; 41 is above the ratio."""
    assert not CaseloadRow(1, "A", 0.5, 40).above
    assert CaseloadRow(1, "A", 0.5, 41).above
    assert CaseloadRow(1, "A", 0.5, 41).per_fte == 82.0
    assert CaseloadRow(None, "ohne", 0.0, 3).per_fte is None


def _migration() -> object:
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0014_cooperation.py"
    spec = importlib.util.spec_from_file_location("mig0014", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Gesundheit", "health"),
        ("doctor", "health"),
        ("Jobcenter", "public_authority"),
        ("kita", "education_work"),
        ("volunteer_initiative", "civil_society"),
        ("Schuldnerberatung", "counselling"),
        ("Irgendwas", None),
        ("", None),
    ],
)
def test_free_text_categories_are_mapped_to_the_catalogue(text: str, code: str | None) -> None:
    """Migration 0014 maps old free-text categories to partner_category codes (else None)."""
    import json

    catalogue = json.loads(
        (Path(__file__).resolve().parents[2] / "app" / "data" / "catalogues.json").read_text(
            encoding="utf-8"
        )
    )
    assert _migration()._category_code(text, catalogue) == code  # type: ignore[attr-defined]

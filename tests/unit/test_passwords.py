"""Password policy: length and common-password blocklist, no character-class rules."""

from __future__ import annotations

import pytest

from app.security.passwords import password_problem


@pytest.mark.parametrize("pw", ["kurz", "elfZeichen1"])
def test_too_short(pw: str) -> None:
    assert "mindestens 12 Zeichen" in (password_problem(pw) or "")


@pytest.mark.parametrize("pw", ["password1234", "passwort1234", "qwertzuiop123", "123456789012"])
def test_common_passwords_refused(pw: str) -> None:
    assert "zu leicht zu erraten" in (password_problem(pw) or "")


@pytest.mark.parametrize(
    "pw", ["korrekt pferd batterie", "Wolken-über-Hamburg-42", "zimtschnecke anker"]
)
def test_long_unusual_passwords_accepted_without_character_classes(pw: str) -> None:
    assert password_problem(pw) is None

"""Password policy: length and a blocklist of common passwords, no character-class rules.

NIST SP 800-63B / BSI: at least 12 characters; refuse passwords found in lists of common
passwords and easily guessed ones (zxcvbn's offline dictionaries, plus words of this portal).
"""

from __future__ import annotations

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256
#: words that make a password guessable here
PORTAL_WORDS = ["msa", "portal", "migration", "landkreis", "musterkreis", "passwort", "fachkraft"]


def password_problem(password: str, *, user_inputs: list[str] | None = None) -> str | None:
    """Return a German reason why the password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Das Passwort muss mindestens {MIN_LENGTH} Zeichen lang sein."
    if len(password) > MAX_LENGTH:
        return f"Das Passwort darf höchstens {MAX_LENGTH} Zeichen lang sein."
    result = zxcvbn(password[:100], user_inputs=[*PORTAL_WORDS, *(user_inputs or [])])
    if int(result["score"]) < 3:
        return (
            "Das Passwort ist zu leicht zu erraten (häufig verwendet oder zu einfach). "
            "Wählen Sie z. B. mehrere zufällige Wörter."
        )
    return None


def fab_password_validator(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: raise with a German message when refused."""
    problem = password_problem(password)
    if problem:
        raise PasswordComplexityValidationError(problem)

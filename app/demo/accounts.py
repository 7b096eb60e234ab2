"""Demo organisations and accounts (one password for all, demo data only)."""

from __future__ import annotations

from app.security import matrix

DEMO_PASSWORD = "Demo-Passwort-2026"  # noqa: S105  # nosec B105

COUNTY = "Landkreis Musterkreis"
PROVIDERS = ("Caritasverband Musterkreis e.V.", "Diakonisches Werk Musterkreis")
SPECIALIST = "Fachberatungsdienst Migration"

#: username, role, organisation, first name, last name, FTE
DEMO_ACCOUNTS: tuple[tuple[str, str, str | None, str, str, float], ...] = (
    ("admin", matrix.ROLE_ADMIN, None, "System", "Administration", 1.0),
    ("kreisadmin", matrix.ROLE_COUNTY_ADMIN, COUNTY, "Karin", "Kreisler", 1.0),
    ("pruefer", matrix.ROLE_REVIEWER, COUNTY, "Peter", "Prüfmann", 1.0),
    ("leitung.caritas", matrix.ROLE_LEAD, PROVIDERS[0], "Lena", "Leitner", 0.5),
    ("fachkraft.caritas", matrix.ROLE_CASEWORKER, PROVIDERS[0], "Fatma", "Kaya", 1.0),
    ("fachkraft2.caritas", matrix.ROLE_CASEWORKER, PROVIDERS[0], "Jonas", "Becker", 0.75),
    ("leitung.diakonie", matrix.ROLE_LEAD, PROVIDERS[1], "Dirk", "Diehl", 0.5),
    ("fachkraft.diakonie", matrix.ROLE_CASEWORKER, PROVIDERS[1], "Sabine", "Wolf", 1.0),
    ("fachberatung", matrix.ROLE_SPECIALIST, SPECIALIST, "Miriam", "Said", 1.0),
)

"""What the benchmark measures: one line per page or API call.

Add a page by appending a ``Page`` to ``PAGES`` (after a merge: statistics, social report
PDF/DOCX, charts …). ``path`` may use the placeholders ``{person_id}``, ``{note_id}``,
``{partner_id}``, ``{org_id}``, ``{user_id}``, ``{quarter}``, ``{year}``, ``{search}``.
``bare`` holds the SELECTs the page needs at the least, run directly against the database with
the same placeholders as bind parameters (``:org_id`` …): the lower bound for the ratio
portal/bare. ``user`` is a key of ``USERS``. ``optional`` pages are reported as "nicht
vorhanden" when the route answers 404 (e.g. an API that a branch not yet merged adds).
``target_ms`` is the issue's p95 target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: who signs in: key -> (username, description); demo accounts (password Demo-Passwort-2026)
USERS = {
    "fachkraft": ("fachkraft.caritas", "Fachkraft eines Trägers (eigene Fälle)"),
    "pruefer": ("pruefer", "Prüfer:in des Kreises (alle Träger)"),
}

LIST_TARGET_MS = 60.0
CASEFILE_TARGET_MS = 100.0
STATS_TARGET_MS = 150.0
PDF_TARGET_MS = 300.0

# Count as the portal does it (app/views/base.py: capped at 10,000 + 1 rows).
_COUNT_PERSONS = (
    "SELECT count(person.id) FROM person WHERE person.organisation_id = :org_id "
    "AND person.id IN (SELECT p.id FROM person p WHERE p.organisation_id = :org_id LIMIT 10001)"
)
_PERSON_PAGE = (
    "SELECT person.*, accommodation.name FROM person "
    "LEFT JOIN accommodation ON accommodation.id = person.accommodation_id "
    "WHERE person.organisation_id = :org_id ORDER BY person.last_name, person.id LIMIT 25"
)

# Anlage-1 figures of a quarter: one GROUP BY over the covering index (app/services/statistics.py)
_STATS_ORG = (
    "SELECT caseworker_id, kind, education_system, return_counselling, count(*) "
    "FROM contact_note WHERE organisation_id = :org_id AND date >= :q_start AND date <= :q_end "
    "GROUP BY caseworker_id, kind, education_system, return_counselling"
)
_STATS_ALL = (
    "SELECT organisation_id, caseworker_id, kind, count(*) FROM contact_note "
    "WHERE date >= :q_start AND date <= :q_end "
    "GROUP BY organisation_id, caseworker_id, kind"
)


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    bare: tuple[str, ...] = ()
    user: str = "fachkraft"
    method: str = "GET"
    target_ms: float | None = None
    optional: bool = False
    data: dict[str, str] = field(default_factory=dict)


PAGES: list[Page] = [
    Page(
        "Personenliste",
        "/personview/list/",
        (_COUNT_PERSONS, _PERSON_PAGE),
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Personensuche (Nachname)",
        "/personview/list/?_flt_0_last_name={search}",
        (
            "SELECT count(*) FROM (SELECT id FROM person WHERE organisation_id = :org_id "
            "AND lower(last_name) LIKE lower(:search) || '%' LIMIT 10001) AS c",
            "SELECT person.*, accommodation.name FROM person "
            "LEFT JOIN accommodation ON accommodation.id = person.accommodation_id "
            "WHERE person.organisation_id = :org_id AND lower(person.last_name) LIKE "
            "lower(:search) || '%' ORDER BY person.last_name, person.id LIMIT 25",
        ),
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Personenliste, alle Träger (Prüfer:in)",
        "/personview/list/",
        (
            "SELECT count(*) FROM (SELECT id FROM person LIMIT 10001) AS c",
            "SELECT person.*, accommodation.name FROM person "
            "LEFT JOIN accommodation ON accommodation.id = person.accommodation_id "
            "ORDER BY person.last_name, person.id LIMIT 25",
        ),
        user="pruefer",
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Personensuche, alle Träger (Prüfer:in)",
        "/personview/list/?_flt_0_last_name={search}",
        (
            "SELECT count(*) FROM (SELECT id FROM person WHERE lower(last_name) LIKE "
            "lower(:search) || '%' LIMIT 10001) AS c",
            "SELECT person.*, accommodation.name FROM person "
            "LEFT JOIN accommodation ON accommodation.id = person.accommodation_id "
            "WHERE lower(person.last_name) LIKE lower(:search) || '%' "
            "ORDER BY person.last_name, person.id LIMIT 25",
        ),
        user="pruefer",
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Fallakte (Personenseite)",
        "/personview/show/{person_id}",
        (
            "SELECT person.*, accommodation.name, household.name FROM person "
            "LEFT JOIN accommodation ON accommodation.id = person.accommodation_id "
            "LEFT JOIN household ON household.id = person.household_id "
            "WHERE person.id = :person_id AND person.organisation_id = :org_id",
            "SELECT * FROM contact_note WHERE person_id = :person_id "
            "AND organisation_id = :org_id ORDER BY date DESC, id DESC LIMIT 20",
            "SELECT * FROM follow_up WHERE person_id = :person_id AND done_on IS NULL "
            "ORDER BY due_on",
        ),
        target_ms=CASEFILE_TARGET_MS,
    ),
    Page(
        "Beratungsvermerke (Liste)",
        "/contactnoteview/list/",
        (
            "SELECT count(contact_note.id) FROM contact_note WHERE organisation_id = :org_id "
            "AND id IN (SELECT id FROM contact_note WHERE organisation_id = :org_id LIMIT 10001)",
            "SELECT contact_note.*, person.last_name, person.first_name FROM contact_note "
            "JOIN person ON person.id = contact_note.person_id "
            "WHERE contact_note.organisation_id = :org_id "
            "ORDER BY contact_note.date DESC, contact_note.id LIMIT 25",
        ),
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Wiedervorlagen (Liste)",
        "/myfollowupview/list/",
        (
            "SELECT count(follow_up.id) FROM follow_up WHERE organisation_id = :org_id "
            "AND id IN (SELECT id FROM follow_up WHERE organisation_id = :org_id LIMIT 10001)",
            "SELECT follow_up.*, person.last_name, person.first_name FROM follow_up "
            "JOIN person ON person.id = follow_up.person_id "
            "WHERE follow_up.organisation_id = :org_id "
            "ORDER BY follow_up.due_on, follow_up.id LIMIT 25",
        ),
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Netzwerkpartner (Liste)",
        "/networkpartnerview/list/",
        (
            "SELECT count(*) FROM (SELECT id FROM network_partner LIMIT 10001) AS c",
            "SELECT * FROM network_partner ORDER BY name, id LIMIT 25",
        ),
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "API Netzwerkpartner (Liste)",
        "/api/v1/networkpartner/",
        (
            "SELECT count(*) FROM (SELECT id FROM network_partner LIMIT 10001) AS c",
            "SELECT * FROM network_partner ORDER BY id LIMIT 20",
        ),
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "API Netzwerkpartner (einer)",
        "/api/v1/networkpartner/{partner_id}",
        ("SELECT * FROM network_partner WHERE id = :partner_id",),
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "API Personen (Liste)",
        "/api/v1/person/",
        (_COUNT_PERSONS, _PERSON_PAGE.replace("LIMIT 25", "LIMIT 20")),
        target_ms=LIST_TARGET_MS,
        optional=True,
    ),
    Page(
        "API Person (eine)",
        "/api/v1/person/{person_id}",
        ("SELECT * FROM person WHERE id = :person_id AND organisation_id = :org_id",),
        target_ms=LIST_TARGET_MS,
        optional=True,
    ),
    Page(
        "Statistik Quartal (eigener Träger)",
        "/statistics/?year={year}&quarter={quarter}",
        (_STATS_ORG,),
        target_ms=STATS_TARGET_MS,
    ),
    Page(
        "Statistik Quartal, alle Träger (Prüfer:in)",
        "/statistics-review/?year={year}&quarter={quarter}",
        (_STATS_ALL,),
        user="pruefer",
        target_ms=STATS_TARGET_MS,
    ),
    Page(
        "Auswertungen (SVG-Diagramme, Prüfer:in)",
        "/statistics-review/charts",
        (_STATS_ALL,),
        user="pruefer",
        target_ms=STATS_TARGET_MS,
    ),
    Page(
        "API Statistik Quartal",
        "/api/v1/statistics/quarterly?year={year}&quarter={quarter}",
        (_STATS_ORG,),
        target_ms=STATS_TARGET_MS,
    ),
    Page(
        "Meine Fälle (Case Management)",
        "/casemanagement/mine/",
        (
            "SELECT * FROM cm_case WHERE organisation_id = :org_id AND closed_on IS NULL "
            "ORDER BY step, id LIMIT 100",
        ),
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Lebenslauf PDF",
        "/lebenslauf/{person_id}/pdf",
        (
            "SELECT * FROM person WHERE id = :person_id AND organisation_id = :org_id",
            "SELECT * FROM person_language WHERE person_id = :person_id",
            "SELECT * FROM employment WHERE person_id = :person_id",
        ),
        target_ms=PDF_TARGET_MS,
    ),
    # Sozialbericht PDF/DOCX generation is timed by bench/housing_documents.py.
]

#: the login is measured separately (a fresh session per sign-in; needs the CSRF token)
LOGIN = Page(
    "Anmeldung (POST /login/)",
    "/login/",
    ("SELECT * FROM ab_user WHERE username = :username",),
    method="POST",
)

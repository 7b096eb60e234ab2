"""What the benchmark measures: one line per page or API call.

Add a page by appending a ``Page`` to ``PAGES`` (after a merge: statistics, social report
PDF/DOCX, charts …). ``path`` may use the placeholders ``{person_id}``, ``{note_id}``,
``{partner_id}``, ``{org_id}``, ``{user_id}``, ``{quarter}``, ``{year}``, ``{search}``,
``{draft_report_id}``, ``{final_report_id}``, ``{typo}`` (a misspelled name) (filled by
``params``).
``bare`` holds the SELECTs the page needs at the least, run directly against the database with
the same placeholders as bind parameters (``:org_id`` …): the lower bound for the ratio
portal/bare. ``user`` is a key of ``USERS``. ``optional`` pages are reported as "nicht
vorhanden" when the route answers 404 (e.g. an API that a branch not yet merged adds).
``target_ms`` is the issue's p95 target.

A POST page (``method="POST"``) gets its fields from ``form(params)``; before each POST the
runner GETs ``form_page`` (not timed) and adds that page's fresh ``csrf_token``.
``expect_status`` is the status every repetition must answer (302 for a saved form).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: who signs in: key -> (username, description); demo accounts (password Demo-Passwort-2026)
USERS = {
    "fachkraft": ("fachkraft.caritas", "Fachkraft eines Trägers (eigene Fälle)"),
    "pruefer": ("pruefer", "Prüfer:in des Kreises (alle Träger)"),
    "leitung": ("leitung.caritas", "Leitung eines Trägers (Team, eigener Träger)"),
}

LIST_TARGET_MS = 60.0
CASEFILE_TARGET_MS = 50.0  # issue 16: case file with a 100-note history, national scale
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

# Anlage-1 figures of a quarter: one GROUP BY over the covering index
# (app/services/statistics/counting.py)
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

_CASEFILE = (
    "SELECT person.*, accommodation.name, household.name FROM person "
    "LEFT JOIN accommodation ON accommodation.id = person.accommodation_id "
    "LEFT JOIN household ON household.id = person.household_id "
    "WHERE person.id = :person_id AND person.organisation_id = :org_id",
    "SELECT * FROM contact_note WHERE person_id = :person_id "
    "AND organisation_id = :org_id ORDER BY date DESC, id DESC LIMIT 20",
    "SELECT * FROM follow_up WHERE person_id = :person_id AND done_on IS NULL ORDER BY due_on",
)
# the choices of the inline note form: network partners and the topic catalogue
_NOTE_FORM_CHOICES = (
    "SELECT id, name FROM network_partner ORDER BY name",
    "SELECT code, label_de FROM catalogue_entry WHERE catalogue = 'contact_topic' "
    "AND active ORDER BY sort_order, code",
)
# saving a note by hand: the scoped person, the note, its topic (rolled back by the runner)
_NOTE_SAVE = (
    "SELECT id, organisation_id FROM person WHERE id = :person_id AND organisation_id = :org_id",
    "SELECT code FROM catalogue_entry WHERE catalogue = 'contact_topic' AND active",
    "INSERT INTO contact_note (date, caseworker_id, kind, duration_minutes, interpreter_used, "
    "summary, education_system, return_counselling, person_id, organisation_id, created_at, "
    "updated_at, version) VALUES (:today, :user_id, 'individual', 30, false, "
    "'Benchmark', false, false, :person_id, :org_id, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1) "
    "RETURNING id",
    "INSERT INTO contact_note_topic (contact_note_id, code) "
    "SELECT max(id), 'work' FROM contact_note WHERE person_id = :person_id",
)
# a draft Sozialbericht is rendered from the case file (app/services/social_report.load_facts)
_REPORT_DRAFT = (
    "SELECT social_report.*, person.*, organisation.name, accommodation.name FROM social_report "
    "JOIN person ON person.id = social_report.person_id "
    "JOIN organisation ON organisation.id = person.organisation_id "
    "LEFT JOIN accommodation ON accommodation.id = person.accommodation_id "
    "WHERE social_report.id = :draft_report_id AND social_report.organisation_id = :org_id",
    "SELECT * FROM person WHERE household_id = (SELECT household_id FROM person "
    "WHERE id = :person_id) AND id != :person_id ORDER BY birth_date",
    "SELECT * FROM person_language WHERE person_id = :person_id ORDER BY id",
    "SELECT * FROM employment WHERE person_id = :person_id ORDER BY start_on DESC",
    "SELECT catalogue, code, label_de FROM catalogue_entry WHERE catalogue IN "
    "('social_report_criterion', 'language', 'cefr_level') ORDER BY catalogue, sort_order",
)
_CV = (
    "SELECT * FROM person WHERE id = :person_id AND organisation_id = :org_id",
    "SELECT * FROM person_language WHERE person_id = :person_id",
    "SELECT * FROM person_degree WHERE person_id = :person_id",
    "SELECT * FROM employment WHERE person_id = :person_id",
    "SELECT * FROM integration_course WHERE person_id = :person_id",
    "SELECT catalogue, code, label_de FROM catalogue_entry WHERE catalogue IN ('language', "
    "'cefr_level', 'recognition', 'nationality', 'integration_course_type', 'ik_result')",
)

_CHILDREN_WHERE = (
    "FROM person WHERE person.organisation_id = :org_id AND person.moved_away_on IS NULL "
    "AND person.birth_date > :child_born_after AND person.birth_date <= :child_born_by "
    "AND (NOT EXISTS (SELECT 1 FROM child_place c WHERE c.person_id = person.id "
    "AND c.state = 'attending') OR EXISTS (SELECT 1 FROM child_place c "
    "WHERE c.person_id = person.id AND c.state IN ('requested', 'offered')))"
)
_CHILDREN_COUNT = "SELECT count(person.id) " + _CHILDREN_WHERE
_CHILDREN_PAGE = (
    "SELECT person.id, person.last_name, person.first_name, person.birth_date "
    + _CHILDREN_WHERE
    + " ORDER BY person.last_name, person.first_name, person.id LIMIT 50"
)


_LETTER_PERSON = (
    "SELECT person.*, organisation.name, ab_user.first_name, ab_user.last_name FROM person "
    "JOIN organisation ON organisation.id = person.organisation_id "
    "LEFT JOIN ab_user ON ab_user.id = person.caseworker_id "
    "WHERE person.id = :person_id AND person.organisation_id = :org_id",
)
_LETTER_APPOINTMENT = (
    *_LETTER_PERSON,
    "SELECT * FROM appointment WHERE person_id = :person_id ORDER BY date DESC, id DESC LIMIT 1",
)
_LETTER_HANDOVER = (
    *_LETTER_PERSON,
    "SELECT handover.*, organisation.name FROM handover "
    "JOIN organisation ON organisation.id = handover.to_organisation_id "
    "WHERE handover.person_id = :person_id AND (handover.from_organisation_id = :org_id "
    "OR handover.to_organisation_id = :org_id) ORDER BY handover.id DESC LIMIT 1",
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
    expect_status: int = 200
    form: Callable[[dict[str, Any]], dict[str, str]] | None = None
    form_page: str | None = None


def _note_fields(params: dict[str, Any]) -> dict[str, str]:
    """The inline note form of the case file, filled as a caseworker does (one topic)."""
    return {
        "date": dt.date.today().isoformat(),
        "kind": "individual",
        "duration_minutes": "30",
        "topics": "work",
        "summary": "Benchmark: Beratung zur Arbeitssuche, Unterlagen besprochen.",
        "result": "",
        "partner_id": "",
        "follow_up_on": "",
        "follow_up_title": "",
    }


PAGES: list[Page] = [
    # the landing page (Schreibtisch): the desk's figures in one bundled statement
    Page("Startseite (Fachkraft)", "/", target_ms=LIST_TARGET_MS),
    Page("Startseite (Leitung)", "/", user="leitung", target_ms=LIST_TARGET_MS),
    Page("Startseite (Prüfer:in)", "/", user="pruefer", target_ms=LIST_TARGET_MS),
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
    # a misspelled name (no exact hit): the similar-spelling fallback over every provider,
    # by key (person_name_key) with a limit
    Page(
        "Personensuche, ähnliche Schreibweise, alle Träger (Prüfer:in)",
        "/personview/search?q={typo}",
        (
            "SELECT id FROM person WHERE search_key LIKE '%' || lower(:typo) || '%' LIMIT 50",
            "SELECT person.id, person.first_name, person.last_name, person.birth_date FROM person "
            "WHERE person.id IN (SELECT person_id FROM person_name_key WHERE key IN "
            "('hadat', 'adat', 'hdat', 'haat', 'hadt', 'hada') AND (key = 'hadat' OR pos = -1 "
            "OR (key = 'adat' AND pos = 0) OR (key = 'hdat' AND pos = 1) OR (key = 'haat' AND "
            "pos = 2) OR (key = 'hadt' AND pos = 3) OR (key = 'hada' AND pos = 4))) "
            "ORDER BY person.last_name || '', person.first_name, person.id LIMIT 50",
        ),
        user="pruefer",
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Personenliste (Leitung)",
        "/personview/list/",
        (_COUNT_PERSONS, _PERSON_PAGE),
        user="leitung",
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Fallakte (Personenseite)",
        "/personview/show/{person_id}",
        _CASEFILE,
        target_ms=CASEFILE_TARGET_MS,
    ),
    # The note form has no page of its own: a caseworker writes the note in the form
    # "Kontakt dokumentieren" of the case file (/contactnoteview/add only redirects there).
    Page(
        "Beratungsvermerk-Formular (Fallakte)",
        "/personview/show/{person_id}",
        (*_CASEFILE, *_NOTE_FORM_CHOICES),
        target_ms=CASEFILE_TARGET_MS,
    ),
    Page(
        "Beratungsvermerk speichern",
        "/contactnoteview/document/{person_id}",
        _NOTE_SAVE,
        method="POST",
        target_ms=LIST_TARGET_MS,
        expect_status=302,
        form=_note_fields,
        form_page="/personview/show/{person_id}",
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
    # "Kinder ohne Platz": children 1–17 without an attending or with an open place
    Page(
        "Kinder ohne Platz (Fachkraft)",
        "/kinder-ohne-platz/",
        (_CHILDREN_COUNT, _CHILDREN_PAGE),
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Kinder ohne Platz (Leitung)",
        "/kinder-ohne-platz/",
        (_CHILDREN_COUNT, _CHILDREN_PAGE),
        user="leitung",
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Kostenübernahmen in Bearbeitung (Leitung)",
        "/kostenuebernahmen/",
        (
            "SELECT count(*) FROM referral WHERE cost_approval_state = 'requested' "
            "AND cost_approval_decided_on IS NULL AND organisation_id = :org_id",
            "SELECT referral.id, person.last_name, network_partner.name FROM referral "
            "JOIN person ON person.id = referral.person_id "
            "JOIN network_partner ON network_partner.id = referral.partner_id "
            "WHERE referral.cost_approval_state = 'requested' "
            "AND referral.cost_approval_decided_on IS NULL AND referral.organisation_id = :org_id "
            "ORDER BY referral.cost_approval_requested_on, referral.date, referral.id LIMIT 25",
        ),
        user="leitung",
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Lebenslauf PDF",
        "/lebenslauf/{person_id}/pdf",
        _CV,
        target_ms=PDF_TARGET_MS,
    ),
    Page(
        "Lebenslauf DOCX",
        "/lebenslauf/{person_id}/docx",
        _CV,
        target_ms=PDF_TARGET_MS,
    ),
    Page(
        "Sozialbericht PDF (Entwurf)",
        "/sozialbericht/{draft_report_id}/pdf",
        _REPORT_DRAFT,
        target_ms=PDF_TARGET_MS,
    ),
    Page(
        "Sozialbericht DOCX (Entwurf)",
        "/sozialbericht/{draft_report_id}/docx",
        _REPORT_DRAFT,
        target_ms=PDF_TARGET_MS,
    ),
    # letters to the client (German and the client's language, tagged PDF): the person, her
    # latest appointment / handover, the names of provider and receiver
    Page(
        "Schreiben PDF: Terminzettel (Arabisch)",
        "/schreiben/{person_id}/appointment.pdf?lang=ar",
        _LETTER_APPOINTMENT,
        target_ms=PDF_TARGET_MS,
    ),
    Page(
        "Schreiben PDF: Einwilligung Übergabe (Ukrainisch)",
        "/schreiben/{person_id}/consent_handover.pdf?lang=uk",
        _LETTER_HANDOVER,
        target_ms=PDF_TARGET_MS,
    ),
    Page(
        "Sozialbericht PDF (Endfassung, gespeichert)",
        "/sozialbericht/{final_report_id}/pdf",
        (
            "SELECT id, person_id, series_id, number, status, sha256, pdf FROM social_report "
            "WHERE id = :final_report_id AND organisation_id = :org_id",
            "SELECT file_number FROM person WHERE id = :person_id",
        ),
        target_ms=PDF_TARGET_MS,
    ),
    Page(
        "Qualifikation nach §4.2 (Leitung)",
        "/qualifikation/",
        (
            "SELECT count(*) FROM ab_user WHERE organisation_id = :org_id AND active",
            "SELECT * FROM ab_user WHERE organisation_id = :org_id AND active "
            "ORDER BY last_name, first_name, id LIMIT 50",
            "SELECT * FROM staff_qualification_profile WHERE organisation_id = :org_id",
            "SELECT user_id, max(date) FROM staff_training WHERE organisation_id = :org_id "
            "GROUP BY user_id",
        ),
        user="leitung",
        target_ms=LIST_TARGET_MS,
    ),
    Page(
        "Qualifikation der Träger (Prüfer:in)",
        "/qualifikation-traeger/",
        (
            "SELECT id, organisation_id FROM ab_user WHERE active AND organisation_id IS NOT NULL",
            "SELECT * FROM staff_qualification_profile",
            "SELECT id, name FROM organisation",
        ),
        user="pruefer",
        target_ms=LIST_TARGET_MS,
    ),
]

#: the login is measured separately (a fresh session per sign-in; needs the CSRF token)
LOGIN = Page(
    "Anmeldung (POST /login/)",
    "/login/",
    ("SELECT * FROM ab_user WHERE username = :username",),
    method="POST",
)


#: the person, note and reports the pages are measured on (bench.generate.add_bench_documents)
BENCH_USERNAME = USERS["fachkraft"][0]


def params(conn: Any, today: dt.date | None = None) -> dict[str, Any]:
    """Fill the placeholders from a filled database (``conn``: a SQLAlchemy connection)."""
    from sqlalchemy import text

    user_id, org_id = conn.execute(
        text("SELECT id, organisation_id FROM ab_user WHERE username = :u"),
        {"u": BENCH_USERNAME},
    ).one()
    person_id = bench_person_id(conn, org_id)
    note_id = conn.execute(
        text("SELECT min(id) FROM contact_note WHERE person_id = :p"), {"p": person_id}
    ).scalar()
    partner_id = conn.execute(text("SELECT min(id) FROM network_partner")).scalar()
    reports = dict(
        conn.execute(
            text("SELECT status, max(id) FROM social_report WHERE person_id = :p GROUP BY status"),
            {"p": person_id},
        ).all()
    )
    today = today or dt.date.today()
    quarter = (today.month - 1) // 3 + 1
    q_start = dt.date(today.year, 3 * quarter - 2, 1)
    q_end = (
        dt.date(today.year + 1, 1, 1) if quarter == 4 else dt.date(today.year, 3 * quarter + 1, 1)
    ) - dt.timedelta(days=1)
    return {
        "user_id": user_id,
        "org_id": org_id,
        "person_id": person_id,
        "note_id": note_id,
        "partner_id": partner_id,
        "draft_report_id": reports.get("draft"),
        "final_report_id": reports.get("final"),
        "search": "Hadd",
        # Haddad with its last letter wrong: no exact hit, the similar spelling finds Haddad
        "typo": "Haddat",
        "year": today.year,
        "quarter": quarter,
        "q_start": q_start,
        "q_end": q_end,
        "today": today,
        # "Kinder ohne Platz": born after the day 18 years ago, on or before 1 year ago
        "child_born_after": today.replace(year=today.year - 18, day=min(today.day, 28)),
        "child_born_by": today.replace(year=today.year - 1, day=min(today.day, 28)),
        "username": BENCH_USERNAME,
    }


def bench_person_id(conn: Any, org_id: int) -> int:
    """The bench person: the first person of the bench user's provider with contact notes."""
    from sqlalchemy import text

    return int(
        conn.execute(
            text(
                "SELECT p.id FROM person p WHERE p.organisation_id = :o AND EXISTS "
                "(SELECT 1 FROM contact_note n WHERE n.person_id = p.id) ORDER BY p.id LIMIT 1"
            ),
            {"o": org_id},
        ).scalar_one()
    )

"""Demo data: German organisations, accommodations, partners, accounts and persons.

Persons, notes and follow-ups are bulk-inserted (executemany), so that 100,000 persons load in
minutes (INTERFACES.md).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select

from app.demo.accounts import COUNTY, DEMO_ACCOUNTS, DEMO_PASSWORD, PROVIDERS, SPECIALIST
from app.demo.casefile import load_casefile_demo, uniform_rows
from app.extensions import db
from app.models import (
    Accommodation,
    AccommodationKind,
    ContactNote,
    ContactNoteTopic,
    FollowUp,
    Household,
    MsaUser,
    NetworkPartner,
    Organisation,
    Person,
    PersonNameKey,
)
from app.services.casefile import name_keys
from app.services.casefile.search import search_key
from app.services.catalogues import catalogue_file
from app.services.organisations import DomainError, create_organisation
from app.services.staff.accounts import create_user

#: the demo staff's FTE counts from this day (before the oldest demo assignment)
DEMO_STAFF_SINCE = dt.date(2020, 1, 1)

ACCOMMODATIONS = (
    (
        "ÜWH Am Bahnhof",
        AccommodationKind.transitional_home,
        "Bahnhofstraße 12",
        "12345",
        "Musterstadt",
        120,
    ),
    ("ÜWH Lindenweg", AccommodationKind.transitional_home, "Lindenweg 3", "12347", "Neudorf", 80),
    (
        "Gemeinschaftsunterkunft Parkstraße",
        AccommodationKind.shared_accommodation,
        "Parkstraße 40",
        "12345",
        "Musterstadt",
        60,
    ),
    ("Wohnungen Rosenhof", AccommodationKind.flat, "Rosenhof 1–9", "12349", "Altheim", 30),
)

PARTNERS = (
    (
        "Jobcenter Musterkreis",
        "public_authority",
        "Agentur-Allee 1",
        "Mo–Fr 8–12 Uhr",
        "Deutsch, Englisch, Arabisch",
    ),
    (
        "Ausländerbehörde Musterkreis",
        "public_authority",
        "Kreishausplatz 1",
        "Mo, Di, Do 8–12 Uhr",
        "Deutsch",
    ),
    (
        "Gesundheitsamt Musterkreis",
        "public_authority",
        "Kreishausplatz 3",
        "nach Vereinbarung",
        "Deutsch",
    ),
    (
        "Praxis Dr. Yilmaz (Allgemeinmedizin)",
        "health",
        "Marktstraße 5",
        "Mo–Fr 8–18 Uhr",
        "Deutsch, Türkisch, Kurdisch",
    ),
    ("Grundschule am Park", "education_work", "Parkstraße 2", "Sekretariat 7:30–12 Uhr", "Deutsch"),
    ("Kita Sonnenschein", "education_work", "Sonnenweg 8", "7–16 Uhr", "Deutsch, Englisch"),
    (
        "Volkshochschule Musterkreis",
        "education_work",
        "Bildungsweg 4",
        "Mo–Do 9–18 Uhr",
        "Deutsch",
    ),
    (
        "Willkommensinitiative Musterstadt",
        "civil_society",
        "Kirchplatz 1",
        "Di 16–19 Uhr",
        "Deutsch, Arabisch, Persisch",
    ),
    ("Kreiswohnungsbau GmbH", "housing", "Am Markt 10", "Mo–Fr 9–15 Uhr", "Deutsch"),
    (
        "Migrationsberatung für Erwachsene (MBE)",
        "counselling",
        "Lindenweg 10",
        "Mo–Fr 9–16 Uhr",
        "Deutsch, Russisch, Ukrainisch",
    ),
)

#: demo partner kinds → catalogue ``partner_category``
NAMES: dict[str, dict[str, list[Any]]] = {
    "sy": {
        "m": [
            ("Mohammed", "محمد"),
            ("Ahmad", "أحمد"),
            ("Omar", "عمر"),
            ("Khaled", "خالد"),
            ("Yusuf", "يوسف"),
        ],
        "f": [
            ("Fatima", "فاطمة"),
            ("Aisha", "عائشة"),
            ("Layla", "ليلى"),
            ("Rania", "رانيا"),
            ("Noor", "نور"),
        ],
        "last": [
            ("Al-Hassan", "الحسن"),
            ("Haddad", "حداد"),
            ("Khalil", "خليل"),
            ("Darwish", "درويش"),
            ("Nasser", "ناصر"),
        ],
    },
    "af": {
        "m": [
            ("Ahmad", "احمد"),
            ("Farid", "فرید"),
            ("Javid", "جاوید"),
            ("Hamid", "حمید"),
            ("Mustafa", "مصطفی"),
        ],
        "f": [
            ("Zahra", "زهرا"),
            ("Maryam", "مریم"),
            ("Parwana", "پروانه"),
            ("Shabnam", "شبنم"),
            ("Nadia", "نادیه"),
        ],
        "last": [
            ("Ahmadi", "احمدی"),
            ("Rahimi", "رحیمی"),
            ("Hakimi", "حکیمی"),
            ("Sultani", "سلطانی"),
            ("Karimi", "کریمی"),
        ],
    },
    "ua": {
        "m": [
            ("Oleksandr", "Олександр"),
            ("Dmytro", "Дмитро"),
            ("Andrii", "Андрій"),
            ("Serhii", "Сергій"),
        ],
        "f": [
            ("Olena", "Олена"),
            ("Iryna", "Ірина"),
            ("Natalia", "Наталія"),
            ("Kateryna", "Катерина"),
        ],
        "last": [
            ("Shevchenko", "Шевченко"),
            ("Kovalenko", "Коваленко"),
            ("Bondarenko", "Бондаренко"),
            ("Tkachenko", "Ткаченко"),
        ],
    },
    "er": {
        "m": [("Yonas", "ዮናስ"), ("Tesfay", "ተስፋይ"), ("Dawit", "ዳዊት")],
        "f": [("Selam", "ሰላም"), ("Helen", "ሄለን"), ("Senait", "ሰናይት")],
        "last": [("Tesfamariam", "ተስፋማርያም"), ("Ghebremedhin", "ገብረመድህን"), ("Haile", "ሃይለ")],
    },
    "tr": {
        "m": [("Mehmet", None), ("Emre", None), ("Deniz", None)],
        "f": [("Elif", None), ("Zeynep", None), ("Ayşe", None)],
        "last": [("Yıldız", None), ("Demir", None), ("Çelik", None)],
    },
}

SUMMARIES = (
    ("Antrag auf Leistungen nach dem AsylbLG besprochen", "Formular gemeinsam ausgefüllt"),
    ("Wohnungssuche: Angebote der Kreiswohnungsbau durchgesehen", "Zwei Besichtigungen vereinbart"),
    ("Anmeldung zum Integrationskurs", "Anmeldung bei der VHS abgeschickt"),
    ("Schreiben der Ausländerbehörde erklärt", "Termin zur Verlängerung vorbereitet"),
    ("Schulanmeldung der Kinder", "Unterlagen an die Grundschule übergeben"),
    ("Arztsuche und Krankenschein", "Termin bei Hausarztpraxis vereinbart"),
    ("Bewerbung um einen Ausbildungsplatz", "Lebenslauf überarbeitet"),
    ("Konflikt im Übergangswohnheim", "Gespräch mit der Heimleitung vereinbart"),
    ("Kita-Platz beantragt", "Antrag beim Jugendamt eingereicht"),
    ("Fragen zur Rückkehr ins Herkunftsland", "Informationen zur Rückkehrberatung gegeben"),
)


def _codes(catalogue: str, fallback: list[str]) -> list[str]:
    entries = catalogue_file().get(catalogue) or []
    return [e["code"] for e in entries] or fallback


def ensure_base() -> dict[str, Organisation]:
    orgs = {COUNTY: create_organisation(COUNTY, "county", city="Musterstadt")}
    for name in PROVIDERS:
        orgs[name] = create_organisation(name, "provider", city="Musterstadt")
    orgs[SPECIALIST] = create_organisation(SPECIALIST, "specialist-service", city="Musterstadt")
    if db.session.query(Accommodation).count() == 0:
        for i, (name, kind, street, postcode, city, capacity) in enumerate(ACCOMMODATIONS):
            db.session.add(
                Accommodation(
                    name=name,
                    kind=kind,
                    street=street,
                    postcode=postcode,
                    city=city,
                    capacity=capacity,
                    operator_id=orgs[PROVIDERS[i % 2]].id,
                )
            )
    if db.session.query(NetworkPartner).count() == 0:
        # PARTNERS carry codes of the partner_category catalogue
        for name, category, street, hours, languages in PARTNERS:
            db.session.add(
                NetworkPartner(
                    name=name,
                    category=category,
                    street=street,
                    postcode="12345",
                    city="Musterstadt",
                    opening_hours=hours,
                    languages=languages,
                    services=f"Angebote von {name}",
                    barrier_free=category in ("public_authority", "health"),
                )
            )
    db.session.commit()
    for username, role, org, first, last, fte in DEMO_ACCOUNTS:
        if db.session.query(MsaUser).filter_by(username=username).count():
            continue
        user = create_user(
            username,
            DEMO_PASSWORD,
            role,
            organisation=org,
            fte=fte,
            first_name=first,
            last_name=last,
            email=f"{username}@musterkreis.invalid",
        )
        # the demo staff worked there before the portal: their FTE counts in the past quarters
        # the demo persons were present in
        from app.services.staff.fte_history import fte_since

        fte_since(db.session.connection(), user.id, DEMO_STAFF_SINCE)
        db.session.commit()
    return orgs


@dataclass
class RowContext:
    """What the row builders draw from: owners, staff, catalogues, dates and volumes."""

    owner_ids: list[int]
    workers: dict[int, list[int]]
    accommodation_ids: list[int]
    partner_ids: list[int]
    topics: list[str]
    residence: list[str]
    benefits: list[str]
    family: list[str]
    today: dt.date
    now: dt.datetime
    #: contact notes per adult (uniform between the two) over the last ``note_days`` days
    notes_per_adult: tuple[int, int] = (1, 12)
    note_days: int = 540


@dataclass
class RowBatch:
    """Rows of households, persons, notes, note topics and follow-ups, ready for bulk insert."""

    households: list[dict[str, Any]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    topics: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    #: the similar-spelling search's keys (``person_name_key``)
    name_keys: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> list[tuple[Any, list[dict[str, Any]]]]:
        """(model, rows) in foreign-key order."""
        return [
            (Household, self.households),
            (Person, self.persons),
            (PersonNameKey, self.name_keys),
            (ContactNote, self.notes),
            (ContactNoteTopic, self.topics),
            (FollowUp, self.follow_ups),
        ]


def row_context(owner_ids: list[int], **kw: Any) -> RowContext:
    """Collect staff, accommodations, partners and catalogue codes for the row builders."""
    workers: dict[int, list[int]] = {}
    for user_id, org_id in db.session.execute(
        select(MsaUser.id, MsaUser.organisation_id).where(MsaUser.organisation_id.in_(owner_ids))
    ):
        workers.setdefault(org_id, []).append(user_id)
    for org_id in owner_ids:
        if not workers.get(org_id):
            raise DomainError("Die Organisation hat keine Mitarbeitenden für die Demo-Daten")
    return RowContext(
        owner_ids=owner_ids,
        workers=workers,
        accommodation_ids=[a for (a,) in db.session.execute(select(Accommodation.id))],
        partner_ids=[p for (p,) in db.session.execute(select(NetworkPartner.id))],
        topics=_codes("contact_topic", ["other"]),
        residence=_codes("residence_status", []),
        benefits=_codes("benefit_basis", []),
        family=_codes("marital_status", []),
        today=dt.date.today(),
        now=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        **kw,
    )


def next_ids() -> tuple[int, int, int]:
    """The next free ids of person, household and contact note (rows get explicit ids)."""
    return (
        (db.session.execute(select(func.max(Person.id))).scalar() or 0) + 1,
        (db.session.execute(select(func.max(Household.id))).scalar() or 0) + 1,
        (db.session.execute(select(func.max(ContactNote.id))).scalar() or 0) + 1,
    )


def build_household(
    rng: random.Random,
    ctx: RowContext,
    batch: RowBatch,
    ids: tuple[int, int, int],
    max_size: int,
) -> tuple[int, int, int]:
    """Append one household with its members, their notes and follow-ups; return next ids."""
    pid, hid, nid = ids
    today, now = ctx.today, ctx.now
    org_id = rng.choice(ctx.owner_ids)
    workers = ctx.workers[org_id]
    nat = rng.choice(list(NAMES))
    last, last_orig = rng.choice(NAMES[nat]["last"])
    size = min(rng.choice([1, 1, 2, 3, 4, 5, 6]), max_size)
    batch.households.append({"id": hid, "organisation_id": org_id, "name": f"Familie {last}"})
    assigned = today - dt.timedelta(days=rng.randint(30, 900))
    accommodation = rng.choice(ctx.accommodation_ids) if ctx.accommodation_ids else None
    own_housing = (
        assigned + dt.timedelta(days=rng.randint(200, 800)) if rng.random() < 0.2 else None
    )
    if own_housing and own_housing > today:
        own_housing = None
    caseworker = rng.choice(workers)
    for member in range(size):
        sex = "f" if (member == 1 or rng.random() < 0.45) else "m"
        first, first_orig = rng.choice(NAMES[nat][sex])
        adult = member < 2
        birth = today - dt.timedelta(
            days=rng.randint(19 * 365, 60 * 365) if adult else rng.randint(365, 17 * 365)
        )
        batch.persons.append(
            {
                "id": pid,
                "organisation_id": org_id,
                "file_number": f"MSA-{pid:06d}",
                "first_name": first,
                "last_name": last,
                # the search field's key (bulk rows bypass the mapper events)
                "search_key": search_key(first, last),
                "first_name_original": first_orig,
                "last_name_original": last_orig,
                "birth_date": birth,
                "sex": {"f": "female", "m": "male"}[sex],
                "nationality": nat,
                "residence_status": rng.choice(ctx.residence) if ctx.residence else None,
                "benefit_basis": rng.choice(ctx.benefits) if ctx.benefits else None,
                "family_status": rng.choice(ctx.family) if ctx.family and adult else None,
                "household_id": hid,
                "household_role": "Haushaltsvorstand"
                if member == 0
                else ("Partner:in" if member == 1 else "Kind"),
                "accommodation_id": accommodation,
                "employable": adult,
                "assigned_on": assigned,
                "moved_in_own_housing_on": own_housing,
                "moved_away_on": None,
                "caseworker_id": caseworker,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        batch.name_keys.extend(name_keys.rows(pid, first, last))
        if adult:
            for _ in range(rng.randint(*ctx.notes_per_adult)):
                day = today - dt.timedelta(days=rng.randint(0, ctx.note_days))
                summary, result = rng.choice(SUMMARIES)
                batch.notes.append(
                    {
                        "id": nid,
                        "organisation_id": org_id,
                        "person_id": pid,
                        "caseworker_id": rng.choice(workers),
                        "date": day,
                        "kind": "accompaniment" if rng.random() < 0.2 else "individual",
                        "duration_minutes": rng.choice([15, 30, 45, 60, 90]),
                        "interpreter_used": rng.random() < 0.3,
                        "summary": summary,
                        "result": result,
                        "education_system": "Schul" in summary or rng.random() < 0.05,
                        "return_counselling": "Rückkehr" in summary,
                        "partner_id": rng.choice(ctx.partner_ids)
                        if ctx.partner_ids and rng.random() < 0.2
                        else None,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                for code in rng.sample(ctx.topics, k=min(len(ctx.topics), rng.randint(1, 2))):
                    batch.topics.append({"contact_note_id": nid, "code": code})
                nid += 1
            if rng.random() < 0.3:
                batch.follow_ups.append(
                    {
                        "organisation_id": org_id,
                        "person_id": pid,
                        "assignee_id": caseworker,
                        "due_on": today + dt.timedelta(days=rng.randint(-10, 30)),
                        "title": rng.choice(
                            [
                                "Unterlagen nachreichen",
                                "Termin Ausländerbehörde",
                                "Rückruf Jobcenter",
                                "Kita-Antrag prüfen",
                            ]
                        ),
                        "source": "manual",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        pid += 1
    return pid, hid + 1, nid


def load_demo_data(
    persons: int = 300, seed: int = 1, organisation: str | None = None
) -> dict[str, int]:
    """Create the demo organisations and accounts, then ``persons`` persons with histories."""
    rng = random.Random(seed)
    orgs = ensure_base()
    if organisation:
        target = db.session.query(Organisation).filter_by(name=organisation).one_or_none()
        if target is None:
            raise DomainError(f"Organisation '{organisation}' gibt es nicht")
        owner_ids = [target.id]
    else:
        owner_ids = [orgs[p].id for p in PROVIDERS] + [orgs[SPECIALIST].id]
    ctx = row_context(owner_ids)
    ids = next_ids()
    start_id = ids[0]
    batch = RowBatch()
    while ids[0] - start_id < persons:
        ids = build_household(rng, ctx, batch, ids, persons - (ids[0] - start_id))
    for model, rows in batch.tables():
        _bulk(model, rows)
    # bulk rows bypass the mapper events: every new person's first custody period (figures)
    from app.services.intake.custody import open_custody

    open_custody(db.session.connection())
    db.session.commit()
    reset_sequences()
    load_casefile_demo(seed, since_person_id=start_id - 1)
    from app.demo.data_protection import load_demo_data_protection

    load_demo_data_protection()
    from app.demo.case_management import load_demo_cases

    cases = load_demo_cases(rng, start_id)
    from app.demo.housing import load_housing_demo

    load_housing_demo(owner_ids)
    from app.demo.cooperation import load_cooperation_demo

    load_cooperation_demo(owner_ids)

    # last: the submitted quarter is closed for writes dated in it
    from app.demo.statistics import load_demo_reports

    reports = load_demo_reports()
    return {
        "Organisationen": db.session.query(Organisation).count(),
        "Personen": len(batch.persons),
        "Haushalte": len(batch.households),
        "Beratungsvermerke": len(batch.notes),
        "Wiedervorlagen": len(batch.follow_ups),
        "Quartalsmeldungen": reports,
        "Case-Management-Fälle": cases,
    }


def _bulk(model: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    for i in range(0, len(rows), chunk):
        db.session.execute(insert(model.__table__), uniform_rows(rows[i : i + chunk]))


def reset_sequences() -> None:
    """Move PostgreSQL sequences past explicitly inserted ids."""
    if db.engine.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for table in ("person", "household", "contact_note"):
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  # nosec B608
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
        )
    db.session.commit()

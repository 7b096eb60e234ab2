"""Fill a migrated database at county, state or national scale — bulk SQL only.

Rows come from the demo-data row builders (``app.demo.data.build_household``), with
benchmark volumes: ~30 contact notes per adult and year (uniform 10–50 over the last 365 days),
households of 1–6, providers with staff at 80 persons per full-time equivalent and FTE between
0.5 and 1.0. PostgreSQL is filled with ``COPY … FROM STDIN`` (psycopg), SQLite with
``executemany`` in chunks inside one transaction. Persons are produced in chunks, so memory stays
flat at national scale.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, text

#: persons per scale and the number of providers they are spread over
SCALES: dict[str, tuple[int, int]] = {
    "county": (3_000, 3),
    "state": (50_000, 40),
    "national": (2_000_000, 1_500),
}
#: the lopsided county: one provider holds most persons (the bench user's provider), its
#: caseworkers carry ~2,000 open files each, every adult has a long note history
LOPSIDED = "lopsided"
LOPSIDED_PERSONS = 20_000
LOPSIDED_OTHERS = 1_000  # persons spread over the other providers
LOPSIDED_CASEWORKERS = 10  # of the big provider, the bench caseworker among them
LOPSIDED_NOTES = (20, 60)  # notes per adult …
LOPSIDED_NOTE_DAYS = 730  # … over two years
CHUNK_PERSONS = 20_000
CASELOAD_PER_FTE = 80
#: the bench person's case file carries this many contact notes (issue 16: a 100-note history)
BENCH_HISTORY_NOTES = 100


@dataclass
class GenerationResult:
    persons: int
    households: int
    notes: int
    topics: int
    follow_ups: int
    providers: int
    staff: int
    seconds: float


def parse_scale(scale: str) -> tuple[int, int]:
    """``county``/``state``/``national``/``lopsided`` or a number of persons (providers: one
    per 1,250)."""
    if scale == LOPSIDED:
        return LOPSIDED_PERSONS + LOPSIDED_OTHERS, 3
    if scale in SCALES:
        return SCALES[scale]
    persons = int(scale)
    return persons, max(3, persons // 1_250)


def _extra_providers(count: int, persons: int) -> list[int]:
    """Create ``count`` further providers with caseworkers (bulk), return their ids."""
    from app.extensions import db
    from app.models import MsaUser, Organisation
    from app.models.organisation import OrganisationKind
    from app.security import matrix

    if count <= 0:
        return []
    existing = {n for (n,) in db.session.execute(select(Organisation.name))}
    rows = [
        {
            "name": f"Träger {i:04d} Migrationssozialarbeit e.V.",
            "kind": OrganisationKind.provider,
            "city": "Musterstadt",
        }
        for i in range(1, count + 1)
        if f"Träger {i:04d} Migrationssozialarbeit e.V." not in existing
    ]
    if rows:
        db.session.execute(insert(Organisation.__table__), rows)
    org_ids = [
        i
        for (i,) in db.session.execute(
            select(Organisation.id).where(Organisation.name.like("Träger %"))
        )
    ]
    password = db.session.execute(
        select(MsaUser.password).where(MsaUser.username == "fachkraft.caritas")
    ).scalar()
    role_id = db.session.execute(
        text("SELECT id FROM ab_role WHERE name = :n"), {"n": matrix.ROLE_CASEWORKER}
    ).scalar()
    rng = random.Random(7)
    per_provider = persons / max(1, count + 3)
    users: list[dict[str, Any]] = []
    for org_id in org_ids:
        staff = max(1, round(per_provider / CASELOAD_PER_FTE / 0.8))
        for s in range(staff):
            users.append(
                {
                    "first_name": "Fach",
                    "last_name": f"Kraft {org_id}-{s}",
                    "username": f"fk{org_id}.{s}",
                    "email": f"fk{org_id}.{s}@traeger.invalid",
                    "password": password,
                    "active": True,
                    "organisation_id": org_id,
                    "fte": Decimal(rng.choice(["0.5", "0.75", "1.0", "1.0"])),
                    "session_epoch": 0,
                }
            )
    if users:
        db.session.execute(insert(MsaUser.__table__), users)
        new_ids = db.session.execute(
            select(MsaUser.id).where(MsaUser.username.like("fk%"))
        ).scalars()
        db.session.execute(
            text("INSERT INTO ab_user_role (user_id, role_id) VALUES (:u, :r)"),
            [{"u": u, "r": role_id} for u in new_ids],
        )
    db.session.commit()
    return org_ids


def _copy_rows(conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    dbapi = conn.connection.driver_connection
    with dbapi.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in cols])


def _insert_rows(conn: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, model.__table__.name, rows)
        return
    cols = list(rows[0])
    sql = (
        f"INSERT INTO {model.__table__.name} ({', '.join(cols)}) "  # nosec B608
        f"VALUES ({', '.join('?' for _ in cols)})"
    )
    for i in range(0, len(rows), 10_000):
        conn.exec_driver_sql(sql, [tuple(r[c] for c in cols) for r in rows[i : i + 10_000]])


def add_bench_documents() -> dict[str, int]:
    """Give the bench person CV data, a Sozialbericht (final version 1, draft version 2) and a
    history of ``BENCH_HISTORY_NOTES`` contact notes.

    Idempotent (a person who already has reports keeps them, notes are only topped up). Returns
    the report ids by status.
    """
    import datetime as dt

    from sqlalchemy import func

    from app.demo.housing import ASSESSMENTS, _cv_data
    from app.extensions import db
    from app.models import (
        ContactNote,
        ContactNoteTopic,
        MsaUser,
        Person,
        PersonLanguage,
        SocialReport,
    )
    from app.services.housing import social_report
    from bench.pages import BENCH_USERNAME, bench_person_id

    author = db.session.scalars(select(MsaUser).where(MsaUser.username == BENCH_USERNAME)).one()
    person = db.session.get(
        Person, bench_person_id(db.session.connection(), author.organisation_id)
    )
    assert person is not None  # nosec B101 - bench_person_id found it
    missing = BENCH_HISTORY_NOTES - db.session.scalar(
        select(func.count(ContactNote.id)).where(ContactNote.person_id == person.id)
    )
    if missing > 0:
        topics = db.session.scalars(
            select(ContactNoteTopic.code).distinct().order_by(ContactNoteTopic.code).limit(3)
        ).all() or ["arbeit"]
        today = dt.date.today()
        # dated inside the current month: a quarter already submitted must not change
        for i in range(missing):
            db.session.add(
                ContactNote(
                    person=person,
                    organisation_id=person.organisation_id,
                    date=today - dt.timedelta(days=i % today.day),
                    caseworker_id=author.id,
                    duration_minutes=30 + i % 4 * 15,
                    summary=f"Beratungsgespräch {i + 1}: Anliegen besprochen, nächste Schritte "
                    "vereinbart. " * (1 + i % 5),
                    topics=[ContactNoteTopic(code=topics[i % len(topics)])],
                )
            )
        db.session.commit()
    if (
        db.session.scalars(
            select(PersonLanguage.id).where(PersonLanguage.person_id == person.id)
        ).first()
        is None
    ):
        _cv_data(person, author)
        db.session.commit()
    if (
        db.session.scalars(
            select(SocialReport.id).where(SocialReport.person_id == person.id)
        ).first()
        is None
    ):
        draft = social_report.create_draft(
            person,
            author=author,
            assessments=ASSESSMENTS,
            recommendation="Die Wohnfähigkeit ist gegeben; der Umzug wird befürwortet.",
        )
        social_report.new_version(social_report.finalise(draft, author=author), author=author)
    _letter_records(person, author)
    rows = db.session.execute(
        select(SocialReport.status, SocialReport.id).where(SocialReport.person_id == person.id)
    ).all()
    return {str(status): int(report_id) for status, report_id in rows}


def _letter_records(person: Any, author: Any) -> None:
    """What the client letters of the benchmark print: an appointment of the bench person and
    a handover offer to another provider (withdrawn, so the file stays where it is and no page
    shows a pending handover). Idempotent."""
    import datetime as dt

    from app.extensions import db
    from app.models import Appointment, Handover, Organisation
    from app.models.organisation import OrganisationKind

    if (
        db.session.scalars(select(Appointment.id).where(Appointment.person_id == person.id)).first()
        is None
    ):
        db.session.add(
            Appointment(
                owner_id=author.id,
                person_id=person.id,
                organisation_id=person.organisation_id,
                date=dt.date.today() + dt.timedelta(days=7),
                start_time=dt.time(10, 0),
                end_time=dt.time(11, 0),
                title="Beratungsgespräch",
                place="Beratungsstelle, Raum 2",
                interpreter_needed=True,
            )
        )
        db.session.commit()
    if db.session.scalars(select(Handover.id).where(Handover.person_id == person.id)).first():
        return
    receiver = db.session.scalar(
        select(Organisation.id)
        .where(
            Organisation.id != person.organisation_id,
            Organisation.kind == OrganisationKind.provider,
        )
        .order_by(Organisation.id)
        .limit(1)
    )
    if receiver is None:
        return
    db.session.add(
        Handover(
            person_id=person.id,
            from_organisation_id=person.organisation_id,
            to_organisation_id=receiver,
            scope="full",
            consent_given=True,
            consent_on=dt.date.today(),
            status="withdrawn",
            offered_by_id=author.id,
        )
    )
    db.session.commit()


def _lopsided_staff(org_id: int, count: int) -> list[int]:
    """The caseworkers of the big provider: the demo caseworkers plus bulk ones up to
    ``count`` (the bench caseworker first); return their ids."""
    from app.extensions import db
    from app.models import MsaUser
    from app.security import matrix

    role_id = db.session.execute(
        text("SELECT id FROM ab_role WHERE name = :n"), {"n": matrix.ROLE_CASEWORKER}
    ).scalar()
    ids = [
        int(i)
        for (i,) in db.session.execute(
            text(
                "SELECT u.id FROM ab_user u JOIN ab_user_role ur ON ur.user_id = u.id "
                "WHERE u.organisation_id = :o AND ur.role_id = :r ORDER BY u.id"
            ),
            {"o": org_id, "r": role_id},
        )
    ]
    password = db.session.execute(
        select(MsaUser.password).where(MsaUser.username == "fachkraft.caritas")
    ).scalar()
    extra = [
        {
            "first_name": "Fach",
            "last_name": f"Kraft L{i}",
            "username": f"fkl.{i}",
            "email": f"fkl.{i}@traeger.invalid",
            "password": password,
            "active": True,
            "organisation_id": org_id,
            "fte": Decimal("1.0"),
            "session_epoch": 0,
        }
        for i in range(max(0, count - len(ids)))
    ]
    if extra:
        db.session.execute(insert(MsaUser.__table__), extra)
        new_ids = list(db.session.scalars(select(MsaUser.id).where(MsaUser.username.like("fkl.%"))))
        db.session.execute(
            text("INSERT INTO ab_user_role (user_id, role_id) VALUES (:u, :r)"),
            [{"u": u, "r": role_id} for u in new_ids],
        )
        ids += new_ids
    db.session.commit()
    return ids[:count]


def _fill(
    ctx: Any,
    persons: int,
    rng: random.Random,
    totals: dict[str, int],
    started: float,
    log: Any,
    time_budget: float | None,
) -> bool:
    """Append ``persons`` persons (households, notes, follow-ups) in chunks; False when the
    time budget ran out."""
    from app.demo import data as demo_data
    from app.extensions import db

    ids = demo_data.next_ids()
    start_id = ids[0]
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
    while ids[0] - start_id < persons:
        batch = demo_data.RowBatch()
        chunk_end = min(persons, ids[0] - start_id + CHUNK_PERSONS)
        while ids[0] - start_id < chunk_end:
            ids = demo_data.build_household(rng, ctx, batch, ids, persons - (ids[0] - start_id))
        for model, rows in batch.tables():
            _insert_rows(conn, model, rows)
        db.session.commit()
        conn = db.session.connection()
        for key in totals:
            totals[key] += len(getattr(batch, key))
        elapsed = time.perf_counter() - started
        log(
            f"  {totals['persons']:>9,} Personen, {totals['notes']:>11,} Vermerke "
            f"({elapsed:,.0f} s)"
        )
        if time_budget is not None and elapsed > time_budget:
            log(f"  Zeitbudget von {time_budget:.0f} s erreicht — Abbruch")
            return False
    return True


def generate(
    scale: str, seed: int = 1, log: Any = print, time_budget: float | None = None
) -> GenerationResult:
    """Fill the app's database (inside an app context) with ``scale`` persons.

    ``lopsided``: ``LOPSIDED_PERSONS`` persons in the bench user's provider, shared by
    ``LOPSIDED_CASEWORKERS`` caseworkers (so the bench caseworker has ~2,000 open files), with
    long note histories; ``LOPSIDED_OTHERS`` persons over the other providers.
    """
    from app.demo import data as demo_data
    from app.extensions import db

    started = time.perf_counter()
    persons, providers = parse_scale(scale)
    orgs = demo_data.ensure_base()
    base_owners = [orgs[p].id for p in demo_data.PROVIDERS] + [orgs[demo_data.SPECIALIST].id]
    totals = dict.fromkeys(("households", "persons", "notes", "topics", "follow_ups"), 0)
    rng = random.Random(seed)
    if scale == LOPSIDED:
        owner_ids = base_owners
        big = base_owners[0]
        volumes = {"notes_per_adult": LOPSIDED_NOTES, "note_days": LOPSIDED_NOTE_DAYS}
        ctx = demo_data.row_context([big], **volumes)
        ctx.workers[big] = _lopsided_staff(big, LOPSIDED_CASEWORKERS)
        staff = len(ctx.workers[big])
        if _fill(ctx, LOPSIDED_PERSONS, rng, totals, started, log, time_budget):
            ctx = demo_data.row_context(base_owners[1:], **volumes)
            staff += sum(len(v) for v in ctx.workers.values())
            _fill(ctx, LOPSIDED_OTHERS, rng, totals, started, log, time_budget)
    else:
        owner_ids = base_owners + _extra_providers(providers - len(base_owners), persons)
        ctx = demo_data.row_context(owner_ids, notes_per_adult=(10, 50), note_days=365)
        staff = sum(len(v) for v in ctx.workers.values())
        _fill(ctx, persons, rng, totals, started, log, time_budget)
    demo_data.reset_sequences()
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        db.session.commit()
        raw = db.engine.raw_connection()
        try:
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            with raw.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
        finally:
            raw.close()
    else:
        conn.exec_driver_sql("ANALYZE")
        db.session.commit()
    add_bench_documents()
    return GenerationResult(
        persons=totals["persons"],
        households=totals["households"],
        notes=totals["notes"],
        topics=totals["topics"],
        follow_ups=totals["follow_ups"],
        providers=len(owner_ids),
        staff=staff,
        seconds=time.perf_counter() - started,
    )

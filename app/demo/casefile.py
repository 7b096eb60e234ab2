"""Demo data of the case file: sub-records, group sessions, referrals, name keys (bulk)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, insert, select, update

from app.extensions import db
from app.models import (
    ContactNote,
    Employment,
    GroupSession,
    IntegrationCourse,
    NetworkPartner,
    Person,
    PersonDegree,
    PersonLanguage,
    PersonVulnerability,
    Referral,
)
from app.models.contact import group_participant
from app.services.casefile.duplicates import name_key

ROLE_CODES = {"Haushaltsvorstand": "head_of_household", "Partner:in": "spouse", "Kind": "child"}
LANGUAGE_OF = {"sy": "ar", "af": "prs", "ua": "uk", "er": "ti", "tr": "tr"}
EMPLOYERS = ("Bäckerei", "Baufirma", "Krankenhaus", "Schneiderei", "Autowerkstatt", "Schule")
GROUP_TOPICS = (
    ("Mülltrennung und Hausordnung", "housing"),
    ("Das deutsche Schulsystem", "language_culture"),
    ("Wie finde ich eine Wohnung?", "housing"),
    ("Arbeitsmarkt und Bewerbung", "work"),
    ("Gesundheitsversorgung und Krankenkasse", "health"),
)


def uniform_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every row of a bulk insert the same keys (missing ones as NULL).

    An executemany INSERT is compiled from the first row: a later row without one of its keys
    failed ("A value is required for bind parameter 'certificate'"), and a key only later rows
    had was silently dropped.
    """
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    return [{key: row.get(key) for key in keys} for row in rows]


def load_casefile_demo(seed: int = 1, since_person_id: int = 0) -> dict[str, int]:
    """Add languages, degrees, employment, courses, vulnerabilities, group sessions, referrals."""
    rng = random.Random(seed + 101)
    today = dt.date.today()
    for old, new in ROLE_CODES.items():
        db.session.execute(
            update(Person).where(Person.household_role == old).values(household_role=new)
        )
    persons = db.session.execute(
        select(
            Person.id,
            Person.organisation_id,
            Person.first_name,
            Person.last_name,
            Person.birth_date,
            Person.nationality,
            Person.caseworker_id,
        ).where(Person.id > since_person_id)
    ).all()
    from app.services.casefile.search import search_key

    keys = [
        {
            "pid": p.id,
            "key": name_key(p.first_name, p.last_name),
            "skey": search_key(p.first_name, p.last_name),
        }
        for p in persons
    ]
    if keys:
        from sqlalchemy import bindparam

        db.session.execute(
            update(Person.__table__)
            .where(Person.__table__.c.id == bindparam("pid"))
            .values(name_key=bindparam("key"), search_key=bindparam("skey")),
            keys,
        )
        from app.services.casefile.name_keys import rebuild

        rebuild(db.session.connection(), [k["pid"] for k in keys])
    partner_ids = [i for (i,) in db.session.execute(select(NetworkPartner.id))]
    rows: dict[Any, list[dict[str, Any]]] = {
        PersonLanguage: [],
        PersonDegree: [],
        Employment: [],
        IntegrationCourse: [],
        PersonVulnerability: [],
        Referral: [],
    }
    by_org: dict[int, list[Any]] = {}
    for p in persons:
        by_org.setdefault(p.organisation_id, []).append(p)
        owner = {"person_id": p.id, "organisation_id": p.organisation_id}
        age = (today - p.birth_date).days // 365
        rows[PersonLanguage].append(
            {**owner, "language": LANGUAGE_OF.get(p.nationality or "", "en"), "level": "native"}
        )
        if age >= 16:
            rows[PersonLanguage].append(
                {
                    **owner,
                    "language": "de",
                    "level": rng.choice(["a1", "a2", "b1", "b2"]),
                    "certificate": rng.choice([None, "telc", "Goethe-Zertifikat"]),
                }
            )
            if rng.random() < 0.5:
                rows[PersonDegree].append(
                    {
                        **owner,
                        "kind": rng.choice(["vocational", "bachelor", "work_experience_only"]),
                        "title": rng.choice(
                            ["Elektriker", "Lehrerin", "Krankenpfleger", "Schneiderin"]
                        ),
                        "country": p.nationality,
                        "year": p.birth_date.year + rng.randint(18, 25),
                        "recognition_status": rng.choice(["not_applied", "in_progress", "full"]),
                    }
                )
            if rng.random() < 0.4:
                start = dt.date(p.birth_date.year + 20, rng.randint(1, 12), 1)
                rows[Employment].append(
                    {
                        **owner,
                        "employer": rng.choice(EMPLOYERS),
                        "position": rng.choice(["Helfer:in", "Fachkraft", "Aushilfe"]),
                        "start_on": start,
                        "end_on": start + dt.timedelta(days=rng.randint(200, 2000)),
                        "country": p.nationality,
                    }
                )
            if rng.random() < 0.5:
                start = today - dt.timedelta(days=rng.randint(30, 500))
                done = start + dt.timedelta(days=240) < today
                rows[IntegrationCourse].append(
                    {
                        **owner,
                        "course": rng.choice(["general", "women", "parents", "literacy"]),
                        "start_on": start,
                        "end_on": start + dt.timedelta(days=240),
                        "outcome": rng.choice(["certificate", "a2"]) if done else "ongoing",
                        "completed": done,
                    }
                )
            if partner_ids and rng.random() < 0.25:
                rows[Referral].append(
                    {
                        **owner,
                        "partner_id": rng.choice(partner_ids),
                        "date": today - dt.timedelta(days=rng.randint(0, 400)),
                        "topic_code": rng.choice(["work", "housing", "health"]),
                        "note": "Termin vereinbart",
                        "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                        "updated_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    }
                )
        if age < 18 and rng.random() < 0.2:
            rows[PersonVulnerability].append({**owner, "code": "minor"})
        elif rng.random() < 0.08:
            rows[PersonVulnerability].append(
                {**owner, "code": rng.choice(["disability", "single_parent", "serious_illness"])}
            )
    for model, data in rows.items():
        for i in range(0, len(data), 5000):
            if data[i : i + 5000]:
                db.session.execute(insert(model.__table__), uniform_rows(data[i : i + 5000]))
    sessions = 0
    start_id = (db.session.execute(select(func.max(GroupSession.id))).scalar() or 0) + 1
    session_rows: list[dict[str, Any]] = []
    participant_rows: list[dict[str, Any]] = []
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for org_id, members in by_org.items():
        worker = next((m.caseworker_id for m in members if m.caseworker_id), None)
        if worker is None or len(members) < 3:
            continue
        for _ in range(min(12, max(2, len(members) // 10))):
            topic, code = rng.choice(GROUP_TOPICS)
            session_rows.append(
                {
                    "id": start_id + sessions,
                    "organisation_id": org_id,
                    "caseworker_id": worker,
                    "date": today - dt.timedelta(days=rng.randint(0, 540)),
                    "topic": topic,
                    "topic_code": code,
                    "duration_minutes": 90,
                    "interpreter_used": rng.random() < 0.5,
                    "education_system": code == "language_culture",
                    "return_counselling": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            for m in rng.sample(members, k=min(len(members), rng.randint(3, 12))):
                participant_rows.append(
                    {"group_session_id": start_id + sessions, "person_id": m.id}
                )
            sessions += 1
    if session_rows:
        db.session.execute(insert(GroupSession.__table__), session_rows)
        db.session.execute(insert(group_participant), participant_rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql" and session_rows:
        from sqlalchemy import text

        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('group_session', 'id'), "
                "COALESCE((SELECT MAX(id) FROM group_session), 1))"
            )
        )
        db.session.commit()
    return {
        "Sprachkenntnisse": len(rows[PersonLanguage]),
        "Gruppenberatungen": sessions,
        "Vermittlungen": len(rows[Referral]),
        "Vermerke": db.session.execute(select(func.count(ContactNote.id))).scalar() or 0,
    }

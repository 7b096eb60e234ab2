"""Information for the data subject (Art. 15 DSGVO, R-8.3): everything stored about a person.

Generic over the schema: the person row, every model mixing in ``PersonOwned`` (including the
special categories in ``PersonSensitive`` and tables added later), shares, group sessions the
person took part in and the access log of the person. The export itself is logged (``export``).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select

from app.extensions import db
from app.models import AccessLog, GroupSession, Household, Organisation, Person, PersonShare
from app.models.base import utcnow
from app.models.contact import group_participant
from app.services.retention import person_owned_tables

#: German headings of the known tables (others are shown with their table name)
TABLE_TITLES = {
    "person_sensitive": "Besondere Kategorien personenbezogener Daten",
    "person_language": "Sprachkenntnisse",
    "person_degree": "Abschlüsse",
    "employment": "Beruflicher Werdegang",
    "integration_course": "Integrationskurse",
    "person_vulnerability": "Vulnerabilitäten",
    "contact_note": "Beratungsvermerke",
    "follow_up": "Wiedervorlagen",
    "referral": "Vermittlungen",
    "file_audit_item": "Aktenprüfungen",
}


class SubjectAccessError(LookupError):
    """The person does not exist."""


def _value(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, bytes):
        return f"<{len(v)} Bytes>"
    return v


def _rows(table: Table, where: Any) -> list[dict[str, Any]]:
    result = db.session.execute(select(table).where(where).execution_options(msa_unscoped=True))
    return [{k: _value(v) for k, v in row._mapping.items()} for row in result]


def collect(person_id: int) -> dict[str, Any]:
    """Return everything stored about one person as plain JSON-ready data."""
    person_table = Person.__table__
    assert isinstance(person_table, Table)
    persons = _rows(person_table, person_table.c.id == person_id)
    if not persons:
        raise SubjectAccessError(f"Person {person_id} nicht gefunden")
    person = persons[0]
    org = db.session.get(Organisation, person["organisation_id"])
    records: dict[str, list[dict[str, Any]]] = {}
    for table in sorted(person_owned_tables(), key=lambda t: t.name):
        rows = _rows(table, table.c.person_id == person_id)
        if rows:
            records[table.name] = rows
    # rows of tables below a PersonOwned table (e.g. topics of a contact note)
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent.name in records and table.name not in records and fk.parent.table is table:
                ids = [r[fk.column.name] for r in records[parent.name]]
                rows = _rows(table, fk.parent.in_(ids))
                if rows:
                    records[table.name] = rows
    share_table = PersonShare.__table__
    assert isinstance(share_table, Table)
    shares = _rows(share_table, share_table.c.person_id == person_id)
    sessions = db.session.execute(
        select(
            GroupSession.id, GroupSession.date, GroupSession.topic, GroupSession.duration_minutes
        )
        .join(group_participant, group_participant.c.group_session_id == GroupSession.id)
        .where(group_participant.c.person_id == person_id)
        .order_by(GroupSession.date)
        .execution_options(msa_unscoped=True)
    ).all()
    household = None
    if person.get("household_id"):
        h = db.session.execute(
            select(Household.id, Household.name)
            .where(Household.id == person["household_id"])
            .execution_options(msa_unscoped=True)
        ).first()
        household = {"id": h.id, "name": h.name} if h else None
    log = db.session.execute(
        select(AccessLog)
        .where(AccessLog.person_id == person_id)
        .order_by(AccessLog.at)
        .execution_options(msa_unscoped=True)
    ).scalars()
    return {
        "generated_at": utcnow().isoformat(timespec="seconds"),
        "legal_basis": "Art. 15 DSGVO, § 83 SGB X",
        "controller": org.name if org else None,
        "person": person,
        "household": household,
        "records": records,
        "shares": shares,
        "group_sessions": [
            {"id": s.id, "date": _value(s.date), "topic": s.topic, "duration": s.duration_minutes}
            for s in sessions
        ],
        "access_log": [
            {
                "at": _value(e.at),
                "user": e.username,
                "action": e.action,
                "category": e.category,
            }
            for e in log
        ],
    }


def export_json(person_id: int) -> bytes:
    """Return the Art. 15 export as UTF-8 JSON and log the export."""
    data = collect(person_id)
    _log(person_id, "json")
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def export_pdf(person_id: int) -> bytes:
    """Return the Art. 15 export as a readable PDF and log the export."""
    from app.services.documents import render_pdf

    data = collect(person_id)
    sections = [
        {"title": TABLE_TITLES.get(name, name), "rows": rows}
        for name, rows in data["records"].items()
    ]
    pdf = render_pdf("subject_access", {**data, "sections": sections})
    _log(person_id, "pdf")
    return pdf


def _log(person_id: int, fmt: str) -> None:
    from app.services.access_log import log_access

    log_access(person_id, "export", category="auskunft_art15", detail=f"Format {fmt}")

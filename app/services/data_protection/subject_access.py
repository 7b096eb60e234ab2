"""Information for the data subject (Art. 15 DSGVO, R-8.3): everything stored about a person.

Generic over the schema: the person row, every model mixing in ``PersonOwned`` (including the
special categories in ``PersonSensitive`` and tables added later), shares, group sessions the
person took part in and the access log of the person. The export itself is logged (``export``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import LargeBinary, Table, func, select

from app.extensions import db
from app.models import (
    AccessLog,
    GroupSession,
    Handover,
    Household,
    Organisation,
    Person,
    PersonShare,
)
from app.models.base import utcnow
from app.models.contact import group_participant
from app.services import catalogues
from app.services.bundle import Bundle
from app.services.case_management import special
from app.services.data_protection.retention import person_owned_tables

#: German headings of the known tables (others are shown with their table name)
TABLE_TITLES = {
    "person_sensitive": "Besondere Kategorien personenbezogener Daten",
    "person_language": "Sprachkenntnisse",
    "person_degree": "Abschlüsse",
    "employment": "Beruflicher Werdegang",
    "integration_course": "Integrationskurse",
    "person_vulnerability": "Vulnerabilitäten",
    "child_place": "Kita-, Schul- und Hortplätze",
    "contact_note": "Beratungsvermerke",
    "follow_up": "Wiedervorlagen",
    "referral": "Vermittlungen",
    "file_audit_item": "Aktenprüfungen",
    "appointment": "Termine",
    "cm_case": "Case Management",
    "cm_event": "Case Management: Verlauf",
    "cm_first_interview": "Case Management: Erstgespräch",
    "cm_assessment_entry": "Case Management: Assessment",
    "cm_goal": "Case Management: Ziele",
    "cm_help_plan": "Case Management: Hilfeplan",
    "cm_help_plan_task": "Case Management: Aufgaben im Hilfeplan",
    "cm_service": "Case Management: Leistungen Dritter",
    "cm_conference": "Case Management: Fallkonferenzen",
    "cm_monitoring": "Case Management: Monitoring",
    "cm_closure": "Case Management: Abschluss",
    "move_procedure": "Umzug in eigenen Wohnraum",
    "move_step": "Umzug: Schritte",
    "hardship_procedure": "Härtefallverfahren",
    "social_report": "Sozialberichte",
    "contact_note_topic": "Themen der Beratungsvermerke",
    "handover": "Übergaben zwischen Trägern",
}


class SubjectAccessError(LookupError):
    """The person does not exist."""


def _value(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, bytes):
        return f"<{len(v)} Bytes>"
    return v


def _select(table: Table, where: Any) -> Any:
    """All columns of ``table``; binary columns (stored PDFs) as their length only."""
    columns = [
        func.length(c).label(c.name) if isinstance(c.type, LargeBinary) else c for c in table.c
    ]
    return select(*columns).where(where)


def _dicts(table: Table, rows: list[Any]) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts; binary columns (read as their length) as ``<n Bytes>``."""
    binary = {c.name for c in table.c if isinstance(c.type, LargeBinary)}
    return [
        {
            k: (f"<{v} Bytes>" if k in binary and v is not None else _value(v))
            for k, v in row._asdict().items()
        }
        for row in rows
    ]


def _tables() -> tuple[list[Table], list[tuple[Table, Any]]]:
    """PersonOwned tables, and tables below them with their foreign key (e.g. note topics)."""
    owned = sorted(person_owned_tables(), key=lambda t: t.name)
    names = {t.name for t in owned}
    children: list[tuple[Table, Any]] = []
    for table in db.metadata.sorted_tables:
        if table.name in names:
            continue
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent.name in names and fk.parent.table is table:
                children.append((table, fk))
                break
    return owned, children


def _gather(person_id: int) -> dict[str, Any]:
    """Everything stored about one person, as typed rows by table.

    All tables in ONE statement (``app.services.bundle``), unscoped: the data protection
    officer answers for every provider.
    """
    person_table = Person.__table__
    share_table = PersonShare.__table__
    assert isinstance(person_table, Table) and isinstance(share_table, Table)
    owned, children = _tables()
    bundle = Bundle()
    bundle.add("person", _select(person_table, person_table.c.id == person_id))
    bundle.add(
        "organisation",
        select(Organisation.name).where(
            Organisation.id
            == select(Person.organisation_id).where(Person.id == person_id).scalar_subquery()
        ),
    )
    bundle.add(
        "household",
        select(Household.id, Household.name).where(
            Household.id
            == select(Person.household_id).where(Person.id == person_id).scalar_subquery()
        ),
    )
    for table in owned:
        bundle.add(f"t:{table.name}", _select(table, table.c.person_id == person_id))
    for table, fk in children:
        parent = fk.column.table
        owner_ids = select(fk.column).where(parent.c.person_id == person_id)
        bundle.add(f"t:{table.name}", _select(table, fk.parent.in_(owner_ids)))
    bundle.add("shares", _select(share_table, share_table.c.person_id == person_id))
    handover_table = Handover.__table__
    assert isinstance(handover_table, Table)
    bundle.add(
        "handovers",
        _select(handover_table, handover_table.c.person_id == person_id).order_by(
            handover_table.c.offered_at
        ),
    )
    bundle.add(
        "sessions",
        select(
            GroupSession.id, GroupSession.date, GroupSession.topic, GroupSession.duration_minutes
        )
        .join(group_participant, group_participant.c.group_session_id == GroupSession.id)
        .where(group_participant.c.person_id == person_id)
        .order_by(GroupSession.date),
    )
    bundle.add(
        "log",
        select(AccessLog.at, AccessLog.username, AccessLog.action, AccessLog.category)
        .where(AccessLog.person_id == person_id)
        .order_by(AccessLog.at),
    )
    data = bundle.run(unscoped=True)
    if not data["person"]:
        raise SubjectAccessError(f"Person {person_id} nicht gefunden")
    return {"data": data, "tables": [person_table, *owned, *(t for t, _fk in children)]}


def collect(person_id: int) -> dict[str, Any]:
    """Return everything stored about one person as plain JSON-ready data."""
    gathered = _gather(person_id)
    data = gathered["data"]
    person_table, share_table = Person.__table__, PersonShare.__table__
    assert isinstance(person_table, Table) and isinstance(share_table, Table)
    persons = _dicts(person_table, data["person"])
    records: dict[str, list[dict[str, Any]]] = {}
    for table in gathered["tables"][1:]:
        rows = _dicts(table, data[f"t:{table.name}"])
        if table.name == "cm_assessment_entry":
            # special categories typed into the assessment are exported as such
            rows, special_rows = special.split_rows(rows)
            if special_rows:
                records[special.EXPORT_KEY] = special_rows
        if rows:
            records[table.name] = rows
    household = next(iter(data["household"]), None)
    return {
        "generated_at": utcnow().isoformat(timespec="seconds"),
        "legal_basis": "Art. 15 DSGVO, § 83 SGB X",
        "controller": next(iter(data["organisation"]), None),
        "person": persons[0],
        "household": {"id": household.id, "name": household.name} if household else None,
        "records": records,
        "shares": _dicts(share_table, data["shares"]),
        "handovers": _dicts(Handover.__table__, data["handovers"]),
        "group_sessions": [
            {"id": s.id, "date": _value(s.date), "topic": s.topic, "duration": s.duration_minutes}
            for s in data["sessions"]
        ],
        "access_log": [
            {"at": _value(e.at), "user": e.username, "action": e.action, "category": e.category}
            for e in data["log"]
        ],
    }


def export_json(person_id: int) -> bytes:
    """Return the Art. 15 export as UTF-8 JSON and log the export."""
    data = collect(person_id)
    _log(person_id, "json")
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def export_pdf(person_id: int) -> bytes:
    """Return the Art. 15 export as a readable PDF (German labels and values) and log it."""
    from app.formatting import de_date, de_datetime
    from app.services.data_protection.export_display import Names, readable_rows
    from app.services.documents import render_pdf

    gathered = _gather(person_id)
    data = gathered["data"]
    tables = [
        (table.name, [row._asdict() for row in data["person" if i == 0 else f"t:{table.name}"]])
        for i, table in enumerate(gathered["tables"])
    ]
    shares = [row._asdict() for row in data["shares"]]
    handovers = [row._asdict() for row in data["handovers"]]
    names = Names(
        [*tables, ("handover", handovers)],
        organisation_ids=[s["organisation_id"] for s in shares]
        + [h[k] for h in handovers for k in ("from_organisation_id", "to_organisation_id")],
    )
    by_name = dict(tables)
    # the topics belong to their note: one line "Themen" instead of a section of their own
    topics: dict[int, list[str]] = {}
    for row in by_name.pop("contact_note_topic", []):
        topics.setdefault(row["contact_note_id"], []).append(row["code"])
    person_name, person_rows = tables[0]
    household = next(iter(data["household"]), None)
    person_fields = readable_rows(person_name, person_rows, names)[0]
    if household:
        person_fields = [
            (label, household.name if label == "Haushalt" else value)
            for label, value in person_fields
        ]
    sections: list[dict[str, Any]] = []
    for name, rows in by_name.items():
        if name == person_name or not rows:
            continue
        if "date" in rows[0]:  # notes, referrals, appointments: in the order they happened
            rows = sorted(rows, key=lambda r: (r["date"] is None, r["date"] or dt.date.min))
        if name == "cm_assessment_entry":
            # special categories typed into the assessment: a section of their own
            rows, special_rows = special.split_rows(rows)
            if special_rows:
                sections.append(
                    {
                        "title": special.EXPORT_TITLE,
                        "rows": readable_rows(name, special_rows, names),
                    }
                )
            if not rows:
                continue
        readable = readable_rows(name, rows, names)
        if name == "contact_note":
            topic_labels = catalogues.labels("contact_topic")
            for row, fields in zip(rows, readable, strict=True):
                codes = topics.get(row["id"])
                if codes:
                    fields.append(
                        ("Themen", ", ".join(topic_labels.get(c, c) for c in sorted(codes)))
                    )
        sections.append({"title": TABLE_TITLES.get(name, name), "rows": readable})
    if handovers:
        sections.append(
            {"title": TABLE_TITLES["handover"], "rows": readable_rows("handover", handovers, names)}
        )
    pdf = render_pdf(
        "subject_access",
        {
            "generated_at": de_datetime(utcnow()),
            "legal_basis": "Art. 15 DSGVO, § 83 SGB X",
            "controller": next(iter(data["organisation"]), None),
            "person": person_rows[0],
            "person_fields": person_fields,
            "sections": sections,
            "shares": [
                {
                    "organisation": names.organisations.get(s["organisation_id"], "–"),
                    "consent_on": de_date(s["consent_on"]),
                    "until": de_date(s["until"]) if s["until"] else None,
                }
                for s in shares
            ],
            "group_sessions": [
                {"date": de_date(s.date), "topic": s.topic} for s in data["sessions"]
            ],
            "access_log": _log_lines(data["log"]),
        },
    )
    _log(person_id, "pdf")
    return pdf


def _log_lines(entries: Iterable[Any]) -> list[dict[str, str]]:
    """The access log for the reader, in German: entries of the same minute, account and action
    in a row are one line with their categories (a read of the special categories logs one row
    per category); the machine-readable export keeps every row."""
    from app.formatting import de_datetime
    from app.services.data_protection.access_log import ACTION_LABELS, category_label

    lines: list[dict[str, Any]] = []
    for e in entries:
        at = de_datetime(e.at)
        action = ACTION_LABELS.get(e.action, e.action)
        label = category_label(e.category) if e.category else ""
        last = lines[-1] if lines else None
        if (
            last is not None
            and (last["at"], last["user"], last["action"]) == (at, e.username, action)
            and label
            and label not in last["categories"]
        ):  # one more category of the same read; a second read is a line of its own
            last["categories"].append(label)
            continue
        lines.append({"at": at, "user": e.username, "action": action, "categories": [label]})
    return [
        {**line, "category": ", ".join(c for c in line["categories"] if c) or "–"} for line in lines
    ]


def _log(person_id: int, fmt: str) -> None:
    from app.services.data_protection.access_log import log_access

    log_access(person_id, "export", category="auskunft_art15", detail=f"Format {fmt}")

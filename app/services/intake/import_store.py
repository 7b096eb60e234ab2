"""Zuweisungsliste in the browser: the uploaded list, its stored analysis and its end.

The file is read and analysed ONCE per upload (and again only when the column mapping
changes); the rows are stored (``AssignmentImportRow``) and the preview pages from them with
SQL — never by reading the file again. The confirmation rebuilds the parsed rows from the
store, matches them again against the persons known now (a person created since the preview
is found, not doubled) and writes them, with the upload's status, in ONE transaction
(:func:`app.services.intake.assignment_import.apply`). Control characters are refused while
analysing (the row is an error), so nothing the confirmation writes can hold them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, insert, select

from app import dates
from app.extensions import db
from app.models.base import utcnow
from app.models.intake import AssignmentImport, AssignmentImportRow
from app.services.errors import DomainError, unit_of_work
from app.services.intake import assignment_import as imp
from app.services.intake.import_table import iter_table

_INSERT_CHUNK = 2000
_DATE_FIELDS = ("birth_date", "assigned_on")


class ImportStepError(DomainError):
    """The upload cannot go on (file unreadable, column missing, not open any more)."""


#: the stored rows' JSON: one encoder for all rows (``json.dumps`` with arguments builds a new
#: one per call), compact separators
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"))
#: fields whose parsed value is the cell's text (stored once, in ``values``)
_MIRRORED = ("last_name", "first_name", "file_number", "household")


def _payload(r: imp.RowResult, parse_errors: list[tuple[str, str]]) -> str:
    """A row as stored: what the preview shows and what the confirmation needs. Compact: a
    parsed value equal to its cell's text, a shown value equal to the cell, empty lists and
    empty ids are left out (:func:`row_from_payload` restores them)."""
    values = r.values
    data: dict[str, Any] = {}
    for k, v in r.data.items():
        if k in _MIRRORED and k in values and v == values[k]:
            continue
        data[k] = v.isoformat() if isinstance(v, dt.date) else v
    payload: dict[str, Any] = {"values": values, "data": data}
    shown = {k: v for k, v in r.shown.items() if values.get(k) != v}
    if shown:
        payload["shown"] = shown
    for key, messages in (
        ("errors", r.errors),
        ("parse_errors", parse_errors),
        ("warnings", r.warnings),
    ):
        if messages:
            payload[key] = messages
    for key, value in (
        ("provider", r.provider),
        ("organisation_id", r.organisation_id),
        ("person_id", r.person_id),
        ("household_id", r.household_id),
    ):
        if value is not None:
            payload[key] = value
    return _ENCODER.encode(payload)


def row_from_payload(row: int, status: str, text: str, *, parsed: bool = False) -> imp.RowResult:
    """A stored row; ``parsed``: as it was before matching (for the confirmation)."""
    p = json.loads(text)
    values = p["values"]
    data = dict(p["data"])
    for fld in _MIRRORED:
        if fld not in data and fld in values:
            data[fld] = values[fld]
    for fld in _DATE_FIELDS:
        if data.get(fld):
            data[fld] = dates.parse_date(data[fld])
    errors = [(str(e[0]), str(e[1])) for e in p.get("parse_errors" if parsed else "errors") or ()]
    result = imp.RowResult(
        row,
        values,
        status=("error" if errors else "new") if parsed else status,
        errors=errors,
        data=data,
        warnings=[(str(w[0]), str(w[1])) for w in p.get("warnings") or ()],
        shown={**values, **(p.get("shown") or {})},
    )
    result.organisation_id = p.get("organisation_id")
    result.provider = p.get("provider")
    if not parsed:
        result.person_id = p.get("person_id")
        result.household_id = p.get("household_id")
    return result


def _analyse(
    record: AssignmentImport,
    mapping: dict[str, str],
    table: Iterable[tuple[int, list[Any]]] | None = None,
) -> imp.Analysis:
    """Analyse the file once and store its rows, replacing an older analysis."""
    with imp.cycles_paused():
        return _analyse_and_store(record, mapping, table)


def _analyse_and_store(
    record: AssignmentImport,
    mapping: dict[str, str],
    table: Iterable[tuple[int, list[Any]]] | None,
) -> imp.Analysis:
    parse_errors: dict[int, list[tuple[str, str]]] = {}
    analysis = imp.analyse(record.content or b"", record.filename, mapping, parse_errors, table)
    db.session.execute(
        delete(AssignmentImportRow).where(AssignmentImportRow.import_id == record.id)
    )
    batch: list[dict[str, Any]] = []
    for r in analysis.rows:
        batch.append(
            {
                "import_id": record.id,
                "row": r.row,
                "status": r.status,
                "payload": _payload(r, parse_errors.get(r.row, [])),
            }
        )
        if len(batch) >= _INSERT_CHUNK:
            _store(batch)
            batch = []
    if batch:
        _store(batch)
    fields = {f: imp.FIELDS[f] for f in imp.FIELDS if f in analysis.layout.columns}
    record.analysis = json.dumps(
        {
            "summary": analysis.details(),
            "fields": fields,
            "header_row": analysis.layout.header_row,
            "skipped": analysis.skipped[:50],
            "matched": sorted({r.person_id for r in analysis.rows if r.person_id is not None}),
        },
        ensure_ascii=False,
    )
    record.analysed_at = utcnow()
    return analysis


def _store(batch: list[dict[str, Any]]) -> None:
    """One multi-row insert (executemany) of analysed rows, past the ORM's bookkeeping."""
    db.session.connection().execute(insert(AssignmentImportRow.__table__), batch)


def upload(content: bytes, filename: str, *, actor: Any) -> AssignmentImport:
    """Store an uploaded list; analyse it at once when its header needs no mapping step.

    Raises :class:`ImportStepError` (German) when the file cannot be read."""
    try:
        # the header from the first rows; the analysis reads on from there (one pass)
        rows_in = iter_table(content, filename)
        head = list(itertools.islice(rows_in, imp.HEADER_SEARCH_ROWS))
        layout = imp.locate_header(head)
        table = itertools.chain(head, rows_in)
    except imp.ImportFileError as exc:
        raise ImportStepError(str(exc), key="file") from None
    with unit_of_work() as session:
        record = AssignmentImport(
            filename=(filename or "liste")[:255], content=content, created_by_id=actor.id
        )
        session.add(record)
        session.flush()
        if not layout.missing and not layout.unmapped:
            try:
                _analyse(record, {}, table)
            except imp.ImportFileError as exc:
                raise ImportStepError(str(exc), key="file") from None
    return record


def remap(record: AssignmentImport, mapping: dict[str, str]) -> imp.Layout:
    """Keep the column mapping; analyse again when every required column is mapped."""
    try:
        rows_in = iter_table(record.content or b"", record.filename)
        head = list(itertools.islice(rows_in, imp.HEADER_SEARCH_ROWS))
        layout = imp.locate_header(head, mapping)
        table = itertools.chain(head, rows_in)
    except imp.ImportFileError as exc:
        raise ImportStepError(str(exc), key="file") from None
    with unit_of_work():
        record.mapping = imp.dumps_mapping(mapping)
        if not layout.missing:
            try:
                _analyse(record, mapping, table)
            except imp.ImportFileError as exc:
                raise ImportStepError(str(exc), key="file") from None
    return layout


def ensure_analysed(record: AssignmentImport) -> dict[str, Any]:
    """The stored analysis (made now if the upload has none yet, e.g. accepted headers)."""
    if record.analysis is None:
        with unit_of_work():
            try:
                _analyse(record, imp.loads_mapping(record.mapping))
            except imp.ImportFileError as exc:
                raise ImportStepError(str(exc), key="file") from None
    result: dict[str, Any] = json.loads(record.analysis or "{}")
    return result


def stored_rows(
    record: AssignmentImport, *, page: int, size: int, only_errors: bool
) -> tuple[list[imp.RowResult], int]:
    """One page of the stored rows and the number of pages (at least 1)."""
    where = [AssignmentImportRow.import_id == record.id]
    if only_errors:
        # rows that will not be imported: errors and conflicts (identifier and name disagree)
        where.append(AssignmentImportRow.status.in_(("error", "conflict")))
    total = int(db.session.scalar(select(func.count(AssignmentImportRow.id)).where(*where)) or 0)
    pages = max(1, (total + size - 1) // size)
    page = min(max(1, page), pages)
    found = db.session.execute(
        select(AssignmentImportRow.row, AssignmentImportRow.status, AssignmentImportRow.payload)
        .where(*where)
        .order_by(AssignmentImportRow.row)
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return [row_from_payload(n, st, text) for n, st, text in found], pages


def confirm(record: AssignmentImport, *, channel: str = "Browser") -> dict[str, Any]:
    """Import the stored analysis: match again, write and close the upload in ONE transaction."""
    if record.status != "preview":
        raise ImportStepError("Die Liste ist nicht mehr offen.", key="closed", status=409)
    meta = ensure_analysed(record)
    rows = [
        row_from_payload(n, st, text, parsed=True)
        for n, st, text in db.session.execute(
            select(AssignmentImportRow.row, AssignmentImportRow.status, AssignmentImportRow.payload)
            .where(AssignmentImportRow.import_id == record.id)
            .order_by(AssignmentImportRow.row)
        )
    ]
    imp.judge(rows)
    layout = imp.Layout(int(meta.get("header_row", 1)), [], {}, [])
    skipped = list(range(int(meta.get("summary", {}).get("skipped_rows", 0))))
    analysis = imp.Analysis(record.filename, layout, rows, skipped)
    imp.apply(analysis, channel=channel, record=record)
    return analysis.details()


def discard(record: AssignmentImport) -> None:
    """Discard an uploaded list without importing it (file and analysed rows emptied)."""
    if record.status != "preview":
        raise ImportStepError("Die Liste ist nicht mehr offen.", key="closed", status=409)
    with unit_of_work() as session:
        record.status = "discarded"
        record.content = None
        record.analysis = None
        session.execute(
            delete(AssignmentImportRow).where(AssignmentImportRow.import_id == record.id)
        )


__all__ = [
    "ImportStepError",
    "confirm",
    "discard",
    "ensure_analysed",
    "remap",
    "row_from_payload",
    "stored_rows",
    "upload",
]

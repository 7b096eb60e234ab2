"""REST resources of the contact records (INTERFACES.md): contact note, group session, referral,
follow-up — each written only through its domain verbs (app.services.casefile.notes, contacts,
follow_ups); this module translates requests and answers.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import select

from app.extensions import db
from app.models import (
    ContactNote,
    ContactNoteTopic,
    FollowUp,
    GroupSession,
    Person,
    Referral,
    group_participant,
)
from app.security import matrix
from app.services.casefile.contacts import create_group_session, update_group_session
from app.services.casefile.follow_ups import (
    create_follow_up,
    create_referral,
    update_follow_up,
    update_referral,
)
from app.services.casefile.notes import create_note, update_note
from app.services.record_payloads import (
    FieldSpec,
    visible_row,
)
from app.views.casefile.record_api import VerbRecordApi

NOTE_FIELDS = [
    "person_id",
    "date",
    "kind",
    "topics",
    "summary",
    "result",
    "education_system",
    "return_counselling",
    "duration_minutes",
    "interpreter_used",
    "partner_id",
]


def _topic_map(note_ids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {i: {"topics": []} for i in note_ids}
    if not note_ids:
        return out
    rows = db.session.execute(
        select(ContactNoteTopic.contact_note_id, ContactNoteTopic.code)
        .where(ContactNoteTopic.contact_note_id.in_(note_ids))
        .order_by(ContactNoteTopic.code)
    )
    for note_id, code in rows:
        out[note_id]["topics"].append(code)
    return out


class ContactNoteApi(VerbRecordApi):
    """REST: /api/v1/contactnote/ — counselling contacts (R-3.1)."""

    resource_name = "contactnote"
    datamodel = SQLAInterface(ContactNote)
    class_permission_name = matrix.CONTACT_NOTE
    versioned = True
    read_log_category = "contact_note"
    _columns = [c for c in NOTE_FIELDS if c != "topics"]
    list_columns = ["id", *_columns, "caseworker_id", "version"]
    show_columns = ["id", *_columns, "caseworker_id", "version", "created_at", "updated_at"]
    add_columns = edit_columns = _columns
    search_columns = ["person", "date", "kind", "education_system", "return_counselling"]
    order_columns = ["date", "id"]
    base_order = ("date", "desc")

    def add_specs(self) -> dict[str, FieldSpec]:
        """The shapes of the fields (a date is a date, a flag a flag); every rule of a note —
        limits, catalogue, kind, partner, closed quarters — is app.services.casefile.notes'."""
        return {
            "person_id": FieldSpec("ref", required=True, model=Person),
            "date": FieldSpec("date"),
            "summary": FieldSpec("text"),
            "result": FieldSpec("text"),
            "education_system": FieldSpec("bool"),
            "return_counselling": FieldSpec("bool"),
            "interpreter_used": FieldSpec("bool"),
        }

    RAW_FIELDS = ("kind", "topics", "duration_minutes", "partner_id")

    def create(self, data: dict[str, Any], within: Any) -> Any:
        person = visible_row(Person, data.pop("person_id"))
        return create_note(
            person,
            actor=g.user,
            summary=data.pop("summary", None) or "",
            date=data.pop("date", None),
            kind=data.pop("kind", "individual"),
            within=within,
            **data,
        )

    def update(self, item: Any, data: dict[str, Any]) -> Any:
        version = data.pop("version")
        return update_note(item, actor=g.user, version=version, changes=data)

    def extras(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        # the notes just read are in the session with their topics (``lazy="selectin"``):
        # take the codes from there instead of a second query
        loaded = [db.session.identity_map.get(db.session.identity_key(ContactNote, i)) for i in ids]
        if all(n is not None and "topics" in n.__dict__ for n in loaded):
            return {n.id: {"topics": sorted(n.topic_codes)} for n in loaded if n is not None}
        return _topic_map(ids)


GROUP_FIELDS = [
    "date",
    "topic",
    "topic_code",
    "participant_ids",
    "education_system",
    "return_counselling",
    "duration_minutes",
    "interpreter_used",
    "summary",
]


class GroupSessionApi(VerbRecordApi):
    """REST: /api/v1/groupsession/ — one session, many participants (R-3.2)."""

    resource_name = "groupsession"
    datamodel = SQLAInterface(GroupSession)
    class_permission_name = matrix.GROUP_SESSION
    read_log_category = "group_session"
    _columns = [c for c in GROUP_FIELDS if c != "participant_ids"]
    list_columns = ["id", *_columns, "caseworker_id"]
    show_columns = ["id", *_columns, "caseworker_id", "created_at", "updated_at"]
    add_columns = edit_columns = _columns
    search_columns = ["date", "topic", "topic_code"]
    order_columns = ["date", "id"]
    base_order = ("date", "desc")
    RAW_FIELDS = ("topic", "topic_code", "duration_minutes")

    def add_specs(self) -> dict[str, FieldSpec]:
        """Shapes only; the rules are app.services.casefile.contacts' (participants must be
        persons the caller may see)."""
        return {
            "date": FieldSpec("date"),
            "participant_ids": FieldSpec("refs", model=Person),
            "education_system": FieldSpec("bool"),
            "return_counselling": FieldSpec("bool"),
            "interpreter_used": FieldSpec("bool"),
            "summary": FieldSpec("text"),
        }

    def create(self, data: dict[str, Any], within: Any) -> Any:
        return create_group_session(
            actor=g.user,
            date=data.pop("date", None),
            topic=data.pop("topic", None) or "",
            participant_ids=data.pop("participant_ids", None) or [],
            within=within,
            **data,
        )

    def update(self, item: Any, data: dict[str, Any]) -> Any:
        return update_group_session(item, actor=g.user, changes=data)

    def extras(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {i: {"participant_ids": []} for i in ids}
        if not ids:
            return out
        rows = db.session.execute(
            select(group_participant.c.group_session_id, group_participant.c.person_id)
            .join(Person, Person.id == group_participant.c.person_id)
            .where(group_participant.c.group_session_id.in_(ids))
            .order_by(group_participant.c.person_id)
        )
        for session_id, person_id in rows:
            out[session_id]["participant_ids"].append(person_id)
        return out


REFERRAL_FIELDS = [
    "person_id",
    "partner_id",
    "date",
    "topic_code",
    "contact_note_id",
    "note",
    "outcome",
    "started_on",
    "cost_approval_state",
    "cost_approval_requested_on",
    "cost_approval_decided_on",
    "cost_approval_reference",
]


class ReferralApi(VerbRecordApi):
    """REST: /api/v1/referral/ — referrals to network partners (R-6.2)."""

    resource_name = "referral"
    datamodel = SQLAInterface(Referral)
    class_permission_name = matrix.REFERRAL
    read_log_category = "referral"
    list_columns = show_columns = ["id", *REFERRAL_FIELDS, "created_at"]
    add_columns = edit_columns = REFERRAL_FIELDS
    search_columns = ["person", "partner", "date", "topic_code"]
    order_columns = ["date", "id"]
    base_order = ("date", "desc")
    RAW_FIELDS = ("partner_id", "topic_code", "outcome", "cost_approval_state")

    def add_specs(self) -> dict[str, FieldSpec]:
        """Shapes only; the rules are app.services.casefile.follow_ups' (the cost approval:
        app.services.casefile.cost_approval)."""
        return {
            "person_id": FieldSpec("ref", required=True, model=Person),
            "date": FieldSpec("date"),
            "contact_note_id": FieldSpec("ref", model=ContactNote),
            "note": FieldSpec("text"),
            "started_on": FieldSpec("date"),
            "cost_approval_requested_on": FieldSpec("date"),
            "cost_approval_decided_on": FieldSpec("date"),
            "cost_approval_reference": FieldSpec("str"),
        }

    def create(self, data: dict[str, Any], within: Any) -> Any:
        person = visible_row(Person, data.pop("person_id"))
        return create_referral(
            person,
            actor=g.user,
            partner_id=data.pop("partner_id", None),
            date=data.pop("date", None),
            within=within,
            **data,
        )

    def update(self, item: Any, data: dict[str, Any]) -> Any:
        return update_referral(item, actor=g.user, changes=data)


FOLLOW_UP_FIELDS = ["person_id", "assignee_id", "due_on", "title", "done_on", "contact_note_id"]


class FollowUpApi(VerbRecordApi):
    """REST: /api/v1/followup/ — follow-ups (Wiedervorlagen) (R-3.4)."""

    resource_name = "followup"
    datamodel = SQLAInterface(FollowUp)
    class_permission_name = matrix.FOLLOW_UP
    read_log_category = "follow_up"
    list_columns = show_columns = ["id", *FOLLOW_UP_FIELDS, "source", "created_at"]
    add_columns = edit_columns = FOLLOW_UP_FIELDS
    search_columns = ["person", "due_on", "done_on", "title"]
    order_columns = ["due_on", "id"]
    base_order = ("due_on", "asc")
    RAW_FIELDS = ("assignee_id", "title")

    def add_specs(self) -> dict[str, FieldSpec]:
        """Shapes only; the rules are app.services.casefile.follow_ups'."""
        return {
            "person_id": FieldSpec("ref", required=True, model=Person),
            "due_on": FieldSpec("date"),
            "done_on": FieldSpec("date"),
            "contact_note_id": FieldSpec("ref", model=ContactNote),
        }

    def create(self, data: dict[str, Any], within: Any) -> Any:
        person = visible_row(Person, data.pop("person_id"))
        return create_follow_up(
            person,
            actor=g.user,
            due_on=data.pop("due_on", None),
            title=data.pop("title", None) or "",
            within=within,
            **data,
        )

    def update(self, item: Any, data: dict[str, Any]) -> Any:
        return update_follow_up(item, actor=g.user, changes=data)


APIS = (ContactNoteApi, GroupSessionApi, ReferralApi, FollowUpApi)


def register(appbuilder: AppBuilder) -> None:
    """Register the contact-record REST resources."""
    for api in APIS:
        appbuilder.add_api(api)

"""REST resource of the children's places: /api/v1/childplace/ (Kita, Schule, Hort).

Written only through the sub-record verbs (app.services.casefile.records:
``create_child_place``, ``update_child_place``), the same rules as the case file's form;
reads are row-scoped like every case record (the reviewer's reads access-logged).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import ChildPlace, Person
from app.security import matrix
from app.services.casefile.records import create_record, update_child_place
from app.services.record_payloads import FieldSpec, visible_row
from app.views.casefile.record_api import VerbRecordApi

PLACE_FIELDS = [
    "kind",
    "type_code",
    "state",
    "requested_on",
    "offered_on",
    "attending_from",
    "ended_on",
    "partner_id",
    "institution",
    "notes",
]


class ChildPlaceApi(VerbRecordApi):
    """REST: /api/v1/childplace/ — a child's Kita, school or Hort place (§3.1.2)."""

    resource_name = "childplace"
    datamodel = SQLAInterface(ChildPlace)
    class_permission_name = matrix.PERSON
    read_log_category = "case_file"
    list_columns = ["id", "person_id", *PLACE_FIELDS, "organisation_id"]
    show_columns = [*list_columns, "created_at", "updated_at"]
    add_columns = edit_columns = ["person_id", *PLACE_FIELDS]
    search_columns = ["person_id", "kind", "state", "requested_on", "attending_from"]
    order_columns = ["requested_on", "attending_from", "id"]
    base_order = ("id", "asc")

    #: every field of the place goes to the verb as sent: it reads the dates
    #: (app/dates.py) and checks kind, type, state, order of the days and the institution
    RAW_FIELDS = tuple(PLACE_FIELDS)

    def add_specs(self) -> dict[str, FieldSpec]:
        """Shapes only: the child must be a person the caller can see."""
        return {"person_id": FieldSpec("ref", required=True, model=Person)}

    def create(self, data: dict[str, Any], within: Any) -> Any:
        person = visible_row(Person, data.pop("person_id"))
        return create_record("child_place", person, actor=g.user, values=data, within=within)

    def update(self, item: Any, data: dict[str, Any]) -> Any:
        return update_child_place(item, actor=g.user, **data)

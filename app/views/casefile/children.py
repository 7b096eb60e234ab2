"""Kinder: Kita, Schule, Hort — the case file section of a household and the list
"Kinder ohne Platz" (Fachkonzept §3.1.2).

The section lists each child under 18 of the person's household (or the person, when a
minor) with its places and a short form to record a new one; its reads join the ONE bundle
statement of the case file page. The places are written by the sub-record verbs
(app/services/casefile/records.py) through :class:`~app.views.casefile.records.ChildPlaceView`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import abort, g, request
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import or_, select

from app.dates import de_date
from app.extensions import db
from app.models import ChildPlace, NetworkPartner, Organisation, Person
from app.models.person import CHILD_PLACE_KINDS, CHILD_PLACE_STATES
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.casefile import child_places
from app.services.casefile.persons import age_on, catalogue_choices
from app.services.catalogues import labels
from app.views.casefile.persons import log_reviewer_reads
from app.views.hub import HubSection, register_hub_section

PAGE_SIZE = 50


def _family(person: Any) -> Any:
    """Condition on ``Person``: the person and the members of the person's household."""
    if person.household_id is None:
        return Person.id == person.id
    return or_(Person.id == person.id, Person.household_id == person.household_id)


def section_queries(person: Any) -> dict[str, Any]:
    """The children of the household, their places, the fitting partners (in the bundle)."""
    today = dt.date.today()
    if person.household_id is None and age_on(person.birth_date, today) >= child_places.ADULT_AGE:
        return {}  # an adult without a household: no children to show, no reads
    born_after = today - relativedelta(years=child_places.ADULT_AGE)
    family = _family(person)
    return {
        "children": select(Person.id, Person.first_name, Person.last_name, Person.birth_date)
        .where(family, Person.birth_date > born_after)
        .order_by(Person.birth_date, Person.id),
        "places": select(ChildPlace, NetworkPartner.name)
        .join(Person, Person.id == ChildPlace.person_id)
        .outerjoin(NetworkPartner, NetworkPartner.id == ChildPlace.partner_id)
        .where(family, Person.birth_date > born_after)
        .order_by(ChildPlace.person_id, ChildPlace.id),
        "partners": select(NetworkPartner.id, NetworkPartner.name, NetworkPartner.city)
        .where(NetworkPartner.partner_type.in_(sorted(set().union(*PARTNER_TYPE_SETS))))
        .order_by(NetworkPartner.name, NetworkPartner.id),
    }


PARTNER_TYPE_SETS = tuple(child_places.PARTNER_TYPES.values())


def section_context(person: Any, data: dict[str, list[Any]]) -> dict[str, Any]:
    """The children with their places, the choices of the form; hidden without children."""
    today = dt.date.today()
    children = data.get("children") or []
    if not children:
        return {"hidden": True}
    places: dict[int, list[Any]] = {}
    for place, partner_name in data.get("places") or []:
        places.setdefault(place.person_id, []).append((place, partner_name))
    type_labels = {**labels("childcare_type"), **labels("school_type")}
    return {
        "hidden": False,
        "today": de_date(today),
        "children": [
            {
                "id": pid,
                "name": f"{first} {last}",
                "birth_date": born,
                "age": age_on(born, today),
                "places": places.get(pid, []),
                "has_attending": any(p.state == "attending" for p, _ in places.get(pid, [])),
            }
            for pid, first, last, born in children
        ],
        "type_labels": type_labels,
        "kinds": CHILD_PLACE_KINDS,
        "states": CHILD_PLACE_STATES,
        "childcare_types": catalogue_choices("childcare_type"),
        "school_types": catalogue_choices("school_type"),
        "partners": [
            (pid, f"{name} ({city})" if city else name)
            for pid, name, city in data.get("partners") or []
        ],
    }


class ChildrenWithoutPlaceView(BaseView):
    """Kinder ohne Platz — children of Kita or school age without an attending place or with
    an open request. The caseworker sees the children of her own persons, the lead the
    provider's, the reviewer every provider's (each read access-logged)."""

    route_base = "/kinder-ohne-platz"
    class_permission_name = matrix.PERSON
    method_permission_name = READ_WRITE_METHODS
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> Any:
        """One page of the children, by name."""
        raw = request.args.get("seite") or "1"
        if not raw.isdigit() or len(raw) > 6:
            abort(400)
        page = max(int(raw), 1)
        user = g.user
        roles = {r.name for r in user.roles}
        provider_wide = bool(roles & {matrix.ROLE_LEAD, matrix.ROLE_REVIEWER, matrix.ROLE_ADMIN})
        organisation_id = None
        organisations: list[Any] = []
        if matrix.ROLE_REVIEWER in roles or matrix.ROLE_ADMIN in roles:
            raw_org = request.args.get("traeger") or ""
            organisation_id = int(raw_org) if raw_org.isdigit() and len(raw_org) < 10 else None
            organisations = list(
                db.session.execute(
                    select(Organisation.id, Organisation.name).order_by(Organisation.name)
                )
            )
        rows, total = child_places.without_place_page(
            page - 1,
            PAGE_SIZE,
            caseworker_id=None if provider_wide else user.id,
            organisation_id=organisation_id,
        )
        log_reviewer_reads([r.person_id for r in rows], "Kinder ohne Platz")
        return self.render_template(
            "casefile/children_without_place.html",
            rows=rows,
            total=total,
            page=page,
            pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            provider_wide=provider_wide,
            organisations=organisations,
            organisation_id=organisation_id,
            title="Kinder ohne Platz",
        )


def register_section() -> None:
    """Add the section "Kinder: Kita, Schule, Hort" to the case file page."""
    register_hub_section(
        HubSection(
            key="kinder",
            title="Kinder: Kita, Schule, Hort",
            template="casefile/children_section.html",
            context=section_context,
            queries=section_queries,
            order=15,
            permission=("can_read", matrix.PERSON),
            wide=True,
        )
    )

"""Children's Kita, school and Hort places: the verb's rules through every door (case file
form, REST), the case file section, the list "Kinder ohne Platz" with its desk tile per role,
and the annual figures — each compared with the rule written out once more here."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from app.security import matrix

TODAY = dt.date.today()


def _born(years: int, days: int = 10) -> dt.date:
    return TODAY - relativedelta(years=years) - dt.timedelta(days=days)


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    from app.extensions import db
    from app.models import ChildPlace, Household
    from tests import factories as f

    with app.app_context():
        org_a, org_b = f.make_org("Träger A"), f.make_org("Träger B")
        worker = f.make_user(matrix.ROLE_CASEWORKER, org_a)
        other_worker = f.make_user(matrix.ROLE_CASEWORKER, org_a)
        home = Household(name="Familie Haddad", organisation_id=org_a.id)
        other_home = Household(name="Familie Karimi", organisation_id=org_a.id)
        db.session.add_all([home, other_home])
        db.session.commit()
        mother = f.make_person(
            org_a, last_name="Haddad", first_name="Amal", household_id=home.id,
            caseworker_id=worker.id,
        )  # fmt: skip
        people = {
            "mother": mother,
            # name: (birth date, household, caseworker)
            "ohne": f.make_person(org_a, last_name="Haddad", first_name="Lina",
                                  birth_date=_born(4), household_id=home.id),
            "offen": f.make_person(org_a, last_name="Haddad", first_name="Omar",
                                   birth_date=_born(7), household_id=home.id),
            "besucht": f.make_person(org_a, last_name="Haddad", first_name="Sami",
                                     birth_date=_born(9), household_id=home.id),
            "baby": f.make_person(org_a, last_name="Haddad", first_name="Noor",
                                  birth_date=_born(0, 100), household_id=home.id),
            "fremd": f.make_person(org_a, last_name="Karimi", first_name="Ali",
                                   birth_date=_born(6), household_id=other_home.id,
                                   caseworker_id=other_worker.id),
            "eigen": f.make_person(org_a, last_name="Berisha", first_name="Dua",
                                   birth_date=_born(15), caseworker_id=worker.id),
            "weg": f.make_person(org_a, last_name="Haddad", first_name="Rami",
                                 birth_date=_born(10), household_id=home.id,
                                 moved_away_on=TODAY),
            "anderswo": f.make_person(org_b, last_name="Nasser", first_name="Yara",
                                      birth_date=_born(5)),
        }  # fmt: skip
        kita = f.make_partner(name="Kita Sonnenschein", partner_type="kita")
        school = f.make_partner(name="Grundschule am See", partner_type="schule")
        jobcenter = f.make_partner(name="Jobcenter Mitte", partner_type="jobcenter")
        year_start = dt.date(TODAY.year, 1, 1)
        db.session.add_all(
            [
                ChildPlace(
                    person_id=people["offen"].id, organisation_id=org_a.id, kind="schule",
                    state="requested", requested_on=year_start,
                ),
                ChildPlace(
                    person_id=people["offen"].id, organisation_id=org_a.id, kind="hort",
                    state="attending", requested_on=year_start, attending_from=year_start,
                ),
                ChildPlace(
                    person_id=people["besucht"].id, organisation_id=org_a.id, kind="schule",
                    state="attending", requested_on=year_start, attending_from=year_start,
                    partner_id=school.id,
                ),
            ]
        )  # fmt: skip
        db.session.commit()
        return {
            "org_a": org_a.id,
            "org_b": org_b.id,
            "worker": worker.id,
            "ids": {k: p.id for k, p in people.items()},
            "kita": kita.id,
            "school": school.id,
            "jobcenter": jobcenter.id,
        }


def _expected_without_place(world: dict[str, Any], *, own_of: str | None = None) -> set[str]:
    """The rule written out: aged 1–17, not moved away, no attending place or an open one;
    the caseworker's: her own persons and the children in their households."""
    table = {
        # key: (age in years, moved away, attending, open, caseworker's own or in her household)
        "ohne": (4, False, False, False, True),
        "offen": (7, False, True, True, True),
        "besucht": (9, False, True, False, True),
        "baby": (0, False, False, False, True),
        "fremd": (6, False, False, False, False),
        "eigen": (15, False, False, False, True),
        "weg": (10, True, False, False, True),
    }
    out = set()
    for key, (age, away, attending, open_, own) in table.items():
        if 1 <= age < 18 and not away and (not attending or open_):
            if own_of is None or own:
                out.add(key)
    return out


def _listed(world: dict[str, Any], html: str) -> set[str]:
    ids = {int(x) for x in re.findall(r'data-person="(\d+)"', html)}
    return {k for k, v in world["ids"].items() if v in ids}


def _tile(html: str) -> int:
    match = re.search(r'id="desk-children">\s*<div class="panel-body">\s*'
                      r'<p class="msa-desk-number">(\d+)</p>', html)  # fmt: skip
    assert match, "tile missing"
    return int(match.group(1))


def test_list_and_tile_per_role(app: Any, login_as: Any, world: dict[str, Any]) -> None:
    from tests.conftest import sign_in

    worker = sign_in(app.test_client(), world["worker"])
    html = worker.get("/kinder-ohne-platz/").get_data(as_text=True)
    assert "<title>Kinder ohne Platz" in html
    own = _expected_without_place(world, own_of="worker")
    assert _listed(world, html) == own == {"ohne", "offen", "eigen"}
    assert "Schule beantragt" in html and "kein Platz erfasst" in html
    assert _tile(worker.get("/").get_data(as_text=True)) == len(own)

    lead = login_as(matrix.ROLE_LEAD, world["org_a"])
    html = lead.get("/kinder-ohne-platz/").get_data(as_text=True)
    everyone = _expected_without_place(world)
    assert _listed(world, html) == everyone == {"ohne", "offen", "eigen", "fremd"}
    assert _tile(lead.get("/").get_data(as_text=True)) == len(everyone)
    assert lead.get("/kinder-ohne-platz/?seite=x").status_code == 400

    other_lead = login_as(matrix.ROLE_LEAD, world["org_b"])
    html = other_lead.get("/kinder-ohne-platz/").get_data(as_text=True)
    assert _listed(world, html) == {"anderswo"}


def test_reviewer_sees_every_provider_logged_and_county_admin_refused(
    app: Any, login_as: Any, world: dict[str, Any]
) -> None:
    from app.extensions import db
    from app.models import AccessLog

    reviewer = login_as(matrix.ROLE_REVIEWER)
    html = reviewer.get("/kinder-ohne-platz/").get_data(as_text=True)
    assert _listed(world, html) == _expected_without_place(world) | {"anderswo"}
    html = reviewer.get(f"/kinder-ohne-platz/?traeger={world['org_b']}").get_data(as_text=True)
    assert _listed(world, html) == {"anderswo"}
    with app.app_context():
        logged = db.session.query(AccessLog).filter(AccessLog.detail == "Kinder ohne Platz").all()
        assert {row.person_id for row in logged} >= {world["ids"]["anderswo"]}
    for role in (matrix.ROLE_COUNTY_ADMIN, matrix.ROLE_DPO):
        resp = login_as(role).get("/kinder-ohne-platz/")
        assert resp.status_code in (302, 403)
        assert "/kinder-ohne-platz" not in resp.headers.get("Location", "")


def test_case_file_section_lists_children_and_records_a_place(
    app: Any, world: dict[str, Any]
) -> None:
    from app.extensions import db
    from app.models import ChildPlace
    from tests.conftest import sign_in

    worker = sign_in(app.test_client(), world["worker"])
    mother = world["ids"]["mother"]
    html = worker.get(f"/personview/show/{mother}").get_data(as_text=True)
    assert "Kinder: Kita, Schule, Hort" in html
    for name in ("Lina Haddad", "Omar Haddad", "Sami Haddad", "Noor Haddad"):
        assert name in html
    assert "Karimi" not in html and "Grundschule am See" in html
    child = world["ids"]["ohne"]
    resp = worker.post(
        f"/childplaceview/add?person_id={child}&zurueck={mother}",
        data={"kind": "kita", "type_code": "kindergarten", "state": "requested",
              "requested_on": TODAY.strftime("%d.%m.%Y"), "partner_id": str(world["kita"])},
    )  # fmt: skip
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert resp.headers["Location"].endswith(f"/personview/show/{mother}#kinder")
    # refused: the school is no Kita, the offer lies before the request; the input is kept
    resp = worker.post(
        f"/childplaceview/add?person_id={child}",
        data={"kind": "kita", "state": "offered", "requested_on": TODAY.strftime("%d.%m.%Y"),
              "offered_on": (TODAY - dt.timedelta(days=3)).strftime("%d.%m.%Y"),
              "partner_id": str(world["school"]), "institution": "Eingabe bleibt"},
    )  # fmt: skip
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "keine Einrichtung für „Kita“" in body and "kann nicht vor" in body
    assert "Eingabe bleibt" in body
    with app.app_context():
        places = db.session.query(ChildPlace).filter(ChildPlace.person_id == child).all()
        assert [(p.kind, p.state, p.partner_id) for p in places] == [
            ("kita", "requested", world["kita"])
        ]
        assert places[0].organisation_id == world["org_a"]
        pk = places[0].id
    # the adult mother gets no place
    resp = worker.post(
        f"/childplaceview/add?person_id={mother}",
        data={"kind": "kita", "state": "requested", "requested_on": TODAY.strftime("%d.%m.%Y")},
    )
    assert resp.status_code == 422 and "nur für Kinder unter 18" in resp.get_data(as_text=True)
    # attending, then the child leaves the list
    edit = worker.get(f"/childplaceview/edit/{pk}?zurueck={mother}")
    assert edit.status_code == 200
    resp = worker.post(
        f"/childplaceview/edit/{pk}?zurueck={mother}",
        data={"kind": "kita", "type_code": "kindergarten", "state": "attending",
              "requested_on": TODAY.strftime("%d.%m.%Y"),
              "attending_from": TODAY.strftime("%d.%m.%Y"), "partner_id": str(world["kita"])},
    )  # fmt: skip
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    html = worker.get("/kinder-ohne-platz/").get_data(as_text=True)
    assert "ohne" not in _listed(world, html)


def test_verb_rules(app: Any, world: dict[str, Any]) -> None:
    from app.extensions import db
    from app.models import Person
    from app.services.casefile.records import (
        RecordError,
        create_child_place,
        update_child_place,
    )

    day = TODAY.isoformat()
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("mother", {"kind": "kita", "requested_on": day}, "person.adult"),
        ("ohne", {"kind": "uni", "requested_on": day}, "kind.unknown"),
        ("ohne", {"kind": "kita", "state": "weiß nicht", "requested_on": day}, "state.unknown"),
        ("ohne", {"kind": "kita"}, "requested_on.required"),
        ("ohne", {"kind": "kita", "state": "attending"}, "attending_from.required"),
        ("ohne", {"kind": "hort", "type_code": "kindergarten", "requested_on": day},
         "type_code.kind"),
        ("ohne", {"kind": "schule", "type_code": "krippe", "requested_on": day},
         "type_code.kind"),
        ("ohne", {"kind": "kita", "requested_on": day, "partner_id": world["jobcenter"]},
         "partner_id.type"),
        ("ohne", {"kind": "kita", "requested_on": day, "partner_id": 999999},
         "partner_id.unknown"),
        ("ohne", {"kind": "kita", "state": "attending", "requested_on": day,
                  "attending_from": (TODAY - dt.timedelta(days=1)).isoformat()},
         "attending_from.order"),
        ("ohne", {"kind": "kita", "requested_on": (TODAY + dt.timedelta(days=2)).isoformat()},
         "requested_on.future"),
    ]  # fmt: skip
    with app.app_context():
        for who, values, key in cases:
            person = db.session.get(Person, world["ids"][who])
            with pytest.raises(RecordError) as caught:
                create_child_place(person, actor=None, **values)
            assert key in caught.value.keys.values(), (values, caught.value.keys)
            db.session.rollback()
        child = db.session.get(Person, world["ids"]["ohne"])
        place = create_child_place(child, actor=None, kind="schule", type_code="grundschule",
                                   requested_on=day, partner_id=world["school"])  # fmt: skip
        update_child_place(place, actor=None, state="attending", attending_from=day)
        with pytest.raises(RecordError) as caught:
            update_child_place(place, actor=None, state="offered", offered_on=day)
        assert "state.transition" in caught.value.keys.values()
        db.session.rollback()
        update_child_place(place, actor=None, state="ended", ended_on=day)
        with pytest.raises(RecordError) as caught:
            update_child_place(place, actor=None, state="attending")
        assert "state.transition" in caught.value.keys.values()

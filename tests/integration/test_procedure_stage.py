"""Stage of the asylum procedure: on the person form, the case file, its timeline and the REST
person (``procedure_stage``, a catalogue code); unknown codes and other providers refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models import Person
from app.security import matrix

TODAY = dt.date.today()


def _db() -> Any:
    from app.extensions import db

    return db


def test_form_page_and_timeline(app: Any, login_as: Any) -> None:
    from tests import factories as f

    with app.app_context():
        org = f.make_org("Träger A")
        org_id = f.id_of(org)
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    form = client.get("/personview/add").get_data(as_text=True)
    assert "Stand des Asylverfahrens" in form and "Anhörung erfolgt" in form
    data = {
        "first_name": "Samir",
        "last_name": "Nasser",
        "birth_date": "04.03.1985",
        "procedure_stage": "interviewed",
    }
    resp = client.post("/personview/add", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        person = _db().session.query(Person).filter_by(last_name="Nasser").one()
        assert (person.procedure_stage, person.procedure_stage_since) == ("interviewed", TODAY)
        pid, version = person.id, person.version
    page = client.get(f"/personview/show/{pid}").get_data(as_text=True)
    assert (
        "Stand des Asylverfahrens" in page and "Stand des Asylverfahrens: Anhörung erfolgt" in page
    )
    assert ">interviewed<" not in page
    bad = client.post(
        f"/personview/edit/{pid}", data={**data, "procedure_stage": "erfunden", "version": version}
    )
    assert bad.status_code in (200, 422)
    with app.app_context():
        assert _db().session.get(Person, pid).procedure_stage == "interviewed"


def test_rest_field_and_refusals(app: Any, api_token: Any) -> None:
    from tests import factories as f

    with app.app_context():
        org_a, org_b = f.make_org("Träger A"), f.make_org("Träger B")
        a, b = f.id_of(org_a), f.id_of(org_b)
        pid = f.make_person(org_a).id
    client = app.test_client()
    headers = api_token(matrix.ROLE_CASEWORKER, a)
    resp = client.put(
        f"/api/v1/person/{pid}", json={"procedure_stage": "dublin", "version": 1}, headers=headers
    )
    assert resp.status_code == 200, resp.get_json()
    got = client.get(f"/api/v1/person/{pid}", headers=headers).get_json()["result"]
    assert got["procedure_stage"] == "dublin"
    resp = client.put(
        f"/api/v1/person/{pid}", json={"procedure_stage": "erfunden", "version": 2}, headers=headers
    )
    assert resp.status_code in (400, 422) and "procedure_stage" in str(resp.get_json())
    other = api_token(matrix.ROLE_CASEWORKER, b)
    resp = client.put(
        f"/api/v1/person/{pid}",
        json={"procedure_stage": "appeal_pending", "version": 2},
        headers=other,
    )
    assert resp.status_code == 404
    resp = client.post(
        "/api/v1/person/",
        json={
            "first_name": "N",
            "last_name": "M",
            "birth_date": "1990-01-01",
            "procedure_stage": "applied",
        },
        headers=headers,
    )
    assert resp.status_code == 201, resp.get_json()
    with app.app_context():
        assert _db().session.get(Person, pid).procedure_stage == "dublin"
        new = _db().session.get(Person, resp.get_json()["id"])
        assert (new.procedure_stage, new.procedure_stage_since) == ("applied", TODAY)
        # clearing the stage clears its day
        person = _db().session.get(Person, pid)
        person.procedure_stage = None
        _db().session.commit()
        assert _db().session.get(Person, pid).procedure_stage_since is None

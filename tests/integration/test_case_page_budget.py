"""The case-management case page: its lists in one statement, partners through the search."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.security import matrix
from tests import factories
from tests.integration.test_performance import MAX_STATEMENTS, count_statements


def _statements(app: Flask, client: Any, path: str) -> tuple[list[str], str]:
    client.get(path)
    with count_statements(app) as statements:
        resp = client.get(path)
    assert resp.status_code == 200, resp.status_code
    return statements, resp.get_data(as_text=True)


def test_case_page_statement_count_is_constant_and_shows_everything(
    app: Flask, login_as: Any
) -> None:
    from app.demo.data import load_demo_data
    from app.extensions import db
    from app.models import CaseEvent, CaseManagementCase, NetworkPartner, ThirdPartyService

    with app.app_context():
        load_demo_data(persons=40)
        # the demo case that went furthest (services, conferences, monitoring …)
        full_id, org_id = db.session.execute(
            select(CaseManagementCase.id, CaseManagementCase.organisation_id)
            .join(CaseEvent, CaseEvent.case_id == CaseManagementCase.id)
            .group_by(CaseManagementCase.id, CaseManagementCase.organisation_id)
            .order_by(func.count(CaseEvent.id).desc(), CaseManagementCase.id)
            .limit(1)
        ).one()
        service = db.session.scalars(
            select(ThirdPartyService).where(ThirdPartyService.case_id == full_id)
        ).first()
        partner_name = (
            db.session.get(NetworkPartner, service.partner_id).name
            if service is not None and service.partner_id
            else None
        )
        person = factories.make_person(org_id, last_name="Neufall")
        new_person_id = factories.id_of(person)
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    resp = client.post(f"/casemanagement/person/{new_person_id}/open")
    new_id = int(resp.headers["Location"].rsplit("/", 1)[1])

    fresh, _ = _statements(app, client, f"/casemanagement/case/{new_id}")
    full, html = _statements(app, client, f"/casemanagement/case/{full_id}")
    assert len(fresh) <= MAX_STATEMENTS, fresh
    assert len(full) == len(fresh), (len(fresh), full)
    assert "Erstgespräch" in html
    if partner_name:
        assert partner_name in html  # the name of the referenced partner, from the bundle
    # never a list of the whole partner directory
    with app.app_context():
        factories.make_partner(name="Nie gelistet GmbH")
    assert "Nie gelistet GmbH" not in client.get(f"/casemanagement/case/{full_id}").get_data(
        as_text=True
    )


def test_failed_service_form_keeps_the_chosen_partner(app: Flask, login_as: Any) -> None:
    with app.app_context():
        org = factories.make_org()
        person = factories.make_person(org)
        partner = factories.make_partner(name="Kreiswohnungsbau GmbH")
        pid, org_id, partner_id = (factories.id_of(x) for x in (person, org, partner))
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    resp = client.post(f"/casemanagement/person/{pid}/open")
    cid = int(resp.headers["Location"].rsplit("/", 1)[1])
    with app.test_request_context():
        import random

        from flask import g

        from app.demo import case_management as demo_cases
        from app.extensions import db
        from app.models import CaseManagementCase, MsaUser
        from app.services.case_management import workflow as wf

        g.user = db.session.get(MsaUser, client.user_id)
        demo_cases._demo_walk(
            db.session.get(CaseManagementCase, cid), wf.SERVICE_STEERING, g.user, random.Random(1)
        )
        db.session.commit()
    # a service without its standards: refused, the form comes back with the partner kept
    resp = client.post(
        f"/casemanagement/case/{cid}/service",
        data={"service": "Wohnungsvermittlung", "partner_id": str(partner_id)},
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'value="Kreiswohnungsbau GmbH"' in html
    assert f'name="partner_id" value="{partner_id}"' in html


def test_a_typed_partner_in_the_service_form_is_not_lost(app: Flask, login_as: Any) -> None:
    import datetime as dt
    import random

    from flask import g

    from app.demo import case_management as demo_cases
    from app.extensions import db
    from app.models import CaseManagementCase, MsaUser, ThirdPartyService
    from app.services.case_management import workflow as wf

    with app.app_context():
        org = factories.make_org()
        person = factories.make_person(org)
        factories.make_partner(name="Kreiswohnungsbau GmbH", city="Musterstadt")
        factories.make_partner(name="Tafel", city="Nord")
        factories.make_partner(name="Tafel", city="Süd")
        pid, org_id = factories.id_of(person), factories.id_of(org)
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    cid = int(
        client.post(f"/casemanagement/person/{pid}/open").headers["Location"].rsplit("/", 1)[1]
    )
    with app.test_request_context():
        g.user = db.session.get(MsaUser, client.user_id)
        demo_cases._demo_walk(
            db.session.get(CaseManagementCase, cid), wf.SERVICE_STEERING, g.user, random.Random(1)
        )
        db.session.commit()
    service = {
        "service": "Wohnungsvermittlung",
        "starts_on": dt.date.today().isoformat(),
        "standards": "Rückmeldung binnen 14 Tagen",
        "partner_id": "",
    }
    resp = client.post(
        f"/casemanagement/case/{cid}/service", data={**service, "partner_id_suche": "Tafel"}
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "nicht eindeutig gefunden" in html and 'value="Tafel"' in html
    resp = client.post(
        f"/casemanagement/case/{cid}/service",
        data={**service, "partner_id_suche": "Kreiswohnungsbau GmbH (Musterstadt)"},
    )
    assert resp.status_code == 302
    with app.app_context():
        saved = db.session.query(ThirdPartyService).filter_by(service="Wohnungsvermittlung").all()
        assert [s.partner.name for s in saved] == ["Kreiswohnungsbau GmbH"]

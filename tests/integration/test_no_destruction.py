"""No destructive buttons where they do not belong (deliverable 2).

Case files, notes and every record of a case leave the portal only through the retention
procedure. The only delete routes left are the county's configuration (users, roles,
organisations, accommodation, network partners, catalogues) and ending a share; a provider role
gets none of them, and a new delete route anywhere fails here until it is reviewed.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.security import matrix
from tests import factories

#: delete routes of the configuration (county admin / admin only), reviewed
CONFIGURATION_DELETES = {
    "MsaUserDBModelView.delete",
    "RoleModelView.delete",
    "UserGroupModelView.delete",
    "PermissionModelView.delete",
    "ViewMenuModelView.delete",
    "PermissionViewModelView.delete",
    "OrganisationView.delete",
    "AccommodationView.delete",
    "NetworkPartnerView.delete",
    "CatalogueView.delete",
    # a county's spelling of a catalogue value for the import (configuration, no case data)
    "AssignmentImportView.alias_delete",
    "NetworkPartnerApi.delete",
    "AccommodationApi.delete",
    # ends a share with the specialist service; the records stay with the owner
    "PersonShareApi.shares_delete",
}

PROVIDER_ROLES = (matrix.ROLE_CASEWORKER, matrix.ROLE_LEAD, matrix.ROLE_SPECIALIST)


def _delete_endpoints(app: Flask) -> dict[str, str]:
    return {
        rule.endpoint: rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[-1].endswith("delete") or "DELETE" in (rule.methods or ())
    }


def test_only_configuration_has_delete_routes(app: Flask) -> None:
    assert set(_delete_endpoints(app)) == CONFIGURATION_DELETES


@pytest.mark.parametrize("role", PROVIDER_ROLES)
def test_provider_roles_cannot_delete_any_case_record(
    app: Flask, login_as: Any, api_token: Any, client: Any, role: str
) -> None:
    from app.extensions import db
    from app.models import (
        ContactNote,
        Employment,
        FollowUp,
        IntegrationCourse,
        NetworkPartner,
        Person,
        PersonDegree,
        PersonLanguage,
        PersonVulnerability,
    )

    with app.app_context():
        org = factories.make_org("Träger A")
        person = factories.make_person(org)
        worker = factories.make_user(matrix.ROLE_CASEWORKER, org)
        note = factories.make_note(person, worker)
        follow_up = factories.make_follow_up(person, worker)
        partner = factories.make_partner()
        rows = {
            "personlanguageview": PersonLanguage(person_id=person.id, language="ar", level="b1"),
            "persondegreeview": PersonDegree(person_id=person.id, kind="bachelor", title="BWL"),
            "employmentview": Employment(person_id=person.id, employer="Bäckerei"),
            "integrationcourseview": IntegrationCourse(person_id=person.id, course="general"),
            "personvulnerabilityview": PersonVulnerability(person_id=person.id, code="traumatised"),
        }
        for row in rows.values():
            row.organisation_id = org.id
            db.session.add(row)
        db.session.commit()
        ids = {
            "personview": person.id,
            "contactnoteview": note.id,
            "followupview": follow_up.id,
            **{view: row.id for view, row in rows.items()},
        }
        partner_id = partner.id
        org_id = org.id
    ui = login_as(role, org_id)
    for view, pk in ids.items():
        for method in (ui.post, ui.get):
            status = method(f"/{view}/delete/{pk}").status_code
            assert status in (404, 405), (view, status)
    headers = api_token(role, org_id)
    for url in (
        f"/api/v1/person/{ids['personview']}",
        f"/api/v1/contactnote/{ids['contactnoteview']}",
        f"/api/v1/followup/{ids['followupview']}",
    ):
        assert client.delete(url, headers=headers).status_code in (404, 405), url
    assert client.delete(f"/api/v1/networkpartner/{partner_id}", headers=headers).status_code in (
        401,
        403,
        404,
        405,
    )
    with app.app_context():
        for model in (
            Person,
            ContactNote,
            FollowUp,
            PersonLanguage,
            PersonDegree,
            Employment,
            IntegrationCourse,
            PersonVulnerability,
            NetworkPartner,
        ):
            assert db.session.scalar(select(func.count()).select_from(model)) == 1, model


def test_case_file_shows_no_remove_button(app: Flask, login_as: Any) -> None:
    from app.extensions import db
    from app.models import PersonLanguage

    with app.app_context():
        org = factories.make_org("Träger A")
        person = factories.make_person(org)
        db.session.add(
            PersonLanguage(person_id=person.id, organisation_id=org.id, language="ar", level="b1")
        )
        db.session.commit()
        person_id, org_id = person.id, org.id
    html = login_as(matrix.ROLE_CASEWORKER, org_id).get(f"/personview/show/{person_id}")
    text = html.get_data(as_text=True)
    assert "bearbeiten" in text
    assert "entfernen" not in text and "/delete/" not in text and "fa-trash" not in text

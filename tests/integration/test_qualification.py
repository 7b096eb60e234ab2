"""Qualifikation nach §4.2: the lead keeps the profiles of the own caseworkers and sees who meets
§4.2; another provider's lead, a caseworker and the county cannot read or change a profile; the
county sees counts per provider."""

from __future__ import annotations

from typing import Any

import pytest

from app.security import matrix

GOOD = {
    "degree_category": "social_work",
    "degree_title": "B.A. Soziale Arbeit",
    "degree_year": "2015",
    "cm_certified_on": "01.03.2020",
    "cm_certifier": "DGCC",
    "language_0": "ar",
    "level_0": "b2",
    "language_1": "en",
    "level_1": "a1",
    "migration_law": "1",
    "intercultural": "1",
    "conflict_mediation": "1",
    "communication_team": "1",
    "network_knowledge": "1",
    "driving_licence_b": "1",
}


@pytest.fixture
def world(app: Any, login_as: Any) -> dict[str, Any]:
    from tests import factories as f

    with app.app_context():
        org_a, org_b = f.make_org("Träger A"), f.make_org("Träger B")
        anna = f.make_user(matrix.ROLE_CASEWORKER, org_a, first_name="Anna", last_name="Aksoy")
        bert = f.make_user(matrix.ROLE_CASEWORKER, org_a, first_name="Bert", last_name="Brandt")
        foreign = f.make_user(matrix.ROLE_CASEWORKER, org_b, first_name="Cleo", last_name="Cramer")
        ids = {"org_a": f.id_of(org_a), "org_b": f.id_of(org_b)}
        ids |= {"anna": anna.id, "bert": bert.id, "foreign": foreign.id}
    ids["lead"] = login_as(matrix.ROLE_LEAD, ids["org_a"])
    ids["lead_b"] = login_as(matrix.ROLE_LEAD, ids["org_b"])
    ids["worker"] = login_as(matrix.ROLE_CASEWORKER, ids["org_a"])
    ids["county"] = login_as(matrix.ROLE_COUNTY_ADMIN)
    return ids


def _post(client: Any, user_id: int, data: dict[str, str]) -> Any:
    return client.post(f"/qualifikation/{user_id}", data=data)


def test_lead_keeps_profile_and_sees_who_meets(app: Any, world: dict[str, Any]) -> None:
    """A saved profile with every required item shows „erfüllt“; the other caseworker has none."""
    lead = world["lead"]
    assert lead.get("/qualifikation/").status_code == 200
    form = lead.get(f"/qualifikation/{world['anna']}").get_data(as_text=True)
    assert "Qualifikationsprofil Anna Aksoy" in form
    resp = _post(lead, world["anna"], GOOD)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    page = lead.get("/qualifikation/").get_data(as_text=True)
    assert "Anna Aksoy" in page and "Bert Brandt" in page and "Cleo" not in page
    assert f'data-user="{world["anna"]}"' in page
    anna_row = page.split(f'data-user="{world["anna"]}"')[1].split("</tr>")[0]
    assert 'data-meets="1"' in anna_row
    bert_row = page.split(f'data-user="{world["bert"]}"')[1].split("</tr>")[0]
    assert 'data-meets="0"' in bert_row and "kein Profil" in bert_row
    with app.app_context():
        from app.services.staff import qualification as q

        profile = q.profile_of(world["anna"])
        assert profile is not None
        assert profile.languages == {"ar": "b2", "en": "a1"}
        assert profile.cm_certified_on is not None and profile.cm_certified_on.year == 2020
        assert profile.organisation_id == world["org_a"]
    # the stored profile comes back into the form
    again = lead.get(f"/qualifikation/{world['anna']}").get_data(as_text=True)
    assert "01.03.2020" in again and "B.A. Soziale Arbeit" in again
    # one required item removed: §4.2 no longer met
    _post(lead, world["anna"], {k: v for k, v in GOOD.items() if k != "network_knowledge"})
    page = lead.get("/qualifikation/").get_data(as_text=True)
    anna_row = page.split(f'data-user="{world["anna"]}"')[1].split("</tr>")[0]
    assert 'data-meets="0"' in anna_row and "nicht erfüllt" in anna_row


def test_refused_form_keeps_input(world: dict[str, Any]) -> None:
    bad = {**GOOD, "degree_year": "1800", "level_0": "", "degree_title": "Diplom Eingabe bleibt"}
    resp = _post(world["lead"], world["anna"], bad)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Bitte ein Jahr zwischen 1950 und" in html
    assert "Niveau von A1 bis C2" in html
    assert "Diplom Eingabe bleibt" in html and 'value="1800"' in html


def test_other_providers_lead_cannot_read_or_change(app: Any, world: dict[str, Any]) -> None:
    lead_b = world["lead_b"]
    assert lead_b.get(f"/qualifikation/{world['anna']}").status_code == 404
    assert _post(lead_b, world["anna"], GOOD).status_code == 404
    assert "Anna" not in lead_b.get("/qualifikation/").get_data(as_text=True)
    with app.app_context():
        from app.services.staff import qualification as q

        assert q.profile_of(world["anna"]) is None


def test_caseworker_and_county_cannot_edit(app: Any, world: dict[str, Any]) -> None:
    for client in (world["worker"], world["county"]):
        assert client.get("/qualifikation/").status_code in (302, 403)
        assert client.get(f"/qualifikation/{world['anna']}").status_code in (302, 403)
        assert _post(client, world["anna"], GOOD).status_code in (302, 403)
    with app.app_context():
        from app.services.staff import qualification as q

        assert q.profile_of(world["anna"]) is None


def test_verb_refuses_caseworker_and_foreign_lead(app: Any, world: dict[str, Any]) -> None:
    from app.extensions import db
    from app.models import MsaUser
    from app.services.staff import qualification as q
    from tests import factories as f

    with app.app_context():
        worker = db.session.get(MsaUser, world["anna"])
        with pytest.raises(q.QualificationError) as refused:
            q.save_profile(world["bert"], {"pc_skills": True}, actor=worker)
        assert refused.value.status == 403 and refused.value.key == "forbidden"
        lead_b = f.make_user(matrix.ROLE_LEAD, world["org_b"])
        with pytest.raises(q.QualificationError) as foreign:
            q.save_profile(world["anna"], {"pc_skills": True}, actor=lead_b)
        assert foreign.value.key == "unknown_account"
        assert q.profile_of(world["anna"]) is None


def test_county_sees_counts_per_provider_only(app: Any, world: dict[str, Any]) -> None:
    assert _post(world["lead"], world["anna"], GOOD).status_code == 302
    page = world["county"].get("/qualifikation-traeger/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Träger A" in html and "Träger B" in html
    assert "Anna" not in html and "Aksoy" not in html
    row_a = html.split(f'data-org="{world["org_a"]}"')[1].split("</tr>")[0]
    # Anna, Bert and the signed-in caseworker; Anna meets §4.2
    assert "<td>3</td>" in row_a and 'data-meets="1"' in row_a
    for client in (world["lead"], world["worker"]):
        assert client.get("/qualifikation-traeger/").status_code in (302, 403)


def test_paging_refuses_nonsense(world: dict[str, Any]) -> None:
    assert world["lead"].get("/qualifikation/?seite=x").status_code == 400
    assert world["lead"].get("/qualifikation/?seite=2").status_code == 200

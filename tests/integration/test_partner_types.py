"""Partner types and doctors' specialty: chosen from their catalogues, filtered in the
directory and printed on its PDF; unknown codes refused; only the county writes partners."""

from __future__ import annotations

from typing import Any

from app.security import matrix
from tests.unit.test_social_report import pdf_text

#: (name, category, partner_type, specialty)
PARTNERS = [
    ("JMD Nord", "counselling", "jmd", None),
    ("Kita Sonnenschein", "education_work", "kita", None),
    ("Praxis Dr. Weber", "health", "arzt", "allgemeinmedizin"),
    ("Praxis Dr. Kaya", "health", "arzt", "kinder_jugendmedizin"),
    ("Ohne Art", "civil_society", None, None),
]


def _expected(partner_type: str = "", specialty: str = "") -> set[str]:
    """The filter written out: every given code must match."""
    return {
        name
        for name, _cat, ptype, spec in PARTNERS
        if (not partner_type or ptype == partner_type) and (not specialty or spec == specialty)
    }


def _names(html: str) -> set[str]:
    return {p[0] for p in PARTNERS if f"<strong>{p[0]}</strong>" in html}


def test_county_admin_sets_types_and_the_directory_filters(
    app: Any, api_token: Any, login_as: Any
) -> None:
    from tests import factories as f

    with app.app_context():
        org = f.id_of(f.make_org("Träger A"))
    admin = api_token(matrix.ROLE_COUNTY_ADMIN)
    client = app.test_client()
    for name, category, ptype, spec in PARTNERS:
        resp = client.post(
            "/api/v1/networkpartner/",
            json={"name": name, "category": category, "partner_type": ptype, "specialty": spec},
            headers=admin,
        )
        assert resp.status_code == 201, resp.get_json()
    bad = client.post(
        "/api/v1/networkpartner/",
        json={"name": "X", "category": "health", "partner_type": "erfunden", "specialty": "zauber"},
        headers=admin,
    )
    assert bad.status_code in (400, 422)
    assert {"partner_type", "specialty"} <= set(bad.get_json()["message"])
    worker_api = api_token(matrix.ROLE_CASEWORKER, org)
    refused = client.post(
        "/api/v1/networkpartner/",
        json={"name": "Y", "category": "health", "partner_type": "arzt"},
        headers=worker_api,
    )
    assert refused.status_code == 403
    worker = login_as(matrix.ROLE_CASEWORKER, org)
    for ptype, spec in (
        ("", ""),
        ("jmd", ""),
        ("arzt", ""),
        ("arzt", "allgemeinmedizin"),
        ("kita", "hno"),
    ):
        html = worker.get(
            "/partnerdirectory/", query_string={"partner_type": ptype, "specialty": spec}
        ).get_data(as_text=True)
        assert _names(html) == _expected(ptype, spec), (ptype, spec)
    html = worker.get("/partnerdirectory/?partner_type=arzt").get_data(as_text=True)
    assert "Ärztin / Arzt, Allgemeinmedizin" in html and "Fachrichtung" in html
    # an unknown code is ignored (all partners), never an error
    assert (
        _names(worker.get("/partnerdirectory/?partner_type=erfunden").get_data(as_text=True))
        == _expected()
    )
    pdf = worker.get("/partnerdirectory/pdf?partner_type=arzt&specialty=kinder_jugendmedizin")
    text = pdf_text(pdf.data)
    assert pdf.status_code == 200 and "Praxis Dr. Kaya" in text and "Praxis Dr. Weber" not in text
    assert "Kinder- und Jugendmedizin" in text
    # the county's list page offers both catalogues on its form
    form = login_as(matrix.ROLE_COUNTY_ADMIN).get("/networkpartnerview/add").get_data(as_text=True)
    assert "Fachrichtung (Ärzt:innen)" in form and "Oberstufenzentrum (OSZ)" in form

"""A yes/no checkbox of a form is never required: unticked means „nein“, and the record must
still save (a partner without barrier-free access, for one)."""

from __future__ import annotations

import re
from typing import Any

from app.security import matrix

_REQUIRED_BOX = re.compile(r"<input(?=[^>]*type=\"checkbox\")(?=[^>]*\srequired)[^>]*>", re.I)


def test_no_add_form_requires_a_checkbox(app: Any, login_as: Any) -> None:
    admin = login_as(matrix.ROLE_ADMIN)
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.endswith(".add") or rule.arguments or "GET" not in rule.methods:
            continue
        resp = admin.get(rule.rule)
        if resp.status_code != 200:
            continue
        checked += 1
        html = resp.get_data(as_text=True)
        assert not _REQUIRED_BOX.search(html), (rule.rule, _REQUIRED_BOX.findall(html))
    assert checked > 5


def test_county_admin_saves_a_partner_without_barrier_free_access(app: Any, login_as: Any) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import NetworkPartner

    county = login_as(matrix.ROLE_COUNTY_ADMIN)
    resp = county.post(
        "/networkpartnerview/add",
        data={"name": "Praxis ohne Rampe", "category": "health", "partner_type": "arzt"},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        partner = db.session.scalars(
            select(NetworkPartner).where(NetworkPartner.name == "Praxis ohne Rampe")
        ).one()
        assert partner.barrier_free is False and partner.partner_type == "arzt"

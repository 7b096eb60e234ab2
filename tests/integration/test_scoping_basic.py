"""Row scoping basics: a provider sees only its own persons, in lists, pages and writes."""

from __future__ import annotations

from flask import Flask

from app.models import Person
from app.security import matrix
from tests import factories


def _setup(app: Flask) -> tuple[int, int, int, int]:
    with app.app_context():
        a = factories.make_org("Träger A")
        b = factories.make_org("Träger B")
        pa = factories.make_person(a, last_name="Alphaname")
        pb = factories.make_person(b, last_name="Betageheim")
        return a.id, b.id, pa.id, pb.id


def test_list_and_show_are_scoped(app: Flask, login_as) -> None:
    """A caseworker of A lists A's persons only; B's case file is not found."""
    a, b, pa, pb = _setup(app)
    client = login_as(matrix.ROLE_CASEWORKER, a)
    body = client.get("/personview/list/").get_data(as_text=True)
    assert "Alphaname" in body and "Betageheim" not in body
    assert client.get(f"/personview/show/{pb}").status_code in (302, 404)
    assert "Betageheim" not in client.get(f"/personview/show/{pb}", follow_redirects=True).get_data(
        as_text=True
    )
    assert client.get(f"/personview/show/{pa}").status_code == 200


def test_delete_and_edit_of_foreign_row_change_nothing(app: Flask, login_as) -> None:
    a, b, pa, pb = _setup(app)
    client = login_as(matrix.ROLE_CASEWORKER, a)
    client.post(f"/personview/delete/{pb}")
    client.post(f"/personview/edit/{pb}", data={"first_name": "X", "last_name": "Übernommen"})
    client.post("/personview/action_post", data={"action": "muldelete", "rowid": [str(pb)]})
    with app.app_context():
        person = Person.query.get(pb)
        assert person is not None and person.last_name == "Betageheim"


def test_reviewer_sees_all_county_admin_none(app: Flask, login_as) -> None:
    a, b, pa, pb = _setup(app)
    with app.app_context():
        county = factories.make_org("Landkreis", kind="county").id
    reviewer = login_as(matrix.ROLE_REVIEWER, county)
    body = reviewer.get("/personview/list/").get_data(as_text=True)
    assert "Alphaname" in body and "Betageheim" in body
    admin = login_as(matrix.ROLE_COUNTY_ADMIN, county)
    assert admin.get("/personview/list/").status_code in (302, 403)


def test_user_without_organisation_sees_nothing(app: Flask, login_as) -> None:
    _setup(app)
    client = login_as(matrix.ROLE_CASEWORKER, None)
    body = client.get("/personview/list/").get_data(as_text=True)
    assert "Alphaname" not in body and "Betageheim" not in body


def test_switching_clients_inside_one_app_context_keeps_users_apart(app: Flask, login_as) -> None:
    """Per-request caches in g never carry one user's scope into another user's request."""
    a, b, pa, pb = _setup(app)
    client_a = login_as(matrix.ROLE_CASEWORKER, a)
    client_b = login_as(matrix.ROLE_CASEWORKER, b)
    with app.app_context():  # as the `factory` fixture does
        assert client_a.get(f"/personview/show/{pa}").status_code == 200
        assert client_b.get(f"/personview/show/{pa}").status_code in (302, 404)
        assert "Alphaname" not in client_b.get("/personview/list/").get_data(as_text=True)

"""Deterministic performance guards: statement counts, bounded loads, page sizes.

Times are measured by the benchmark (``bench/``), never asserted here.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, request, url_for
from sqlalchemy import event

from app.security import matrix
from tests import factories
from tests.conftest import make_test_app

#: the issue's budget: at most 8 SQL statements per page, authentication included
MAX_STATEMENTS = 8
MAX_PAGE_BYTES = 200 * 1024


@contextmanager
def count_statements(app: Flask) -> Iterator[list[str]]:
    from app.extensions import db

    statements: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def _list_views(app: Flask) -> list[Any]:
    from app.views.base import MsaModelView

    return [v for v in app.appbuilder.baseviews if isinstance(v, MsaModelView)]  # type: ignore[attr-defined]


def _list_url(view: Any, page_size: int) -> str:
    return f"{view.route_base}/list/?psize_{view.__class__.__name__}={page_size}"


def _load_demo(app: Flask, persons: int = 70) -> None:
    from app.demo.data import load_demo_data

    with app.app_context():
        load_demo_data(persons=persons)


def test_every_list_page_has_constant_statements_whatever_the_page_size(
    app: Flask, login_as: Any
) -> None:
    """Every registered ModelView list: same SQL statement count at 5 and 50 rows per page."""
    _load_demo(app)
    client = login_as(matrix.ROLE_ADMIN)
    views = _list_views(app)
    assert len(views) >= 8
    checked_with_rows = set()
    for view in views:
        counts = {}
        for size in (5, 50, 5, 50):
            with count_statements(app) as statements:
                resp = client.get(_list_url(view, size))
            assert resp.status_code == 200, (view.route_base, resp.status_code)
            counts[size] = len(statements)
            assert len(resp.data) < MAX_PAGE_BYTES, (view.route_base, len(resp.data))
        assert counts[5] == counts[50], (view.__class__.__name__, counts, statements)
        assert counts[50] <= MAX_STATEMENTS, (view.__class__.__name__, statements)
        if resp.data.count(b"<tr") > 6:
            checked_with_rows.add(view.__class__.__name__)
    # the lists really had more rows than the small page size ("Meine Wiedervorlagen" is the
    # signed-in user's own list: tests/integration/test_casefile* count it for a caseworker)
    assert {"PersonView", "ContactNoteView", "NetworkPartnerView"} <= (checked_with_rows)


def test_scoped_list_statement_count_for_a_caseworker(app: Flask, login_as: Any) -> None:
    _load_demo(app, persons=40)
    with app.app_context():
        from app.models import Organisation

        org_id = factories.id_of(
            Organisation.query.filter_by(name="Caritasverband Musterkreis e.V.").one()
        )
    client = login_as(matrix.ROLE_CASEWORKER, org_id)
    for path in ("/personview/list/", "/contactnoteview/list/"):
        with count_statements(app) as statements:
            resp = client.get(path)
        assert resp.status_code == 200
        assert len(statements) <= MAX_STATEMENTS, statements


def test_list_count_is_capped_and_scoped(app: Flask, login_as: Any) -> None:
    with app.app_context():
        own, other = factories.make_org(), factories.make_org()
        # the other provider's rows come first: a count subquery without the scope would
        # see only them
        for i in range(20):
            factories.make_person(other, last_name=f"Fremd{i:02d}")
        for i in range(12):
            factories.make_person(own, last_name=f"Eigen{i:02d}")
        own_id = factories.id_of(own)
    client = login_as(matrix.ROLE_CASEWORKER, own_id)
    resp = client.get("/personview/list/")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert re.search(r"</strong>\s*12\b", text), "count must be the own provider's 12 persons"
    assert "Fremd" not in text
    app.config["LIST_COUNT_CAP"] = 10
    try:
        text = client.get("/personview/list/").get_data(as_text=True)
        assert "mehr als 10" in text
        # the last page still works from the capped count
        assert client.get("/personview/list/?page_PersonView=1").status_code == 200
        app.config["LIST_COUNT_CAP"] = 15
        text = client.get("/personview/list/").get_data(as_text=True)
        assert re.search(r"</strong>\s*12\b", text)
        app.config["LIST_COUNT_CAP"] = 0
        text = client.get("/personview/list/").get_data(as_text=True)
        assert re.search(r"</strong>\s*12\b", text)
    finally:
        app.config["LIST_COUNT_CAP"] = 10000


def test_capped_count_in_the_api_is_a_number(app: Flask, api_token: Any) -> None:
    with app.app_context():
        for i in range(5):
            factories.make_partner(name=f"Partner {i}")
    headers = api_token(matrix.ROLE_COUNTY_ADMIN, factories_org(app, "county"))
    app.config["LIST_COUNT_CAP"] = 3
    try:
        resp = app.test_client().get("/api/v1/networkpartner/", headers=headers)
    finally:
        app.config["LIST_COUNT_CAP"] = 10000
    assert resp.status_code == 200
    assert resp.json["count"] == 4  # cap + 1 means "more than 3"


def factories_org(app: Flask, kind: str) -> int:
    with app.app_context():
        return int(factories.id_of(factories.make_org(kind=kind)))


def test_search_form_related_choices_never_load_a_whole_table(app: Flask) -> None:
    """Every related-record select in every search form loads at most RELATED_CHOICES_LIMIT."""
    from wtforms.fields.core import UnboundField

    with app.app_context():
        org = factories.make_org()
        user = factories.make_user(matrix.ROLE_CASEWORKER, org)
        for i in range(8):
            person = factories.make_person(org, last_name=f"Wahl{i}")
            factories.make_follow_up(person, user)
            factories.make_partner(name=f"Partner {i}")
    app.config["RELATED_CHOICES_LIMIT"] = 3
    seen = 0
    try:
        with app.test_request_context("/"):
            for view in _list_views(app):
                for name in dir(view.search_form):
                    field = getattr(view.search_form, name)
                    if isinstance(field, UnboundField) and "query_func" in field.kwargs:
                        seen += 1
                        assert len(field.kwargs["query_func"]()) <= 3, (view, name)
    finally:
        app.config["RELATED_CHOICES_LIMIT"] = 50
    assert seen >= 1  # e.g. the follow-up list's search by person


def test_server_timing_header_is_opt_in(database_url: str, app: Flask) -> None:
    with app.app_context():
        org_id = factories.id_of(factories.make_org())
        user_id = factories.id_of(factories.make_user(matrix.ROLE_CASEWORKER, org_id))
    assert "Server-Timing" not in app.test_client().get("/login/").headers
    timed = make_test_app(database_url, MSA_SERVER_TIMING=True)
    client = timed.test_client()
    import time

    from app.security.sessions import EPOCH_KEY, LOGIN_AT_KEY, SEEN_AT_KEY

    with client.session_transaction() as sess:
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True
        sess[EPOCH_KEY] = 0
        sess[LOGIN_AT_KEY] = sess[SEEN_AT_KEY] = int(time.time())
    client.get("/personview/list/")  # warm-up
    with count_statements(timed) as statements:
        resp = client.get("/personview/list/")
    assert resp.status_code == 200
    header = resp.headers["Server-Timing"]
    match = re.fullmatch(
        r'app;dur=([\d.]+), sql;dur=([\d.]+);desc="(\d+)", cpu;dur=([\d.]+)', header
    )
    assert match, header
    assert int(match.group(3)) == len(statements) > 0
    assert float(match.group(1)) >= float(match.group(2))


def test_proxy_fix_only_when_configured(database_url: str) -> None:
    headers = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "msa.landkreis.example",
    }

    def probe_app(**config: Any) -> Flask:
        application = make_test_app(database_url, **config)

        @application.route("/_probe")
        def _probe() -> str:
            return f"{request.remote_addr}|{request.scheme}|{url_for('_probe', _external=True)}"

        return application

    behind = probe_app(MSA_PROXY_FIX=True).test_client().get("/_probe", headers=headers)
    assert behind.get_data(as_text=True) == (
        "203.0.113.7|https|https://msa.landkreis.example/_probe"
    )
    direct = probe_app(MSA_PROXY_FIX=False).test_client().get("/_probe", headers=headers)
    assert direct.get_data(as_text=True) == "127.0.0.1|http|http://localhost/_probe"


def test_login_rate_limit_is_shared_between_instances_through_redis(
    database_url: str, app: Flask
) -> None:
    """Two app instances (two gunicorn workers or hosts) count one limit in Redis."""
    import os

    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    prefix = f"msa-test-{uuid.uuid4().hex}"
    config = {
        "RATELIMIT_ENABLED": True,
        "AUTH_RATE_LIMITED": True,
        "AUTH_RATE_LIMIT": "3 per minute",
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    first = make_test_app(database_url, **config).test_client()
    second = make_test_app(database_url, **config).test_client()
    form = {"username": "niemand", "password": "falsch-falsch"}
    assert first.post("/login/", data=form).status_code != 429
    assert second.post("/login/", data=form).status_code != 429
    assert first.post("/login/", data=form).status_code != 429
    assert second.post("/login/", data=form).status_code == 429
    assert first.post("/login/", data=form).status_code == 429
    store = redis.Redis.from_url(url)
    keys = list(store.scan_iter(f"*{prefix}*"))
    assert keys, "the limit must be stored in Redis, not in process memory"
    store.delete(*keys)


def test_shared_persons_stay_visible_with_the_per_request_share_list(
    app: Flask, login_as: Any
) -> None:
    """The scope reads the shared persons once per request; shared rows stay visible."""
    from app.extensions import db
    from app.models import PersonShare

    with app.app_context():
        own, other = factories.make_org(), factories.make_org()
        worker = factories.make_user(matrix.ROLE_CASEWORKER, other)
        shared = factories.make_person(other, last_name="Geteilt")
        factories.make_person(other, last_name="Verborgen")
        factories.make_note(shared, worker, summary="Geteilter Vermerk")
        db.session.add(
            PersonShare(person_id=shared.id, organisation_id=own.id, consent_on=dt.date.today())
        )
        db.session.commit()
        own_id = factories.id_of(own)
    client = login_as(matrix.ROLE_CASEWORKER, own_id)
    with count_statements(app) as statements:
        text = client.get("/personview/list/").get_data(as_text=True)
    assert "Geteilt" in text and "Verborgen" not in text
    assert re.search(r"</strong>\s*1\b", text)
    # whether the organisation shares, received or handed over anything is read once per
    # request, not once per statement
    assert sum("AS involved_person_id" in s for s in statements) == 1
    notes = client.get("/contactnoteview/list/").get_data(as_text=True)
    assert "Geteilter Vermerk" in notes


def test_no_generic_form_offers_a_whole_big_table(app: Flask) -> None:
    """FAB add/edit forms that a user can reach never list persons, notes or partners.

    Such relations are chosen through a search (partners), come from the page (the person of
    a case file) or stay as documented; a select over them would load the whole table.
    """
    from flask_appbuilder import ModelView
    from wtforms.fields.core import UnboundField

    from app.models import ContactNote, NetworkPartner, Person

    big = {Person, ContactNote, NetworkPartner}
    offenders = []
    for view in _list_views(app):
        for kind in ("add", "edit"):
            if getattr(type(view), kind) is not getattr(ModelView, kind):
                continue  # a form of its own
            perms = view.base_permissions
            if perms is not None and "can_write" not in perms:
                continue  # read-only view: the route refuses
            form = getattr(view, f"{kind}_form", None)
            for name in dir(form):
                field = getattr(form, name, None)
                if isinstance(field, UnboundField) and "query_func" in field.kwargs:
                    related = view.datamodel.get_related_model(name)
                    if related in big:
                        offenders.append((type(view).__name__, kind, name))
    assert offenders == []

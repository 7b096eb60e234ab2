"""Cross-provider matrix: every registered route and REST endpoint, every role, B's records.

Provider B holds persons, households, notes (with topics), follow-ups, referrals, group
sessions, special categories, languages, degrees, employment, courses, vulnerabilities —
all containing the marker ``MARK_B``. One of B's persons is shared (with consent) with the
specialist service; its content carries ``MARK_SHARED``.

For the users of provider A (Fachkraft, Trägerleitung), a third provider C, the specialist
service and the county admin the walk requests EVERY rule of ``app.url_map`` with every
method it allows, substituting B's ids for path arguments (by the view's model, falling back
to B's person id), plus REST list filters, ``_info``, search filters of list pages, actions
and mass actions with B's primary keys, and POSTs naming B's related ids. It asserts: no 5xx,
no marker in any response body, and the database unchanged. Views added later are covered
automatically because the walk reads the url map and the registered views at run time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import prison
import pytest
from flask import Flask
from sqlalchemy import inspect, select, text

from app.security import matrix
from tests import factories
from tests.conftest import sign_in

MARK_B = "ZQXB7731"
MARK_SHARED = "ZQXS4242"
#: table rows the walk may legitimately change (log rows, login counters; and the
#: administration log's rows of refused changes, see snapshot)
VOLATILE_TABLES = {"access_log", "ab_user"}
SKIP_ENDPOINTS = {"static", "appbuilder.static", "AuthDBView.logout", "LocaleView.index"}
#: REST filter operators tried per column (the others add nothing for foreign ids)
FILTER_OPS = {"eq", "rel_o_m", "rel_m_m", "in", "ct", "sw"}
_ARG = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>")


# -- world ---------------------------------------------------------------------------------
@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """Providers A, B, C, the specialist service S and the county; B's records marked."""
    from app.extensions import db
    from app.models import (
        ContactNoteTopic,
        Employment,
        GroupSession,
        Household,
        IntegrationCourse,
        PersonDegree,
        PersonLanguage,
        PersonSensitive,
        PersonShare,
        PersonVulnerability,
        Referral,
    )

    with app.app_context():
        county = factories.make_org("Landkreis Test", kind="county")
        org_a = factories.make_org("Träger A")
        org_b = factories.make_org("Träger B")
        org_c = factories.make_org("Träger C")
        org_s = factories.make_org("Fachberatungsdienst", kind="specialist_service")
        worker_a = factories.make_user(matrix.ROLE_CASEWORKER, org_a)
        worker_b = factories.make_user(matrix.ROLE_CASEWORKER, org_b)
        partner = factories.make_partner(name="Jobcenter Kreis")
        person_a = factories.make_person(org_a, first_name="Amal", last_name="Eigen")
        factories.make_note(person_a, worker_a, summary="Vermerk von A")

        def mark_person(org: Any, mark: str) -> Any:
            household = Household(name=f"Familie {mark}", organisation_id=org.id)
            db.session.add(household)
            db.session.flush()
            person = factories.make_person(
                org,
                first_name=f"Vorname{mark}",
                last_name=f"Nachname{mark}",
                file_number=mark,
                phone=mark,
                private_interests=f"Interessen {mark}",
                household_id=household.id,
            )
            note = factories.make_note(person, worker_b, summary=f"Vermerk {mark}", result=mark)
            db.session.add(ContactNoteTopic(contact_note_id=note.id, code="housing"))
            factories.make_follow_up(person, worker_b, title=f"Wiedervorlage {mark}")
            pid, oid = person.id, org.id
            db.session.add_all(
                [
                    Referral(
                        person_id=pid,
                        organisation_id=oid,
                        partner_id=partner.id,
                        date=dt.date.today(),
                        note=f"Vermittlung {mark}",
                        contact_note_id=note.id,
                    ),
                    PersonSensitive(
                        person_id=pid,
                        organisation_id=oid,
                        health=f"Gesund {mark}",
                        religion=mark,
                        criminal_proceedings=f"Verfahren {mark}",
                    ),
                    PersonLanguage(
                        person_id=pid,
                        organisation_id=oid,
                        language="ar",
                        certificate=f"Zertifikat {mark}",
                    ),
                    PersonDegree(
                        person_id=pid, organisation_id=oid, kind="school", title=f"Abschluss {mark}"
                    ),
                    Employment(person_id=pid, organisation_id=oid, employer=f"Firma {mark}"),
                    IntegrationCourse(
                        person_id=pid, organisation_id=oid, course="general", outcome=mark
                    ),
                    PersonVulnerability(
                        person_id=pid, organisation_id=oid, code="minor", note=f"Vulnerabel {mark}"
                    ),
                ]
            )
            session = GroupSession(
                organisation_id=oid,
                date=dt.date.today(),
                caseworker_id=worker_b.id,
                topic=f"Gruppe {mark}",
                summary=mark,
            )
            session.participants = [person]
            db.session.add(session)
            _mark_cooperation(oid, pid, worker_b.id, partner.id, mark)
            db.session.commit()
            return person

        person_b = mark_person(org_b, MARK_B)
        shared = mark_person(org_b, MARK_SHARED)
        db.session.add(
            PersonShare(person_id=shared.id, organisation_id=org_s.id, consent_on=dt.date.today())
        )
        db.session.commit()
        return {
            "county": county.id,
            "a": org_a.id,
            "b": org_b.id,
            "c": org_c.id,
            "s": org_s.id,
            "person_a": person_a.id,
            "person_b": person_b.id,
            "shared": shared.id,
            "worker_b": worker_b.id,
            "partner": partner.id,
        }


def _mark_cooperation(oid: int, pid: int, worker_id: int, partner_id: int, mark: str) -> None:
    """Cooperation: B's cooperation work, staff records and an appointment, all marked."""
    from decimal import Decimal

    from app.extensions import db
    from app.models import (
        Appointment,
        Meeting,
        Project,
        StaffQualification,
        StaffSupervision,
        StaffTraining,
        Volunteer,
        WorkingGroup,
    )

    group = WorkingGroup(organisation_id=oid, name=f"Arbeitskreis {mark}", active=True)
    volunteer = Volunteer(organisation_id=oid, first_name="Eh", last_name=f"Ehrenamt {mark}")
    project = Project(
        organisation_id=oid,
        name=f"Projekt {mark}",
        kind="encounter",
        starts_on=dt.date.today(),
        participant_count=3,
    )
    project.volunteers = [volunteer]
    db.session.add_all([group, volunteer, project])
    db.session.flush()
    db.session.add_all(
        [
            Meeting(
                organisation_id=oid,
                working_group_id=group.id,
                date=dt.date.today(),
                topics=f"Sitzung {mark}",
            ),
            Appointment(
                organisation_id=oid,
                owner_id=worker_id,
                person_id=pid,
                partner_id=partner_id,
                date=dt.date.today(),
                start_time=dt.time(9, 0),
                title=f"Termin {mark}",
                place=mark,
            ),
            StaffQualification(organisation_id=oid, user_id=worker_id, title=f"Quali {mark}"),
            StaffTraining(
                organisation_id=oid,
                user_id=worker_id,
                date=dt.date.today(),
                title=f"Fortbildung {mark}",
                hours=Decimal("1"),
            ),
            StaffSupervision(
                organisation_id=oid,
                user_id=worker_id,
                date=dt.date.today(),
                supervisor=f"Supervision {mark}",
            ),
        ]
    )


def b_ids(app: Flask, org_b: int, person_b: int) -> dict[Any, int]:
    """B's first row id of every scoped model (found by reflection, so later models count)."""
    from app.extensions import db
    from app.models.base import OrgScoped, PersonOwned

    out: dict[Any, int] = {}
    with app.app_context():
        for mapper in db.Model.registry.mappers:
            cls = mapper.class_
            if not issubclass(cls, OrgScoped) or "id" not in mapper.columns:
                continue
            where = (
                cls.person_id == person_b
                if issubclass(cls, PersonOwned)
                else cls.id == person_b
                if cls.__name__ == "Person"
                else cls.organisation_id == org_b
            )
            row = db.session.execute(select(cls.id).where(where).limit(1)).scalar()
            if row is None:
                row = db.session.execute(
                    select(cls.id).where(cls.organisation_id == org_b).limit(1)
                ).scalar()
            if row is not None:
                out[cls] = row
    return out


def snapshot(app: Flask) -> dict[str, list[str]]:
    """Every row of every table but the volatile ones, as sorted strings."""
    from app.extensions import db

    out: dict[str, list[str]] = {}
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            query = table.select()
            if table.name == "admin_log":  # a refused attempt legitimately leaves its trace
                query = query.where(table.c.action != "refused")
            rows = conn.execute(query).all()
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out


def diff(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def _text_value(datamodel: Any, col: str) -> Any:
    """A filter value of the column's type (PostgreSQL refuses 'ZQX' for a boolean: 500,
    a FAB weakness reported separately); text columns get a marker prefix."""
    if datamodel.is_boolean(col):
        return True
    return "ZQX"


# -- the walk ------------------------------------------------------------------------------
class Walker:
    """Requests every route as one user and collects findings instead of stopping early."""

    def __init__(
        self,
        app: Flask,
        client: Any,
        headers: dict[str, str],
        ids: dict[Any, int],
        person_b: int,
        forbidden: tuple[str, ...],
    ) -> None:
        self.app = app
        self.client = client
        self.headers = headers
        self.ids = ids
        self.person_b = person_b
        self.forbidden = forbidden
        self.findings: list[str] = []
        #: form posts to browser views (off for the county admin, whose own admin forms
        #: — users, organisations, accommodations — are not case content)
        self.browser_writes = True
        self.requests = 0
        self.views = {type(v).__name__: v for v in app.appbuilder.baseviews}

    def model_of(self, endpoint: str) -> Any:
        view = self.views.get(endpoint.split(".")[0])
        datamodel = getattr(view, "datamodel", None)
        return getattr(datamodel, "obj", None)

    def id_for(self, model: Any) -> int:
        return self.ids.get(model, self.person_b)

    def check(self, label: str, resp: Any) -> None:
        self.requests += 1
        # binary answers (a PDF of the caller's own provider) are searched as text, too
        body = resp.get_data().decode("utf-8", "replace")
        if resp.status_code >= 500:
            self.findings.append(f"{label}: {resp.status_code}")
        for mark in self.forbidden:
            if mark in body:
                self.findings.append(f"{label}: enthält {mark} (Status {resp.status_code})")

    def request(self, method: str, url: str, **kw: Any) -> Any:
        resp = self.client.open(url, method=method, headers=self.headers, **kw)
        self.check(f"{method} {url}", resp)
        return resp

    def url(self, rule: Any, model: Any) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "name":
                return "muldelete"
            if name in ("col_name", "group_by"):
                return "person"
            if name == "version":
                return "v1"
            if name == "filename":
                return "x.csv"
            return str(self.id_for(model))

        return _ARG.sub(value, rule.rule)

    def walk_rules(self) -> None:
        for rule in self.app.url_map.iter_rules():
            if rule.endpoint in SKIP_ENDPOINTS:
                continue
            model = self.model_of(rule.endpoint)
            methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
            url = self.url(rule, model)
            for method in methods:
                if method != "GET" and not rule.arguments:
                    continue  # creates: below, with B's related ids
                if method == "GET":
                    self.request("GET", url)
                else:
                    bid = self.id_for(model)
                    payload = {
                        "person_id": self.person_b,
                        "id": bid,
                        "to": "closed",
                        "version": 1,
                        "summary": "überschrieben",
                    }
                    if url.startswith("/api/"):
                        self.request(method, url, json=payload)
                    elif self.browser_writes:
                        self.request(method, url, data={**payload, "person": self.person_b})

    def walk_model_views(self) -> None:
        """List search filters, actions and mass actions of every ModelView with B's pks."""
        from flask_appbuilder import ModelView

        for view in self.app.appbuilder.baseviews:
            if not isinstance(view, ModelView):
                continue
            model = view.datamodel.obj
            base = view.route_base
            bid = self.id_for(model)
            for col in view.search_columns:
                rel = view.datamodel.is_relation(col)
                for index in range(2):
                    value = self.person_b if rel else _text_value(view.datamodel, col)
                    value = "y" if value is True else value  # FAB's checkbox value
                    self.request("GET", f"{base}/list/?_flt_{index}_{col}={value}")
            if not self.browser_writes:
                continue
            for name in view.actions:
                self.request(
                    "POST",
                    f"{base}/action_post",
                    data={"action": name, "rowid": [str(bid), str(self.person_b)]},
                )
                self.request("GET", f"{base}/action/{name}/{bid}")
            add_data = {
                col: str(self.id_for(view.datamodel.get_related_model(col)))
                for col in view.add_columns
                if view.datamodel.is_relation(col)
            }
            if add_data:
                self.request("POST", f"{base}/add", data=add_data)

    def walk_apis(self) -> None:
        """REST: get, list with filters, _info, put, delete, post with B's related ids."""
        from flask_appbuilder import ModelRestApi

        for api in self.app.appbuilder.baseviews:
            if not isinstance(api, ModelRestApi):
                continue
            model = api.datamodel.obj
            base = f"/api/v1/{api.resource_name}"
            bid = self.id_for(model)
            self.request("GET", f"{base}/{bid}")
            self.request("GET", f"{base}/")
            info = self.request("GET", f"{base}/_info")
            q = prison.dumps({"keys": ["add_columns", "edit_columns", "filters"]})
            self.request("GET", f"{base}/_info?q={q}")
            filters = (info.get_json(silent=True) or {}).get("filters", {})
            for col, ops in filters.items():
                names = [op.get("operator", "") for op in ops]
                for name in [n for n in names if n in FILTER_OPS] or names[:1]:
                    value: Any = _text_value(api.datamodel, col)
                    if api.datamodel.is_relation(col) or col.endswith("_id") or col == "id":
                        value = self.person_b
                    if name in ("in", "not_in"):
                        value = [value]
                    query = prison.dumps({"filters": [{"col": col, "opr": name, "value": value}]})
                    self.request("GET", f"{base}/?q={query}")
            q = prison.dumps({"filters": [{"col": "id", "opr": "eq", "value": bid}]})
            self.request("GET", f"{base}/?q={q}")
            self.request("PUT", f"{base}/{bid}", json={"version": 1})
            self.request("DELETE", f"{base}/{bid}")
            body = self.post_body(api, model)
            if body:
                self.request("POST", f"{base}/", json=body)

    def post_body(self, api: Any, model: Any) -> dict[str, Any]:
        body: dict[str, Any] = {}
        mapper = inspect(model)
        registry = {m.local_table.name: m.class_ for m in mapper.registry.mappers}
        for col in getattr(api, "add_columns", []) or []:
            if col in mapper.columns:
                for fk in mapper.columns[col].foreign_keys:
                    target = registry.get(fk.column.table.name)
                    if target in self.ids:
                        body[col] = self.ids[target]
            elif col.endswith("_ids"):
                body[col] = [self.person_b]
        if body:
            body.setdefault("participant_ids", [self.person_b])
        return body

    def walk(self) -> list[str]:
        self.walk_rules()
        self.walk_model_views()
        self.walk_apis()
        return self.findings


def _signed_in(app: Flask, role: str, org_id: int) -> tuple[Any, dict[str, str]]:
    with app.app_context():
        user = factories.make_user(role, org_id)
        user_id, username = user.id, user.username
    client = sign_in(app.test_client(), user_id)
    # the walk is only meaningful when the client really is signed in
    assert client.get("/").status_code == 200
    resp = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": factories.PASSWORD, "provider": "db"},
    )
    token = resp.get_json()["access_token"]
    return client, {"Authorization": f"Bearer {token}"}


CASES = [
    # (role, organisation key, markers that must never show)
    (matrix.ROLE_CASEWORKER, "a", (MARK_B, MARK_SHARED)),
    (matrix.ROLE_LEAD, "a", (MARK_B, MARK_SHARED)),
    (matrix.ROLE_SPECIALIST, "a", (MARK_B, MARK_SHARED)),
    (matrix.ROLE_SPECIALIST, "s", (MARK_B,)),
    (matrix.ROLE_COUNTY_ADMIN, "county", (MARK_B, MARK_SHARED)),
]


@pytest.mark.parametrize(("role", "org_key", "forbidden"), CASES)
def test_walk_every_route_finds_no_trace_of_provider_b(
    app: Flask, world: dict[str, Any], role: str, org_key: str, forbidden: tuple[str, ...]
) -> None:
    ids = b_ids(app, world["b"], world["person_b"])
    client, headers = _signed_in(app, role, world[org_key])
    before = snapshot(app)
    walker = Walker(app, client, headers, ids, world["person_b"], forbidden)
    walker.browser_writes = role != matrix.ROLE_COUNTY_ADMIN
    findings = walker.walk()
    print(f"{role}: {walker.requests} Anfragen")
    assert walker.requests > 150
    assert not findings, "\n".join(findings[:40])
    changed = diff(before, snapshot(app))
    assert not changed, f"Datenbank verändert in {changed}"


def test_walk_covers_every_registered_view(app: Flask) -> None:
    """The walk is generic: every view and API registered is in the url map it walks."""
    endpoints = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()}
    for view in app.appbuilder.baseviews:
        if getattr(view, "blueprint", None) is not None:
            assert type(view).__name__ in endpoints


def test_shared_person_visible_to_specialist_service_only(
    app: Flask, world: dict[str, Any]
) -> None:
    """A share with consent opens the person to the specialist service, not to others."""
    client_s, headers_s = _signed_in(app, matrix.ROLE_SPECIALIST, world["s"])
    resp = client_s.get(f"/api/v1/person/{world['shared']}", headers=headers_s)
    assert resp.status_code == 200 and MARK_SHARED in resp.get_data(as_text=True)
    listing = client_s.get("/api/v1/contactnote/", headers=headers_s).get_data(as_text=True)
    assert MARK_SHARED in listing and MARK_B not in listing
    assert client_s.get(f"/api/v1/person/{world['person_b']}", headers=headers_s).status_code == 404
    client_c, headers_c = _signed_in(app, matrix.ROLE_CASEWORKER, world["c"])
    assert client_c.get(f"/api/v1/person/{world['shared']}", headers=headers_c).status_code == 404
    body = client_c.get("/personview/list/", headers=headers_c).get_data(as_text=True)
    assert MARK_SHARED not in body


def test_county_admin_gets_no_case_content(app: Flask, world: dict[str, Any]) -> None:
    client, headers = _signed_in(app, matrix.ROLE_COUNTY_ADMIN, world["county"])
    for url in (
        "/api/v1/person/",
        f"/api/v1/person/{world['person_b']}",
        "/api/v1/contactnote/",
        f"/api/v1/person/{world['person_b']}/sensitive",
    ):
        assert client.get(url, headers=headers).status_code == 403, url
    resp = client.get(f"/besondere-kategorien/{world['person_b']}/")
    assert resp.status_code in (302, 403) and MARK_B not in resp.get_data(as_text=True)


def test_reviewer_reads_are_logged(app: Flask, world: dict[str, Any]) -> None:
    from app.extensions import db
    from app.models import AccessLog

    client, headers = _signed_in(app, matrix.ROLE_REVIEWER, world["county"])
    resp = client.get(f"/api/v1/person/{world['person_b']}", headers=headers)
    assert resp.status_code == 200
    resp = client.get(f"/besondere-kategorien/{world['person_b']}/")
    assert resp.status_code == 200 and f"Gesund {MARK_B}" in resp.get_data(as_text=True)
    with app.app_context():
        rows = db.session.execute(
            select(AccessLog.action, AccessLog.category, AccessLog.detail).where(
                AccessLog.person_id == world["person_b"]
            )
        ).all()
    assert ("read", "case_file") in [(a, c) for a, c, _ in rows]
    assert {c for a, c, _ in rows if a == "read_sensitive"} >= {"health", "religion"}
    assert all(MARK_B not in (d or "") for _, _, d in rows)


@pytest.fixture(autouse=True)
def _no_leftover_connections(app: Flask) -> Iterator[None]:
    yield
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

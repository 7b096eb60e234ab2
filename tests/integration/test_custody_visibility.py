"""Who sees a record of a person — the custody rule (shared/CUSTODY.md) against the portal.

The rule is written here once more, independently of ``app.security.scoping``: a small model
of holders, handovers, shares and records, and a recursive "could the holder see it at that
moment". A Hypothesis state machine drives random sequences of notes, special categories,
handovers of both scopes (accepted, declined, withdrawn), shares, share ends and destructions
across three providers and the Fachberatungsdienst through the REST API, and after every step
compares, for every organisation and every record, what the API shows with what the rule says.
At the end of each run the case-file pages, the person search and the iCal-feed-free desk are
read as well.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from app.extensions import db
from app.security import matrix

TODAY = dt.date.today()
_RUN = itertools.count(1)


# -- the rule, written once more ---------------------------------------------------------
@dataclass
class Period:
    org: int
    began: str  # "start", "full", "master_data"
    at: int  # the clock when the period began


@dataclass
class Record:
    key: str  # unique text: the note's summary or the special-category text
    kind: str  # "note" or "sensitive"
    person: int
    writer: int
    period: int  # index of the person's custody period it was written in
    at: int  # the clock when it was written


@dataclass
class PersonModel:
    periods: list[Period]
    shares: set[int] = field(default_factory=set)  # organisations with an active share

    @property
    def holder(self) -> int:
        return self.periods[-1].org


def holder_sees(person: PersonModel, j: int, r: Record, moment: int) -> bool:
    """Could the holder of period ``j`` see record ``r`` at ``moment``? (CUSTODY.md rule 1)"""
    if r.at > moment:
        return False
    period = person.periods[j]
    if r.writer == period.org:
        return True
    if r.period == j:  # written by a share recipient of this holder during its period
        return True
    if period.began == "full" and j > 0:
        return holder_sees(person, j - 1, r, period.at)
    return False


def sees(org: int, person: PersonModel | None, r: Record, now: int) -> bool:
    """Rule 1 (holder), 2 (share recipient), 4 (former holder): nothing else sees it."""
    if person is None:
        return False
    last = len(person.periods) - 1
    if org == person.holder:
        return holder_sees(person, last, r, now)
    if org in person.shares:
        return r.writer == org or holder_sees(person, last, r, now)
    return False


def _letters(n: int) -> str:
    """A number as letters (names with digits would all fold to the same search key; no
    letters that form transliteration pairs such as ch, kh, sh, ou, w/v)."""
    out = ""
    while True:
        n, rest = divmod(n, 10)
        out = "bdfglmnprt"[rest] + out
        if n == 0:
            return out


# -- the machine --------------------------------------------------------------------------
class CustodyMachine(RuleBasedStateMachine):
    """Random custody histories through the REST API, checked against the rule above."""

    app: Flask
    api_token: Any

    def __init__(self) -> None:
        super().__init__()
        from tests import factories

        run = next(_RUN)
        self.client = self.app.test_client()
        with self.app.app_context():
            orgs = [factories.make_org(f"Träger {run}-{i}") for i in range(3)]
            orgs.append(factories.make_org(f"FBD {run}", kind="specialist_service"))
            self.orgs = [o.id for o in orgs]
        self.providers = self.orgs[:3]
        self.headers = {
            org: self.api_token(
                matrix.ROLE_SPECIALIST if org == self.orgs[3] else matrix.ROLE_LEAD, org
            )
            for org in self.orgs
        }
        self.persons: dict[int, PersonModel] = {}
        self.records: list[Record] = []
        self.clock = 0
        self.run = run
        self.serial = itertools.count(1)

    # -- helpers
    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def alive(self) -> list[int]:
        return sorted(self.persons)

    def writers_of(self, pid: int) -> list[int]:
        person = self.persons[pid]
        return [person.holder, *sorted(person.shares)]

    # -- steps
    @rule(org=st.integers(0, 2))
    def create_person(self, org: int) -> None:
        org_id = self.providers[org]
        n = next(self.serial)
        resp = self.client.post(
            "/api/v1/person/",
            json={
                "first_name": f"Lina{_letters(n)}",
                "last_name": f"Kustodie{_letters(self.run)}",
                "birth_date": (
                    dt.date(1950, 1, 1) + dt.timedelta(days=97 * self.run + 7 * n)
                ).isoformat(),
            },
            headers=self.headers[org_id],
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
        pid = resp.get_json()["id"]
        self.persons[pid] = PersonModel([Period(org_id, "start", self.tick())])

    @precondition(lambda self: self.persons)
    @rule(data=st.data())
    def write_note(self, data: Any) -> None:
        pid = data.draw(st.sampled_from(self.alive()))
        writer = data.draw(st.sampled_from(self.writers_of(pid)))
        key = f"Vermerk-{self.run}-{next(self.serial)}-Ende"
        resp = self.client.post(
            "/api/v1/contactnote/",
            json={
                "person_id": pid,
                "date": TODAY.isoformat(),
                "kind": "individual",
                "summary": key,
            },
            headers=self.headers[writer],
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
        person = self.persons[pid]
        self.records.append(Record(key, "note", pid, writer, len(person.periods) - 1, self.tick()))

    @precondition(lambda self: self.persons)
    @rule(data=st.data())
    def write_sensitive(self, data: Any) -> None:
        pid = data.draw(st.sampled_from(self.alive()))
        writer = data.draw(st.sampled_from(self.writers_of(pid)))
        url = f"/api/v1/person/{pid}/sensitive"
        read = self.client.get(url, headers=self.headers[writer])
        assert read.status_code == 200, read.get_data(as_text=True)
        key = f"Gesundheit {self.run}-{next(self.serial)}"
        body = {"health": key, "version": read.get_json()["result"]["version"]}
        resp = self.client.put(url, json=body, headers=self.headers[writer])
        assert resp.status_code == 200, resp.get_data(as_text=True)
        person = self.persons[pid]
        # one entry per person and writer: the new text replaces the writer's earlier one
        self.records = [
            r
            for r in self.records
            if not (r.kind == "sensitive" and r.person == pid and r.writer == writer)
        ]
        self.records.append(
            Record(key, "sensitive", pid, writer, len(person.periods) - 1, self.tick())
        )

    @precondition(lambda self: self.persons)
    @rule(
        data=st.data(),
        scope=st.sampled_from(["full", "master_data"]),
        outcome=st.sampled_from(["accept", "accept", "decline", "withdraw"]),
    )
    def handover(self, data: Any, scope: str, outcome: str) -> None:
        pid = data.draw(st.sampled_from(self.alive()))
        person = self.persons[pid]
        target = data.draw(st.sampled_from([o for o in self.providers if o != person.holder]))
        resp = self.client.post(
            "/api/v1/handover/",
            json={
                "person_id": pid,
                "to_organisation_id": target,
                "scope": scope,
                "consent_given": True,
                "consent_on": TODAY.isoformat(),
                "consent_form": "written",
                "reason": "Umzug",
                "include_household": False,
            },
            headers=self.headers[person.holder],
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
        hid = resp.get_json()["id"]
        if outcome == "withdraw":
            answer = self.client.post(
                f"/api/v1/handover/{hid}/withdraw", json={}, headers=self.headers[person.holder]
            )
        else:
            answer = self.client.post(
                f"/api/v1/handover/{hid}/{outcome}",
                json={"reason": "Kein Platz"},
                headers=self.headers[target],
            )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        if outcome == "accept":
            person.periods.append(Period(target, scope, self.tick()))
            person.shares = set()  # CUSTODY.md rule 3: the releasing holder's shares end

    @precondition(lambda self: self.persons)
    @rule(data=st.data())
    def share(self, data: Any) -> None:
        pid = data.draw(st.sampled_from(self.alive()))
        person = self.persons[pid]
        target = data.draw(st.sampled_from([o for o in self.orgs if o != person.holder]))
        resp = self.client.post(
            f"/api/v1/person/{pid}/shares",
            json={
                "organisation_id": target,
                "until": (TODAY + dt.timedelta(days=30)).isoformat(),
                "consent_on": TODAY.isoformat(),
            },
            headers=self.headers[person.holder],
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
        person.shares.add(target)
        self.tick()

    @precondition(lambda self: any(p.shares for p in self.persons.values()))
    @rule(data=st.data())
    def end_share(self, data: Any) -> None:
        pid = data.draw(st.sampled_from([p for p in self.alive() if self.persons[p].shares]))
        person = self.persons[pid]
        target = data.draw(st.sampled_from(sorted(person.shares)))
        resp = self.client.delete(
            f"/api/v1/person/{pid}/shares/{target}", headers=self.headers[person.holder]
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)
        person.shares.discard(target)
        self.tick()

    @precondition(lambda self: self.persons)
    @rule(data=st.data())
    def destroy(self, data: Any) -> None:
        pid = data.draw(st.sampled_from(self.alive()))
        from app.services.data_protection.retention import destroy_persons

        with self.app.app_context():
            destroy_persons(db.session.connection(), [pid])
            db.session.commit()
        del self.persons[pid]
        self.records = [r for r in self.records if r.person != pid]
        self.tick()

    def teardown(self) -> None:
        """At the end of a run: the person list and each case-file page follow the rule too."""
        from tests import factories
        from tests.conftest import sign_in

        for org in self.orgs:
            listed = self.client.get("/api/v1/person/?q=(page_size:100)", headers=self.headers[org])
            assert listed.status_code == 200
            want = {pid for pid, p in self.persons.items() if org == p.holder or org in p.shares}
            assert {row["id"] for row in listed.get_json()["result"]} == want, org
            found = self.client.get(
                f"/api/v1/person/search?q=Kustodie{_letters(self.run)}", headers=self.headers[org]
            )
            assert found.status_code == 200
            assert {row["id"] for row in found.get_json()["result"]} == want, ("Suche", org)
            if not want:
                continue
            with self.app.app_context():
                role = matrix.ROLE_SPECIALIST if org == self.orgs[3] else matrix.ROLE_LEAD
                uid = factories.make_user(role, org).id
            browser = sign_in(self.app.test_client(), uid)
            for pid in sorted(want):
                page = browser.get(f"/personview/show/{pid}").get_data(as_text=True)
                for r in self.records:
                    if r.kind != "note" or r.person != pid:
                        continue
                    shown = sees(org, self.persons[pid], r, self.clock)
                    assert (r.key in page) == shown, (org, pid, r.key)

    # -- what every organisation sees after every step
    @invariant()
    def every_organisation_sees_what_the_rule_says(self) -> None:
        for org in self.orgs:
            h = self.headers[org]
            listed = self.client.get("/api/v1/contactnote/?q=(page_size:100)", headers=h)
            assert listed.status_code == 200
            notes = {row["summary"] for row in listed.get_json()["result"]}
            want = {
                r.key
                for r in self.records
                if r.kind == "note" and sees(org, self.persons.get(r.person), r, self.clock)
            }
            assert notes == want, f"Notizen für Organisation {org}"
            for pid, person in self.persons.items():
                visible = org == person.holder or org in person.shares
                got = self.client.get(f"/api/v1/person/{pid}", headers=h)
                assert got.status_code == (200 if visible else 404), (org, pid)
                if not visible:
                    continue
                health = self.client.get(f"/api/v1/person/{pid}/sensitive", headers=h)
                assert health.status_code == 200
                shown = health.get_json()["result"]["health"]
                seen = [
                    r
                    for r in self.records
                    if r.kind == "sensitive"
                    and r.person == pid
                    and sees(org, person, r, self.clock)
                ]
                own = [r for r in seen if r.writer == org]
                expected = (own or sorted(seen, key=lambda r: r.at)[-1:] or [None])[0]
                assert shown == (expected.key if expected else None), (org, pid)


def test_visibility_follows_custody_and_provenance(app: Flask, api_token: Any) -> None:
    """Every organisation sees a record exactly when the custody rule says so."""
    CustodyMachine.app = app
    CustodyMachine.api_token = staticmethod(api_token)
    run_state_machine_as_test(
        CustodyMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            phases=[Phase.generate],
        ),
    )


# -- the worked chain of CUSTODY.md, step by step ------------------------------------------
def test_the_worked_chain(app: Flask, api_token: Any, login_as: Any) -> None:
    """Caritas → Diakonie (master data) → share with the FBD → Dritter Träger (full)."""
    from tests import factories

    with app.app_context():
        caritas, diakonie, dritter = (
            factories.make_org(n) for n in ("Caritas", "Diakonie", "Dritter")
        )
        fbd = factories.make_org("FBD Kette", kind="specialist_service")
        ids = {"c": caritas.id, "d": diakonie.id, "t": dritter.id, "f": fbd.id}
    h = {
        k: api_token(matrix.ROLE_SPECIALIST if k == "f" else matrix.ROLE_LEAD, v)
        for k, v in ids.items()
    }
    client = app.test_client()

    def note(who: str, pid: int, text: str) -> None:
        body = {"person_id": pid, "date": TODAY.isoformat(), "kind": "individual", "summary": text}
        resp = client.post("/api/v1/contactnote/", json=body, headers=h[who])
        assert resp.status_code == 201, resp.get_data(as_text=True)

    def notes(who: str) -> set[str]:
        rows = client.get("/api/v1/contactnote/?q=(page_size:100)", headers=h[who]).get_json()
        return {r["summary"] for r in rows["result"]}

    def health(who: str, pid: int) -> Any:
        resp = client.get(f"/api/v1/person/{pid}/sensitive", headers=h[who])
        return resp.get_json()["result"]["health"] if resp.status_code == 200 else "404"

    def hand(frm: str, to: str, pid: int, scope: str) -> None:
        body = {
            "person_id": pid,
            "to_organisation_id": ids[to],
            "scope": scope,
            "consent_given": True,
            "consent_on": TODAY.isoformat(),
            "consent_form": "written",
        }
        hid = client.post("/api/v1/handover/", json=body, headers=h[frm]).get_json()["id"]
        assert (
            client.post(f"/api/v1/handover/{hid}/accept", json={}, headers=h[to]).status_code == 200
        )

    resp = client.post(
        "/api/v1/person/",
        json={"first_name": "Samir", "last_name": "Kette", "birth_date": "1990-02-03"},
        headers=h["c"],
    )
    pid = resp.get_json()["id"]
    note("c", pid, "N1")
    put = client.put(f"/api/v1/person/{pid}/sensitive", json={"health": "H1"}, headers=h["c"])
    assert put.status_code == 200, put.get_data(as_text=True)
    assert (notes("c"), health("c", pid)) == ({"N1"}, "H1")

    hand("c", "d", pid, "master_data")
    assert notes("c") == set() and health("c", pid) == "404"
    assert notes("d") == set() and health("d", pid) is None
    # the new holder records its own special categories (was a 500 before)
    put = client.put(
        f"/api/v1/person/{pid}/sensitive", json={"health": "H2", "version": None}, headers=h["d"]
    )
    assert put.status_code == 200, put.get_data(as_text=True)
    note("d", pid, "N2")
    share = client.post(
        f"/api/v1/person/{pid}/shares",
        json={
            "organisation_id": ids["f"],
            "until": (TODAY + dt.timedelta(days=30)).isoformat(),
            "consent_on": TODAY.isoformat(),
        },
        headers=h["d"],
    )
    assert share.status_code == 201
    assert notes("f") == {"N2"} and health("f", pid) == "H2"  # never N1 nor H1
    note("f", pid, "N3")
    assert notes("d") == {"N2", "N3"} and notes("f") == {"N2", "N3"}

    hand("d", "t", pid, "full")
    assert notes("t") == {"N2", "N3"} and health("t", pid) == "H2"
    assert notes("d") == set() and notes("f") == set()  # the share ended with the handover
    assert notes("c") == set()
    for who in ("c", "d", "f"):
        assert client.get(f"/api/v1/person/{pid}", headers=h[who]).status_code == 404
    # the case-file page of the new holder shows the released notes, not N1
    with app.app_context():
        lead = factories.make_user(matrix.ROLE_LEAD, ids["t"])
        uid = lead.id
    from tests.conftest import sign_in

    page = sign_in(app.test_client(), uid).get(f"/personview/show/{pid}").get_data(as_text=True)
    assert "N2" in page and "N3" in page and ">N1<" not in page and "N1\n" not in page
    # figures stay with the writers (CUSTODY.md "Which organisation a figure belongs to")
    from sqlalchemy import func, select

    from app.models import ContactNote

    with app.app_context():
        by_writer = dict(
            db.session.execute(
                select(ContactNote.organisation_id, func.count())
                .where(ContactNote.person_id == pid)
                .group_by(ContactNote.organisation_id)
            ).all()
        )
    assert by_writer == {ids["c"]: 1, ids["d"]: 1, ids["f"]: 1}

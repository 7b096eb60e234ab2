"""Exactly one decision per handover offer (Übergabe: annehmen, ablehnen, zurückziehen).

Accept and decline by the receiver and withdraw by the sender, sent at the same moment, are
three claims on one open offer: exactly one of them wins. The others are told in German that
the offer is no longer open (REST: 409 with a message; pages: a flash message and a redirect,
never an error page). The access log records only the decision that happened, and the
person moves to the receiver only when the acceptance wins.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AccessLog, Person
from app.models.intake import Handover
from app.security import matrix
from tests.conftest import make_test_app, sign_in

ROUNDS = 50
#: the decisions and the status each one leaves behind
OUTCOME = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}
DECISION_ACTIONS = {"handover_accept", "handover_decline", "handover_withdraw"}
ACTION_OF = {
    "accept": "handover_accept",
    "decline": "handover_decline",
    "withdraw": "handover_withdraw",
}
NOT_OPEN = "nicht mehr offen"


@pytest.fixture
def race_app(database_url: str, app: Flask) -> Any:
    """A second app on the same (migrated) database whose SQLite connections wait for the
    write lock (busy timeout) instead of failing — as several server workers would."""
    application = make_test_app(
        database_url, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": _connect_args(database_url)}
    )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _connect_args(database_url: str) -> dict[str, Any]:
    return {"timeout": 60} if database_url.startswith("sqlite") else {}


def _setup(app: Flask, api_token: Callable[..., dict[str, str]]) -> dict[str, Any]:
    from tests import factories

    with app.app_context():
        a = factories.make_org("Träger A")
        b = factories.make_org("Träger B")
        sender = factories.make_user(matrix.ROLE_CASEWORKER, a)
        receiver = factories.make_user(matrix.ROLE_LEAD, b)
        w: dict[str, Any] = {"a": a.id, "b": b.id, "ua": sender.id, "ub": receiver.id}
    w["ha"] = api_token(matrix.ROLE_CASEWORKER, w["a"])
    w["hb"] = api_token(matrix.ROLE_LEAD, w["b"])
    return w


def _new_offer(app: Flask, w: dict[str, Any], n: int) -> tuple[int, int]:
    """A new person of provider A and an open offer of its file to provider B."""
    from tests import factories

    with app.app_context():
        person = factories.make_person(w["a"], first_name="Amal", last_name=f"Rennen{n}")
        offer = Handover(
            person_id=person.id,
            from_organisation_id=w["a"],
            to_organisation_id=w["b"],
            scope="master_data",
            status="offered",
        )
        db.session.add(offer)
        db.session.commit()
        return person.id, offer.id


def _fire(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in real threads released at the same moment; return their results."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # reported by the caller's assertion
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _state(app: Flask, person_id: int, offer_id: int) -> tuple[str, int, list[str]]:
    with app.app_context():
        status = db.session.scalar(select(Handover.status).where(Handover.id == offer_id))
        org = db.session.scalar(select(Person.organisation_id).where(Person.id == person_id))
        actions = list(
            db.session.scalars(
                select(AccessLog.action).where(
                    AccessLog.person_id == person_id, AccessLog.action.in_(DECISION_ACTIONS)
                )
            )
        )
        return str(status), int(org or 0), actions


def _assert_one_winner(
    app: Flask, w: dict[str, Any], person_id: int, offer_id: int, won: list[str]
) -> None:
    assert len(won) == 1, f"exactly one decision wins, got {won}"
    status, org, actions = _state(app, person_id, offer_id)
    assert status == OUTCOME[won[0]]
    assert actions == [ACTION_OF[won[0]]], "the access log holds only what happened"
    assert org == (w["b"] if won[0] == "accept" else w["a"])


def test_concurrent_rest_decisions_exactly_one_wins(
    app: Flask, race_app: Flask, api_token: Callable[..., dict[str, str]]
) -> None:
    w = _setup(app, api_token)
    winners: dict[str, int] = dict.fromkeys(OUTCOME, 0)
    for n in range(ROUNDS):
        person_id, offer_id = _new_offer(app, w, n)
        clients = [race_app.test_client() for _ in OUTCOME]
        base = f"/api/v1/handover/{offer_id}"
        calls = [
            partial(clients[0].post, f"{base}/accept", json={}, headers=w["hb"]),
            partial(
                clients[1].post,
                f"{base}/decline",
                json={"reason": "Keine Kapazität"},
                headers=w["hb"],
            ),
            partial(clients[2].post, f"{base}/withdraw", json={}, headers=w["ha"]),
        ]
        responses = _fire(calls)
        won = []
        for verb, resp in zip(OUTCOME, responses, strict=True):
            assert not isinstance(resp, BaseException), repr(resp)
            assert resp.status_code in (200, 409), (verb, resp.status_code, resp.get_data())
            if resp.status_code == 200:
                won.append(verb)
                assert resp.get_json()["status"] == OUTCOME[verb]
            else:
                assert NOT_OPEN in resp.get_json()["message"]
        _assert_one_winner(app, w, person_id, offer_id, won)
        winners[won[0]] += 1
    assert sum(winners.values()) == ROUNDS


def _flashes(client: FlaskClient) -> list[tuple[str, str]]:
    with client.session_transaction() as sess:
        return list(sess.get("_flashes", []))


def test_concurrent_page_decisions_exactly_one_wins(
    app: Flask, race_app: Flask, api_token: Callable[..., dict[str, str]]
) -> None:
    w = _setup(app, api_token)
    for n in range(ROUNDS):
        person_id, offer_id = _new_offer(app, w, n)
        clients = [
            sign_in(race_app.test_client(), w["ub"]),
            sign_in(race_app.test_client(), w["ub"]),
            sign_in(race_app.test_client(), w["ua"]),
        ]
        base = f"/uebergaben/{offer_id}"
        calls = [
            partial(clients[0].post, f"{base}/annehmen", data={}),
            partial(clients[1].post, f"{base}/ablehnen", data={"reason": "Keine Kapazität"}),
            partial(clients[2].post, f"{base}/zurueckziehen", data={}),
        ]
        responses = _fire(calls)
        won = []
        for verb, resp, client in zip(OUTCOME, responses, clients, strict=True):
            assert not isinstance(resp, BaseException), repr(resp)
            assert resp.status_code == 302, (verb, resp.status_code)
            categories = {category for category, _ in _flashes(client)}
            messages = " ".join(message for _, message in _flashes(client))
            if "danger" in categories:
                assert NOT_OPEN in messages
            else:
                won.append(verb)
        _assert_one_winner(app, w, person_id, offer_id, won)


def test_a_late_decision_is_refused_in_german(
    app: Flask, api_token: Callable[..., dict[str, str]]
) -> None:
    """After one decision every other one is answered 409 and changes nothing."""
    w = _setup(app, api_token)
    client = app.test_client()
    person_id, offer_id = _new_offer(app, w, 0)
    assert client.post(f"/api/v1/handover/{offer_id}/withdraw", headers=w["ha"]).status_code == 200
    resp = client.post(f"/api/v1/handover/{offer_id}/accept", json={}, headers=w["hb"])
    assert resp.status_code == 409
    assert resp.get_json()["message"] == (
        "Die Übergabe ist nicht mehr offen (Status: zurückgezogen)."
    )
    _assert_one_winner(app, w, person_id, offer_id, ["withdraw"])

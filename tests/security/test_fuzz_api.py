"""API fuzzing with schemathesis against the portal's own OpenAPI spec: no 5xx anywhere."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings

from app.security import matrix
from tests import factories

CI_RUN = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

#: examples per operation (bounded: the whole attack suite stays within a few minutes)
EXAMPLES = int(os.environ.get("MSA_FUZZ_EXAMPLES", "10"))


def _fuzz(op: Any, headers: dict[str, str], calls: dict[str, int], failures: list[Any]) -> None:
    label = f"{op.method.upper()} {op.path}"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=CI_RUN,  # CI: the same examples every run; locally: explore
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        resp = case.call(headers=headers)
        calls[label] = calls.get(label, 0) + 1
        if resp.status_code >= 500:
            failures.append((label, resp.status_code, case.path_parameters, case.query, case.body))

    run()


def test_openapi_operations_never_answer_5xx(app: Flask, api_token: Any) -> None:
    with app.app_context():
        org = factories.make_org()
        factories.make_partner()
        factories.make_person(org)
    headers = api_token(matrix.ROLE_ADMIN)
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {op.path for op in operations}
    assert "/api/v1/networkpartner/" in paths and "/api/v1/security/login" in paths
    failures: list[Any] = []
    calls: dict[str, int] = {}
    for op in operations:
        _fuzz(op, headers, calls, failures)
    assert not failures, failures[:5]
    assert len(calls) == len(operations)

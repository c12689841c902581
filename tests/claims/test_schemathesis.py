"""Property-based requests from the OpenAPI document, for each role (schemathesis).

For every operation, generated requests (valid and invalid) must never make the server fail
(no 5xx), and every response must be one the document declares, with the declared media
type and a body that validates against its schema; schema-valid JSON must be accepted. (The
operations are driven through schemathesis' Python API: its lazy pytest fixtures do not run
under pytest 9.2.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.claims.conftest import seeded_app

ROLES = ("anonymous", "shopper", "adjudicator", "brand", "admin")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    app, tokens = seeded_app(tmp_path_factory.mktemp("st") / "data", ANALYSIS_WORKERS=0)
    yield app, tokens
    app.extensions["hueproof"]["close"]()


@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_document(seeded, role):
    app, tokens = seeded
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # identity: schemathesis asks for gzip, which its WSGI transport, unlike an HTTP client,
    # does not unpack (tests/test_server.py checks the compressed answers)
    headers = {"Accept-Encoding": "identity"}
    if role in tokens:
        headers["Authorization"] = f"Bearer {tokens[role]}"
    # DELETE /me erases the role's account: last, or the rest would only meet 401s
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda op: op.method.lower() == "delete")  # fmt: skip
    doc = app.test_client().get("/api/v1/openapi.json").json
    uploads = {(m, p) for p, item in doc["paths"].items() for m, o in item.items()
               if {"multipart/form-data", "text/csv"} & set(o.get("requestBody", {})
                                                            .get("content", {}))}  # fmt: skip
    assert len(operations) >= 19
    for op in operations:
        # a schema cannot say which bytes make a usable photo or CSV: uploads may be refused
        # (422)
        upload = (op.method.lower(), op.path) in uploads
        _run(op, headers, [checks.positive_data_acceptance] if upload else [], role)


def _run(op, headers, skip, role):
    @given(case=op.as_strategy())
    @settings(max_examples=8, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def check(case):
        case.call_and_validate(headers=headers, excluded_checks=skip)

    try:
        check()
    except Exception as exc:
        raise AssertionError(f"{op.method.upper()} {op.path} as {role}: {exc}") from exc

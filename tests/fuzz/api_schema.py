"""The API's OpenAPI schema as schemathesis reads it, served by /api/schema/ from the application
in-process, and the checks every answer must pass."""

from __future__ import annotations

import schemathesis
from django.test.utils import override_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.wsgi import TEST_HOST, InProcessApp

SCHEMA_URL = "/api/schema/?format=json"

# No 5xx; a documented status code, content type and body shape.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Fuzzing examples per operation and login; the coverage phase adds its boundary cases.
MAX_EXAMPLES = 10


def load_schema() -> schemathesis.BaseSchema:
    """Fetched once, when the tests are collected (the schema view reads no database)."""
    config = schemathesis.Config.from_dict(
        {
            "generation": {
                "deterministic": True,
                "database": "none",
                "max-examples": MAX_EXAMPLES,
                # The login is the test's own token; generated credentials would only test that
                # a random token is refused.
                "with-security-parameters": False,
            },
            "phases": {
                # Methods an operation does not have are refused by DRF alike (405); the checks
                # here are about the operations the schema documents.
                "coverage": {"unexpected-methods": []},
            },
        }
    )
    # Collection runs before pytest-django sets up Django's test environment (which allows the
    # test host), so the host is allowed here for this one request.
    with override_settings(ALLOWED_HOSTS=[TEST_HOST]):
        return schemathesis.openapi.from_wsgi(SCHEMA_URL, InProcessApp(), config=config)


SCHEMA = load_schema()


def call_and_check(token: str | None, label: str, **case_data) -> schemathesis.Response:
    """One explicit request ("GET /api/v1/...", path_parameters=, query=, body=...), signed in
    with the token, whose answer must pass CHECKS."""
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None, label
    case = operation.Case(**case_data)
    headers = {"Authorization": f"Token {token}"} if token else None
    return case.call_and_validate(headers=headers, checks=CHECKS)

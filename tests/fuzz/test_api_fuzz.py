"""Schemathesis against the OpenAPI schema at /api/schema/: every operation, read and write, as
district PD and as a teacher, on a seeded district. No answer may be a 5xx, and every answer must
match the schema: a documented status code, a documented content type, and a body of the
documented shape.

Bounded and deterministic: a fixed number of examples per operation, derandomized, and no example
database, so CI runs the same requests every time and writes nothing into the checkout."""

from __future__ import annotations

import re

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings

from tests.fuzz.api_schema import CHECKS, MAX_EXAMPLES, SCHEMA
from tests.fuzz.world import World, build_world

FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    # The seeded district is built once per test and shared by its examples on purpose: writes of
    # one example (an enrollment, a withdrawal) are the state the next one meets.
    suppress_health_check=list(HealthCheck),
)

schema = SCHEMA

# The world of the running test: hooks draw real ids from it.
_current: dict[str, World] = {}

_RESOURCE_IN_PATH = re.compile(r"/([\w-]+)/\{id\}")

# Body fields and query parameters that name objects, and the resource they name.
BODY_IDS = {
    "staff": "staff",
    "session": "sessions",
    "meeting": "meetings",
    "enrollment": "enrollments",
    "course": "courses",
}
QUERY_IDS = {
    "building_id": "buildings",
    "course_id": "courses",
    "strand_id": "strands",
    "staff_id": "staff",
    "session": "sessions",
    "plan_year": "plan_years",
    "requirement": "requirements",
}


def _world() -> World:
    return _current["world"]


def _known_id(resource: str) -> st.SearchStrategy[int]:
    return st.sampled_from(_world().ids[resource])


def _known(value, resource: str) -> st.SearchStrategy:
    """A real id (or list of ids) in place of a generated one of the same type."""
    if isinstance(value, bool):
        return st.just(value)
    if isinstance(value, int):
        return _known_id(resource)
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return st.lists(_known_id(resource), min_size=1, max_size=len(value))
    return st.just(value)


def _code(value, name: str) -> st.SearchStrategy:
    codes = _world().codes.get(name)
    if not codes:
        return st.just(value)
    if isinstance(value, str):
        return st.sampled_from(codes)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return st.lists(st.sampled_from(codes), min_size=1, max_size=len(value))
    return st.just(value)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, the id of a real object of the resource in the path."""
    match = _RESOURCE_IN_PATH.search(context.operation.path)
    value = path_parameters.get("id") if isinstance(path_parameters, dict) else None
    if match is None or not isinstance(value, int) or isinstance(value, bool):
        return st.just(path_parameters)
    known = _known_id(match.group(1)).map(lambda pk: {**path_parameters, "id": pk})
    return st.one_of(st.just(path_parameters), known)


@schema.hook
def flatmap_query(context, query):
    """Half the time, real ids and natural keys for the filters that name objects."""
    if not isinstance(query, dict) or not query:
        return st.just(query)
    picks = {}
    for name, value in query.items():
        if name in QUERY_IDS:
            picks[name] = _known(value, QUERY_IDS[name])
        elif name in _world().codes:
            picks[name] = _code(value, name)
    if not picks:
        return st.just(query)
    known = st.fixed_dictionaries(picks).map(lambda chosen: {**query, **chosen})
    return st.one_of(st.just(query), known)


@schema.hook
def flatmap_body(context, body):
    """Half the time, real ids in the body's fields that name objects (also in attendance
    records), so writes get past "not found" to the rules behind it."""
    if not isinstance(body, dict):
        return st.just(body)
    picks = {
        name: _known(body[name], resource) for name, resource in BODY_IDS.items() if name in body
    }
    records = body.get("records")
    if isinstance(records, list) and records and all(isinstance(r, dict) for r in records):
        picks["records"] = st.tuples(
            *(
                _known(record.get("enrollment"), "enrollments").map(
                    lambda pk, record=record: {**record, "enrollment": pk}
                )
                if "enrollment" in record
                else st.just(record)
                for record in records
            )
        ).map(list)
    if not picks:
        return st.just(body)
    known = st.fixed_dictionaries(picks).map(lambda chosen: {**body, **chosen})
    return st.one_of(st.just(body), known)


@pytest.fixture
def world(db) -> World:
    built = build_world()
    _current["world"] = built
    yield built
    _current.pop("world", None)


def _call(case, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_district_pd(case, world):
    _call(case, world.district_pd_token)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_teacher(case, world):
    _call(case, world.teacher_token)

"""Every operation whose path names an object, called with the id of each object of the seeded
district, as district PD and as a teacher: the fuzzer draws ids, these requests are sure to
reach real objects in every state. Each answer passes the fuzzer's checks."""

from __future__ import annotations

import re

import pytest

from tests.fuzz.api_schema import SCHEMA, call_and_check
from tests.fuzz.world import World, build_world

pytestmark = pytest.mark.django_db

RESOURCE_IN_PATH = re.compile(r"^/api/v1/([\w-]+)/\{id\}/")

# Bodies for the actions that take one; every other field keeps its default.
REASON = {"reason": "Entered for the wrong person"}
BODIES = {
    "POST /api/v1/enrollments/{id}/withdraw/": REASON,
    "POST /api/v1/enrollments/{id}/decline/": REASON,
    "POST /api/v1/completions/{id}/void/": REASON,
    "POST /api/v1/imports/{id}/commit/": {"confirm_large_deactivation": False},
    "POST /api/v1/sessions/{id}/enroll/": {},
}

# What a teacher reading each object of the district gets: the catalog (but drafts), their own
# records and nobody else's (404), no imports and no evaluation summaries.
TEACHER_READS = {
    "GET /api/v1/strands/{id}/": {200},
    "GET /api/v1/courses/{id}/": {200},
    "GET /api/v1/buildings/{id}/": {200},
    "GET /api/v1/sessions/{id}/": {200, 404},
    "GET /api/v1/enrollments/{id}/": {200, 404},
    "GET /api/v1/completions/{id}/": {200, 404},
    "GET /api/v1/imports/{id}/": {404},
    "GET /api/v1/jobs/{id}/": {404},
    "GET /api/v1/sessions/{id}/evaluation-summary/": {404},
}

OPERATIONS_ON_OBJECTS = sorted(
    operation.label
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
    if RESOURCE_IN_PATH.match(operation.path)
)


@pytest.fixture
def world() -> World:
    return build_world()


def _body(label: str, world: World, pk: int) -> dict:
    if label == "POST /api/v1/sessions/{id}/attendance/":
        # A meeting of another session is refused; the session's own is recorded.
        return {
            "meeting": world.ids["meetings"][0],
            "records": [{"enrollment": world.ids["enrollments"][0], "present": True}],
        }
    return BODIES.get(label, {})


def _answers(label: str, token: str, world: World) -> set[int]:
    resource = RESOURCE_IN_PATH.match(label.split(" ", 1)[1]).group(1)
    statuses = set()
    for pk in world.ids[resource]:
        data = {"path_parameters": {"id": pk}}
        if label.startswith("POST"):
            data.update(body=_body(label, world, pk), media_type="application/json")
        statuses.add(call_and_check(token, label, **data).status_code)
    return statuses


def test_the_operations_on_objects_are_read_from_the_schema():
    assert set(TEACHER_READS) | set(BODIES) <= set(OPERATIONS_ON_OBJECTS)
    assert "POST /api/v1/enrollments/{id}/approve/" in OPERATIONS_ON_OBJECTS


@pytest.mark.parametrize("label", OPERATIONS_ON_OBJECTS)
def test_each_seeded_object_as_district_pd(world, label):
    statuses = _answers(label, world.district_pd_token, world)

    if label.startswith("GET"):
        # District PD sees every object (imports and staff records aside, which are HR's).
        hr_only = ("GET /api/v1/imports/{id}/", "GET /api/v1/staff/{id}/")
        assert 200 in statuses or label in hr_only, statuses


@pytest.mark.parametrize("label", OPERATIONS_ON_OBJECTS)
def test_each_seeded_object_as_teacher(world, label):
    statuses = _answers(label, world.teacher_token, world)

    if label in TEACHER_READS:
        assert statuses == TEACHER_READS[label]

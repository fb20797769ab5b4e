"""Every write endpoint of /api/v1/ fed bad bodies: wrong types, values out of range, invalid
dates, NUL characters, unknown fields. Each answers a 400 naming the field and writes nothing;
then real names and texts in every free-text field are stored and read back unchanged."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.api.serializers import MSG_UNKNOWN_FIELD
from enrollment.models import Completion, Enrollment, Evaluation

from .conftest import assert_nothing_written, named_in_api_error, row_counts
from .corpus import BEYOND_ANY_ID, INVALID_DATES, NUL, UNICODE_TEXTS, WRONG_TYPES, overlong

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    role: str  # an attribute of the world holding the staff member (or "admin")
    url: Any  # world -> URL
    valid: Any  # world -> a valid body the cases start from
    multipart: bool = False


ENDPOINTS = {
    "enroll": Endpoint(
        "leader",
        lambda w: reverse("session-enroll", args=[w.open_session.pk]),
        lambda w: {"staff": w.colleague.pk},
    ),
    "assign": Endpoint(
        "leader",
        lambda w: reverse("enrollment-assign"),
        lambda w: {"session": w.open_session.pk, "staff": [w.colleague.pk]},
    ),
    "withdraw": Endpoint(
        "teacher",
        lambda w: reverse("enrollment-withdraw", args=[w.seat.pk]),
        lambda w: {"reason": "Schedule change"},
    ),
    "decline": Endpoint(
        "leader",
        lambda w: reverse("enrollment-decline", args=[w.pending.pk]),
        lambda w: {"reason": "Not this term"},
    ),
    "attendance": Endpoint(
        "facilitator",
        lambda w: reverse("session-attendance", args=[w.past_session.pk]),
        lambda w: {
            "meeting": w.past_meeting.pk,
            "records": [{"enrollment": w.attended.pk, "present": True}],
        },
    ),
    "evaluation": Endpoint(
        "teacher",
        lambda w: reverse("evaluation-list"),
        lambda w: {
            "enrollment": w.attended.pk,
            "content_rating": 4,
            "facilitator_rating": 5,
            "relevance_rating": 4,
            "comment": "Useful",
        },
    ),
    "completion": Endpoint(
        "district_pd",
        lambda w: reverse("completion-list"),
        lambda w: {
            "staff": w.colleague.pk,
            "course": w.course.code,
            "completed_on": "2026-01-15",
            "clock_hours": "3.00",
            "evidence": "Certificate",
        },
    ),
    "void": Endpoint(
        "district_pd",
        lambda w: reverse("completion-void", args=[w.completion.pk]),
        lambda w: {"reason": "Recorded twice"},
    ),
    "import_upload": Endpoint(
        "hr",
        lambda w: reverse("import-run-list"),
        lambda w: {"kind": "roster"},
        multipart=True,
    ),
    "import_commit": Endpoint(
        "hr",
        lambda w: reverse("import-run-commit", args=[w.import_run.pk]),
        lambda w: {"confirm_large_deactivation": False},
    ),
}

# (endpoint, field, bad value); the value replaces the field in the endpoint's valid body. A
# callable value is given the world.
CASES = [
    # Enrolling someone: the person's id, and the flag.
    *(("enroll", "staff", value) for value in WRONG_TYPES.values()),
    ("enroll", "staff", BEYOND_ANY_ID),
    ("enroll", "staff", -3),
    ("enroll", "staff", True),
    ("enroll", "override_window", "maybe"),
    ("enroll", "override_window", [True]),
    ("enroll", "override_window", None),
    # Assigning: the session, the people, a position or building by code.
    *(("assign", "session", value) for value in WRONG_TYPES.values()),
    ("assign", "session", None),
    ("assign", "session", BEYOND_ANY_ID),
    ("assign", "staff", "abc"),
    ("assign", "staff", [{"id": 1}]),
    ("assign", "staff", ["abc"]),
    ("assign", "staff", [BEYOND_ANY_ID]),
    ("assign", "staff", [0]),
    ("assign", "staff", list(range(1, 5003))),
    ("assign", "position", ["teacher"]),
    ("assign", "position", {"code": "teacher"}),
    ("assign", "position", overlong(40)),
    ("assign", "position", "teacher\x00"),
    ("assign", "building", "maple\x00"),
    ("assign", "building", 12),
    # Reasons: text only, no NUL.
    *(
        (endpoint, "reason", value)
        for endpoint in ("withdraw", "decline", "void")
        for value in ([1], {"why": "x"}, NUL, None)
    ),
    ("decline", "reason", "   "),
    ("void", "reason", ""),
    # Attendance: the meeting and the marks.
    *(("attendance", "meeting", value) for value in WRONG_TYPES.values()),
    ("attendance", "meeting", None),
    ("attendance", "meeting", BEYOND_ANY_ID),
    ("attendance", "records", "abc"),
    ("attendance", "records", []),
    ("attendance", "records", {"enrollment": 1, "present": True}),
    ("attendance", "records", [{"enrollment": "abc", "present": True}]),
    ("attendance", "records", [{"enrollment": BEYOND_ANY_ID, "present": True}]),
    ("attendance", "records", lambda w: [{"enrollment": w.attended.pk, "present": "maybe"}]),
    ("attendance", "records", lambda w: [{"enrollment": w.attended.pk}]),
    ("attendance", "records", lambda w: [{"enrollment": w.attended.pk, "present": None}]),
    # Evaluations: ratings 1-5, the comment text.
    *(
        ("evaluation", name, value)
        for name in ("content_rating", "facilitator_rating", "relevance_rating")
        for value in (0, 6, -1, "five", [4], None, 4.5, BEYOND_ANY_ID)
    ),
    ("evaluation", "enrollment", "abc"),
    ("evaluation", "enrollment", BEYOND_ANY_ID),
    ("evaluation", "comment", ["Great"]),
    ("evaluation", "comment", NUL),
    ("evaluation", "comment", overlong(4000)),
    # Completions: person, course, date, hours, evidence.
    *(("completion", "staff", value) for value in WRONG_TYPES.values()),
    ("completion", "staff", BEYOND_ANY_ID),
    ("completion", "staff", None),
    ("completion", "course", [1]),
    ("completion", "course", {"code": "crt-101"}),
    ("completion", "course", None),
    ("completion", "course", overlong(40)),
    ("completion", "course", "crt-101\x00"),
    ("completion", "course", BEYOND_ANY_ID),
    *(("completion", "completed_on", value) for value in INVALID_DATES),
    ("completion", "completed_on", {"year": 2026, "month": 1, "day": 15}),
    ("completion", "completed_on", 20260115),
    ("completion", "completed_on", None),
    ("completion", "completed_on", "2999-01-01"),
    ("completion", "clock_hours", "abc"),
    ("completion", "clock_hours", -1),
    ("completion", "clock_hours", "1e9"),
    ("completion", "clock_hours", "NaN"),
    ("completion", "clock_hours", "Infinity"),
    ("completion", "clock_hours", [3]),
    ("completion", "evidence", ["Certificate"]),
    ("completion", "evidence", NUL),
    ("completion", "evidence", ""),
    # Import commits: the confirmation flag.
    ("import_commit", "confirm_large_deactivation", "maybe"),
    ("import_commit", "confirm_large_deactivation", [True]),
]


def _client(api_client, world, role: str):
    person = getattr(world, role)
    api_client.force_login(person if role == "admin" else person.user)
    return api_client


def _post(client, endpoint: Endpoint, world, body):
    url = endpoint.url(world)
    if endpoint.multipart:
        return client.post(url, body, format="multipart")
    return client.post(url, body, format="json")


def _case_id(case) -> str:
    endpoint, field, value = case
    shown = "callable" if callable(value) else repr(value)
    return f"{endpoint}-{field}-{shown[:30]}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
def test_a_bad_value_is_a_400_naming_the_field_and_writes_nothing(api_client, world, case):
    name, field, value = case
    endpoint = ENDPOINTS[name]
    client = _client(api_client, world, endpoint.role)
    body = {**endpoint.valid(world), field: value(world) if callable(value) else value}
    before = row_counts()

    response = _post(client, endpoint, world, body)

    assert response.status_code == 400, response.content[:500]
    assert named_in_api_error(response.json(), field), response.json()
    assert_nothing_written(before)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_an_unknown_field_is_a_400_naming_it(api_client, world, name):
    endpoint = ENDPOINTS[name]
    client = _client(api_client, world, endpoint.role)
    body = {**endpoint.valid(world), "overide_window": True}
    before = row_counts()

    response = _post(client, endpoint, world, body)

    assert response.status_code == 400, response.content[:500]
    message = response.json()["overide_window"][0]
    assert message.startswith(MSG_UNKNOWN_FIELD.split("{")[0]), message
    # The message lists what the request does take, so a typo is easy to spot.
    for known in endpoint.valid(world):
        assert known in message
    assert_nothing_written(before)


def test_an_unknown_field_inside_a_nested_object_is_named(api_client, world):
    client = _client(api_client, world, "facilitator")
    body = {
        "meeting": world.past_meeting.pk,
        "records": [{"enrollment": world.attended.pk, "present": True, "late": True}],
    }
    before = row_counts()

    response = _post(client, ENDPOINTS["attendance"], world, body)

    assert response.status_code == 400, response.content
    errors = response.json()["records"]
    first = errors["0"] if isinstance(errors, dict) else errors[0]
    assert "late" in first
    assert_nothing_written(before)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
@pytest.mark.parametrize("body", [b'["staff"]', b"null"])
def test_a_json_body_that_is_not_an_object_is_a_400(api_client, world, name, body):
    endpoint = ENDPOINTS[name]
    client = _client(api_client, world, endpoint.role)
    before = row_counts()

    response = client.post(endpoint.url(world), body, content_type="application/json")

    assert response.status_code == 400, response.content[:500]
    assert_nothing_written(before)


def test_a_body_that_is_not_json_is_a_400(api_client, world):
    client = _client(api_client, world, "district_pd")
    before = row_counts()

    response = client.post(
        reverse("completion-list"), b'{"staff": 1,', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert_nothing_written(before)


# Imports: the upload's own fields.


def _upload(content: bytes = b"Employee ID,First Name\n1,Ann\n", name: str = "roster.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "bogus"),
        ("kind", overlong(20)),
        ("sync", "maybe"),
        ("skip_invalid", "perhaps"),
        ("mapping", "Emp Code employee_id"),
        ("mapping", "Emp\x00=employee_id"),
        ("file", "not a file"),
    ],
)
def test_a_bad_upload_option_is_a_400_naming_it(api_client, world, field, value):
    client = _client(api_client, world, "hr")
    body = {"file": _upload(), "kind": "roster", field: value}
    before = row_counts()

    response = client.post(reverse("import-run-list"), body, format="multipart")

    assert response.status_code == 400, response.content[:500]
    assert field in response.json(), response.json()
    assert_nothing_written(before)


def test_an_upload_without_a_file_is_a_400_naming_it(api_client, world):
    client = _client(api_client, world, "hr")
    before = row_counts()

    response = client.post(reverse("import-run-list"), {"kind": "roster"}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()
    assert_nothing_written(before)


# Real names and texts: stored and shown back exactly.

TEXTS = sorted(UNICODE_TEXTS.items())


@pytest.mark.parametrize(("label", "text"), TEXTS, ids=[label for label, _ in TEXTS])
def test_an_evaluation_comment_round_trips(api_client, world, label, text):
    client = _client(api_client, world, "teacher")
    body = {**ENDPOINTS["evaluation"].valid(world), "comment": text}

    response = _post(client, ENDPOINTS["evaluation"], world, body)

    assert response.status_code == 201, response.content
    assert response.json()["comment"] == text
    assert Evaluation.objects.get(enrollment=world.attended).comment == text
    listed = client.get(reverse("evaluation-list")).json()["results"]
    assert [row["comment"] for row in listed] == [text]


@pytest.mark.parametrize(("label", "text"), TEXTS, ids=[label for label, _ in TEXTS])
def test_completion_evidence_round_trips(api_client, world, label, text):
    client = _client(api_client, world, "district_pd")
    body = {**ENDPOINTS["completion"].valid(world), "evidence": text}

    response = _post(client, ENDPOINTS["completion"], world, body)

    assert response.status_code == 201, response.content
    completion = Completion.objects.get(pk=response.json()["id"])
    assert completion.evidence == text
    shown = client.get(reverse("completion-detail", args=[completion.pk])).json()
    assert shown["evidence"] == text


@pytest.mark.parametrize(("label", "text"), TEXTS, ids=[label for label, _ in TEXTS])
def test_reasons_round_trip(api_client, world, label, text):
    leader = _client(api_client, world, "leader")
    response = _post(leader, ENDPOINTS["decline"], world, {"reason": text})
    assert response.status_code == 200, response.content
    assert response.json()["decision_reason"] == text
    assert Enrollment.objects.get(pk=world.pending.pk).decision_reason == text

    pd = _client(api_client, world, "district_pd")
    response = _post(pd, ENDPOINTS["void"], world, {"reason": text})
    assert response.status_code == 200, response.content
    assert response.json()["void_reason"] == text
    assert Completion.objects.get(pk=world.completion.pk).void_reason == text


def test_the_schema_says_request_bodies_take_no_other_fields(api_client):
    response = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    schemas = response.json()["components"]["schemas"]
    for name in (
        "EnrollRequest",
        "AssignRequest",
        "ReasonRequest",
        "AttendanceMarkRequest",
        "EvaluationCreateRequest",
        "CompletionCreateRequest",
        "ImportUploadRequest",
    ):
        assert schemas[name]["additionalProperties"] is False, name

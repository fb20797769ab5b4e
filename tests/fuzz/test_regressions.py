"""What the API fuzzing found, each as an explicit request: the answer is the one the fix gives,
and it passes the fuzzer's checks (no 5xx; documented status, content type and body)."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from core.api.exceptions import MSG_BODY_OVER_LIMITS
from core.api.pagination import MSG_INVALID_PAGE
from tests.factories import BuildingFactory, SessionFactory
from tests.fuzz.api_schema import call_and_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def pd_token(district_pd) -> str:
    return Token.objects.create(user=district_pd.user).key


@pytest.fixture
def teacher_token(teacher) -> str:
    return Token.objects.create(user=teacher.user).key


# `?page=0` answered DRF's 404 "Invalid page.", undocumented on every list.


@pytest.mark.parametrize("page", [0, -3])
def test_a_page_that_is_not_a_whole_number_from_1_is_a_documented_400(teacher_token, page):
    BuildingFactory()

    response = call_and_check(teacher_token, "GET /api/v1/buildings/", query={"page": page})

    assert response.status_code == 400
    assert response.json() == {"page": [MSG_INVALID_PAGE]}


def test_a_page_past_the_last_is_a_documented_404(teacher_token):
    BuildingFactory()

    response = call_and_check(teacher_token, "GET /api/v1/strands/", query={"page": 7})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# An invalid filter answered an undocumented 400.


def test_an_invalid_filter_is_a_documented_400_naming_it(pd_token):
    response = call_and_check(
        pd_token, "GET /api/v1/completions/", query={"building_id": 0, "staff_id": 0}
    )

    assert response.status_code == 400
    assert set(response.json()) == {"building_id", "staff_id"}


# An unknown id answered an undocumented 404 on the catalog's detail routes.


def test_an_unknown_id_on_a_catalog_detail_is_a_documented_404(teacher_token):
    response = call_and_check(teacher_token, "GET /api/v1/courses/{id}/", path_parameters={"id": 9})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# An id that is not a number matched no URL and answered Django's HTML 404 page.


@pytest.mark.parametrize(
    "label",
    [
        "POST /api/v1/enrollments/{id}/approve/",
        "POST /api/v1/sessions/{id}/enroll/",
        "GET /api/v1/sessions/{id}/evaluation-summary/",
    ],
)
@pytest.mark.parametrize("pk", ["0.5", "-1.5e-256"])
def test_an_id_that_is_not_a_number_is_a_json_404(pd_token, label, pk):
    response = call_and_check(pd_token, label, path_parameters={"id": pk})

    assert response.status_code == 404
    assert response.headers["content-type"] == ["application/json"]
    assert response.json() == {"code": "not_found", "message": "Not found."}


# Invalid fields answered `{field: [messages]}` where the schema promised `{code, message}`.


def test_invalid_fields_of_a_write_answer_the_documented_400(pd_token):
    response = call_and_check(
        pd_token, "POST /api/v1/completions/", body={}, media_type="application/json"
    )

    assert response.status_code == 400
    assert {"staff", "course", "completed_on"} <= set(response.json())


# A form body over Django's field limit answered Django's HTML 400 page.


def test_a_form_body_with_too_many_fields_is_a_json_400(pd_token):
    session = SessionFactory()

    response = call_and_check(
        pd_token,
        "POST /api/v1/enrollments/assign/",
        body={"session": session.pk, "staff": list(range(1, 1200))},
        media_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert response.json() == {"code": "parse_error", "message": MSG_BODY_OVER_LIMITS}


# Credentials that are not valid are refused even where anyone may read: documented as 403.


def test_an_invalid_token_is_a_documented_403_on_the_public_catalog():
    response = call_and_check("0" * 40, "GET /api/v1/sessions/")

    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"

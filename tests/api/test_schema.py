"""The OpenAPI document and its Swagger UI, served without any CDN."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

CATALOG_PATHS = [
    f"/api/v1/{resource}/{suffix}"
    for resource in ("strands", "courses", "buildings", "sessions")
    for suffix in ("", "{id}/")
]
ENROLLMENT_PATHS = [
    "/api/v1/sessions/{id}/enroll/",
    "/api/v1/sessions/{id}/attendance/",
    "/api/v1/sessions/{id}/evaluation-summary/",
    "/api/v1/enrollments/",
    "/api/v1/enrollments/{id}/",
    "/api/v1/enrollments/{id}/withdraw/",
    "/api/v1/enrollments/{id}/approve/",
    "/api/v1/enrollments/{id}/decline/",
    "/api/v1/enrollments/assign/",
    "/api/v1/completions/",
    "/api/v1/completions/{id}/",
    "/api/v1/completions/{id}/void/",
    "/api/v1/evaluations/",
    "/api/v1/me/transcript/",
]
IMPORT_PATHS = ["/api/v1/imports/", "/api/v1/imports/{id}/", "/api/v1/imports/{id}/commit/"]
PROGRESS_PATHS = [
    "/api/v1/progress/",
    "/api/v1/progress/people/",
    "/api/v1/progress/completions.xlsx",
    "/api/v1/progress/outstanding.csv",
]
PATHS = CATALOG_PATHS + ENROLLMENT_PATHS + IMPORT_PATHS + PROGRESS_PATHS


def test_schema_command_validates_without_warnings(tmp_path):
    schema_file = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema_file))

    text = schema_file.read_text()
    assert text.startswith("openapi: 3")
    assert all(f"{path}:" in text for path in PATHS)


def test_schema_endpoint_serves_openapi_3_with_the_catalog(api_client):
    response = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3")
    assert set(PATHS) <= set(schema["paths"])
    session_filters = {p["name"] for p in schema["paths"]["/api/v1/sessions/"]["get"]["parameters"]}
    assert {"strand", "strand_id", "course", "building", "building_id", "month", "q"} <= (
        session_filters
    )
    seats_left = schema["components"]["schemas"]["Session"]["properties"]["seats_left"]
    assert seats_left["type"] == "integer"


def test_swagger_ui_uses_the_bundled_sidecar_files_not_a_cdn(api_client):
    response = api_client.get(reverse("api-docs"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    assert re.search(r"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle\.js", html)


def test_enrollment_actions_document_their_bodies_and_refusals(api_client):
    response = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    schema = response.json()
    enroll = schema["paths"]["/api/v1/sessions/{id}/enroll/"]["post"]
    body = enroll["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body == "#/components/schemas/EnrollRequest"

    def ref(status: str) -> str:
        return enroll["responses"][status]["content"]["application/json"]["schema"]["$ref"]

    assert ref("201") == "#/components/schemas/Enrollment"
    for status in ("403", "404", "409"):
        assert ref(status) == "#/components/schemas/Refusal"
    # A 400 is a refusal or DRF's invalid fields.
    assert ref("400") == "#/components/schemas/BadRequest"
    assert schema["components"]["schemas"]["BadRequest"]["oneOf"] == [
        {"$ref": "#/components/schemas/Refusal"},
        {"$ref": "#/components/schemas/ValidationErrors"},
    ]
    refusal = schema["components"]["schemas"]["Refusal"]
    assert set(refusal["required"]) == {"code", "message"}
    assigned = schema["paths"]["/api/v1/enrollments/assign/"]["post"]["responses"]["200"]
    assert assigned["content"]["application/json"]["schema"]["type"] == "array"
    position = schema["components"]["schemas"]["Enrollment"]["properties"]["waitlist_position"]
    assert position["nullable"] is True

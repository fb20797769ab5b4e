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


def test_schema_command_validates_without_warnings(tmp_path):
    schema_file = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema_file))

    text = schema_file.read_text()
    assert text.startswith("openapi: 3")
    assert all(f"{path}:" in text for path in CATALOG_PATHS)


def test_schema_endpoint_serves_openapi_3_with_the_catalog(api_client):
    response = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3")
    assert set(CATALOG_PATHS) <= set(schema["paths"])
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

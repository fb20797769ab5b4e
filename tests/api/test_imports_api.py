"""The imports API: upload -> preview (201, same content as the page), list and read runs (HR
and admins only), commit (the committed run, or 409 with a code)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enrollment.models import Completion
from imports.choices import ImportOutcome
from imports.models import ImportRun
from imports.readers import MSG_PDF
from learning.models import StaffMember
from tests import factories as f
from tests.imports.conftest import DATA, csv_bytes, district, person_row  # noqa: F401
from tests.imports.test_completions import DATA as COMPLETIONS_DATA
from tests.imports.test_completions import catalog  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/"


def post_file(api_client, content: bytes, name="roster.csv", **fields):
    return api_client.post(
        URL, {"file": SimpleUploadedFile(name, content), **fields}, format="multipart"
    )


@pytest.fixture
def hr_api(api_client, hr):
    api_client.force_authenticate(hr.user)
    return api_client


def test_upload_answers_the_preview_and_commit_applies_it(hr_api, district):  # noqa: F811
    response = post_file(hr_api, (DATA / "roster.csv").read_bytes(), create_missing="true")

    assert response.status_code == 201
    body = response.json()
    run = ImportRun.objects.get()
    assert body["id"] == run.pk
    assert body["outcome"] == "previewed"
    assert body["counts"]["created"] == 8
    assert body["options"]["create_missing"] is True
    assert body["can_commit"] is True
    assert body["needs_confirmation"] is False
    assert body["errors"] == []
    created = {entry["employee_id"]: entry for entry in body["changes"]["create"]}
    assert created["000101"]["values"]["email"] == "ann.lee@bps.example.org"
    assert set(body["changes"]) == {
        "create_buildings",
        "create_positions",
        "create",
        "update",
        "reactivate",
        "deactivate",
    }
    assert StaffMember.objects.filter(employee_id="000101").count() == 0

    committed = hr_api.post(f"{URL}{run.pk}/commit/", {}, format="json")

    assert committed.status_code == 200
    assert committed.json()["outcome"] == "committed"
    assert committed.json()["can_commit"] is False
    assert StaffMember.objects.filter(employee_id="000101").exists()


def test_updates_carry_before_and_after(hr_api, district):  # noqa: F811
    f.StaffMemberFactory(
        employee_id="900001",
        first_name="First1",
        last_name="Last1",
        email="old@bps.example.org",
        building=district["maple"],
        position=district["teacher"],
    )

    body = post_file(hr_api, csv_bytes([person_row(1)])).json()

    assert body["changes"]["update"][0]["changes"] == {
        "email": ["old@bps.example.org", "person1@bps.example.org"]
    }


def test_errors_come_with_row_and_column_and_block_the_commit(hr_api, district):  # noqa: F811
    body = post_file(hr_api, (DATA / "errors.csv").read_bytes()).json()

    assert {
        "row": 9,
        "column": "Building",
        "field": "building",
        "value": "Elm High",
        "message": "No building has this code or name.",
    } in body["errors"]
    assert body["can_commit"] is False

    refused = hr_api.post(f"{URL}{body['id']}/commit/", {}, format="json")

    assert refused.status_code == 409
    assert refused.json()["code"] == "has_errors"
    assert not StaffMember.objects.filter(employee_id="000201").exists()

    committed = hr_api.post(f"{URL}{body['id']}/commit/", {"skip_invalid": True}, format="json")

    assert committed.status_code == 200, committed.json()
    assert committed.json()["outcome"] == "committed"
    assert (
        committed.json()["counts"]["created"]
        == StaffMember.objects.filter(employee_id__startswith="0002").count()
    )
    assert not StaffMember.objects.filter(employee_id="000202").exists()


def test_a_stale_preview_is_a_409(hr_api, district):  # noqa: F811
    body = post_file(hr_api, csv_bytes([person_row(1)])).json()
    f.StaffMemberFactory(employee_id="777777")

    refused = hr_api.post(f"{URL}{body['id']}/commit/", {}, format="json")

    assert refused.status_code == 409
    assert refused.json() == {
        "code": "stale",
        "message": "The staff list changed since this preview; preview the file again.",
    }
    assert not StaffMember.objects.filter(employee_id="900001").exists()


def test_a_large_deactivation_needs_confirmation(hr_api, district):  # noqa: F811
    for number in range(1, 4):
        f.StaffMemberFactory(employee_id=f"9{number:05d}", building=district["maple"])
    body = post_file(hr_api, csv_bytes([person_row(1)]), sync="true").json()
    assert body["needs_confirmation"] is True

    refused = hr_api.post(f"{URL}{body['id']}/commit/", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "needs_confirmation"
    assert refused.json()["details"]["deactivated"] == 3

    committed = hr_api.post(
        f"{URL}{body['id']}/commit/", {"confirm_large_deactivation": True}, format="json"
    )
    assert committed.status_code == 200
    assert committed.json()["counts"]["deactivated"] == 3


def test_completions_are_previewed_and_committed(hr_api, hr, catalog):  # noqa: F811
    body = post_file(
        hr_api,
        (COMPLETIONS_DATA / "completions.csv").read_bytes(),
        name="completions.csv",
        kind="completions",
    ).json()

    assert body["kind"] == "completions"
    assert body["counts"]["created"] == 4
    assert set(body["changes"]) == {"create", "unchanged"}

    hr_api.post(f"{URL}{body['id']}/commit/", {}, format="json")

    assert Completion.objects.filter(recorded_by=hr.user, source="import").count() == 4


BAD_FILES = [
    ("empty.csv", "empty"),
    ("header-only.csv", "header_only"),
    ("unrecognized-columns.csv", "no_header"),
    ("missing-email-column.csv", "missing_columns"),
    ("pdf-renamed.xlsx", "not_a_spreadsheet"),
    ("garbage.xlsx", None),
    ("corrupt.xlsx", "corrupt"),
    ("encrypted.xlsx", "encrypted"),
    ("zip-bomb.xlsx", "zip_bomb"),
    ("mixed-encoding.csv", "encoding"),
    ("web-page.xls", "not_a_spreadsheet"),
]


@pytest.mark.parametrize(("name", "code"), BAD_FILES)
def test_bad_files_are_a_400_with_a_message(hr_api, district, name, code):  # noqa: F811
    before = StaffMember.objects.count()

    response = post_file(hr_api, (DATA / name).read_bytes(), name=name)

    assert response.status_code == 400
    body = response.json()
    run = ImportRun.objects.get()
    assert body["message"] == run.message
    if code:
        assert body["code"] == code
    assert run.outcome == ImportOutcome.REFUSED
    assert StaffMember.objects.count() == before


def test_the_pdf_message_names_the_file(hr_api, district):  # noqa: F811
    body = post_file(hr_api, (DATA / "pdf-renamed.xlsx").read_bytes(), name="staff.xlsx").json()

    assert body["message"] == MSG_PDF.format(name="staff.xlsx")


def test_a_bad_mapping_is_a_field_error(hr_api, district):  # noqa: F811
    response = post_file(hr_api, csv_bytes([person_row(1)]), mapping="nonsense")

    assert response.status_code == 400
    assert "mapping" in response.json()
    assert ImportRun.objects.count() == 0


def test_a_mapping_is_applied(hr_api, district):  # noqa: F811
    header = ["Emp Code", "First Name", "Last Name", "Email", "Building", "Position"]
    response = post_file(
        hr_api, csv_bytes([person_row(1)], header=header), mapping="Emp Code=employee_id"
    )

    assert response.status_code == 201
    assert response.json()["counts"]["created"] == 1


def test_list_and_retrieve_for_hr_newest_first(hr_api, district):  # noqa: F811
    first = post_file(hr_api, csv_bytes([person_row(1)])).json()
    second = post_file(hr_api, csv_bytes([person_row(2)])).json()

    listed = hr_api.get(URL).json()
    assert [run["id"] for run in listed["results"]] == [second["id"], first["id"]]
    assert hr_api.get(f"{URL}{first['id']}/").json() == listed["results"][1]


@pytest.mark.parametrize("role", ["teacher", "leader", "district_pd"])
def test_others_see_nothing_and_cannot_upload_or_commit(api_client, district, role, request):  # noqa: F811
    run = ImportRun.objects.create(kind="roster", file_name="r.csv")
    api_client.force_authenticate(request.getfixturevalue(role).user)

    assert api_client.get(URL).json()["results"] == []
    assert api_client.get(f"{URL}{run.pk}/").status_code == 404
    assert api_client.post(f"{URL}{run.pk}/commit/", {}, format="json").status_code == 404
    assert post_file(api_client, csv_bytes([person_row(1)])).status_code == 403
    assert ImportRun.objects.count() == 1


def test_anonymous_is_refused(api_client):
    assert api_client.get(URL).status_code in (401, 403)


def test_an_administrator_may_import(api_client, admin_user, district):  # noqa: F811
    api_client.force_authenticate(admin_user)

    assert post_file(api_client, csv_bytes([person_row(1)])).status_code == 201

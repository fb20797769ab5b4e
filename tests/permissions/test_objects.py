"""Object-level scope: what the matrix's fixed objects cannot show. A teacher reaches only their
own enrollments, evaluations, transcript and feed; a building leader sees only their buildings'
people in pages, API, feeds and workbooks; HR cannot edit completions; only HR and admins see
imports. Every refused write is checked to have written nothing."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from calendars.models import FeedToken
from enrollment.models import Completion, Enrollment, Evaluation
from imports.models import ImportRun

from .world import ROLES, changed_tables, fingerprint

pytestmark = pytest.mark.django_db


def client_for(world, role: str) -> APIClient:
    client = APIClient()
    if world.users[role] is not None:
        client.force_login(world.users[role])
    return client


def text_of(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def workbook_text(content: bytes) -> str:
    """Every cell of every sheet, as one string to search."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells.extend(str(value) for value in row if value is not None)
    return "\n".join(cells)


def results(response) -> list[dict]:
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


class Unchanged:
    """A block after which every table a request could write is as it was."""

    def __enter__(self):
        self.before = fingerprint()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            assert changed_tables(self.before, fingerprint()) == []


# A teacher and their peer's records


def test_a_teacher_cannot_open_or_change_a_peers_enrollment_pages(world):
    client = client_for(world, "teacher")
    o = world.o
    with Unchanged():
        evaluation = reverse("enrollment:evaluation", args=[o.e_peer_past.pk])
        assert client.get(evaluation).status_code == 404
        ratings = {"content_rating": 1, "facilitator_rating": 1, "relevance_rating": 1}
        assert client.post(evaluation, ratings).status_code == 404
        withdraw = reverse("enrollment:withdraw", args=[o.e_peer_withdraw.pk])
        assert client.post(withdraw).status_code == 404
        certificate = reverse("enrollment:certificate", args=[o.c_peer.pk])
        assert client.get(certificate).status_code == 404
    assert Enrollment.objects.get(pk=o.e_peer_withdraw.pk).status == "enrolled"


def test_a_teachers_own_pages_and_transcript_show_nobody_else(world):
    client = client_for(world, "teacher")
    for name in ("enrollment:me", "enrollment:transcript"):
        page = text_of(client.get(reverse(name)))
        assert "Tess" in page
        assert "Peerson" not in page and "Peer-only" not in page
    transcript = client.get(reverse("enrollment:transcript-xlsx"))
    assert transcript.status_code == 200
    cells = workbook_text(transcript.content)
    assert "Teacher" in cells
    assert "Peerson" not in cells and "Yonderby" not in cells


def test_a_teacher_cannot_read_or_change_a_peers_records_in_the_api(world):
    client = client_for(world, "teacher")
    o = world.o
    own = {row["staff"]["id"] for row in results(client.get("/api/v1/enrollments/"))}
    assert own == {o.teacher.pk}
    completions = {row["staff"]["id"] for row in results(client.get("/api/v1/completions/"))}
    assert completions == {o.teacher.pk}
    assert results(client.get("/api/v1/evaluations/")) == []
    transcript = client.get("/api/v1/me/transcript/").json()
    assert transcript["staff"]["id"] == o.teacher.pk

    assert client.get(f"/api/v1/enrollments/{o.e_peer_past.pk}/").status_code == 404
    assert client.get(f"/api/v1/completions/{o.c_peer.pk}/").status_code == 404
    # Filters cannot widen the scope: another person's id is not a choice.
    by_peer = client.get(f"/api/v1/enrollments/?staff_id={o.peer.pk}")
    assert by_peer.status_code == 400 and "staff_id" in by_peer.json()
    with Unchanged():
        withdraw = client.post(f"/api/v1/enrollments/{o.e_peer_withdraw.pk}/withdraw/", {})
        assert withdraw.status_code == 404
        enroll_peer = client.post(
            f"/api/v1/sessions/{o.s_enroll.pk}/enroll/", {"staff": o.peer.pk}, format="json"
        )
        assert enroll_peer.status_code == 404
        evaluation = client.post(
            "/api/v1/evaluations/",
            {
                "enrollment": o.e_peer_past.pk,
                "content_rating": 1,
                "facilitator_rating": 1,
                "relevance_rating": 1,
            },
            format="json",
        )
        assert evaluation.status_code == 404
    assert not Evaluation.objects.filter(enrollment=o.e_peer_past, content_rating=1).exists()


def test_a_teachers_feed_holds_only_their_own_sessions_and_theirs_only_the_key_opens(world):
    client = client_for(world, "teacher")
    o = world.o
    own = text_of(client.get(reverse("calendars:feed", args=[o.teacher_feed_key])))
    assert "BEGIN:VCALENDAR" in own
    assert "Peer-only" not in own
    peers = text_of(client.get(reverse("calendars:feed", args=[o.peer_feed_key])))
    assert "Peer-only" in peers  # the key is the permission: whoever holds it reads the feed
    # Rotating and revoking act on the signed-in person's own address, never the peer's.
    client.post(reverse("calendars:rotate"))
    assert FeedToken.objects.get(staff=o.teacher).key != o.teacher_feed_key
    client.post(reverse("calendars:revoke"))
    o.peer.feed_token.refresh_from_db()
    assert o.peer.feed_token.key == o.peer_feed_key
    assert client.get(reverse("calendars:feed", args=[o.peer_feed_key])).status_code == 200


# A building leader and the other building's people


LEADER_PAGES = (
    "leaders:dashboard",
    "leaders:people",
    "leaders:outstanding",
    "leaders:plan",
    "enrollment:approvals",
)


# The other building's people: one who completed the plan's course, one who did nothing.
OTHER_BUILDING = ("Yonderby", "Oakley")


def names_of_other_building(text: str) -> list[str]:
    return [name for name in OTHER_BUILDING if name in text]


@pytest.mark.parametrize("name", LEADER_PAGES)
def test_a_leaders_pages_show_their_building_and_not_the_other(world, name):
    page = text_of(client_for(world, "leader").get(reverse(name)))
    assert names_of_other_building(page) == [] and "Oak Middle" not in page
    # The same page for district PD names the other building's people, so the check means
    # something.
    if name not in ("leaders:dashboard", "leaders:plan"):
        assert names_of_other_building(text_of(client_for(world, "district_pd").get(reverse(name))))


def test_a_leaders_assign_page_offers_only_their_staff_and_refuses_others(world):
    client = client_for(world, "leader")
    o = world.o
    url = reverse("enrollment:assign", args=[o.s_enroll.pk])
    page = text_of(client.get(url))
    assert "Tess" in page and "Yonderby" not in page
    with Unchanged():
        response = client.post(url, {"people": [o.outsider.pk]})
        assert response.status_code == 400
        api = client.post(
            "/api/v1/enrollments/assign/",
            {"session": o.s_enroll.pk, "staff": [o.outsider.pk]},
            format="json",
        )
        assert api.status_code == 200
        assert api.json() == [
            {
                "staff": {"id": o.outsider.pk, "name": None},
                "outcome": "refused",
                "waitlist_position": None,
                "code": "not_permitted",
                "message": api.json()[0]["message"],
            }
        ]


def test_a_leader_cannot_act_on_the_other_buildings_requests(world):
    client = client_for(world, "leader")
    o = world.o
    with Unchanged():
        enroll = client.post(
            f"/api/v1/sessions/{o.s_enroll.pk}/enroll/", {"staff": o.outsider.pk}, format="json"
        )
        assert enroll.status_code == 404
        assert (
            client.post(reverse("enrollment:approve", args=[o.e_pending_outsider.pk])).status_code
            == 404
        )
        declined = client.post(
            reverse("enrollment:decline", args=[o.e_pending_outsider.pk]), {"reason": "No."}
        )
        assert declined.status_code == 404
        for action in ("approve", "decline", "withdraw"):
            response = client.post(
                f"/api/v1/enrollments/{o.e_pending_outsider.pk}/{action}/",
                {"reason": "No."},
                format="json",
            )
            assert response.status_code == 404, action


def test_a_leaders_api_lists_hold_only_their_buildings_people(world):
    client = client_for(world, "leader")
    o = world.o
    in_scope = {o.teacher.pk, o.peer.pk, o.facilitator.pk, o.leader.pk}
    enrollments = {row["staff"]["id"] for row in results(client.get("/api/v1/enrollments/"))}
    assert enrollments and enrollments <= in_scope
    completions = {row["staff"]["id"] for row in results(client.get("/api/v1/completions/"))}
    assert completions and completions <= in_scope
    assert results(client.get("/api/v1/enrollments/?building=oak")) == []
    assert client.get(f"/api/v1/enrollments/{o.e_outsider_past.pk}/").status_code == 404
    assert client.get(f"/api/v1/completions/{o.c_outsider.pk}/").status_code == 404
    people = text_of(client.get("/api/v1/progress/people/"))
    assert "Tess" in people and names_of_other_building(people) == []
    other = client.get("/api/v1/progress/people/?building=oak")
    assert other.status_code == 400 and "building" in other.json()
    for name in ("leaders:dashboard", "leaders:people", "leaders:outstanding"):
        page = client.get(reverse(name) + "?building=oak")
        assert page.status_code == 400, name
        assert names_of_other_building(text_of(page)) == [], name


def test_a_leaders_browsable_api_pages_open_and_name_nobody_of_the_other_building(world):
    # The people behind the numbers have no queryset; the browsable API asks the view for one
    # to build its filter form.
    client = client_for(world, "leader")
    for url in ("/api/v1/progress/people/", "/api/v1/enrollments/", "/api/v1/completions/"):
        page = client.get(url, headers={"Accept": "text/html"})
        assert page.status_code == 200, url
        assert "Peerson" in text_of(page), url
        assert names_of_other_building(text_of(page)) == [], url


def test_a_facilitators_roster_in_the_api_shows_names_not_employee_ids(world):
    o = world.o
    rows = results(
        client_for(world, "facilitator").get(f"/api/v1/enrollments/?session={o.s_past.pk}")
    )
    by_staff = {row["staff"]["id"]: row for row in rows}
    assert set(by_staff) == {o.teacher.pk, o.peer.pk, o.outsider.pk}
    assert by_staff[o.outsider.pk]["staff"]["employee_id"] is None
    assert by_staff[o.outsider.pk]["decision_reason"] == ""
    assert by_staff[o.outsider.pk]["has_evaluation"] is None


@pytest.mark.parametrize("url", ["/leaders/completions.xlsx", "/api/v1/progress/completions.xlsx"])
def test_a_leaders_workbook_names_only_their_buildings_people(world, url):
    response = client_for(world, "leader").get(url)
    assert response.status_code == 200
    cells = workbook_text(response.content)
    assert "Teacher" in cells and "Peerson" in cells
    assert names_of_other_building(cells) == [] and "Oak Middle" not in cells
    assert names_of_other_building(workbook_text(client_for(world, "district_pd").get(url).content))


@pytest.mark.parametrize("url", ["/leaders/outstanding.csv", "/api/v1/progress/outstanding.csv"])
def test_a_leaders_outstanding_list_names_only_their_buildings_people(world, url):
    client = client_for(world, "leader")
    response = client.get(url)
    assert response.status_code == 200
    assert names_of_other_building(text_of(response)) == []
    assert "Oakley" in text_of(client_for(world, "district_pd").get(url))
    assert client.get(f"{url}?building=oak").status_code == 400


def test_feeds_name_no_participants_and_the_leader_has_no_one_elses(world):
    o = world.o
    client = client_for(world, "leader")
    for url in (
        reverse("calendars:session", args=[o.s_past.pk]),
        reverse("calendars:catalog"),
    ):
        body = text_of(client.get(url))
        assert "BEGIN:VCALENDAR" in body
        assert "Yonderby" not in body and "Tess" not in body
    # The roster and the sign-in sheet are the facilitators' and district PD's, not a leader's.
    assert client.get(reverse("enrollment:roster", args=[o.s_past.pk])).status_code == 404
    assert client.get(reverse("enrollment:signin-sheet", args=[o.s_past.pk])).status_code == 404


# HR and completions


def test_hr_cannot_record_void_or_edit_completions(world):
    client = client_for(world, "hr")
    o = world.o
    with Unchanged():
        created = client.post(
            "/api/v1/completions/",
            {
                "staff": o.teacher.pk,
                "course": o.other_course.code,
                "completed_on": "2026-01-05",
                "evidence": "HR says so",
            },
            format="json",
        )
        assert created.status_code == 403
        voided = client.post(
            f"/api/v1/completions/{o.c_teacher.pk}/void/", {"reason": "x"}, format="json"
        )
        assert voided.status_code == 403
        detail = f"/api/v1/completions/{o.c_teacher.pk}/"
        assert client.patch(detail, {"clock_hours": "99"}, format="json").status_code == 405
        assert client.delete(detail).status_code == 405
        admin_change = reverse("admin:enrollment_completion_change", args=[o.c_teacher.pk])
        edited = client.post(admin_change, {"clock_hours": "99", "evidence": "HR"})
        assert edited.status_code == 302 and edited["Location"].startswith(reverse("admin:login"))
    completion = Completion.objects.get(pk=o.c_teacher.pk)
    assert completion.voided_at is None and completion.clock_hours == o.c_teacher.clock_hours


def test_hrs_completions_import_adds_credit_but_never_edits_a_recorded_completion(world):
    client = client_for(world, "hr")
    o = world.o
    recorded = o.c_teacher
    body = (
        "Employee ID,Course Code,Completion Date,Hours,Evidence Note\n"
        f"{o.teacher.employee_id},{o.course.code},{recorded.completed_on},9,HR says 9 hours\n"
    )
    upload = SimpleUploadedFile("completions.csv", body.encode(), content_type="text/csv")
    preview = client.post(
        "/api/v1/imports/", {"file": upload, "kind": "completions"}, format="multipart"
    )
    assert preview.status_code == 201
    committed = client.post(f"/api/v1/imports/{preview.json()['id']}/commit/", {}, format="json")
    assert committed.status_code == 200
    counts = committed.json()["counts"]
    assert (counts["created"], counts["unchanged"]) == (0, 1)
    completion = Completion.objects.get(pk=recorded.pk)
    assert (completion.clock_hours, completion.evidence) == (
        recorded.clock_hours,
        recorded.evidence,
    )
    assert Completion.objects.filter(staff=o.teacher, course=o.course).count() == 1


# Imports


@pytest.mark.parametrize("role", [role for role in ROLES if role not in ("hr", "admin")])
def test_nobody_but_hr_and_admins_sees_imports(world, role):
    client = client_for(world, role)
    o = world.o
    forbidden = 403 if role == "anon" else 404
    listed = client.get("/api/v1/imports/")
    if role == "anon":
        assert listed.status_code == 403
    else:
        assert listed.status_code == 200 and results(listed) == []
    for run in (o.run_ok, o.run_errors):
        assert client.get(f"/api/v1/imports/{run.pk}/").status_code == forbidden
        assert client.get(reverse("imports:run", args=[run.pk])).status_code in (302, 404)
    assert client.get(reverse("imports:index")).status_code in (302, 404)
    errors = reverse("imports:errors", args=[o.run_errors.pk, "xlsx"])
    assert client.get(errors).status_code in (302, 404)
    with Unchanged():
        committed = client.post(f"/api/v1/imports/{o.run_ok.pk}/commit/", {}, format="json")
        assert committed.status_code == forbidden
        assert client.post(reverse("imports:commit", args=[o.run_ok.pk])).status_code in (302, 404)
    assert ImportRun.objects.get(pk=o.run_ok.pk).outcome == "previewed"


@pytest.mark.parametrize("role", ["hr", "admin"])
def test_hr_and_admins_see_every_import_run(world, role):
    client = client_for(world, role)
    listed = {row["id"] for row in results(client.get("/api/v1/imports/"))}
    assert listed == {world.o.run_ok.pk, world.o.run_errors.pk}
    page = text_of(client.get(reverse("imports:index")))
    assert "roster.csv" in page and "errors.csv" in page


def test_a_facilitator_manages_only_the_sessions_they_facilitate(world):
    client = client_for(world, "facilitator")
    o = world.o
    meeting = o.s_enroll.meetings.get()
    with Unchanged():
        assert client.get(reverse("enrollment:roster", args=[o.s_enroll.pk])).status_code == 404
        page = reverse("enrollment:attendance", args=[o.s_enroll.pk, meeting.pk])
        assert client.post(page, {"roster": "1", "present": ["1"]}).status_code == 404
        api = client.post(
            f"/api/v1/sessions/{o.s_enroll.pk}/attendance/",
            {"meeting": meeting.pk, "records": [{"enrollment": o.e_withdraw.pk, "present": True}]},
            format="json",
        )
        assert api.status_code == 404
        summary = client.get(f"/api/v1/sessions/{o.s_withdraw.pk}/evaluation-summary/")
        assert summary.status_code == 404


# Below the minimum number of responses, nobody reads what one participant wrote.


def test_a_lone_evaluation_comment_stays_hidden_from_the_facilitator(world):
    o = world.o
    client = client_for(world, "facilitator")
    roster = text_of(client.get(reverse("enrollment:roster", args=[o.s_past.pk])))
    summary = client.get(f"/api/v1/sessions/{o.s_past.pk}/evaluation-summary/").json()
    assert "private words" not in roster
    assert summary["responses"] == 1 and summary["comments"] == []


# Meeting links and people who have left


def test_meeting_links_reach_staff_but_not_the_public(world):
    o = world.o
    link = "staff-only-room"
    urls = [
        reverse("catalog:session", args=[o.s_enroll.pk]),
        f"/api/v1/sessions/{o.s_enroll.pk}/",
        reverse("calendars:session", args=[o.s_enroll.pk]),
        reverse("calendars:catalog"),
    ]
    anonymous, teacher = client_for(world, "anon"), client_for(world, "teacher")
    for url in urls:
        assert link not in text_of(anonymous.get(url)), url
    assert link in text_of(teacher.get(urls[0]))
    assert teacher.get(urls[1]).json()["virtual_url"].endswith(link)


def test_a_leader_who_has_left_keeps_no_scope_and_no_feed(world):
    o = world.o
    leader = o.leader
    key = leader.feed_token.key
    leader.status = "separated"
    leader.separated_on = leader.hired_on
    leader.save(update_fields=["status", "separated_on"])
    client = client_for(world, "leader")
    assert client.get(reverse("leaders:dashboard")).status_code == 404
    assert client.get(reverse("enrollment:approvals")).status_code == 404
    assert results(client.get("/api/v1/enrollments/")) == []
    assert client.get("/api/v1/progress/").status_code == 403
    assert client.get(reverse("calendars:feed", args=[key])).status_code == 404

"""The facilitators' and leaders' pages: roster, attendance sheet, sign-in sheet, assignment and
approvals. Scope: an object outside one's scope is a 404."""

import datetime as dt
import html
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.choices import MeetingStatus
from enrollment import services
from enrollment.choices import EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment
from enrollment.views.facilitator import MSG_ATTENDANCE_UNREADABLE
from enrollment.views.leaders import MSG_CHOOSE_SOMEONE
from tests.factories import (
    AttendanceFactory,
    BuildingFactory,
    CourseFactory,
    EnrollmentFactory,
    EvaluationFactory,
    MeetingFactory,
    PositionFactory,
    SessionFactory,
    StaffMemberFactory,
    local,
    login_for,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    body = response.content.decode()
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def day(offset: int, hour: int = 9) -> dt.datetime:
    """A moment `offset` days from today, district time."""
    when = timezone.localdate() + dt.timedelta(days=offset)
    return local(when.year, when.month, when.day, hour)


def meeting(session, offset: int, **kwargs):
    starts_at = day(offset)
    return MeetingFactory(
        session=session, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=3), **kwargs
    )


def roster_url(session):
    return reverse("enrollment:roster", args=[session.pk])


def attendance_url(session, meeting):
    return reverse("enrollment:attendance", args=[session.pk, meeting.pk])


def enroll(session, n, **kwargs):
    return [EnrollmentFactory(session=session, **kwargs) for _ in range(n)]


# Roster


def test_roster_shows_session_meetings_participants_waitlist_and_pending(client, facilitator):
    session = SessionFactory(capacity=3, course=CourseFactory(code="rp-101", title="Circles"))
    session.facilitators.add(facilitator)
    held = meeting(session, -2)
    later = meeting(session, 5)
    cancelled = meeting(session, -1, status=MeetingStatus.CANCELLED)
    ana = EnrollmentFactory(
        session=session, staff=StaffMemberFactory(first_name="Ana", last_name="Alvarez")
    )
    ben = EnrollmentFactory(
        session=session, staff=StaffMemberFactory(first_name="Ben", last_name="Brown")
    )
    AttendanceFactory(enrollment=ana, meeting=held, present=True)
    AttendanceFactory(enrollment=ben, meeting=held, present=False)
    EnrollmentFactory(
        session=session,
        status=EnrollmentStatus.PENDING_APPROVAL,
        hold_expires_at=timezone.now() + dt.timedelta(days=3),
        staff=StaffMemberFactory(first_name="Pia", last_name="Pending"),
    )
    first = EnrollmentFactory(
        session=session,
        status=EnrollmentStatus.WAITLISTED,
        requested_at=timezone.now() - dt.timedelta(hours=2),
        staff=StaffMemberFactory(first_name="Wes", last_name="Waiting"),
    )
    EnrollmentFactory(
        session=session,
        status=EnrollmentStatus.WAITLISTED,
        requested_at=timezone.now() - dt.timedelta(hours=1),
        staff=StaffMemberFactory(first_name="Val", last_name="Later"),
    )
    client.force_login(facilitator.user)

    response = client.get(roster_url(session))

    assert response.status_code == 200
    page = text(response)
    assert "Circles" in page and "3 seats" in page
    assert f'href="{attendance_url(session, held)}"' in response.content.decode()
    assert attendance_url(session, later) not in response.content.decode()
    assert attendance_url(session, cancelled) not in response.content.decode()
    assert f"From {later.starts_at.astimezone(timezone.get_current_timezone()):%a, %b} " in page
    assert "Cancelled" in page
    assert "Ana Alvarez" in page and "Present" in page and "Absent" in page
    assert "Not recorded" in page
    assert "Pia Pending" in page
    # The waitlist in order with its numbers.
    assert page.index("Number 1 Wes Waiting") < page.index("Number 2 Val Later")
    assert first.pk
    assert reverse("enrollment:signin-sheet", args=[session.pk]) in response.content.decode()


def test_roster_says_what_is_missing_for_credit(client, facilitator):
    session = SessionFactory(course=CourseFactory(evaluation_required=True))
    session.facilitators.add(facilitator)
    first, second = meeting(session, -3), meeting(session, -1)
    enrollment = EnrollmentFactory(session=session)
    AttendanceFactory(enrollment=enrollment, meeting=first, present=True)
    client.force_login(facilitator.user)

    page = text(client.get(roster_url(session)))

    assert "1 meeting to attend" in page
    # Who has evaluated is the participant's own business: the roster does not say.
    assert "evaluation" not in page.split("Participants", 1)[1].split("Evaluations", 1)[0].lower()
    assert second.pk


def test_roster_for_its_facilitator_and_district_pd(client, facilitated_session, district_pd):
    for user in (facilitated_session.facilitators.get().user, district_pd.user):
        client.force_login(user)
        assert client.get(roster_url(facilitated_session)).status_code == 200


@pytest.mark.parametrize("who", ["teacher", "leader", "other_facilitator"])
def test_roster_is_a_404_to_everyone_else(client, facilitated_session, who, request):
    if who == "other_facilitator":
        other = StaffMemberFactory()
        login_for(other)
        SessionFactory().facilitators.add(other)
        user = other.user
    else:
        user = request.getfixturevalue(who).user
    client.force_login(user)
    assert client.get(roster_url(facilitated_session)).status_code == 404
    held = meeting(facilitated_session, -1)
    assert client.get(attendance_url(facilitated_session, held)).status_code == 404
    sheet = reverse("enrollment:signin-sheet", args=[facilitated_session.pk])
    assert client.get(sheet).status_code == 404


def test_roster_needs_a_login(client, facilitated_session):
    response = client.get(roster_url(facilitated_session))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_evaluation_results_hidden_below_the_minimum(client, facilitated_session, settings):
    settings.EVALUATION_MIN_RESPONSES = 3
    meeting(facilitated_session, -1)
    enrollments = enroll(facilitated_session, 3)
    EvaluationFactory(enrollment=enrollments[0], comment="Loved the circles")
    client.force_login(facilitated_session.facilitators.get().user)

    page = text(client.get(roster_url(facilitated_session)))
    assert "1 response from 3 participants" in page
    assert "Results appear from 3 responses, so no answer can be traced to a person" in page
    assert "Loved the circles" not in page

    EvaluationFactory(enrollment=enrollments[1], comment="Zebra comment")
    EvaluationFactory(enrollment=enrollments[2], content_rating=1)
    page = text(client.get(roster_url(facilitated_session)))
    assert "3 responses from 3 participants" in page
    assert "3.00 of 5" in page  # content: (4 + 4 + 1) / 3
    assert "Loved the circles" in page and "Zebra comment" in page
    # Never who said what: no name sits next to a comment.
    comments = re.search(
        r'<ul class="comments">(.*?)</ul>',
        client.get(roster_url(facilitated_session)).content.decode(),
        re.S,
    ).group(1)
    for enrollment in enrollments:
        assert enrollment.staff.last_name not in comments


# Attendance


def test_attendance_sheet_is_prefilled_with_recorded_marks(client, facilitated_session):
    held = meeting(facilitated_session, -1)
    here, away, unknown = enroll(facilitated_session, 3)
    AttendanceFactory(enrollment=here, meeting=held, present=True)
    AttendanceFactory(enrollment=away, meeting=held, present=False)
    client.force_login(facilitated_session.facilitators.get().user)

    response = client.get(attendance_url(facilitated_session, held))

    body = response.content.decode()
    assert response.status_code == 200
    assert re.search(rf'value="{here.pk}" id="present-{here.pk}" checked', body)
    assert re.search(rf'value="{away.pk}" id="present-{away.pk}">', body)
    assert re.search(rf'value="{unknown.pk}" id="present-{unknown.pk}">', body)
    roster_ids = re.search(r'name="roster" value="([^"]*)"', body).group(1)
    assert sorted(map(int, roster_ids.split(","))) == sorted([here.pk, away.pk, unknown.pk])
    assert "Fran Facilitator" in text(response)  # who recorded the existing marks


def test_attendance_post_records_and_completes(client, facilitated_session):
    course = facilitated_session.course
    course.clock_hours = Decimal("6.50")
    course.save()
    first, second = meeting(facilitated_session, -3), meeting(facilitated_session, -1)
    done, missed = enroll(facilitated_session, 2)
    user = facilitated_session.facilitators.get().user
    client.force_login(user)

    for held in (first, second):
        response = client.post(
            attendance_url(facilitated_session, held),
            {"roster": f"{done.pk},{missed.pk}", "present": [str(done.pk)]},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == roster_url(facilitated_session)
        assert "Attendance saved: 1 present, 1 absent; 2 marks changed." in text(response)

    assert Attendance.objects.get(enrollment=missed, meeting=first).present is False
    completion = Completion.objects.get(enrollment=done)
    assert completion.clock_hours == Decimal("6.50")
    assert Enrollment.objects.get(pk=done.pk).status == EnrollmentStatus.COMPLETED
    assert Enrollment.objects.get(pk=missed.pk).status == EnrollmentStatus.INCOMPLETE
    assert not Completion.objects.filter(enrollment=missed).exists()


def test_with_a_required_evaluation_the_completion_waits_for_it(client, facilitated_session):
    course = facilitated_session.course
    course.evaluation_required = True
    course.save()
    held = meeting(facilitated_session, -1)
    teacher = StaffMemberFactory()
    enrollment = EnrollmentFactory(session=facilitated_session, staff=teacher)
    client.force_login(facilitated_session.facilitators.get().user)

    client.post(
        attendance_url(facilitated_session, held),
        {"roster": str(enrollment.pk), "present": [str(enrollment.pk)]},
    )

    assert not Completion.objects.filter(enrollment=enrollment).exists()
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ENROLLED
    services.evaluation_submit(
        enrollment=enrollment,
        actor=login_for(teacher),
        content_rating=4,
        facilitator_rating=4,
        relevance_rating=5,
    )
    assert Completion.objects.get(enrollment=enrollment).clock_hours == course.clock_hours


def test_a_late_change_records_who_changed_it(client, facilitated_session, district_pd):
    held = meeting(facilitated_session, -5)
    enrollment = EnrollmentFactory(session=facilitated_session)
    client.force_login(facilitated_session.facilitators.get().user)
    client.post(
        attendance_url(facilitated_session, held),
        {"roster": str(enrollment.pk), "present": [str(enrollment.pk)]},
    )
    client.force_login(district_pd.user)

    response = client.post(
        attendance_url(facilitated_session, held), {"roster": str(enrollment.pk)}, follow=True
    )

    assert "0 present, 1 absent; 1 marks changed" in text(response)
    mark = Attendance.objects.get(enrollment=enrollment, meeting=held)
    assert mark.present is False and mark.recorded_by == district_pd.user
    page = text(client.get(attendance_url(facilitated_session, held)))
    assert "Absent by Pat Planner" in page


def test_a_future_meeting_is_refused_and_nothing_is_written(client, facilitated_session):
    ahead = meeting(facilitated_session, 3)
    enrollment = EnrollmentFactory(session=facilitated_session)
    client.force_login(facilitated_session.facilitators.get().user)

    assert "take attendance from" in text(client.get(attendance_url(facilitated_session, ahead)))
    response = client.post(
        attendance_url(facilitated_session, ahead),
        {"roster": str(enrollment.pk), "present": [str(enrollment.pk)]},
    )

    assert response.status_code == 409
    assert "This meeting has not started yet; take attendance from" in text(response)
    assert not Attendance.objects.exists()


def test_someone_not_on_the_roster_is_refused_by_name(client, facilitated_session):
    held = meeting(facilitated_session, -1)
    enrollment = EnrollmentFactory(session=facilitated_session)
    stranger = EnrollmentFactory(
        session=facilitated_session,
        status=EnrollmentStatus.WAITLISTED,
        staff=StaffMemberFactory(first_name="Sam", last_name="Stranger"),
    )
    client.force_login(facilitated_session.facilitators.get().user)

    response = client.post(
        attendance_url(facilitated_session, held),
        {"roster": f"{enrollment.pk},{stranger.pk}", "present": [str(enrollment.pk)]},
    )

    assert "Sam Stranger is not on this session's roster." in text(response)
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"roster": "1,abc", "present": ["1"]},
        {"roster": "1", "present": ["<script>"]},
        {"roster": "٣", "present": []},
        {"roster": "9" * 40},
        {},
    ],
)
def test_bad_attendance_posts_get_a_message_not_a_500(client, facilitated_session, data):
    held = meeting(facilitated_session, -1)
    EnrollmentFactory(session=facilitated_session)
    client.force_login(facilitated_session.facilitators.get().user)

    response = client.post(attendance_url(facilitated_session, held), data)

    assert response.status_code == 400
    assert MSG_ATTENDANCE_UNREADABLE in text(response)
    assert not Attendance.objects.exists()


def test_a_meeting_of_another_session_is_a_404(client, facilitated_session):
    other = meeting(SessionFactory(), -1)
    client.force_login(facilitated_session.facilitators.get().user)
    assert client.get(attendance_url(facilitated_session, other)).status_code == 404


# Query counts stay the same however many participants


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _session_with(n, facilitator):
    session = SessionFactory(capacity=50)
    session.facilitators.add(facilitator)
    held = meeting(session, -2)
    meeting(session, 4)
    for index, enrollment in enumerate(enroll(session, n)):
        AttendanceFactory(enrollment=enrollment, meeting=held, present=index % 2 == 0)
        if index < 2:
            EvaluationFactory(enrollment=enrollment)
    EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)
    return session, held


def test_roster_and_attendance_queries_do_not_grow_with_participants(client, facilitator):
    small, small_meeting = _session_with(3, facilitator)
    large, large_meeting = _session_with(30, facilitator)
    client.force_login(facilitator.user)
    _queries(client, roster_url(small))  # warm the session and the login

    assert _queries(client, roster_url(small)) == _queries(client, roster_url(large))
    assert _queries(client, attendance_url(small, small_meeting)) == _queries(
        client, attendance_url(large, large_meeting)
    )


# Sign-in sheet


def test_signin_sheet_has_one_row_per_participant(client, facilitated_session):
    facilitated_session.course.code = "rp-201"
    facilitated_session.course.save()
    meeting(facilitated_session, 2)
    enroll(facilitated_session, 2)
    EnrollmentFactory(
        session=facilitated_session,
        staff=StaffMemberFactory(first_name="Evil", last_name='=HYPERLINK("http://x")'),
    )
    EnrollmentFactory(session=facilitated_session, status=EnrollmentStatus.WITHDRAWN)
    client.force_login(facilitated_session.facilitators.get().user)

    response = client.get(reverse("enrollment:signin-sheet", args=[facilitated_session.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="sign-in-rp-201-{facilitated_session.pk}.xlsx"'
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Sign-in"]
    rows = [row for row in sheet.iter_rows(values_only=True)]
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "#")
    assert list(rows[header_at]) == [
        "#",
        "Name",
        "Building",
        "Position",
        "Sign in",
        "Sign out",
        "Signature",
    ]
    people = [row for row in rows[header_at + 1 :] if row and row[0] is not None]
    assert [row[0] for row in people] == [1, 2, 3]
    assert all(row[4:] == (None, None, None) for row in people)
    preamble = " ".join(str(row[0]) for row in rows[:header_at] if row and row[0])
    assert facilitated_session.display_title in preamble and "RP-201" in preamble
    evil = next(
        cell
        for row in sheet.iter_rows(min_row=header_at + 2)
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    )
    assert evil.data_type == "s"


# Assigning


@pytest.fixture
def open_session(db):
    session = SessionFactory(capacity=2)
    meeting(session, 10)
    return session


def assign_url(session):
    return reverse("enrollment:assign", args=[session.pk])


def outcome_rows(response) -> dict[str, str]:
    body = response.content.decode()
    rows = {}
    for row in re.findall(r"<tr\b.*?</tr>", body, flags=re.S):
        cells = [
            re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", cell))).strip()
            for cell in re.findall(r"<t[hd]\b.*?</t[hd]>", row, flags=re.S)
        ]
        if len(cells) == 3 and cells[0] != "Name":
            rows[cells[0]] = cells[2]
    return rows


def test_assign_chosen_people_gives_each_an_outcome(client, leader, building, open_session):
    amy, bo, cy, di = (
        StaffMemberFactory(building=building, first_name=name, last_name="Smith")
        for name in ("Amy", "Bo", "Cy", "Di")
    )
    EnrollmentFactory(session=open_session, staff=di)
    client.force_login(leader.user)
    assert "Amy Smith" in text(client.get(assign_url(open_session)))

    response = client.post(
        assign_url(open_session), {"confirm": "on", "people": [amy.pk, bo.pk, cy.pk, di.pk]}
    )

    assert response.status_code == 200
    outcomes = outcome_rows(response)
    assert outcomes["Amy Smith"] == "Enrolled"
    assert outcomes["Bo Smith"] == "Waitlisted, number 1"
    assert outcomes["Cy Smith"] == "Waitlisted, number 2"
    assert outcomes["Di Smith"].startswith("Refused: Di Smith already has a place")
    page = text(response)
    assert "Enrolled 1" in page and "Waitlisted 2" in page and "Refused 1" in page


def test_assign_everyone_of_a_position_or_building(client, district_pd, building, other_building):
    session = SessionFactory(capacity=10)
    meeting(session, 10)
    counselor = PositionFactory(code="counselor")
    here = StaffMemberFactory(building=building, position=counselor)
    there = StaffMemberFactory(building=other_building, position=counselor)
    teacher_there = StaffMemberFactory(building=other_building)
    client.force_login(district_pd.user)

    by_position = client.post(assign_url(session), {"confirm": "on", "position": counselor.pk})
    assert set(outcome_rows(by_position)) == {here.display_name, there.display_name}

    by_building = client.post(assign_url(session), {"confirm": "on", "building": other_building.pk})
    outcomes = outcome_rows(by_building)
    assert outcomes[teacher_there.display_name] == "Enrolled"
    assert outcomes[there.display_name].startswith("Refused:")
    assert Enrollment.objects.filter(session=session, status="enrolled").count() == 3


def test_an_empty_choice_is_a_form_error(client, leader, open_session):
    client.force_login(leader.user)
    response = client.post(
        assign_url(open_session),
        {
            "confirm": "on",
        },
    )
    assert response.status_code == 400
    assert f"People: {MSG_CHOOSE_SOMEONE}" in text(response)
    assert not Enrollment.objects.exists()


def test_a_leader_cannot_assign_outside_their_buildings(
    client, leader, other_building, open_session
):
    outsider = StaffMemberFactory(building=other_building, first_name="Olga", last_name="Out")
    client.force_login(leader.user)

    assert "Olga Out" not in text(client.get(assign_url(open_session)))
    response = client.post(assign_url(open_session), {"confirm": "on", "people": [outsider.pk]})
    assert response.status_code == 400
    by_building = client.post(
        assign_url(open_session), {"confirm": "on", "building": other_building.pk}
    )
    assert by_building.status_code == 400
    assert not Enrollment.objects.exists()


def test_only_district_pd_may_override_the_registration_window(
    client, leader, district_pd, building
):
    session = SessionFactory(registration_opens_at=timezone.now() + dt.timedelta(days=5))
    meeting(session, 20)
    person = StaffMemberFactory(building=building)

    client.force_login(leader.user)
    assert "override_window" not in client.get(assign_url(session)).content.decode()
    refused = client.post(
        assign_url(session), {"confirm": "on", "people": [person.pk], "override_window": "on"}
    )
    assert outcome_rows(refused)[person.display_name].startswith("Refused: Registration opens")

    client.force_login(district_pd.user)
    assert "override_window" in client.get(assign_url(session)).content.decode()
    enrolled = client.post(
        assign_url(session), {"confirm": "on", "people": [person.pk], "override_window": "on"}
    )
    assert outcome_rows(enrolled)[person.display_name] == "Enrolled"


def test_assign_is_a_404_to_teachers_and_facilitators(client, teacher, facilitated_session):
    for user in (teacher.user, facilitated_session.facilitators.get().user):
        client.force_login(user)
        assert client.get(assign_url(facilitated_session)).status_code == 404
        assert (
            client.post(
                assign_url(facilitated_session), {"confirm": "on", "people": [teacher.pk]}
            ).status_code
            == 404
        )
    assert not Enrollment.objects.exists()


# Approvals


@pytest.fixture
def approval_session(db):
    session = SessionFactory(capacity=1, requires_approval=True)
    meeting(session, 10)
    return session


def request_place(staff, session):
    user = staff.user or login_for(staff)
    return services.enrollment_create(staff=staff, session=session, actor=user).enrollment


def test_approvals_are_scoped_to_the_leaders_buildings(
    client, leader, teacher, other_building, approval_session
):
    approval_session.capacity = 5
    approval_session.save()
    mine = request_place(teacher, approval_session)
    elsewhere = request_place(StaffMemberFactory(building=other_building), approval_session)
    own = request_place(leader, approval_session)
    client.force_login(leader.user)

    response = client.get(reverse("enrollment:approvals"))

    body = response.content.decode()
    assert reverse("enrollment:approve", args=[mine.pk]) in body
    assert reverse("enrollment:approve", args=[elsewhere.pk]) not in body
    assert reverse("enrollment:approve", args=[own.pk]) not in body
    # Acting on requests outside one's scope is a 404, and changes nothing.
    for enrollment in (elsewhere, own):
        url = reverse("enrollment:approve", args=[enrollment.pk])
        assert client.post(url).status_code == 404
        assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.PENDING_APPROVAL


def test_approvals_page_empty_and_not_for_teachers(client, leader, teacher):
    client.force_login(leader.user)
    assert "No requests are waiting for your approval." in text(
        client.get(reverse("enrollment:approvals"))
    )
    client.force_login(teacher.user)
    assert client.get(reverse("enrollment:approvals")).status_code == 404


def test_approve_enrolls_and_mails(client, leader, teacher, approval_session, mailed):
    enrollment = request_place(teacher, approval_session)
    client.force_login(leader.user)

    with mailed as mailoutbox:
        response = client.post(reverse("enrollment:approve", args=[enrollment.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("enrollment:approvals")
    assert "Approved: Tess Teacher has a place" in text(response)
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ENROLLED
    assert [mail.to for mail in mailoutbox] == [[teacher.email]]
    assert mailoutbox[0].subject.startswith("Approved:")


def test_decline_needs_a_reason(client, leader, teacher, approval_session, mailoutbox):
    enrollment = request_place(teacher, approval_session)
    client.force_login(leader.user)

    response = client.post(
        reverse("enrollment:decline", args=[enrollment.pk]), {"reason": "  "}, follow=True
    )

    assert "Say why the request is declined" in text(response)
    stored = Enrollment.objects.get(pk=enrollment.pk)
    assert stored.status == EnrollmentStatus.PENDING_APPROVAL and stored.decision_reason == ""


def test_decline_with_a_reason_promotes_the_waitlist_head(
    client,
    leader,
    teacher,
    district_pd,
    building,
    approval_session,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    enrollment = request_place(teacher, approval_session)
    head = services.enrollment_create(
        staff=StaffMemberFactory(building=building),
        session=approval_session,
        actor=district_pd.user,
    ).enrollment
    assert head.status == EnrollmentStatus.WAITLISTED
    mailoutbox.clear()
    client.force_login(leader.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("enrollment:decline", args=[enrollment.pk]),
            {"reason": "No substitutes that week", "next": "https://evil.example/"},
            follow=True,
        )

    assert response.redirect_chain[-1][0] == reverse("enrollment:approvals")
    stored = Enrollment.objects.get(pk=enrollment.pk)
    assert stored.status == EnrollmentStatus.DECLINED
    assert stored.decision_reason == "No substitutes that week"
    assert Enrollment.objects.get(pk=head.pk).status == EnrollmentStatus.ENROLLED
    subjects = {mail.to[0]: mail.subject for mail in mailoutbox}
    assert subjects[teacher.email].startswith("Not approved:")
    assert subjects[head.staff.email].startswith("A seat opened for you:")


def test_approve_and_decline_are_post_only(client, leader, teacher, approval_session):
    enrollment = request_place(teacher, approval_session)
    client.force_login(leader.user)
    assert client.get(reverse("enrollment:approve", args=[enrollment.pk])).status_code == 405
    assert client.get(reverse("enrollment:decline", args=[enrollment.pk])).status_code == 405


def test_approve_redirects_to_a_safe_local_next(client, leader, teacher, approval_session):
    enrollment = request_place(teacher, approval_session)
    client.force_login(leader.user)
    response = client.post(
        reverse("enrollment:approve", args=[enrollment.pk]),
        {"next": roster_url(approval_session)},
    )
    assert response["Location"] == roster_url(approval_session)


def test_buildings_other_than_the_leaders_are_not_offered(client, leader, other_building):
    session = SessionFactory()
    meeting(session, 10)
    BuildingFactory(code="elm", name="Elm High")
    client.force_login(leader.user)
    page = client.get(assign_url(session)).content.decode()
    assert "Maple Elementary" in page
    assert "Oak Middle" not in page and "Elm High" not in page

"""A person's own enrollment pages: enrolling and withdrawing from the session page, /me/, the
transcript and its xlsx, the evaluation form, certificates and the public verification page."""

import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from enrollment import selectors
from enrollment.choices import CompletionSource, EnrollmentSource, EnrollmentStatus
from enrollment.models import Completion, Enrollment, Evaluation
from enrollment.views import participant
from tests.factories import (
    AttendanceFactory,
    CompletionFactory,
    CourseFactory,
    EnrollmentFactory,
    EvaluationFactory,
    GoalFactory,
    MeetingFactory,
    PlanYearFactory,
    RequirementFactory,
    SessionFactory,
    StaffMemberFactory,
    local,
    login_for,
)

pytestmark = pytest.mark.django_db

ME = reverse("enrollment:me")
TRANSCRIPT = reverse("enrollment:transcript")
TRANSCRIPT_XLSX = reverse("enrollment:transcript-xlsx")


def text(response) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def session_url(session) -> str:
    return reverse("catalog:session", args=[session.pk])


def enroll_url(session) -> str:
    return reverse("enrollment:enroll", args=[session.pk])


def withdraw_url(enrollment) -> str:
    return reverse("enrollment:withdraw", args=[enrollment.pk])


def evaluation_url(enrollment) -> str:
    return reverse("enrollment:evaluation", args=[enrollment.pk])


def certificate_url(completion) -> str:
    return reverse("enrollment:certificate", args=[completion.pk])


def soon(days=7, hour=16):
    day = timezone.localdate() + dt.timedelta(days=days)
    return local(day.year, day.month, day.day, hour)


def session_meeting_on(days, **kwargs):
    """A published session with one two-hour meeting `days` from today (negative: past)."""
    session = SessionFactory(**kwargs)
    start = soon(days=days)
    MeetingFactory(session=session, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    return session


def this_year_name() -> str:
    return selectors.school_year_of(timezone.localdate(), selectors.school_years()).name


@pytest.fixture
def signed_in(client, teacher):
    client.force_login(teacher.user)
    return client


@pytest.fixture
def colleague(building):
    """A second teacher of the same building, with a login."""
    staff = StaffMemberFactory(building=building, first_name="Cam", last_name="Colleague")
    login_for(staff, username="colleague")
    return staff


# Enrolling from the session page


def test_session_page_offers_enroll_when_seats_are_left(signed_in):
    session = session_meeting_on(7, capacity=2)

    response = signed_in.get(session_url(session))

    body = response.content.decode()
    assert f'action="{enroll_url(session)}"' in body
    assert ">Enroll</button>" in body
    assert "csrfmiddlewaretoken" in body


def test_enrolling_with_a_free_seat_enrolls_and_updates_the_seat_count(signed_in, teacher):
    session = session_meeting_on(7, capacity=2, course=CourseFactory(title="Restorative Circles"))

    response = signed_in.post(enroll_url(session), follow=True)

    assert response.redirect_chain == [(session_url(session), 302)]
    assert messages_of(response) == ["You are enrolled in Restorative Circles."]
    enrollment = Enrollment.objects.get(staff=teacher, session=session)
    assert enrollment.status == EnrollmentStatus.ENROLLED
    page = text(response)
    assert "You are enrolled." in page
    assert "1 of 2 seats left" in page
    assert f'href="{withdraw_url(enrollment)}">Withdraw…</a>' in response.content.decode()


def test_enrolling_in_a_full_session_joins_the_waitlist_with_the_position(signed_in, teacher):
    session = session_meeting_on(7, capacity=1, course=CourseFactory(title="CRT Foundations"))
    EnrollmentFactory(session=session)
    EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)

    before = signed_in.get(session_url(session)).content.decode()
    response = signed_in.post(enroll_url(session), follow=True)

    assert ">Join the waitlist</button>" in before
    assert messages_of(response) == ["You are on the waitlist for CRT Foundations: number 2."]
    assert Enrollment.objects.get(staff=teacher).status == EnrollmentStatus.WAITLISTED
    page = text(response)
    assert "You are number 2 on the waitlist." in page
    assert "Full — waitlist of 2" in page


def test_requesting_a_seat_that_needs_approval_holds_it(signed_in, teacher):
    session = session_meeting_on(7, capacity=3, requires_approval=True)

    before = signed_in.get(session_url(session)).content.decode()
    response = signed_in.post(enroll_url(session), follow=True)

    assert ">Request a seat</button>" in before
    enrollment = Enrollment.objects.get(staff=teacher)
    assert enrollment.status == EnrollmentStatus.PENDING_APPROVAL
    [message] = messages_of(response)
    assert message.startswith(
        f"Your request for {session.display_title} waits for your building leader's approval; "
        "your seat is held until "
    )
    held_until = timezone.localtime(enrollment.hold_expires_at)
    assert f"{held_until:%B} {held_until.day}, {held_until.year}" in message
    page = text(response)
    assert "Your request waits for your building leader's approval." in page
    assert "2 of 3 seats left" in page


def test_closed_registration_is_explained_and_enrolling_is_refused(signed_in, teacher):
    now = timezone.now()
    session = session_meeting_on(
        7,
        registration_opens_at=now - dt.timedelta(days=10),
        registration_closes_at=now - dt.timedelta(days=1),
    )

    page = signed_in.get(session_url(session))
    response = signed_in.post(enroll_url(session), follow=True)

    assert "Registration closed on" in text(page)
    assert ">Enroll</button>" not in page.content.decode()
    [message] = messages_of(response)
    assert message.startswith("Registration closed ")
    assert not Enrollment.objects.filter(staff=teacher).exists()


def test_registration_not_yet_open_says_when_it_opens(signed_in):
    opens = soon(days=3, hour=8)
    session = session_meeting_on(14, registration_opens_at=opens)

    page = text(signed_in.get(session_url(session)))

    assert f"Registration opens on {opens:%a, %b} {opens.day}, {opens.year} at 8:00 AM" in page


def test_cancelled_and_ended_sessions_say_why_there_is_no_button(signed_in):
    cancelled = session_meeting_on(7, status="cancelled")
    ended = session_meeting_on(-7)

    cancelled_page = signed_in.get(session_url(cancelled))
    ended_page = signed_in.get(session_url(ended))

    assert "This session is cancelled, so there is nothing to enroll in." in text(cancelled_page)
    assert "This session has ended, so registration is over." in text(ended_page)
    for page in (cancelled_page, ended_page):
        assert "enroll/" not in page.content.decode()


def test_missing_prerequisite_is_refused_with_its_name(signed_in, teacher):
    first = CourseFactory(code="crt-101", title="CRT Foundations")
    course = CourseFactory(code="crt-201")
    course.prerequisites.add(first)
    session = session_meeting_on(7, course=course)

    response = signed_in.post(enroll_url(session), follow=True)

    assert messages_of(response) == ["Complete the prerequisite first: CRT-101 CRT Foundations."]
    assert not Enrollment.objects.filter(staff=teacher).exists()
    assert "Error:" in text(response)


def test_anonymous_visitor_is_asked_to_sign_in(client):
    session = session_meeting_on(7)

    page = client.get(session_url(session)).content.decode()
    response = client.post(enroll_url(session))

    login = reverse("login")
    assert f'href="{login}?next=/catalog/sessions/{session.pk}/"' in page
    assert "Sign in to enroll" in page
    assert response.status_code == 302
    assert response["Location"] == f"{login}?next=/catalog/sessions/{session.pk}/"
    assert not Enrollment.objects.exists()


def test_login_without_a_staff_record_gets_a_message_not_an_error(client, admin_user):
    session = session_meeting_on(7)
    client.force_login(admin_user)

    page = client.get(session_url(session))
    response = client.post(enroll_url(session), follow=True)

    assert "not linked to a staff record" in text(page)
    assert response.status_code == 200
    assert messages_of(response) == [participant.MSG_NO_STAFF_RECORD]
    assert not Enrollment.objects.exists()


def test_enroll_takes_only_a_post_and_only_for_visible_sessions(signed_in):
    session = session_meeting_on(7)
    draft = session_meeting_on(7, status="draft")

    assert signed_in.get(enroll_url(session)).status_code == 405
    assert signed_in.post(enroll_url(draft)).status_code == 404
    assert signed_in.post(reverse("enrollment:enroll", args=[987654])).status_code == 404


def test_session_page_shows_what_is_missing_and_links_the_due_evaluation(signed_in, teacher):
    session = session_meeting_on(-2, course=CourseFactory(evaluation_required=True))
    enrollment = EnrollmentFactory(staff=teacher, session=session)
    AttendanceFactory(enrollment=enrollment, meeting=session.meetings.get())

    response = signed_in.get(session_url(session))

    assert "Still needed for credit: evaluation due." in text(response)
    assert f'href="{evaluation_url(enrollment)}"' in response.content.decode()
    # Withdrawing now would only throw away the attendance waiting for credit.
    assert ">Withdraw…</a>" not in response.content.decode()


def test_completed_session_links_its_certificate_and_offers_no_withdraw(signed_in, teacher):
    session = session_meeting_on(-2)
    enrollment = EnrollmentFactory(
        staff=teacher, session=session, status=EnrollmentStatus.COMPLETED
    )
    completion = CompletionFactory(staff=teacher, course=session.course, enrollment=enrollment)

    response = signed_in.get(session_url(session))

    assert "You completed this session." in text(response)
    assert f'href="{certificate_url(completion)}"' in response.content.decode()
    assert ">Withdraw…</a>" not in response.content.decode()


def test_roster_and_assign_links_only_for_those_allowed(client, teacher, leader, facilitator):
    session = session_meeting_on(7)
    session.facilitators.add(facilitator)
    roster = reverse("enrollment:roster", args=[session.pk])
    assign = reverse("enrollment:assign", args=[session.pk])

    def links(user):
        client.force_login(user)
        body = client.get(session_url(session)).content.decode()
        return (f'href="{roster}"' in body, f'href="{assign}"' in body)

    assert links(teacher.user) == (False, False)
    assert links(facilitator.user) == (True, False)
    assert links(leader.user) == (False, True)


def test_district_pd_gets_both_links(client, district_pd):
    session = session_meeting_on(7)
    client.force_login(district_pd.user)

    body = client.get(session_url(session)).content.decode()

    assert "Roster and attendance" in body
    assert "Assign staff" in body


def test_session_page_queries_stay_fixed_for_an_enrolled_person(signed_in, teacher):
    def build(meetings):
        session = SessionFactory(capacity=50)
        session.facilitators.add(*StaffMemberFactory.create_batch(meetings))
        for days in range(meetings):
            MeetingFactory(session=session, starts_at=soon(days=days - meetings // 2))
        enrollment = EnrollmentFactory(staff=teacher, session=session)
        for meeting in session.meetings.filter(starts_at__lt=timezone.now()):
            AttendanceFactory(enrollment=enrollment, meeting=meeting)
        EnrollmentFactory.create_batch(meetings, session=session)
        return session

    small, large = build(2), build(20)
    with CaptureQueriesContext(connection) as few:
        assert signed_in.get(session_url(small)).status_code == 200
    with CaptureQueriesContext(connection) as many:
        response = signed_in.get(session_url(large))

    assert "You are enrolled." in text(response)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# Withdrawing


def test_withdrawing_gives_the_seat_to_the_head_of_the_waitlist(signed_in, teacher, colleague):
    session = session_meeting_on(7, capacity=1)
    mine = EnrollmentFactory(staff=teacher, session=session)
    waiting = EnrollmentFactory(staff=colleague, session=session, status="waitlisted")

    response = signed_in.post(withdraw_url(mine), follow=True)

    assert response.redirect_chain == [(session_url(session), 302)]
    assert messages_of(response) == [f"You are withdrawn from {session.display_title}."]
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert mine.status == EnrollmentStatus.WITHDRAWN
    assert waiting.status == EnrollmentStatus.ENROLLED
    assert "0 of 1 seat left" not in text(response)
    assert "Full" in text(response)


def test_withdraw_returns_to_a_local_next_but_never_elsewhere(signed_in, teacher):
    first = EnrollmentFactory(staff=teacher, session=session_meeting_on(7))
    second = EnrollmentFactory(staff=teacher, session=session_meeting_on(9))

    to_me = signed_in.post(withdraw_url(first), {"next": ME})
    to_evil = signed_in.post(withdraw_url(second), {"next": "https://evil.example/"})

    assert to_me["Location"] == ME
    assert to_evil["Location"] == session_url(second.session)


def test_withdrawing_a_finished_enrollment_is_refused_with_a_message(signed_in, teacher):
    enrollment = EnrollmentFactory(
        staff=teacher, session=session_meeting_on(-3), status=EnrollmentStatus.COMPLETED
    )

    response = signed_in.post(withdraw_url(enrollment), follow=True)

    assert messages_of(response) == ["This enrollment is completed; it can no longer be withdrawn."]
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED


def test_someone_elses_enrollment_is_404_to_withdraw_and_to_evaluate(client, leader, colleague):
    session = session_meeting_on(-1)
    theirs = EnrollmentFactory(staff=colleague, session=session)
    # Even the person's building leader acts on them elsewhere, not through these pages.
    client.force_login(leader.user)

    assert client.post(withdraw_url(theirs)).status_code == 404
    assert client.get(evaluation_url(theirs)).status_code == 404
    post = {"content_rating": 5, "facilitator_rating": 5, "relevance_rating": 5}
    assert client.post(evaluation_url(theirs), post).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == EnrollmentStatus.ENROLLED
    assert not Evaluation.objects.exists()


def test_withdraw_asks_first_and_a_get_changes_nothing(signed_in, teacher):
    enrollment = EnrollmentFactory(staff=teacher, session=session_meeting_on(7))

    page = signed_in.get(withdraw_url(enrollment))

    assert page.status_code == 200
    body = text(page)
    assert f"Withdraw from {enrollment.session.display_title}?" in body
    assert "You give up your seat" in body
    assert f'action="{withdraw_url(enrollment)}"' in page.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ENROLLED


def test_withdrawing_a_seat_says_who_waits_for_it(signed_in, teacher, colleague):
    session = session_meeting_on(7, capacity=1)
    mine = EnrollmentFactory(staff=teacher, session=session)
    EnrollmentFactory(staff=colleague, session=session, status=EnrollmentStatus.WAITLISTED)

    body = text(signed_in.get(withdraw_url(mine)))

    assert "it goes at once to the first of the 1 people on the waitlist" in body
    assert "puts you at the end of the waitlist (number 2 as it stands now)" in body


def test_leaving_the_waitlist_says_which_place_is_given_up(signed_in, teacher, building):
    session = session_meeting_on(7, capacity=1)
    EnrollmentFactory(session=session)
    ahead = [
        EnrollmentFactory(
            staff=StaffMemberFactory(building=building),
            session=session,
            status=EnrollmentStatus.WAITLISTED,
        )
        for _ in range(2)
    ]
    mine = EnrollmentFactory(staff=teacher, session=session, status=EnrollmentStatus.WAITLISTED)
    behind = EnrollmentFactory(
        staff=StaffMemberFactory(building=building),
        session=session,
        status=EnrollmentStatus.WAITLISTED,
    )
    assert ahead and behind

    page = signed_in.get(f"{withdraw_url(mine)}?next={ME}")

    body = text(page)
    assert "You are number 3 on the waitlist, of 4 waiting." in body
    assert "joining again later puts you at the end of the waitlist (number 4" in body
    assert "No, keep my place" in body
    assert f'href="{ME}"' in page.content.decode()
    assert 'name="next" value="/me/"' in page.content.decode()


def test_the_confirmation_never_leads_elsewhere(signed_in, teacher):
    enrollment = EnrollmentFactory(staff=teacher, session=session_meeting_on(7))

    page = signed_in.get(f"{withdraw_url(enrollment)}?next=https://evil.example/")

    assert "evil.example" not in page.content.decode()
    assert f'href="{session_url(enrollment.session)}"' in page.content.decode()


# My learning


def test_a_series_shows_its_next_meeting_not_its_first(signed_in, teacher):
    session = SessionFactory(title="Monthly")
    first = soon(days=-14)
    MeetingFactory(session=session, starts_at=first, ends_at=first + dt.timedelta(hours=2))
    following = soon(days=14)
    MeetingFactory(session=session, starts_at=following, ends_at=following + dt.timedelta(hours=2))
    last = soon(days=42)
    MeetingFactory(session=session, starts_at=last, ends_at=last + dt.timedelta(hours=2))
    EnrollmentFactory(staff=teacher, session=session)

    upcoming = text(signed_in.get(ME)).split("Upcoming", 1)[1]

    assert "Next meeting" in upcoming
    shown, opened = timezone.localtime(following), timezone.localtime(first)
    assert f"{shown:%a}, {shown:%b} {shown.day}, {shown.year} at" in upcoming
    assert f"first meeting {opened:%b} {opened.day}, {opened.year}" in upcoming


def test_an_assigned_place_says_who_assigned_it(signed_in, teacher, leader):
    EnrollmentFactory(
        staff=teacher,
        session=session_meeting_on(7),
        source=EnrollmentSource.ASSIGNED,
        acted_by=leader.user,
    )
    EnrollmentFactory(staff=teacher, session=session_meeting_on(9), acted_by=teacher.user)

    page = text(signed_in.get(ME))

    assert page.count("Assigned to you") == 1
    assert f"Assigned to you by {leader.display_name}" in page


def test_me_sorts_places_into_sections(signed_in, teacher, colleague):
    upcoming = EnrollmentFactory(
        staff=teacher, session=session_meeting_on(7, course=CourseFactory(title="Upcoming One"))
    )
    pending = EnrollmentFactory(
        staff=teacher,
        session=session_meeting_on(9, course=CourseFactory(title="Pending One")),
        status=EnrollmentStatus.PENDING_APPROVAL,
        hold_expires_at=timezone.now() + dt.timedelta(days=3),
    )
    full = session_meeting_on(11, capacity=1, course=CourseFactory(title="Waitlisted One"))
    EnrollmentFactory(session=full)
    EnrollmentFactory(staff=colleague, session=full, status=EnrollmentStatus.WAITLISTED)
    waitlisted = EnrollmentFactory(staff=teacher, session=full, status=EnrollmentStatus.WAITLISTED)
    due = EnrollmentFactory(
        staff=teacher,
        session=session_meeting_on(
            -2, course=CourseFactory(title="Evaluate Me", evaluation_required=True)
        ),
    )
    AttendanceFactory(enrollment=due, meeting=due.session.meetings.get())
    EnrollmentFactory(
        staff=teacher, session=session_meeting_on(-4, course=CourseFactory(title="Ended One"))
    )
    CompletionFactory(
        staff=teacher,
        course=CourseFactory(code="rp-101", title="Circles Done"),
        completed_on=timezone.localdate(),
        clock_hours=Decimal("6.50"),
    )
    CompletionFactory(staff=teacher, completed_on=timezone.localdate(), clock_hours=Decimal("6"))
    CompletionFactory(
        staff=teacher,
        completed_on=timezone.localdate(),
        clock_hours=Decimal("100"),
        voided_at=timezone.now(),
        void_reason="Entered twice",
    )

    response = signed_in.get(ME)

    assert response.status_code == 200
    page = text(response)
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", response.content.decode())
    assert headings == [
        "Upcoming",
        "Waiting for approval",
        "Waitlisted",
        "Evaluation due",
        "In progress",
        "Completed this school year",
        "Your calendar",
    ]
    parts = re.split(r"<h2[^>]*>.*?</h2>", response.content.decode())[1:]
    sections = dict(zip(headings, parts, strict=True))
    assert "Upcoming One" in sections["Upcoming"]
    assert "Pending One" in sections["Waiting for approval"]
    assert "seat held until" in sections["Waiting for approval"]
    assert "Waitlisted One" in sections["Waitlisted"]
    assert "Number 2 on the waitlist" in sections["Waitlisted"]
    assert f'href="{evaluation_url(due)}"' in sections["Evaluation due"]
    assert "Ended One" in sections["In progress"]
    assert "Circles Done" in sections["Completed this school year"]
    assert f"Clock hours in {this_year_name()}: 12.5" in page
    for enrollment in (upcoming, pending, waitlisted):
        assert f'href="{withdraw_url(enrollment)}?next=/me/"' in response.content.decode()
        assert f'href="{session_url(enrollment.session)}"' in response.content.decode()
    assert f'href="{withdraw_url(due)}' not in response.content.decode()
    assert f'href="{TRANSCRIPT}"' in response.content.decode()


def test_me_keeps_an_incomplete_enrollment_in_view(signed_in, teacher):
    session = session_meeting_on(-3, course=CourseFactory(title="Missed One"))
    EnrollmentFactory(staff=teacher, session=session, status=EnrollmentStatus.INCOMPLETE)

    page = text(signed_in.get(ME))

    assert "Missed One" in page
    assert "no credit: a meeting was missed" in page


def test_me_without_places_points_to_the_catalog(signed_in):
    page = text(signed_in.get(ME))

    assert "You have no places in sessions right now." in page
    assert f"Clock hours in {this_year_name()}: 0" in page


def test_me_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(ME)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={ME}"


def test_me_for_a_login_without_a_staff_record_says_so(client, admin_user):
    client.force_login(admin_user)

    response = client.get(ME)
    transcript = client.get(TRANSCRIPT)
    workbook = client.get(TRANSCRIPT_XLSX)

    assert response.status_code == 200
    assert "is not linked to a staff record" in text(response)
    assert transcript.status_code == workbook.status_code == 200
    assert "is not linked to a staff record" in text(workbook)


def _a_year_of_learning(staff, count):
    """`count` each of upcoming, waitlisted and evaluation-due enrollments and of completions
    (from sessions, some voided), and a requirement of the plan for each course, for
    query-count tests."""
    today = timezone.localdate()
    goal = GoalFactory(
        plan_year=PlanYearFactory(
            starts_on=today - dt.timedelta(days=100), ends_on=today + dt.timedelta(days=200)
        )
    )
    for index in range(count):
        EnrollmentFactory(staff=staff, session=session_meeting_on(30 + index))
        EnrollmentFactory(staff=staff, session=session_meeting_on(60 + index), status="waitlisted")
        session = session_meeting_on(-3 - index, course=CourseFactory(evaluation_required=True))
        session.facilitators.add(StaffMemberFactory())
        enrollment = EnrollmentFactory(staff=staff, session=session)
        RequirementFactory(goal=goal, course=session.course, due_on=today + dt.timedelta(days=90))
        AttendanceFactory(enrollment=enrollment, meeting=session.meetings.get())
        CompletionFactory(
            staff=staff,
            course=session.course,
            enrollment=enrollment,
            completed_on=timezone.localdate() - dt.timedelta(days=index * 40),
            voided_at=timezone.now() if index % 3 == 0 else None,
            void_reason="Corrected" if index % 3 == 0 else "",
        )


@pytest.mark.parametrize("url", [ME, TRANSCRIPT, TRANSCRIPT_XLSX])
def test_own_pages_keep_their_query_count_whatever_the_rows(client, url):
    def count_for(rows):
        staff = StaffMemberFactory()
        user = login_for(staff)
        _a_year_of_learning(staff, rows)
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    assert count_for(2) == count_for(20)


# Transcript


@pytest.fixture
def history(teacher):
    """Two school years of completions of the teacher, one of them voided."""
    today = timezone.localdate()
    last_year = today - dt.timedelta(days=380)
    session = session_meeting_on(-30)
    session.facilitators.add(StaffMemberFactory(first_name="Dana", last_name="Ruiz"))
    enrollment = EnrollmentFactory(staff=teacher, session=session, status="completed")
    return {
        "valid": CompletionFactory(
            staff=teacher,
            course=CourseFactory(code="crt-101", title="CRT Foundations"),
            completed_on=today,
            clock_hours=Decimal("3.00"),
        ),
        "voided": CompletionFactory(
            staff=teacher,
            course=CourseFactory(code="rp-101", title="Restorative Circles"),
            completed_on=today,
            clock_hours=Decimal("2.00"),
            voided_at=timezone.now(),
            void_reason="Attendance recorded in error",
        ),
        "session": CompletionFactory(
            staff=teacher,
            course=session.course,
            enrollment=enrollment,
            completed_on=last_year,
            clock_hours=Decimal("4.50"),
        ),
        "formula": CompletionFactory(
            staff=teacher,
            course=CourseFactory(code="ext-1", title='=HYPERLINK("https://evil.example","x")'),
            completed_on=last_year,
            clock_hours=Decimal("1.00"),
            source=CompletionSource.MANUAL,
            evidence="Conference certificate",
        ),
        "this_year": this_year_name(),
        "last_year": selectors.school_year_of(last_year, selectors.school_years()).name,
    }


def test_transcript_lists_years_and_leaves_voided_completions_out_of_the_hours(
    signed_in, teacher, history
):
    response = signed_in.get(TRANSCRIPT)

    assert response.status_code == 200
    page = text(response)
    body = response.content.decode()
    assert f"Employee ID {teacher.employee_id}" in page
    assert f"Completions in {history['this_year']}: 3 clock hours" in page
    assert f"Completions in {history['last_year']}: 5.5 clock hours" in page
    assert f"Clock hours in {history['this_year']} 3" in page
    assert "Clock hours in total 8.5" in page
    assert body.index(f"School year {history['this_year']}") < body.index(
        f"School year {history['last_year']}"
    )
    voided_row = re.search(r'<tr role="row" class="is-voided">.*?</tr>', body, re.S).group(0)
    assert "<del>" in voided_row
    assert "Restorative Circles" in voided_row
    assert "Attendance recorded in error" in voided_row
    assert "not counted" in voided_row
    assert f'href="{certificate_url(history["valid"])}"' in body
    assert f'href="{TRANSCRIPT_XLSX}"' in body


def test_transcript_shows_enrollments_in_progress(signed_in, teacher):
    EnrollmentFactory(
        staff=teacher, session=session_meeting_on(7, course=CourseFactory(title="Next Up"))
    )

    page = text(signed_in.get(TRANSCRIPT))

    assert "In progress" in page
    assert "Next Up" in page
    assert "No completions yet." in page


def test_transcript_xlsx_holds_every_completion_with_typed_cells(signed_in, teacher, history):
    response = signed_in.get(TRANSCRIPT_XLSX)

    today = timezone.localdate()
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="transcript-{teacher.employee_id}-{today.isoformat()}.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Transcript", "In progress"]
    rows = list(workbook["Transcript"].iter_rows(values_only=True))
    preamble = [row[0] for row in rows[:4]]
    assert preamble[0] == "Transcript of Tess Teacher"
    assert preamble[1] == f"Employee ID: {teacher.employee_id}"
    assert preamble[2].startswith("As of ") and str(today.year) in preamble[2]
    header_at = rows.index(tuple(participant_header()))
    data = rows[header_at + 1 :]
    assert len(data) == 4
    by_code = {row[2]: row for row in data}
    valid = by_code["CRT-101"]
    assert valid[0] == history["this_year"]
    assert isinstance(valid[1], dt.datetime) and valid[1].date() == today
    assert valid[3:] == (
        "CRT Foundations",
        history["valid"].course.strand.name,
        3.0,
        "Session attended",
        "Valid",
        history["valid"].verification_code,
    )
    assert by_code["RP-101"][7] == "Voided"
    sheet = workbook["Transcript"]
    formula_row = header_at + 1 + data.index(by_code["EXT-1"]) + 1
    title_cell = sheet.cell(row=formula_row, column=4)
    assert title_cell.value == '=HYPERLINK("https://evil.example","x")'
    assert title_cell.data_type == "s"


def test_transcript_xlsx_lists_places_in_progress(signed_in, teacher):
    session = session_meeting_on(7, course=CourseFactory(code="next-1", title="Next Up"))
    EnrollmentFactory(staff=teacher, session=session)

    response = signed_in.get(TRANSCRIPT_XLSX)

    rows = list(
        load_workbook(io.BytesIO(response.content))["In progress"].iter_rows(values_only=True)
    )
    assert rows[0][:4] == ("Course code", "Session", "First meeting", "Status")
    assert [(row[0], row[1], row[3]) for row in rows[1:]] == [("NEXT-1", "Next Up", "Enrolled")]


def participant_header():
    from enrollment.exporters import TRANSCRIPT_HEADER

    return TRANSCRIPT_HEADER


def test_transcript_pages_ask_anonymous_visitors_to_sign_in(client):
    for url in (TRANSCRIPT, TRANSCRIPT_XLSX):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# Evaluation


@pytest.fixture
def attended(teacher):
    """The teacher attended every meeting of an ended session whose course asks for an
    evaluation before credit."""
    session = session_meeting_on(
        -1, course=CourseFactory(title="Circles", evaluation_required=True)
    )
    enrollment = EnrollmentFactory(staff=teacher, session=session)
    AttendanceFactory(enrollment=enrollment, meeting=session.meetings.get())
    return enrollment


def test_evaluation_form_labels_the_ratings_and_promises_anonymity(signed_in, attended):
    response = signed_in.get(evaluation_url(attended))

    assert response.status_code == 200
    page = text(response)
    body = response.content.decode()
    for name in ("content_rating", "facilitator_rating", "relevance_rating"):
        assert Evaluation._meta.get_field(name).help_text in page
        assert body.count(f'type="radio" name="{name}"') == 5
    assert "never who said what" in page
    assert 'method="post"' in body and "csrfmiddlewaretoken" in body


def test_submitting_the_evaluation_credits_the_hours(signed_in, teacher, attended):
    response = signed_in.post(
        evaluation_url(attended),
        {
            "content_rating": "4",
            "facilitator_rating": "5",
            "relevance_rating": "3",
            "comment": "Useful",
        },
        follow=True,
    )

    assert response.redirect_chain == [(ME, 302)]
    assert messages_of(response) == [participant.MSG_EVALUATION_CREDITED.format(session="Circles")]
    evaluation = Evaluation.objects.get(enrollment=attended)
    assert (evaluation.content_rating, evaluation.facilitator_rating) == (4, 5)
    assert evaluation.comment == "Useful"
    assert Completion.objects.filter(staff=teacher, enrollment=attended).exists()


def test_a_second_evaluation_is_refused_on_the_page(signed_in, attended):
    EvaluationFactory(enrollment=attended)

    page = signed_in.get(evaluation_url(attended))
    response = signed_in.post(
        evaluation_url(attended),
        {"content_rating": "1", "facilitator_rating": "1", "relevance_rating": "1"},
    )

    assert "already in" in text(page)
    assert response.status_code == 409
    assert "The evaluation for this session is already in." in text(response)
    assert Evaluation.objects.get(enrollment=attended).content_rating == 4


def test_evaluation_before_the_last_meeting_is_refused_with_when_it_opens(signed_in, teacher):
    enrollment = EnrollmentFactory(staff=teacher, session=session_meeting_on(5))

    page = signed_in.get(evaluation_url(enrollment))
    response = signed_in.post(
        evaluation_url(enrollment),
        {"content_rating": "3", "facilitator_rating": "3", "relevance_rating": "3"},
    )

    assert "The evaluation opens when the last meeting ends" in text(page)
    assert response.status_code == 409
    assert "The evaluation opens when the last meeting ends" in text(response)
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize(
    "post",
    [
        {"content_rating": "abc", "facilitator_rating": "5", "relevance_rating": "5"},
        {"content_rating": "9", "facilitator_rating": "5", "relevance_rating": "5"},
        {"facilitator_rating": "5", "relevance_rating": "5"},
        {},
    ],
)
def test_bad_ratings_re_render_the_form_with_errors(signed_in, attended, post):
    response = signed_in.post(evaluation_url(attended), post)

    assert response.status_code == 200
    assert "Check these answers" in text(response)
    assert not Evaluation.objects.exists()


# Certificates


def test_certificate_shows_the_credit_and_how_to_verify_it(signed_in, history):
    completion = history["session"]

    response = signed_in.get(certificate_url(completion))

    assert response.status_code == 200
    page = text(response)
    assert settings.DISTRICT_NAME in page
    assert "Tess Teacher" in page
    assert f"{completion.course.code.upper()} {completion.course.title}" in page
    assert "Dana Ruiz" in page
    assert "Clock hours 4.5" in page
    verify = settings.SITE_URL + reverse("enrollment:verify", args=[completion.verification_code])
    assert verify in page
    assert "VOIDED" not in page


def test_voided_certificate_says_so(signed_in, history):
    page = text(signed_in.get(certificate_url(history["voided"])))

    assert "VOIDED" in page
    assert "no longer valid" in page


def test_certificate_is_for_the_person_their_leader_and_district_pd(
    client, history, colleague, leader, district_pd, other_building
):
    url = certificate_url(history["valid"])
    stranger = StaffMemberFactory(building=other_building)
    login_for(stranger)

    def status(user):
        client.force_login(user)
        return client.get(url).status_code

    assert status(colleague.user) == 404
    assert status(stranger.user) == 404
    assert status(leader.user) == 200
    assert status(district_pd.user) == 200
    assert client.get(reverse("enrollment:certificate", args=[987654])).status_code == 404


# Public verification


def test_verify_confirms_a_valid_code_in_any_case_without_private_details(client, teacher, history):
    completion = history["valid"]
    code = completion.verification_code

    response = client.get(reverse("enrollment:verify", args=[f"{code[:6].lower()} {code[6:]}"]))

    assert response.status_code == 200
    page = text(response)
    assert "Valid." in page
    assert "Tess Teacher" in page
    assert "CRT-101 CRT Foundations" in page
    assert "Clock hours 3" in page
    assert settings.DISTRICT_NAME in page
    assert teacher.email not in page
    assert teacher.employee_id not in page


def test_verify_says_when_a_certificate_was_voided_but_not_why(client, history):
    completion = history["voided"]

    response = client.get(reverse("enrollment:verify", args=[completion.verification_code]))

    page = text(response)
    voided = timezone.localtime(completion.voided_at)
    assert f"Voided on {voided:%B} {voided.day}, {voided.year}." in page
    assert "Attendance recorded in error" not in page
    assert "Valid." not in page


def test_verify_unknown_code_is_a_friendly_404_with_the_form(client):
    response = client.get(reverse("enrollment:verify", args=["NOPE2345"]))

    assert response.status_code == 404
    page = text(response)
    assert "No certificate has this code" in page
    assert 'name="code"' in response.content.decode()
    for junk in ("%00abc", "a%20b%20c%20d", "x" * 300):
        assert client.get(f"/verify/{junk}/").status_code == 404


def test_verify_lookup_redirects_to_the_code_page(client, history):
    code = history["valid"].verification_code
    lookup = reverse("enrollment:verify-lookup")

    empty = client.get(lookup)
    found = client.get(lookup, {"code": f" {code[:4].lower()}-{code[4:]} "})
    bad = client.get(lookup, {"code": "../admin/"})

    assert empty.status_code == 200
    assert "Check a certificate" in text(empty)
    assert found.status_code == 302
    assert found["Location"] == reverse("enrollment:verify", args=[code])
    assert bad.status_code == 200
    assert participant.MSG_CODE_INVALID in text(bad)

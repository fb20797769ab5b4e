"""The catalog pages: courses by strand with their sessions, the filters, and one session's page."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.choices import MeetingStatus, SessionStatus
from catalog.filters import month_choices
from enrollment.choices import EnrollmentStatus
from tests.factories import (
    BuildingFactory,
    CourseFactory,
    EnrollmentFactory,
    MeetingFactory,
    SessionFactory,
    StaffGroupFactory,
    StaffMemberFactory,
    StrandFactory,
    local,
)

pytestmark = pytest.mark.django_db

CATALOG = reverse("catalog:index")


def text(response) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def session_url(session) -> str:
    return reverse("catalog:session", args=[session.pk])


def row_of(response, session) -> str:
    """The text of the catalog table row that links to the session."""
    body = response.content.decode()
    for row in re.findall(r"<tr\b.*?</tr>", body, flags=re.S):
        if f'href="{session_url(session)}"' in row:
            return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip()
    raise AssertionError(f"no row for session {session.pk}")


def soon(days=7, hour=16, minute=0):
    """A meeting start `days` from today at `hour`, district time."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return local(day.year, day.month, day.day, hour, minute)


def long_date(moment) -> str:
    """The form "Tue, Dec 8, 2026", written without the template's date filter."""
    return f"{moment:%a, %b} {moment.day}, {moment.year}"


def upcoming_session(**kwargs):
    session = SessionFactory(**kwargs)
    start = soon()
    MeetingFactory(session=session, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    return session


@pytest.fixture
def strands(db):
    return {
        "crt": StrandFactory(code="crt", name="Culturally Responsive Teaching", order=1),
        "rp": StrandFactory(code="restorative", name="Restorative Practices", order=2),
    }


def test_courses_are_grouped_under_their_strand_headings(client, strands):
    crt_course = CourseFactory(code="crt-101", title="CRT Foundations", strand=strands["crt"])
    rp_course = CourseFactory(code="rp-101", title="Restorative Circles", strand=strands["rp"])
    session = upcoming_session(course=crt_course)
    upcoming_session(course=rp_course)

    response = client.get(CATALOG)

    assert response.status_code == 200
    body = response.content.decode()
    crt_heading = body.index(">Culturally Responsive Teaching</h2>")
    rp_heading = body.index(">Restorative Practices</h2>")
    assert crt_heading < body.index("CRT Foundations") < rp_heading
    assert rp_heading < body.index("Restorative Circles")
    assert body.index(session_url(session)) < rp_heading
    assert "CRT-101" in text(response)


def test_course_details_are_shown(client, strands):
    first = CourseFactory(code="crt-101", title="CRT Foundations", strand=strands["crt"])
    course = CourseFactory(
        code="crt-201",
        title="CRT in Practice",
        strand=strands["crt"],
        clock_hours=Decimal("6.00"),
        summary="Applying culturally responsive teaching in daily lessons.",
        evaluation_required=True,
        requires_approval=True,
    )
    course.prerequisites.add(first)
    upcoming_session(course=course)

    page = text(client.get(CATALOG))

    assert "CRT-201 CRT in Practice" in page
    assert "6 clock hours" in page
    assert "In person" in page
    assert "Applying culturally responsive teaching in daily lessons." in page
    assert "Prerequisite: CRT-101 CRT Foundations" in page
    assert "Evaluation required" in page
    assert "Approval required" in page


def test_course_without_upcoming_session_says_so(client, strands):
    CourseFactory(title="Course Without Sessions", strand=strands["crt"])

    page = text(client.get(CATALOG))

    assert "Course Without Sessions" in page
    assert "No upcoming sessions are scheduled yet." in page


def test_seats_left_count_enrolled_but_not_waitlisted_or_withdrawn(client):
    session = upcoming_session(capacity=25)
    EnrollmentFactory.create_batch(2, session=session, status=EnrollmentStatus.ENROLLED)
    EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)
    EnrollmentFactory(session=session, status=EnrollmentStatus.WITHDRAWN)

    row = row_of(client.get(CATALOG), session)

    assert "23 of 25 seats left" in row
    assert "Full" not in row


def test_pending_and_completed_enrollments_hold_seats_and_ended_ones_do_not(client):
    # Seat-holding statuses: a seat held for approval or by a finished participant is not free.
    session = upcoming_session(capacity=10)
    for status in (EnrollmentStatus.PENDING_APPROVAL, EnrollmentStatus.COMPLETED):
        EnrollmentFactory(session=session, status=status)
    for status in (
        EnrollmentStatus.CANCELLED,
        EnrollmentStatus.DECLINED,
        EnrollmentStatus.WITHDRAWN,
        EnrollmentStatus.WAITLISTED,
    ):
        EnrollmentFactory(session=session, status=status)

    response = client.get(CATALOG)

    assert "8 of 10 seats left" in row_of(response, session)
    assert "8 of 10 seats left" in text(client.get(session_url(session)))


def test_full_session_shows_its_waitlist(client):
    session = upcoming_session(capacity=2)
    EnrollmentFactory.create_batch(2, session=session, status=EnrollmentStatus.ENROLLED)
    EnrollmentFactory.create_batch(4, session=session, status=EnrollmentStatus.WAITLISTED)

    row = row_of(client.get(CATALOG), session)

    assert "Full — waitlist of 4" in row
    assert "seats left" not in row


def test_cancelled_session_is_labelled(client):
    cancelled = upcoming_session(status=SessionStatus.CANCELLED)
    running = upcoming_session()

    response = client.get(CATALOG)

    assert "Cancelled" in row_of(response, cancelled)
    assert "No seats (cancelled)" in row_of(response, cancelled)
    assert "Cancelled" not in row_of(response, running)


def test_summary_does_not_count_cancelled_sessions_as_upcoming(client):
    upcoming_session()
    upcoming_session()
    upcoming_session(status=SessionStatus.CANCELLED)

    page = text(client.get(CATALOG))

    assert "3 courses, 2 upcoming sessions (and 1 cancelled)." in page


def test_summary_without_cancelled_sessions_says_nothing_of_them(client):
    upcoming_session()

    page = text(client.get(CATALOG))

    assert "1 course, 1 upcoming session." in page
    assert "cancelled" not in page.lower()


def test_session_row_shows_time_place_and_restriction(client):
    building = BuildingFactory(code="oak", name="Oak Middle")
    group = StaffGroupFactory(name="Advisory Committee")
    session = SessionFactory(building=building, room="Room 204", restricted_to_group=group)
    start = soon(days=20, hour=16)
    MeetingFactory(session=session, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    virtual = SessionFactory(building=None, room="", virtual_url="https://meet.example.org/pd")
    morning = soon(days=21, hour=11, minute=30)
    MeetingFactory(session=virtual, starts_at=morning, ends_at=morning + dt.timedelta(hours=2))

    response = client.get(CATALOG)

    row = row_of(response, session)
    assert f"{long_date(start)} · 4:00–6:00 PM" in row
    assert "Oak Middle, Room 204" in row
    assert "Only for members of Advisory Committee" in row
    virtual_row = row_of(response, virtual)
    assert f"{long_date(morning)} · 11:30 AM–1:30 PM" in virtual_row
    assert "Virtual" in virtual_row
    assert "meet.example.org" not in response.content.decode()


def test_registration_window_is_shown(client):
    not_yet = upcoming_session(registration_opens_at=soon(days=3, hour=8))
    closing = upcoming_session(registration_closes_at=soon(days=5, hour=17))
    closed = upcoming_session(registration_closes_at=timezone.now() - dt.timedelta(hours=1))

    response = client.get(CATALOG)

    opens = soon(days=3)
    assert f"Registration opens {opens:%b} {opens.day}" in row_of(response, not_yet)
    closes = soon(days=5)
    assert f"Registration open closes {closes:%b} {closes.day}" in row_of(response, closing)
    assert "Registration closed" in row_of(response, closed)


@pytest.mark.parametrize(
    ("window", "status", "row_says", "page_says"),
    [
        (
            {"registration_opens_at": 3},
            SessionStatus.PUBLISHED,
            "Registration opens {opens:%b} {opens.day}",
            "Registration not yet open Registration opens {opens_long} at 8:00 AM",
        ),
        (
            {"registration_opens_at": -3, "registration_closes_at": 5},
            SessionStatus.PUBLISHED,
            "Registration open closes {closes:%b} {closes.day}",
            "Registration open Registration opened {opens_long} at 8:00 AM "
            "Registration closes {closes_long} at 8:00 AM",
        ),
        (
            {"registration_closes_at": -1},
            SessionStatus.PUBLISHED,
            "Registration closed",
            "Registration closed Registration closed {closes_long} at 8:00 AM",
        ),
        (
            # A cancelled session is cancelled whatever its window says.
            {"registration_opens_at": -3, "registration_closes_at": 5},
            SessionStatus.CANCELLED,
            "Cancelled",
            "Registration Cancelled",
        ),
    ],
    ids=["not-yet-open", "open", "closed", "cancelled"],
)
def test_registration_state_is_shown_in_the_row_and_on_the_session_page(
    client, window, status, row_says, page_says
):
    dates = {name: soon(days=days, hour=8) for name, days in window.items()}
    session = upcoming_session(status=status, **dates)
    opens, closes = dates.get("registration_opens_at"), dates.get("registration_closes_at")
    words = {
        "opens": opens,
        "closes": closes,
        "opens_long": opens and long_date(opens),
        "closes_long": closes and long_date(closes),
    }

    row = row_of(client.get(CATALOG), session)
    page = text(client.get(session_url(session)))

    assert row_says.format(**words) in row
    assert page_says.format(**words) in page


def test_ended_session_says_so_in_its_month_and_on_its_page(client):
    day = timezone.localdate() - dt.timedelta(days=3)
    session = SessionFactory(registration_closes_at=local(day.year, day.month, day.day, 8))
    MeetingFactory(session=session, starts_at=local(day.year, day.month, day.day, 16))

    row = row_of(client.get(CATALOG, {"month": f"{day:%Y-%m}"}), session)
    page = text(client.get(session_url(session)))

    assert "Ended" in row
    assert "Registration closed" not in row
    assert "This session has ended." in page


def test_series_shows_meeting_count_and_span_with_the_year(client):
    session = SessionFactory()
    starts = [local(2030, 3, 5 + 7 * week) for week in range(4)]
    for start in starts:
        MeetingFactory(session=session, starts_at=start, ends_at=start + dt.timedelta(hours=2))

    row = row_of(client.get(CATALOG), session)

    assert "4 meetings, Mar 5 – Mar 26, 2030" in row
    assert "First: Tue, Mar 5, 2030 · 4:00–6:00 PM" in row


def test_series_across_new_year_shows_both_years(client):
    session = SessionFactory()
    MeetingFactory(session=session, starts_at=local(2030, 12, 10), ends_at=local(2030, 12, 10, 18))
    MeetingFactory(session=session, starts_at=local(2031, 1, 14), ends_at=local(2031, 1, 14, 18))

    row = row_of(client.get(CATALOG), session)

    assert "2 meetings, Dec 10, 2030 – Jan 14, 2031" in row


def test_series_under_way_is_still_upcoming(client):
    # Its first meeting is behind, but the second is ahead: people still need to find it.
    session = SessionFactory()
    last_week, next_week = soon(days=-7), soon(days=7)
    MeetingFactory(session=session, starts_at=last_week, ends_at=last_week + dt.timedelta(hours=2))
    MeetingFactory(session=session, starts_at=next_week, ends_at=next_week + dt.timedelta(hours=2))

    response = client.get(CATALOG)

    assert "2 meetings" in row_of(response, session)
    assert "1 upcoming session." in text(response)


def test_published_session_without_meetings_is_listed_with_dates_to_be_announced(client):
    dated = upcoming_session()
    undated = SessionFactory(course=dated.course)

    response = client.get(CATALOG)

    assert "Dates to be announced" in row_of(response, undated)
    body = response.content.decode()
    # Undated sessions come after the dated ones on every database.
    assert body.index(session_url(dated)) < body.index(session_url(undated))


def test_filter_by_strand(client, strands):
    crt = upcoming_session(course=CourseFactory(title="CRT Foundations", strand=strands["crt"]))
    rp = upcoming_session(course=CourseFactory(title="Restorative Circles", strand=strands["rp"]))

    response = client.get(CATALOG, {"strand": "restorative"})

    body = response.content.decode()
    assert session_url(rp) in body
    assert session_url(crt) not in body
    assert "CRT Foundations" not in body
    assert ">Culturally Responsive Teaching</h2>" not in body


def test_filter_by_building(client):
    oak = BuildingFactory(code="oak", name="Oak Middle")
    maple = BuildingFactory(code="maple", name="Maple Elementary")
    at_oak = upcoming_session(building=oak)
    at_maple = upcoming_session(building=maple)

    body = client.get(CATALOG, {"building": "oak"}).content.decode()

    assert session_url(at_oak) in body
    assert session_url(at_maple) not in body


def test_month_filter_counts_a_late_evening_meeting_in_its_local_month(client):
    # 20:00 in Detroit on the month's last day is already the next day (and month) in UTC.
    today = timezone.localdate()
    month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    last_day = following - dt.timedelta(days=1)
    assert f"{month:%Y-%m}" in dict(month_choices())
    assert f"{following:%Y-%m}" in dict(month_choices())
    session = SessionFactory()
    evening = local(last_day.year, last_day.month, last_day.day, 20)
    MeetingFactory(session=session, starts_at=evening, ends_at=evening + dt.timedelta(hours=1))
    assert evening.astimezone(dt.UTC).month == following.month

    in_month = client.get(CATALOG, {"month": f"{month:%Y-%m}"}).content.decode()
    next_month = client.get(CATALOG, {"month": f"{following:%Y-%m}"}).content.decode()

    assert session_url(session) in in_month
    assert session_url(session) not in next_month


def test_filter_by_month_keeps_sessions_meeting_that_month(client):
    today = timezone.localdate()
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    month_after = (next_month + dt.timedelta(days=32)).replace(day=1)
    in_month = SessionFactory()
    MeetingFactory(session=in_month, starts_at=local(next_month.year, next_month.month, 10))
    later = SessionFactory()
    MeetingFactory(session=later, starts_at=local(month_after.year, month_after.month, 10))

    response = client.get(CATALOG, {"month": f"{next_month:%Y-%m}"})

    body = response.content.decode()
    assert session_url(in_month) in body
    assert session_url(later) not in body
    assert f"in {next_month:%B %Y}" in text(response)


def test_search_narrows_to_matching_courses(client):
    circles = upcoming_session(course=CourseFactory(title="Restorative Circles"))
    equity = upcoming_session(course=CourseFactory(title="Equity Audit Basics"))

    response = client.get(CATALOG, {"q": "circles"})

    body = response.content.decode()
    assert session_url(circles) in body
    assert session_url(equity) not in body
    assert "Equity Audit Basics" not in body


def test_blank_filters_from_the_form_mean_no_filter(client):
    session = upcoming_session()

    response = client.get(CATALOG, {"q": "", "strand": "", "building": "", "month": ""})

    assert response.status_code == 200
    assert session_url(session) in response.content.decode()
    assert "could not be applied" not in text(response)


def test_invalid_filter_shows_the_error_and_no_results(client, strands):
    session = upcoming_session(course=CourseFactory(title="CRT Foundations", strand=strands["crt"]))

    response = client.get(CATALOG, {"strand": "nope"})

    assert response.status_code == 200
    page = text(response)
    assert "These filters could not be applied" in page
    assert "nope is not one of the available choices" in page
    assert 'aria-invalid="true"' in response.content.decode()
    assert session_url(session) not in response.content.decode()
    assert "CRT Foundations" not in page
    assert response.content.decode().count("<h1") == 1


def test_past_sessions_are_listed_only_for_their_month(client):
    ended = timezone.localdate() - dt.timedelta(days=10)
    past = SessionFactory()
    MeetingFactory(session=past, starts_at=local(ended.year, ended.month, ended.day))
    current = upcoming_session()

    body = client.get(CATALOG).content.decode()
    assert session_url(past) not in body
    assert session_url(current) in body

    in_its_month = client.get(CATALOG, {"month": f"{ended:%Y-%m}"})
    assert session_url(past) in in_its_month.content.decode()
    assert "Ended" in row_of(in_its_month, past)


def test_drafts_are_hidden_from_anonymous_and_teachers(client, teacher):
    draft = upcoming_session(status=SessionStatus.DRAFT)
    published = upcoming_session()

    body = client.get(CATALOG).content.decode()
    assert session_url(draft) not in body
    assert session_url(published) in body

    client.force_login(teacher.user)
    body = client.get(CATALOG).content.decode()
    assert session_url(draft) not in body
    assert session_url(published) in body


def test_district_pd_sees_drafts_marked_as_such(client, district_pd):
    draft = upcoming_session(status=SessionStatus.DRAFT)
    client.force_login(district_pd.user)

    response = client.get(CATALOG)

    assert "Draft, not published" in row_of(response, draft)


def test_signed_in_teacher_sees_the_same_catalog_their_mark_and_their_name(client, teacher):
    session = upcoming_session()
    anonymous = client.get(CATALOG)
    client.force_login(teacher.user)

    signed_in = client.get(CATALOG)

    assert row_of(signed_in, session) == row_of(anonymous, session) + " Open to you"
    assert "Status For you" in text(signed_in) and "Status For you" not in text(anonymous)
    assert "Tess Teacher" in text(signed_in)
    assert "Tess Teacher" not in text(anonymous)


def test_catalog_queries_do_not_grow_with_sessions(client, teacher):
    def add_sessions(count):
        for _ in range(count):
            course = CourseFactory()
            course.prerequisites.add(CourseFactory(strand=course.strand))
            session = upcoming_session(course=course, restricted_to_group=StaffGroupFactory())
            session.facilitators.add(StaffMemberFactory())
            MeetingFactory(session=session, starts_at=soon(days=14))
            EnrollmentFactory(session=session)
            EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)

    client.force_login(teacher.user)
    add_sessions(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CATALOG).status_code == 200
    add_sessions(27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(CATALOG)

    assert response.content.decode().count('href="/catalog/sessions/') == 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_session_page_shows_the_session_in_local_time(client):
    building = BuildingFactory(
        code="oak", name="Oak Middle", address="1 Oak Ave, Birmingham, MI 48009"
    )
    group = StaffGroupFactory(name="Advisory Committee")
    session = SessionFactory(
        course=CourseFactory(code="crt-101", title="CRT Foundations", clock_hours=Decimal("3")),
        building=building,
        room="Room 204",
        capacity=25,
        restricted_to_group=group,
        registration_opens_at=local(2026, 12, 1, 8),
        registration_closes_at=local(2026, 12, 5, 17),
    )
    session.facilitators.add(StaffMemberFactory(first_name="Dana", last_name="Ruiz"))
    MeetingFactory(
        session=session, starts_at=local(2026, 12, 8, 16), ends_at=local(2026, 12, 8, 18)
    )
    MeetingFactory(
        session=session,
        starts_at=local(2027, 1, 12, 11, 30),
        ends_at=local(2027, 1, 12, 13),
        room="Library",
        status=MeetingStatus.CANCELLED,
    )
    EnrollmentFactory.create_batch(3, session=session)

    response = client.get(session_url(session))

    assert response.status_code == 200
    page = text(response)
    assert "Tue, Dec 8, 2026 · 4:00–6:00 PM" in page
    assert "Tue, Jan 12, 2027 · 11:30 AM–1:00 PM" in page
    assert "11:30 AM–1:00 PM Library Cancelled" in page
    assert "4:00–6:00 PM Room 204" in page
    assert "Dana Ruiz" in page
    assert "Oak Middle, Room 204" in page
    assert "1 Oak Ave, Birmingham, MI 48009" in page
    assert "22 of 25 seats left" in page
    assert re.search(r"Registration open(s|ed) Tue, Dec 1, 2026 at 8:00 AM", page)
    assert re.search(r"Registration clos(es|ed) Sat, Dec 5, 2026 at 5:00 PM", page)
    assert "Only for members of Advisory Committee" in page
    assert "CRT-101 CRT Foundations" in page
    assert response.content.decode().count("<h1") == 1
    assert "<caption" in response.content.decode()


def test_draft_session_page_is_404_unless_allowed(client, teacher, district_pd):
    draft = upcoming_session(status=SessionStatus.DRAFT)

    assert client.get(session_url(draft)).status_code == 404
    client.force_login(teacher.user)
    assert client.get(session_url(draft)).status_code == 404
    client.force_login(district_pd.user)
    assert client.get(session_url(draft)).status_code == 200


def test_unknown_session_is_404(client):
    assert client.get(reverse("catalog:session", args=[987654])).status_code == 404


def test_session_page_queries_do_not_grow_with_meetings(client, teacher):
    def build(meetings):
        course = CourseFactory()
        course.prerequisites.add(*CourseFactory.create_batch(meetings))
        session = SessionFactory(course=course, restricted_to_group=StaffGroupFactory())
        session.facilitators.add(*StaffMemberFactory.create_batch(meetings))
        for days in range(meetings):
            MeetingFactory(session=session, starts_at=soon(days=days + 1))
        return session

    client.force_login(teacher.user)
    small, large = build(1), build(20)
    with CaptureQueriesContext(connection) as few:
        assert client.get(session_url(small)).status_code == 200
    with CaptureQueriesContext(connection) as many:
        response = client.get(session_url(large))

    assert "20 meetings of this session" in text(response)
    assert len(many) == len(few)


def test_online_link_is_for_signed_in_staff_only(client, teacher):
    session = upcoming_session(building=None, room="", virtual_url="https://meet.example.org/pd")

    anonymous = client.get(session_url(session)).content.decode()
    client.force_login(teacher.user)
    signed_in = client.get(session_url(session)).content.decode()

    assert "https://meet.example.org/pd" not in anonymous
    assert "Sign in to see the online meeting link." in anonymous
    assert 'href="https://meet.example.org/pd"' in signed_in


def test_cancelled_session_page_marks_every_meeting_cancelled(client):
    session = upcoming_session(status=SessionStatus.CANCELLED, room="Room 204")

    page = text(client.get(session_url(session)))

    assert "This session is cancelled." in page
    assert "Room 204 Cancelled" in page
    assert "Scheduled" not in page


def test_session_page_title_and_breadcrumb_name_the_session(client, strands):
    course = CourseFactory(code="crt-101", title="CRT Foundations", strand=strands["crt"])
    session = SessionFactory(course=course, title="Cohort B")
    start = local(2030, 3, 5)
    MeetingFactory(session=session, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    other = SessionFactory(course=course, title="Cohort C")
    MeetingFactory(session=other, starts_at=local(2030, 4, 2))

    body = client.get(session_url(session)).content.decode()
    other_body = client.get(session_url(other)).content.decode()

    title = re.search(r"<title>(.*?)</title>", body, re.S).group(1)
    assert html.unescape(title).startswith("CRT Foundations — Cohort B, Tue, Mar 5, 2030 · ")
    assert re.search(r"<title>(.*?)</title>", other_body, re.S).group(1) != title
    crumbs = re.search(r'<nav class="breadcrumb".*?</nav>', body, re.S).group(0)
    current = re.findall(r'<a [^>]*aria-current="page"[^>]*>(.*?)</a>', crumbs)
    assert [html.unescape(item) for item in current] == ["CRT Foundations — Cohort B"]
    assert 'href="/catalog/?course=crt-101">CRT-101</a>' in crumbs


def test_session_page_title_without_meetings_says_dates_are_to_be_announced(client):
    session = SessionFactory(course=CourseFactory(title="Equity Walks"))

    body = client.get(session_url(session)).content.decode()

    assert "<title>Equity Walks, dates to be announced · " in body


def test_session_that_requires_approval_says_so_though_its_course_does_not(client):
    session = upcoming_session(requires_approval=True)
    plain = upcoming_session()

    page = text(client.get(session_url(session)))
    plain_page = text(client.get(session_url(plain)))

    assert "Approval required" in page
    assert "Enrollment waits for your building leader's approval." in page
    assert "Approval required" not in plain_page
    assert "Enrollment waits" not in plain_page


def test_session_page_shows_past_scheduled_and_cancelled_meetings(client):
    session = SessionFactory(room="Room 204")
    for days, status in ((-7, MeetingStatus.SCHEDULED), (7, MeetingStatus.SCHEDULED)):
        start = soon(days=days)
        MeetingFactory(session=session, starts_at=start, status=status)
    cancelled = soon(days=14)
    MeetingFactory(session=session, starts_at=cancelled, status=MeetingStatus.CANCELLED)

    page = text(client.get(session_url(session)))

    assert f"{long_date(soon(days=-7))} · 4:00–6:00 PM Room 204 Past" in page
    assert f"{long_date(soon(days=7))} · 4:00–6:00 PM Room 204 Scheduled" in page
    assert f"{long_date(cancelled)} · 4:00–6:00 PM Room 204 Cancelled" in page

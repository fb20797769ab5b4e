"""Self check-in: during a meeting (from shortly before it starts to shortly after it ends) the
facilitator shows a code that rotates; an enrolled person who gives it, signed in, is marked
present once, as the one who made the mark. An expired code, another meeting's code, a time with
no meeting of theirs, a malformed code and too many tries are refused with a clear message, and
write nothing. Also the attendance sheet's "everyone present"."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core import refusals as r
from enrollment import checkin, services
from enrollment.choices import EnrollmentStatus
from enrollment.models import Attendance, Completion
from tests import factories as f
from tests.enrollment.test_pages_participant import messages_of, text
from tests.enrollment.test_services import refusal_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def meeting(facilitated_session, now):
    return f.MeetingFactory(
        session=facilitated_session,
        starts_at=now - dt.timedelta(minutes=10),
        ends_at=now + dt.timedelta(minutes=80),
    )


@pytest.fixture
def place(teacher, facilitated_session, meeting):
    return f.EnrollmentFactory(staff=teacher, session=facilitated_session)


def check_in(teacher, code, at):
    return services.attendance_check_in(user=teacher.user, code=code, now=at)


def test_the_code_showing_now_marks_the_person_present_once(teacher, meeting, place, now):
    code = checkin.current_code(meeting, now)

    first = check_in(teacher, code.lower(), now)
    again = check_in(teacher, code, now + dt.timedelta(minutes=1))

    mark = Attendance.objects.get()
    assert (mark.enrollment, mark.meeting, mark.present) == (place, meeting, True)
    assert mark.recorded_by == teacher.user
    assert (first.already, again.already) == (False, True)


def test_a_single_meeting_is_credited_on_check_in(teacher, meeting, place, now):
    check_in(teacher, checkin.current_code(meeting, now), now)

    place.refresh_from_db()
    assert place.status == EnrollmentStatus.COMPLETED
    assert Completion.objects.filter(enrollment=place).exists()


def test_the_code_before_still_works_an_older_one_has_expired(
    settings, teacher, meeting, place, now
):
    # Three codes back is still within the meeting's check-in time (it opened 25 minutes ago).
    settings.CHECK_IN_CODE_SECONDS = 300
    just_before = checkin.code_for(meeting.pk, checkin.window_of(now) - 1)
    long_before = checkin.code_for(meeting.pk, checkin.window_of(now) - 3)

    refusal = refusal_of(check_in, teacher, long_before, now)
    assert (refusal.code, refusal.message) == (r.CHECK_IN_CODE_EXPIRED, r.MSG_CHECK_IN_CODE_EXPIRED)
    assert not Attendance.objects.exists()
    assert check_in(teacher, just_before, now).already is False


def test_another_meeting_s_code_works_for_nobody_else(teacher, meeting, place, now):
    elsewhere = f.MeetingFactory(starts_at=meeting.starts_at, ends_at=meeting.ends_at)

    refusal = refusal_of(check_in, teacher, checkin.current_code(elsewhere, now), now)

    assert (refusal.code, refusal.status) == (r.CHECK_IN_CODE_WRONG, 400)
    assert not Attendance.objects.exists()


def test_someone_not_on_the_roster_cannot_check_in(teacher, meeting, now):
    f.EnrollmentFactory(staff=teacher, session=meeting.session, status=EnrollmentStatus.WAITLISTED)

    refusal = refusal_of(check_in, teacher, checkin.current_code(meeting, now), now)

    assert refusal.code == r.CHECK_IN_CLOSED
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("minutes", [-16, 121])
def test_check_in_opens_shortly_before_and_closes_shortly_after(
    settings, teacher, meeting, place, now, minutes
):
    settings.CHECK_IN_OPENS_MINUTES_BEFORE = 15
    settings.CHECK_IN_CLOSES_MINUTES_AFTER = 30
    at = meeting.starts_at + dt.timedelta(minutes=minutes)

    refusal = refusal_of(check_in, teacher, checkin.current_code(meeting, at), at)

    assert refusal.code == r.CHECK_IN_CLOSED
    assert "opens 15 minutes before" in refusal.message
    assert "closes 30 minutes after" in refusal.message


@pytest.mark.parametrize("code", ["", "K7Q2", "K7Q2ZPX", "K7Q2Z0", "<script>"])
def test_a_malformed_code_says_what_a_code_looks_like(teacher, place, now, code):
    refusal = refusal_of(check_in, teacher, code, now)

    assert (refusal.code, refusal.status) == (r.INVALID_VALUE, 400)
    assert "6 letters and digits, like K7Q2ZP" in refusal.message


def test_too_many_wrong_codes_are_stopped(settings, teacher, meeting, place, now):
    settings.CHECK_IN_MAX_TRIES = 3
    for _ in range(3):
        refusal_of(check_in, teacher, "AAAAAA", now)

    refusal = refusal_of(check_in, teacher, checkin.current_code(meeting, now), now)

    assert (refusal.code, refusal.status) == (r.CHECK_IN_TOO_MANY_TRIES, 429)
    assert not Attendance.objects.exists()


def test_a_facilitator_corrects_a_check_in_and_the_mark_keeps_who(
    teacher, facilitator, meeting, place, now
):
    check_in(teacher, checkin.current_code(meeting, now), now)

    services.attendance_record(meeting=meeting, marks={place.pk: False}, actor=facilitator.user)

    mark = Attendance.objects.get()
    assert (mark.present, mark.recorded_by) == (False, facilitator.user)


# The pages


def test_scanning_the_qr_code_then_one_tap_checks_in(client, teacher, meeting, place, now):
    code = checkin.current_code(meeting, now)
    client.force_login(teacher.user)

    shown = client.get(reverse("enrollment:check-in-code", args=[code]))
    done = client.post(reverse("enrollment:check-in"), {"code": code}, follow=True)

    assert shown.status_code == 200
    assert f'value="{code}"' in shown.content.decode()
    assert done.redirect_chain[-1][0] == reverse("enrollment:me")
    assert messages_of(done)[0].startswith("You are checked in: present at")
    assert Attendance.objects.filter(enrollment=place, present=True).exists()


def test_a_refused_code_says_why_on_the_page_and_writes_nothing(client, teacher, place):
    client.force_login(teacher.user)

    response = client.post(reverse("enrollment:check-in"), {"code": "AAAAAA"})

    assert response.status_code == 400
    assert r.MSG_CHECK_IN_CODE_WRONG in text(response)
    assert not Attendance.objects.exists()


def test_the_facilitator_s_screen_shows_the_qr_code_and_the_code(
    client, facilitator, meeting, place, now
):
    client.force_login(facilitator.user)

    response = client.get(
        reverse("enrollment:check-in-screen", args=[meeting.session_id, meeting.pk])
    )
    body = response.content.decode()

    assert response.status_code == 200
    assert "<svg" in body and "<script" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
    code = checkin.current_code(meeting, timezone.now())
    assert code in body
    assert "0 of 1" in text(response)
    assert '<meta http-equiv="refresh"' not in body
    assert 'data-refresh-seconds="30"' in body and "js/check-in-screen.js" in body


def test_the_screen_of_a_meeting_not_yet_open_says_when(client, facilitator, facilitated_session):
    later = f.MeetingFactory(
        session=facilitated_session, starts_at=timezone.now() + dt.timedelta(days=2)
    )
    client.force_login(facilitator.user)

    response = client.get(
        reverse("enrollment:check-in-screen", args=[facilitated_session.pk, later.pk])
    )

    assert "Check-in opens at" in text(response)
    assert "<svg" not in response.content.decode()


def test_everyone_present_marks_the_whole_roster(client, facilitator, meeting, place):
    other = f.EnrollmentFactory(session=meeting.session)
    client.force_login(facilitator.user)

    response = client.post(
        reverse("enrollment:attendance", args=[meeting.session_id, meeting.pk]),
        {"roster": f"{place.pk},{other.pk}", "everyone_present": "1"},
    )

    assert response.status_code == 302
    assert set(Attendance.objects.values_list("enrollment_id", "present")) == {
        (place.pk, True),
        (other.pk, True),
    }


def test_a_self_check_in_shows_on_the_sheet_as_such(
    client, teacher, facilitator, meeting, place, now
):
    check_in(teacher, checkin.current_code(meeting, now), now)
    client.force_login(facilitator.user)

    page = text(client.get(reverse("enrollment:attendance", args=[meeting.session_id, meeting.pk])))

    assert "checked in themselves" in page

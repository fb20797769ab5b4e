"""Invitations by mail: a person who chose them gets one iMIP message per meeting (REQUEST when
they get a seat or the session changes, CANCEL when they leave a seat or it is cancelled), each
multipart/alternative of the text and the calendar, with the feeds' UIDs and SEQUENCE; everyone
else gets the plain mail."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from catalog.services import meeting_note_changes
from enrollment import notifications, services
from enrollment.choices import EnrollmentStatus
from learning.choices import CalendarDelivery
from tests import factories as f

pytestmark = pytest.mark.django_db

INVITATIONS = CalendarDelivery.INVITATIONS


def at(days: int, hour: int = 16) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return f.local(day.year, day.month, day.day, hour)


def meeting(session, days: int, **fields):
    starts_at = at(days)
    return f.MeetingFactory(
        session=session, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=2), **fields
    )


def person(delivery=INVITATIONS, **fields):
    staff = f.StaffMemberFactory(calendar_delivery=delivery, **fields)
    f.login_for(staff)
    return staff


def invitation(message) -> tuple[str, Calendar] | None:
    """The message's calendar (content type header, parsed calendar), or None. An invitation is
    a multipart/alternative of the text and one text/calendar part, never an attachment."""
    mime = message.message()
    if mime.get_content_type() != "multipart/alternative":
        assert all(part.get_content_type() != "text/calendar" for part in mime.walk())
        return None
    plain, calendar = mime.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_filename() is None
    assert calendar["Content-Disposition"] is None
    return calendar["Content-Type"], Calendar.from_ical(calendar.get_payload(decode=True))


def invitations(messages) -> list[tuple[str, Calendar]]:
    """The calendars of these messages, one per message, in order."""
    found = [invitation(message) for message in messages]
    return [each for each in found if each is not None]


def events(calendar: Calendar) -> list:
    return list(calendar.walk("VEVENT"))


@pytest.fixture
def session():
    """A published session with a meeting held last week and two to come."""
    session = f.SessionFactory(capacity=5, course__title="Restorative Circles")
    meeting(session, -7)
    meeting(session, 7)
    meeting(session, 14)
    return session


def upcoming(session):
    return list(session.meetings.filter(starts_at__gt=timezone.now()).order_by("starts_at"))


def test_enrolling_sends_one_request_message_per_coming_meeting(mailed, session):
    staff = person(first_name="Tess", last_name="Teacher")

    with mailed as outbox:
        services.enrollment_create(staff=staff, session=session, actor=staff.user)

    assert [m.subject for m in outbox] == [
        "You are enrolled: Restorative Circles (1 of 2)",
        "You are enrolled: Restorative Circles (2 of 2)",
    ]
    found = invitations(outbox)
    assert {header for header, _ in found} == {"text/calendar; method=REQUEST; charset=utf-8"}
    uids = []
    for _, calendar in found:
        assert calendar["METHOD"] == "REQUEST"
        [event] = events(calendar)
        uids.append(str(event["UID"]))
        assert event["STATUS"] == "CONFIRMED"
        assert str(event["ATTENDEE"]) == f"mailto:{staff.email}"
        assert event["ATTENDEE"].params["CN"] == "Tess Teacher"
        assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
        assert str(event["ORGANIZER"]).startswith("mailto:")
    # The meeting held last week is not sent.
    assert uids == [m.uid for m in upcoming(session)]
    for number, message in enumerate(outbox, start=1):
        assert "You are enrolled" in message.body
        assert f"({number} of 2: one message per meeting)" in message.body
        assert "accept it in your mail app" in message.body


def test_one_meeting_comes_as_one_message_without_numbering(mailed):
    session = f.SessionFactory(course__title="Restorative Circles")
    only = meeting(session, 3)
    staff = person()

    with mailed as outbox:
        services.enrollment_create(staff=staff, session=session, actor=staff.user)

    [message] = outbox
    assert message.subject == "You are enrolled: Restorative Circles"
    [(header, calendar)] = invitations(outbox)
    assert header == "text/calendar; method=REQUEST; charset=utf-8"
    assert [str(e["UID"]) for e in events(calendar)] == [only.uid]
    assert "This message is the invitation for the meeting of" in message.body
    assert "one message per meeting" not in message.body


@pytest.mark.parametrize("delivery", [CalendarDelivery.FEED, CalendarDelivery.NONE])
def test_no_invitation_without_the_invitations_choice(mailed, session, delivery):
    staff = person(delivery=delivery)

    with mailed as outbox:
        services.enrollment_create(staff=staff, session=session, actor=staff.user)

    [message] = outbox
    assert message.subject.startswith("You are enrolled")
    assert invitations(outbox) == []
    assert message.attachments == []
    assert "invitation" not in message.body


def test_waitlisted_and_pending_places_get_no_invitation(mailed, leader):
    full = f.SessionFactory(capacity=1)
    meeting(full, 7)
    f.EnrollmentFactory(session=full)
    needs_approval = f.SessionFactory(requires_approval=True)
    meeting(needs_approval, 9)
    staff = person(building=leader.building)

    with mailed as outbox:
        services.enrollment_create(staff=staff, session=full, actor=staff.user)
        services.enrollment_create(staff=staff, session=needs_approval, actor=staff.user)

    mine = [m for m in outbox if m.to == [staff.email]]
    assert [m.subject.split(":")[0] for m in mine] == [
        "You are on the waitlist",
        "Waiting for approval",
    ]
    assert invitations(mine) == []


def test_approval_sends_the_request(mailed, leader):
    session = f.SessionFactory(requires_approval=True)
    coming = meeting(session, 9)
    staff = person(building=leader.building)
    pending = services.enrollment_create(staff=staff, session=session, actor=staff.user)

    with mailed as outbox:
        services.enrollment_approve(enrollment=pending.enrollment, actor=leader.user)

    [(_, calendar)] = invitations(outbox)
    assert calendar["METHOD"] == "REQUEST"
    assert [str(e["UID"]) for e in events(calendar)] == [coming.uid]


def test_promotion_into_a_seat_sends_the_request(mailed):
    session = f.SessionFactory(capacity=1)
    coming = meeting(session, 5)
    leaving = f.EnrollmentFactory(session=session, staff=person(delivery=CalendarDelivery.FEED))
    waiting = person()
    services.enrollment_create(staff=waiting, session=session, actor=waiting.user)

    with mailed as outbox:
        services.enrollment_withdraw(enrollment=leaving, actor=leaving.staff.user)

    promoted = [m for m in outbox if m.to == [waiting.email]]
    assert [m.subject.split(":")[0] for m in promoted] == ["A seat opened for you"]
    [(_, calendar)] = invitations(promoted)
    assert (calendar["METHOD"], str(events(calendar)[0]["UID"])) == ("REQUEST", coming.uid)
    # The person who left had chose the feed: no invitation for them.
    withdrawn = [m for m in outbox if m.to == [leaving.staff.email]]
    assert len(withdrawn) == 1
    assert invitations(withdrawn) == []


def test_withdrawing_from_a_seat_sends_cancel_for_each_coming_meeting(mailed, session):
    staff = person()
    placement = services.enrollment_create(staff=staff, session=session, actor=staff.user)

    with mailed as outbox:
        services.enrollment_withdraw(enrollment=placement.enrollment, actor=staff.user)

    assert len(outbox) == 2
    found = invitations(outbox)
    assert {header for header, _ in found} == {"text/calendar; method=CANCEL; charset=utf-8"}
    assert [c["METHOD"] for _, c in found] == ["CANCEL", "CANCEL"]
    assert [str(e["UID"]) for _, c in found for e in events(c)] == [
        m.uid for m in upcoming(session)
    ]
    assert {str(e["STATUS"]) for _, c in found for e in events(c)} == {"CANCELLED"}
    assert all("This message cancels the meeting of" in m.body for m in outbox)
    assert all("You are withdrawn" in m.body for m in outbox)


@pytest.mark.parametrize("status", [EnrollmentStatus.WAITLISTED, EnrollmentStatus.PENDING_APPROVAL])
def test_withdrawing_a_place_that_was_never_invited_sends_no_cancel(mailed, session, status):
    staff = person()
    place = f.EnrollmentFactory(session=session, staff=staff, status=status)

    with mailed as outbox:
        services.enrollment_withdraw(enrollment=place, actor=staff.user)

    [message] = [m for m in outbox if m.to == [staff.email]]
    assert message.subject.startswith("You are withdrawn")
    assert invitations([message]) == []
    assert "cancels the meeting" not in message.body


def test_declined_and_lapsed_requests_send_no_cancel(mailed, leader, settings):
    session = f.SessionFactory(requires_approval=True, capacity=5)
    meeting(session, 9)
    declined, lapsing = (person(building=leader.building) for _ in range(2))
    first = services.enrollment_create(staff=declined, session=session, actor=declined.user)
    services.enrollment_create(staff=lapsing, session=session, actor=lapsing.user)

    with mailed as outbox:
        services.enrollment_decline(enrollment=first.enrollment, actor=leader.user, reason="No")
        services.approval_holds_lapse(
            now=timezone.now() + dt.timedelta(days=settings.APPROVAL_HOLD_DAYS + 1)
        )

    for staff, subject in ((declined, "Not approved"), (lapsing, "Your request lapsed")):
        [message] = [m for m in outbox if m.to == [staff.email]]
        assert message.subject.startswith(subject)
        # Never invited (a request holds no place in the calendar): nothing to cancel.
        assert invitations([message]) == []


def test_a_change_sends_an_updated_request_with_a_higher_sequence(mailed, session):
    staff = person()
    with mailed as outbox:
        services.enrollment_create(staff=staff, session=session, actor=staff.user)
    first = {str(e["UID"]): int(e["SEQUENCE"]) for _, c in invitations(outbox) for e in events(c)}
    moved = upcoming(session)[0]
    moved.starts_at += dt.timedelta(hours=1)
    moved.ends_at += dt.timedelta(hours=1)
    meeting_note_changes(meeting=moved, changed_fields=["starts_at", "ends_at"])
    moved.save()
    outbox.clear()

    with mailed as outbox:
        services.session_changed_notify(session=session, what="the first meeting starts later")

    assert len(outbox) == 2
    assert all("the first meeting starts later" in m.body for m in outbox)
    found = invitations(outbox)
    assert [c["METHOD"] for _, c in found] == ["REQUEST", "REQUEST"]
    second = {str(e["UID"]): e for _, c in found for e in events(c)}
    assert set(second) == set(first)
    assert int(second[moved.uid]["SEQUENCE"]) == first[moved.uid] + 1
    assert second[moved.uid]["DTSTART"].dt == moved.starts_at
    other = next(uid for uid in first if uid != moved.uid)
    assert int(second[other]["SEQUENCE"]) == first[other]


def test_a_change_sends_no_request_to_the_waitlist(mailed, session):
    session.capacity = 1
    session.save()
    f.EnrollmentFactory(session=session)
    waiting = f.EnrollmentFactory(
        session=session, staff=person(), status=EnrollmentStatus.WAITLISTED
    )

    with mailed as outbox:
        services.session_changed_notify(session=session, what="the room is now the Library")

    mine = [m for m in outbox if m.to == [waiting.staff.email]]
    assert len(mine) == 1
    assert invitations(mine) == []


def test_a_cancelled_meeting_sends_cancel_for_that_meeting_only(mailed, session, district_pd):
    staff = person()
    f.EnrollmentFactory(session=session, staff=staff)
    cancelled, kept = upcoming(session)

    with mailed as outbox:
        services.meeting_cancel(meeting=cancelled, actor=district_pd.user, reason="Snow day")

    [message] = outbox
    [(header, calendar)] = invitations(outbox)
    assert header == "text/calendar; method=CANCEL; charset=utf-8"
    [event] = events(calendar)
    cancelled.refresh_from_db()
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (cancelled.uid, cancelled.sequence)
    assert cancelled.sequence == 1
    assert event["STATUS"] == "CANCELLED"
    assert kept.uid not in message.message().as_string()


def test_a_cancelled_session_sends_cancel_for_every_coming_meeting(mailed, session, district_pd):
    staff = person()
    f.EnrollmentFactory(session=session, staff=staff)

    with mailed as outbox:
        services.session_cancel(session=session, actor=district_pd.user, reason="Facilitator ill")

    found = invitations(outbox)
    assert len(outbox) == len(found) == 2
    assert [c["METHOD"] for _, c in found] == ["CANCEL", "CANCEL"]
    events_found = [e for _, c in found for e in events(c)]
    assert [str(e["UID"]) for e in events_found] == [m.uid for m in upcoming(session)]
    assert [int(e["SEQUENCE"]) for e in events_found] == [1, 1]
    assert {str(e["STATUS"]) for e in events_found} == {"CANCELLED"}


@pytest.mark.parametrize("status", [EnrollmentStatus.WAITLISTED, EnrollmentStatus.PENDING_APPROVAL])
def test_a_cancelled_session_sends_no_cancel_to_places_never_invited(
    mailed, session, district_pd, status
):
    staff = person()
    f.EnrollmentFactory(session=session, staff=staff, status=status)

    with mailed as outbox:
        services.session_cancel(session=session, actor=district_pd.user, reason="Facilitator ill")

    [message] = [m for m in outbox if m.to == [staff.email]]
    assert message.subject.startswith("Cancelled")
    assert invitations([message]) == []


def test_mail_queries_stay_fixed_however_many_invitations(session):
    def count_for(people):
        ids = [
            f.EnrollmentFactory(session=session, staff=person(building=f.BuildingFactory())).pk
            for _ in range(people)
        ]
        session.facilitators.add(*f.StaffMemberFactory.create_batch(people))
        with CaptureQueriesContext(connection) as queries:
            built = notifications.build(notifications.ENROLLED, ids, {})
        # One message per person and coming meeting.
        assert len(built) == 2 * people
        return len(queries)

    assert count_for(2) == count_for(12)

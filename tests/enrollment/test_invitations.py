"""Invitations by mail: a person who chose them gets the session's meetings as iTIP attachments
(REQUEST when they get a seat or the session changes, CANCEL when they leave or it is
cancelled), with the feeds' UIDs and SEQUENCE; everyone else gets the plain mail."""

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


def invitations(message) -> list[tuple[str, str, Calendar]]:
    """The message's calendar attachments: (content type header, filename, parsed calendar)."""
    found = []
    for part in message.message().walk():
        if part.get_content_type() == "text/calendar":
            calendar = Calendar.from_ical(part.get_payload(decode=True))
            found.append((part["Content-Type"], part.get_filename(), calendar))
    return found


def events(calendar: Calendar) -> list:
    return list(calendar.walk("VEVENT"))


@pytest.fixture
def mailed(django_capture_on_commit_callbacks, mailoutbox):
    """Run the mail callbacks of the block as a commit would, then give the messages."""

    class Mailed:
        def __enter__(self):
            self.capture = django_capture_on_commit_callbacks(execute=True)
            self.capture.__enter__()
            return mailoutbox

        def __exit__(self, *exc):
            return self.capture.__exit__(*exc)

    return Mailed()


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


def test_enrolling_sends_a_request_per_coming_meeting_with_the_meeting_uids(mailed, session):
    staff = person(first_name="Tess", last_name="Teacher")

    with mailed as outbox:
        services.enrollment_create(staff=staff, session=session, actor=staff.user)

    [message] = outbox
    attached = invitations(message)
    assert [name for _, name, _ in attached] == ["invite-1.ics", "invite-2.ics"]
    assert {header for header, _, _ in attached} == {"text/calendar; method=REQUEST; charset=utf-8"}
    uids = []
    for _, _, calendar in attached:
        assert calendar["METHOD"] == "REQUEST"
        [event] = events(calendar)
        uids.append(str(event["UID"]))
        assert event["STATUS"] == "CONFIRMED"
        assert str(event["ATTENDEE"]) == f"mailto:{staff.email}"
        assert event["ATTENDEE"].params["CN"] == "Tess Teacher"
        assert str(event["ORGANIZER"]).startswith("mailto:")
    # The meeting held last week is not sent.
    assert uids == [m.uid for m in upcoming(session)]
    assert "accept them in your mail app" in message.body


def test_one_meeting_comes_as_invite_ics(mailed):
    session = f.SessionFactory()
    only = meeting(session, 3)
    staff = person()

    with mailed as outbox:
        services.enrollment_create(staff=staff, session=session, actor=staff.user)

    [(header, name, calendar)] = invitations(outbox[0])
    assert (header, name) == ("text/calendar; method=REQUEST; charset=utf-8", "invite.ics")
    assert [str(e["UID"]) for e in events(calendar)] == [only.uid]
    assert "The attached invitation (invite.ics) puts the meeting in your calendar" in (
        outbox[0].body
    )


@pytest.mark.parametrize("delivery", [CalendarDelivery.FEED, CalendarDelivery.NONE])
def test_no_attachment_without_the_invitations_choice(mailed, session, delivery):
    staff = person(delivery=delivery)

    with mailed as outbox:
        services.enrollment_create(staff=staff, session=session, actor=staff.user)

    [message] = outbox
    assert message.subject.startswith("You are enrolled")
    assert invitations(message) == []
    assert message.attachments == []
    assert "attached" not in message.body


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
    assert all(invitations(m) == [] for m in mine)


def test_approval_sends_the_request(mailed, leader):
    session = f.SessionFactory(requires_approval=True)
    coming = meeting(session, 9)
    staff = person(building=leader.building)
    pending = services.enrollment_create(staff=staff, session=session, actor=staff.user)

    with mailed as outbox:
        services.enrollment_approve(enrollment=pending.enrollment, actor=leader.user)

    [message] = outbox
    [(_, _, calendar)] = invitations(message)
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
    [(_, _, calendar)] = invitations(promoted[0])
    assert (calendar["METHOD"], str(events(calendar)[0]["UID"])) == ("REQUEST", coming.uid)
    # The person who left had chose the feed: no attachment for them.
    withdrawn = [m for m in outbox if m.to == [leaving.staff.email]]
    assert invitations(withdrawn[0]) == []


def test_withdrawing_sends_cancel_for_the_coming_meetings(mailed, session):
    staff = person()
    placement = services.enrollment_create(staff=staff, session=session, actor=staff.user)

    with mailed as outbox:
        services.enrollment_withdraw(enrollment=placement.enrollment, actor=staff.user)

    [message] = outbox
    attached = invitations(message)
    assert {header for header, _, _ in attached} == {"text/calendar; method=CANCEL; charset=utf-8"}
    assert [c["METHOD"] for _, _, c in attached] == ["CANCEL", "CANCEL"]
    assert [str(e["UID"]) for _, _, c in attached for e in events(c)] == [
        m.uid for m in upcoming(session)
    ]
    assert {str(e["STATUS"]) for _, _, c in attached for e in events(c)} == {"CANCELLED"}
    assert "attached cancellations" in message.body


def test_declined_and_lapsed_requests_send_cancel(mailed, leader, settings):
    session = f.SessionFactory(requires_approval=True, capacity=5)
    coming = meeting(session, 9)
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
        [(_, _, calendar)] = invitations(message)
        assert (calendar["METHOD"], str(events(calendar)[0]["UID"])) == ("CANCEL", coming.uid)


def test_a_change_sends_an_updated_request_with_a_higher_sequence(mailed, session):
    staff = person()
    with mailed as outbox:
        services.enrollment_create(staff=staff, session=session, actor=staff.user)
    first = {
        str(e["UID"]): int(e["SEQUENCE"]) for _, _, c in invitations(outbox[0]) for e in events(c)
    }
    moved = upcoming(session)[0]
    moved.starts_at += dt.timedelta(hours=1)
    moved.ends_at += dt.timedelta(hours=1)
    meeting_note_changes(meeting=moved, changed_fields=["starts_at", "ends_at"])
    moved.save()
    outbox.clear()

    with mailed as outbox:
        services.session_changed_notify(session=session, what="the first meeting starts later")

    [message] = outbox
    attached = invitations(message)
    assert [c["METHOD"] for _, _, c in attached] == ["REQUEST", "REQUEST"]
    second = {str(e["UID"]): e for _, _, c in attached for e in events(c)}
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

    [message] = [m for m in outbox if m.to == [waiting.staff.email]]
    assert invitations(message) == []


def test_a_cancelled_meeting_sends_cancel_for_that_meeting_only(mailed, session, district_pd):
    staff = person()
    f.EnrollmentFactory(session=session, staff=staff)
    cancelled, kept = upcoming(session)

    with mailed as outbox:
        services.meeting_cancel(meeting=cancelled, actor=district_pd.user, reason="Snow day")

    [message] = outbox
    [(header, name, calendar)] = invitations(message)
    assert (header, name) == ("text/calendar; method=CANCEL; charset=utf-8", "invite.ics")
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

    [message] = outbox
    attached = invitations(message)
    assert [c["METHOD"] for _, _, c in attached] == ["CANCEL", "CANCEL"]
    found = [e for _, _, c in attached for e in events(c)]
    assert [str(e["UID"]) for e in found] == [m.uid for m in upcoming(session)]
    assert [int(e["SEQUENCE"]) for e in found] == [1, 1]
    assert {str(e["STATUS"]) for e in found} == {"CANCELLED"}


def test_mail_queries_stay_fixed_however_many_invitations(session):
    def count_for(people):
        ids = [
            f.EnrollmentFactory(session=session, staff=person(building=f.BuildingFactory())).pk
            for _ in range(people)
        ]
        session.facilitators.add(*f.StaffMemberFactory.create_batch(people))
        with CaptureQueriesContext(connection) as queries:
            sent = notifications.send(notifications.ENROLLED, ids, {})
        assert sent == people
        return len(queries)

    assert count_for(2) == count_for(12)

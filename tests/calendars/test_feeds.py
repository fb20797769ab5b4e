"""The three feeds over HTTP: what each holds (and never holds), how they follow changes, the
HTTP a calendar app relies on (conditional GET, HEAD, content type, caching), the secret key,
and a fixed number of queries whatever the feed holds."""

import datetime as dt
import io
import logging
import os
import uuid
from urllib.parse import urlencode

import pytest
import redis
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date, parse_http_date

from calendars import selectors
from calendars import services as calendar_services
from calendars.log import mask_feed_keys
from calendars.models import FeedToken, feed_key_digest, new_feed_key
from calendars.views.feeds import PLACE_SEQUENCE_CONFIRMED
from catalog import services as catalog_services
from catalog.choices import MeetingStatus, SessionStatus
from catalog.models import Course, Meeting, Session, Strand
from core import rfc5545
from enrollment import services as enrollment_services
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from learning import changes
from learning.choices import StaffStatus
from learning.models import Building, StaffMember
from tests import factories as f

from .ics import check_calendar, events_by_uid, summaries


@pytest.fixture(autouse=True, params=["compiled", "orm"])
def compiled_queries(request, settings):
    """Every feed test runs with the compiled queries (core.db.compiled) and with the plain ORM
    (COMPILED_QUERIES off), so turning them off is known to give the same feeds."""
    settings.COMPILED_QUERIES = request.param == "compiled"
    return request.param


pytestmark = pytest.mark.django_db

ENROLLED = EnrollmentStatus.ENROLLED
WAITLISTED = EnrollmentStatus.WAITLISTED
CATALOG = reverse("calendars:catalog")


def at(days: float, hour: int = 16) -> dt.datetime:
    """A local time `days` from today."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return f.local(day.year, day.month, day.day, hour)


def meeting(session, days: float, hour: int = 16, hours: int = 2, **fields) -> Meeting:
    starts_at = at(days, hour)
    return f.MeetingFactory(
        session=session,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        **fields,
    )


def session_with_meeting(days: float = 7, **fields):
    session = f.SessionFactory(**fields)
    return session, meeting(session, days)


def feed_url(token: FeedToken) -> str:
    return reverse("calendars:feed", kwargs={"key": token.key})


@pytest.fixture
def token(teacher):
    return f.FeedTokenFactory(staff=teacher)


def fetch(client, url: str, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response, check_calendar(response.content)


# The personal feed: what it holds


def test_the_personal_feed_holds_the_persons_places_marked_by_status(client, teacher, token):
    enrolled, enrolled_meeting = session_with_meeting(course__title="Restorative Circles")
    second = meeting(enrolled, 14)
    waitlisted, waitlisted_meeting = session_with_meeting(course__title="Trauma Basics")
    pending, _ = session_with_meeting(course__title="Equity Walks")
    finished, _ = session_with_meeting(-30, course__title="Old News")
    f.EnrollmentFactory(staff=teacher, session=enrolled, status=ENROLLED)
    # Two people ahead of the teacher on the waitlist, one of them requested at the same time.
    asked = timezone.now() - dt.timedelta(days=2)
    for _ in range(2):
        f.EnrollmentFactory(session=waitlisted, status=WAITLISTED, requested_at=asked)
    f.EnrollmentFactory(staff=teacher, session=waitlisted, status=WAITLISTED, requested_at=asked)
    f.EnrollmentFactory(staff=teacher, session=pending, status=EnrollmentStatus.PENDING_APPROVAL)
    f.EnrollmentFactory(staff=teacher, session=finished, status=EnrollmentStatus.COMPLETED)

    _, cal = fetch(client, feed_url(token))

    events = events_by_uid(cal)
    assert len(events) == 5
    assert {enrolled_meeting.uid, second.uid} <= set(events)
    assert str(events[enrolled_meeting.uid]["STATUS"]) == "CONFIRMED"
    waiting = events[waitlisted_meeting.uid]
    assert str(waiting["SUMMARY"]) == "[Waitlist #3] Trauma Basics"
    assert str(waiting["STATUS"]) == "TENTATIVE"
    assert "[Awaiting approval] Equity Walks" in summaries(cal)
    assert "Old News" in summaries(cal)
    assert cal["X-WR-CALNAME"] == "My professional learning (Birmingham Public Schools)"


def test_ended_withdrawn_declined_and_other_peoples_places_are_not_in_the_feed(
    client, teacher, token
):
    for status in (EnrollmentStatus.WITHDRAWN, EnrollmentStatus.DECLINED):
        f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0], status=status)
    someone_else, _ = session_with_meeting()
    f.EnrollmentFactory(session=someone_else, status=ENROLLED)
    draft, _ = session_with_meeting(status=SessionStatus.DRAFT)
    f.EnrollmentFactory(staff=teacher, session=draft, status=ENROLLED)

    _, cal = fetch(client, feed_url(token))

    assert cal.walk("VEVENT") == []


def test_a_feed_never_holds_another_persons_enrollments(client, teacher, token):
    other = f.StaffMemberFactory(first_name="Otto", last_name="Other")
    other_token = f.FeedTokenFactory(staff=other)
    mine, my_meeting = session_with_meeting()
    theirs, their_meeting = session_with_meeting()
    f.EnrollmentFactory(staff=teacher, session=mine)
    f.EnrollmentFactory(staff=other, session=theirs)

    _, my_cal = fetch(client, feed_url(token))
    _, their_cal = fetch(client, feed_url(other_token))

    assert set(events_by_uid(my_cal)) == {my_meeting.uid}
    assert set(events_by_uid(their_cal)) == {their_meeting.uid}


def test_an_empty_personal_feed_is_valid_and_holds_the_vtimezone(client, token):
    response, cal = fetch(client, feed_url(token))
    assert cal.walk("VEVENT") == []
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/Detroit"]
    assert "ETag" in response


def test_the_meetings_of_the_persons_groups_are_in_their_feed(client, teacher, token):
    committee = f.StaffGroupFactory(name="Advisory Committee", members=[teacher])
    cohort = f.StaffGroupFactory(members=[teacher])
    other_group = f.StaffGroupFactory()
    _, committee_meeting = session_with_meeting(restricted_to_group=committee)
    left, _ = session_with_meeting(restricted_to_group=cohort)
    f.EnrollmentFactory(staff=teacher, session=left, status=EnrollmentStatus.WITHDRAWN)
    session_with_meeting(restricted_to_group=other_group)
    session_with_meeting(restricted_to_group=committee, status=SessionStatus.DRAFT)

    _, cal = fetch(client, feed_url(token))

    assert set(events_by_uid(cal)) == {committee_meeting.uid}
    assert str(cal.walk("VEVENT")[0]["STATUS"]) == "CONFIRMED"


def backdate(days: int = 1) -> None:
    """Make every row look changed `days` ago, so a change now moves Last-Modified for sure."""
    then = timezone.now() - dt.timedelta(days=days)
    for model in (Meeting, Session, Course, Strand, Building, StaffMember, Enrollment):
        model.objects.update(updated_at=then)


def test_a_withdrawal_takes_the_meetings_out_and_changes_the_version(client, teacher, token):
    kept, kept_meeting = session_with_meeting()
    left, left_meeting = session_with_meeting()
    f.EnrollmentFactory(staff=teacher, session=kept)
    enrollment = f.EnrollmentFactory(staff=teacher, session=left)
    backdate()
    first, cal = fetch(client, feed_url(token))
    assert set(events_by_uid(cal)) == {kept_meeting.uid, left_meeting.uid}

    enrollment_services.enrollment_withdraw(enrollment=enrollment, actor=teacher.user)

    again, cal = fetch(client, feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert set(events_by_uid(cal)) == {kept_meeting.uid}
    assert again["ETag"] != first["ETag"]
    # Clients that only send If-Modified-Since see it too: Last-Modified moved forward, though
    # nothing the feed still shows has changed.
    assert parse_http_date(again["Last-Modified"]) > parse_http_date(first["Last-Modified"])
    fetch(client, feed_url(token), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])


def test_a_place_moving_up_the_waitlist_changes_the_title_and_the_version(client, teacher, token):
    session, _ = session_with_meeting(course__title="Trauma Basics")
    ahead = f.EnrollmentFactory(
        session=session, status=WAITLISTED, requested_at=timezone.now() - dt.timedelta(days=1)
    )
    own = f.EnrollmentFactory(staff=teacher, session=session, status=WAITLISTED)
    first, cal = fetch(client, feed_url(token))
    assert summaries(cal) == ["[Waitlist #2] Trauma Basics"]
    (second_in_line,) = [event["SEQUENCE"] for event in cal.walk("VEVENT")]

    # Only the other person's enrollment changes.
    ahead.status = EnrollmentStatus.WITHDRAWN
    ahead.save()

    again, cal = fetch(client, feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert summaries(cal) == ["[Waitlist #1] Trauma Basics"]
    assert again["ETag"] != first["ETag"]
    # Calendars take the new title only with a higher SEQUENCE; so too the seat, later.
    (first_in_line,) = [event["SEQUENCE"] for event in cal.walk("VEVENT")]
    assert first_in_line > second_in_line
    own.status = EnrollmentStatus.ENROLLED
    own.save()
    _, cal = fetch(client, feed_url(token))
    (seated,) = [event["SEQUENCE"] for event in cal.walk("VEVENT")]
    assert summaries(cal) == ["Trauma Basics"]
    assert seated > first_in_line


# Changes: same UID, higher SEQUENCE, new ETag


def test_editing_a_meeting_keeps_its_uid_raises_sequence_and_changes_the_etag(
    client, teacher, token
):
    session, edited = session_with_meeting()
    f.EnrollmentFactory(staff=teacher, session=session)
    first, cal = fetch(client, feed_url(token))
    before = events_by_uid(cal)[edited.uid]
    assert before["SEQUENCE"] == PLACE_SEQUENCE_CONFIRMED

    edited.starts_at += dt.timedelta(hours=1)
    edited.ends_at += dt.timedelta(hours=1)
    assert catalog_services.meeting_note_changes(
        meeting=edited, changed_fields=["starts_at", "ends_at"]
    )
    edited.save()

    again, cal = fetch(client, feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])
    after = events_by_uid(cal)[edited.uid]
    assert after["SEQUENCE"] == PLACE_SEQUENCE_CONFIRMED + 1
    assert after["DTSTART"].dt == before["DTSTART"].dt + dt.timedelta(hours=1)
    assert after["DTSTAMP"].dt >= before["DTSTAMP"].dt
    assert again["ETag"] != first["ETag"]


def _rename_course(session):
    course = session.course
    course.title = "Renamed"
    course.save()
    catalog_services.course_note_changes(course=course, changed_fields=["title"])


def _rename_strand(session):
    strand = session.course.strand
    strand.name = "Renamed strand"
    strand.save()
    catalog_services.strand_note_changes(strand=strand, changed_fields=["name"])


def _move_building(session):
    building = session.building
    building.address = "9 New Road"
    building.save()
    catalog_services.building_note_changes(building=building, changed_fields=["address"])


def _rename_facilitator(session):
    person = session.facilitators.get()
    person.preferred_name = "Bobbie"
    person.save()
    catalog_services.facilitator_note_changes(staff=person, changed_fields=["preferred_name"])


def _change_room(session):
    session.room = "Gym"
    session.save()
    catalog_services.session_note_changes(session=session, changed_fields=["room"])


@pytest.mark.parametrize(
    "change", [_rename_course, _rename_strand, _move_building, _rename_facilitator, _change_room]
)
def test_a_change_of_a_shown_field_raises_sequence_and_changes_the_etag(
    client, teacher, token, change
):
    session, shown = session_with_meeting()
    session.facilitators.add(f.StaffMemberFactory(first_name="Robert"))
    f.EnrollmentFactory(staff=teacher, session=session)
    first, cal = fetch(client, feed_url(token))
    before = events_by_uid(cal)[shown.uid]

    change(session)

    again, cal = fetch(client, feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])
    after = events_by_uid(cal)[shown.uid]
    assert again["ETag"] != first["ETag"]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.to_ical() != before.to_ical()


def test_a_cancelled_meeting_shows_cancelled_until_it_ends_then_drops(
    client, teacher, token, district_pd
):
    session, cancelled = session_with_meeting()
    held = meeting(session, 14)
    f.EnrollmentFactory(staff=teacher, session=session)
    first, _ = fetch(client, feed_url(token))

    enrollment_services.meeting_cancel(meeting=cancelled, actor=district_pd.user, reason="Snow day")

    again, cal = fetch(client, feed_url(token))
    event = events_by_uid(cal)[cancelled.uid]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == PLACE_SEQUENCE_CONFIRMED + 1
    assert str(event["SUMMARY"]).startswith("[Cancelled] ")
    assert str(events_by_uid(cal)[held.uid]["STATUS"]) == "CONFIRMED"
    assert again["ETag"] != first["ETag"]

    # Once it has ended, it is gone; the meeting still to be held stays.
    cancelled.refresh_from_db()
    after_end = cancelled.ends_at + dt.timedelta(minutes=1)
    shown = selectors.personal_feed_meetings(teacher, at=after_end)
    assert [m.uid for m in shown] == [held.uid]
    just_before = cancelled.ends_at - dt.timedelta(minutes=1)
    assert cancelled.uid in {
        m.uid for m in selectors.personal_feed_meetings(teacher, at=just_before)
    }
    # The feed's own compiled query takes the person and the moment as the ORM query does.
    for moment in (after_end, just_before):
        compiled = selectors.personal_feed_calendar_meetings(teacher.pk, at=moment)
        built = selectors.feed_meetings_shown(
            selectors.personal_feed_meetings(teacher, at=moment), *selectors.PERSONAL_ANNOTATIONS
        )
        assert compiled == built
        assert selectors.personal_feed_calendar_meetings(district_pd.pk, at=moment) == []


def test_a_cancelled_session_stays_in_its_participants_feeds_as_cancelled(
    client, teacher, token, district_pd
):
    session, cancelled = session_with_meeting()
    f.EnrollmentFactory(staff=teacher, session=session)

    enrollment_services.session_cancel(session=session, actor=district_pd.user, reason="Ill")

    assert Enrollment.objects.get(staff=teacher).status == EnrollmentStatus.CANCELLED
    _, cal = fetch(client, feed_url(token))
    event = events_by_uid(cal)[cancelled.uid]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == PLACE_SEQUENCE_CONFIRMED + 1


# HTTP


def test_an_unchanged_feed_answers_304_to_its_etag(client, teacher, token):
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    first, _ = fetch(client, feed_url(token))

    response = client.get(feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == first["ETag"]
    assert response["Cache-Control"] == "private, max-age=3600"


def test_an_unchanged_feed_answers_304_to_if_modified_since(client, teacher, token):
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    first, _ = fetch(client, feed_url(token))

    same = client.get(feed_url(token), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    older = http_date(timezone.now().timestamp() - 86400 * 365)
    stale = client.get(feed_url(token), HTTP_IF_MODIFIED_SINCE=older)

    assert same.status_code == 304
    assert stale.status_code == 200
    assert stale.content == first.content


def test_the_same_data_gives_the_same_bytes_and_etag(client, teacher, token):
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    first, _ = fetch(client, feed_url(token))
    # Rebuilt, not served from the cache: the version and the bytes come from the data alone.
    cache.clear()
    again, _ = fetch(client, feed_url(token))
    assert (again.content, again["ETag"]) == (first.content, first["ETag"])


def test_head_answers_the_headers_of_get(client, teacher, token):
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    get = client.get(feed_url(token))
    head = client.head(feed_url(token))

    assert head.status_code == 200
    assert head.content == b""
    for header in ("Content-Type", "ETag", "Last-Modified", "Cache-Control"):
        assert head[header] == get[header]


@pytest.mark.parametrize("url_name", ["feed", "catalog"])
def test_other_methods_are_refused(client, token, url_name):
    url = feed_url(token) if url_name == "feed" else CATALOG
    assert client.post(url).status_code == 405


@pytest.mark.parametrize("accept", [None, "text/html", "application/json", "text/calendar", "*/*"])
def test_the_accept_header_changes_nothing(client, teacher, token, accept):
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    plain = client.get(feed_url(token))
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = client.get(feed_url(token), **headers)

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.content == plain.content


def test_an_unchanged_feed_is_not_rebuilt(client, teacher, token, monkeypatch):
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    builds = []
    real = rfc5545.calendar_bytes

    def counting(**kwargs):
        builds.append(1)
        return real(**kwargs)

    monkeypatch.setattr(rfc5545, "calendar_bytes", counting)
    first = client.get(feed_url(token))
    with CaptureQueriesContext(connection) as cached:
        second = client.get(feed_url(token))

    assert len(builds) == 1
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    # The token, its person and the data's generation in one query: no meeting is read, and
    # the same calendar app fetching again within a minute is not written down again.
    assert len(cached.captured_queries) == 1


def _counting_cache_reads(monkeypatch) -> list[str]:
    reads = []
    real = cache.get

    def get(key, *args, **kwargs):
        reads.append(key)
        return real(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", get)
    return reads


def test_a_current_copy_is_answered_from_the_token_without_the_cache(
    client, teacher, token, monkeypatch
):
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    first, _ = fetch(client, feed_url(token))
    reads = _counting_cache_reads(monkeypatch)

    with CaptureQueriesContext(connection) as queries:
        by_etag = client.get(feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])
    # Read at once: the next request starts Django's query log anew.
    by_etag_queries = len(queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:
        by_date = client.get(feed_url(token), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    by_date_queries = len(queries.captured_queries)
    answered_from_the_token = list(reads)
    full = client.get(feed_url(token))

    assert (by_etag.status_code, by_date.status_code) == (304, 304)
    for answer in (by_etag, by_date):
        assert answer["ETag"] == first["ETag"]
        assert answer["Last-Modified"] == first["Last-Modified"]
        assert answer["Cache-Control"] == "private, max-age=3600"
        assert answer["X-Robots-Tag"] == "noindex, nofollow"
    # One query each (the token with the generation); the fetch was noted a moment ago.
    assert by_etag_queries == by_date_queries == 1
    assert answered_from_the_token == []
    # A full download reads the rendered feed.
    assert full.status_code == 200 and full.content == first.content
    assert len(reads) == 1 and reads[0].startswith("calendars:personal:")


def test_a_poll_from_a_signed_in_browser_reads_no_session_and_keeps_the_feeds_policy(
    client, teacher, token
):
    """Opening one's own feed address in the browser one is signed in with: the feed's own
    caching, not the signed-in pages' no-store (core.private_responses), and the poll's one
    query; neither the session nor the login is read."""
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    client.force_login(teacher.user)
    first, _ = fetch(client, feed_url(token))

    with CaptureQueriesContext(connection) as queries:
        again = client.get(feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert first["Cache-Control"] == again["Cache-Control"] == "private, max-age=3600"
    assert len(queries.captured_queries) == 1
    assert "Cookie" not in again.get("Vary", "")


def test_the_token_keeps_the_validators_of_the_feed_it_last_served(client, teacher, token):
    session, _ = session_with_meeting(course__title="Trauma Basics")
    f.EnrollmentFactory(staff=teacher, session=session)
    first, _ = fetch(client, feed_url(token))
    token.refresh_from_db()

    assert token.feed_version.startswith(changes.generation() + ":")
    assert f'"{token.feed_etag}"' == first["ETag"]
    assert http_date(token.feed_last_modified.timestamp()) == first["Last-Modified"]
    assert token.feed_changes_at is None

    Course.objects.filter(pk=session.course_id).update(title="Trauma-Informed Practice")
    changes.record()
    again, cal = fetch(client, feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])
    token.refresh_from_db()

    assert summaries(cal) == ["Trauma-Informed Practice"]
    assert token.feed_version.startswith(changes.generation() + ":")
    assert f'"{token.feed_etag}"' == again["ETag"] != first["ETag"]


def test_a_new_generation_with_the_same_bytes_still_answers_304(client, teacher, token):
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    first, _ = fetch(client, feed_url(token))
    before = FeedToken.objects.get(pk=token.pk).feed_version

    # Something the feed does not show changed: the feed is rendered again, to the same bytes.
    f.BuildingFactory()
    response = client.get(feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])

    assert response.status_code == 304
    assert response["ETag"] == first["ETag"]
    assert FeedToken.objects.get(pk=token.pk).feed_version not in ("", before)


def test_a_deploy_that_changes_what_feeds_show_renders_them_again(client, teacher, token, settings):
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    first, _ = fetch(client, feed_url(token))

    settings.DISTRICT_NAME = "Birmingham Public Schools (renamed)"
    response = client.get(feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])

    assert response.status_code == 200
    assert b"renamed" in response.content
    assert response["ETag"] != first["ETag"]


def test_a_write_that_bypasses_signals_still_renews_the_feed_when_it_records_the_change(
    client, teacher, token
):
    session, meeting = session_with_meeting(course__title="Trauma Basics")
    f.EnrollmentFactory(staff=teacher, session=session)
    first, _ = fetch(client, feed_url(token))

    # A bulk write says nothing to the signals: until the change is recorded, the rendered
    # feed stands; the services record theirs (learning.changes.record).
    Course.objects.filter(pk=session.course_id).update(title="Trauma-Informed Practice")
    assert client.get(feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    changes.record()
    again, cal = fetch(client, feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])

    assert summaries(cal) == ["Trauma-Informed Practice"]
    assert again["ETag"] != first["ETag"]


def test_a_rendered_feed_is_renewed_when_a_cancelled_meeting_it_shows_ends(
    client, teacher, token, monkeypatch
):
    session, cancelled = session_with_meeting(course__title="Trauma Basics")
    f.MeetingFactory(
        session=session,
        starts_at=cancelled.starts_at + dt.timedelta(days=7),
        ends_at=cancelled.ends_at + dt.timedelta(days=7),
    )
    f.EnrollmentFactory(staff=teacher, session=session)
    cancelled.status = MeetingStatus.CANCELLED
    cancelled.save()
    first, cal = fetch(client, feed_url(token))
    assert len(events_by_uid(cal)) == 2

    # Nothing is written, but once the cancelled meeting has ended it leaves the feed.
    later = cancelled.ends_at + dt.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    again, cal = fetch(client, feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])

    assert cancelled.uid not in events_by_uid(cal) and len(events_by_uid(cal)) == 1
    assert again["ETag"] != first["ETag"]


def test_leaving_a_group_moves_last_modified_for_if_modified_since_clients(client, teacher, token):
    committee = f.StaffGroupFactory(members=[teacher])
    _, committee_meeting = session_with_meeting(restricted_to_group=committee)
    kept, kept_meeting = session_with_meeting()
    f.EnrollmentFactory(staff=teacher, session=kept)
    backdate()
    first, cal = fetch(client, feed_url(token))
    assert set(events_by_uid(cal)) == {committee_meeting.uid, kept_meeting.uid}

    # A membership changes no row the version's dates follow.
    committee.members.remove(teacher)
    response = client.get(feed_url(token), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert response.status_code == 200
    assert set(events_by_uid(check_calendar(response.content))) == {kept_meeting.uid}
    assert parse_http_date(response["Last-Modified"]) > parse_http_date(first["Last-Modified"])
    # And the new version, unchanged, answers 304 to its own Last-Modified.
    again = client.get(feed_url(token), HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
    assert again.status_code == 304


class BrokenCache(BaseCache):
    """A cache whose server is down."""

    def __init__(self, location, params):
        super().__init__(params)

    def _fail(self, *args, **kwargs):
        raise ConnectionError("cache server unreachable")

    get = set = add = delete = get_many = set_many = clear = _fail


@pytest.mark.parametrize("url_name", ["feed", "catalog", "session"])
def test_a_cache_outage_serves_the_feed_without_the_cache(client, teacher, token, url_name, caplog):
    session, shown = session_with_meeting()
    f.EnrollmentFactory(staff=teacher, session=session)
    url = {
        "feed": feed_url(token),
        "catalog": CATALOG,
        "session": reverse("calendars:session", kwargs={"pk": session.pk}),
    }[url_name]
    broken = {"default": {"BACKEND": f"{__name__}.BrokenCache"}}

    with override_settings(CACHES=broken), caplog.at_level(logging.WARNING):
        response, cal = fetch(client, url)
        same = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])

    assert set(events_by_uid(cal)) == {shown.uid}
    assert same.status_code == 304
    assert "served without it" in caplog.text


def test_a_catalog_search_is_not_cached(client, monkeypatch):
    session_with_meeting(course__title="Restorative Circles")
    builds = []
    real = rfc5545.calendar_bytes

    def counting(**kwargs):
        builds.append(1)
        return real(**kwargs)

    monkeypatch.setattr(rfc5545, "calendar_bytes", counting)
    for _ in range(2):
        response, cal = fetch(client, f"{CATALOG}?q=circles")
        assert len(cal.walk("VEVENT")) == 1

    assert len(builds) == 2
    assert not [key for key in cache._cache if "calendars:" in key]
    searched = client.get(f"{CATALOG}?q=circles", HTTP_IF_NONE_MATCH=response["ETag"])
    assert searched.status_code == 304
    fetch(client, CATALOG)
    fetch(client, CATALOG)
    assert len(builds) == 3


def test_a_new_builder_version_renders_the_personal_feed_again(client, teacher, token, monkeypatch):
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    first, _ = fetch(client, feed_url(token))
    monkeypatch.setattr(rfc5545, "BUILDER_VERSION", rfc5545.BUILDER_VERSION + "-next")
    written = []
    real = rfc5545.calendar_bytes

    def differently(**kwargs):
        written.append(1)
        return real(**kwargs).replace(b"VERSION:2.0", b"VERSION:2.0\r\nX-NEXT:1")

    monkeypatch.setattr(rfc5545, "calendar_bytes", differently)
    after, _ = fetch(client, feed_url(token), HTTP_IF_NONE_MATCH=first["ETag"])

    assert written == [1]
    assert b"X-NEXT:1" in after.content
    # The ETag names the bytes: new bytes, a new ETag; the old one no longer matches.
    assert after["ETag"] != first["ETag"]
    assert client.get(feed_url(token), HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_the_catalog_feeds_version_follows_the_builder(client, monkeypatch):
    session_with_meeting()
    first = client.get(CATALOG)
    cache.set(f"calendars:feed:{first['ETag'].strip(chr(34))}", b"stale bytes", 3600)

    monkeypatch.setattr(rfc5545, "BUILDER_VERSION", rfc5545.BUILDER_VERSION + "-next")
    after = client.get(CATALOG)

    assert after["ETag"] != first["ETag"]
    assert after.content == first.content


# The key


def test_a_poll_finds_each_token_by_its_own_digest_with_the_generation(teacher):
    """The poll's query is compiled once and run with each key's digest: every token is found by
    its own, a separated person's is not, and the fetch time comes back as an aware datetime."""
    mine = f.FeedTokenFactory(staff=teacher)
    other = f.FeedTokenFactory(staff=f.StaffMemberFactory())
    gone = f.FeedTokenFactory(staff=f.StaffMemberFactory(status=StaffStatus.SEPARATED))
    FeedToken.objects.filter(pk=other.pk).update(last_fetched_at=timezone.now(), last_client="X")

    for _round in range(2):
        found = selectors.feed_poll(feed_key_digest(mine.key))
        assert (found.token_id, found.staff_id, found.key) == (mine.pk, teacher.pk, mine.key)
        assert found.last_fetched_at is None
        assert found.generation == changes.generation()
        seen = selectors.feed_poll(feed_key_digest(other.key))
        assert (seen.token_id, seen.staff_id, seen.last_client) == (other.pk, other.staff_id, "X")
        assert timezone.is_aware(seen.last_fetched_at)
        assert selectors.feed_poll(feed_key_digest(gone.key)) is None
        assert selectors.feed_poll(feed_key_digest(new_feed_key())) is None


def test_a_wrong_key_is_a_404_that_says_nothing(client, token):
    near_miss = token.key[:-1] + ("A" if token.key[-1] != "A" else "B")
    for key in (new_feed_key(), near_miss, token.key.swapcase(), token.key + "x", "x"):
        response = client.get(reverse("calendars:feed", kwargs={"key": key}))
        assert response.status_code == 404, key
        assert response.content == b"No calendar feed at this address.\n"
    # Nothing was recorded against the real token, not even for the near misses.
    token.refresh_from_db()
    assert token.fetch_count == 0 and token.last_fetched_at is None


def test_keys_sharing_their_beginning_each_open_their_own_feed(client, teacher, token):
    # The database is searched by the key's digest, then the key itself decides (_token_for).
    other = f.FeedTokenFactory(key=token.key[:20] + new_feed_key()[20:])
    mine, my_meeting = session_with_meeting()
    f.EnrollmentFactory(staff=teacher, session=mine)

    _, my_cal = fetch(client, feed_url(token))
    _, their_cal = fetch(client, feed_url(other))

    assert set(events_by_uid(my_cal)) == {my_meeting.uid}
    assert events_by_uid(their_cal) == {}
    assert FeedToken.objects.get(pk=token.pk).fetch_count == 1
    assert FeedToken.objects.get(pk=other.pk).fetch_count == 1


def test_a_stored_digest_alone_opens_no_feed(client, token):
    # Should the digest column ever match another key, the key itself is still compared.
    other_key = new_feed_key()
    FeedToken.objects.filter(pk=token.pk).update(key_digest=feed_key_digest(other_key))
    response = client.get(reverse("calendars:feed", kwargs={"key": other_key}))
    assert response.status_code == 404


def test_a_rotated_key_stops_working_at_once_and_the_new_one_works(client, token):
    old_url = feed_url(token)
    assert client.get(old_url).status_code == 200

    calendar_services.feed_token_rotate(token=token)

    assert client.get(old_url).status_code == 404
    assert client.get(feed_url(token)).status_code == 200


def test_a_revoked_key_is_a_404(client, token):
    url = feed_url(token)
    calendar_services.feed_token_revoke(token=token)
    response = client.get(url)
    assert response.status_code == 404
    assert response.content == b"No calendar feed at this address.\n"


def test_the_feed_of_someone_who_left_the_district_is_gone(client, teacher, token):
    teacher.status = StaffStatus.SEPARATED
    teacher.save()
    assert client.get(feed_url(token)).status_code == 404


def test_each_fetch_is_recorded_with_its_client(client, token):
    agent = "Google-Calendar-Importer " + "x" * 400

    client.get(feed_url(token), HTTP_USER_AGENT=agent)
    first = FeedToken.objects.get(pk=token.pk)
    response = client.get(
        feed_url(token), HTTP_USER_AGENT="Microsoft Outlook", HTTP_IF_NONE_MATCH='"nope"'
    )
    etag = response["ETag"]
    client.get(feed_url(token), HTTP_USER_AGENT="iOS/18.0 dataaccessd", HTTP_IF_NONE_MATCH=etag)
    token.refresh_from_db()

    assert first.fetch_count == 1
    assert first.last_client == agent[:300]
    assert first.last_fetched_at is not None
    assert token.fetch_count == 3  # a 304 is a fetch too
    assert token.last_client == "iOS/18.0 dataaccessd"
    assert token.last_fetched_at >= first.last_fetched_at


def test_the_personal_feed_is_private_to_its_client(client, token):
    response = client.get(feed_url(token))
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_key_is_masked_in_request_logs(client, token, caplog):
    wrong = new_feed_key()
    with caplog.at_level(logging.INFO):
        client.get(reverse("calendars:feed", kwargs={"key": wrong}))
        client.get(feed_url(token))

    assert "Not Found: /calendars/feed/<key>.ics" in caplog.text
    assert wrong not in caplog.text
    assert token.key not in caplog.text


def test_the_key_is_masked_in_the_development_servers_log(token):
    # How runserver logs a request (django.core.servers.basehttp): its own handler, no
    # propagation, so the filter must sit on the logger itself.
    logger = logging.getLogger("django.server")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        logger.info('"%s" %s %s', f"GET /calendars/feed/{token.key}.ics HTTP/1.1", "200", "1234")
    finally:
        logger.removeHandler(handler)

    assert stream.getvalue() == '"GET /calendars/feed/<key>.ics HTTP/1.1" 200 1234\n'


def test_masking_keeps_the_rest_of_the_line():
    key = new_feed_key()
    assert mask_feed_keys(f"GET /calendars/feed/{key}.ics?x=1 HTTP/1.1") == (
        "GET /calendars/feed/<key>.ics?x=1 HTTP/1.1"
    )
    assert mask_feed_keys(f"/calendars/feed/{key}") == "/calendars/feed/<key>"
    assert mask_feed_keys("GET /calendars/catalog.ics HTTP/1.1") == (
        "GET /calendars/catalog.ics HTTP/1.1"
    )


# The public catalog feed


def test_the_catalog_feed_holds_published_sessions_and_no_participants(client):
    published, shown = session_with_meeting(
        course__title="Restorative Circles", virtual_url="https://meet.example.org/secret"
    )
    published.facilitators.add(f.StaffMemberFactory(first_name="Fran", last_name="Facilitator"))
    participant = f.StaffMemberFactory(first_name="Zebulon", last_name="Quartermaine")
    f.EnrollmentFactory(staff=participant, session=published)
    f.EnrollmentFactory(
        staff=f.StaffMemberFactory(first_name="Wanda", last_name="Waitlisted"),
        session=published,
        status=WAITLISTED,
    )
    session_with_meeting(status=SessionStatus.DRAFT, course__title="Secret Draft")
    committee, committee_meeting = session_with_meeting(
        restricted_to_group=f.StaffGroupFactory(members=[participant])
    )

    response, cal = fetch(client, CATALOG)

    body = response.content.decode()
    assert set(events_by_uid(cal)) == {shown.uid, committee_meeting.uid}
    for private in ("Zebulon", "Quartermaine", "Wanda", "Waitlisted", participant.email):
        assert private not in body
    assert "meet.example.org" not in body
    assert "Secret Draft" not in body
    assert "Fran Facilitator" in str(events_by_uid(cal)[shown.uid]["DESCRIPTION"])
    assert response["Cache-Control"] == "public, max-age=3600"
    assert cal["X-WR-CALNAME"] == "Professional learning catalog (Birmingham Public Schools)"


def test_an_empty_catalog_feed_is_valid(client):
    _, cal = fetch(client, CATALOG)
    assert cal.walk("VEVENT") == []
    assert cal.walk("VTIMEZONE")


def test_the_catalog_feed_filters_as_the_catalog_does(client):
    strand = f.StrandFactory(code="rp")
    building = f.BuildingFactory(code="oak")
    committee = f.StaffGroupFactory(slug="advisory")
    _, by_strand = session_with_meeting(course__strand=strand)
    _, by_building = session_with_meeting(building=building)
    course_session, by_course = session_with_meeting(course__code="crt-101")
    _, by_group = session_with_meeting(restricted_to_group=committee)
    everyone = {by_strand.uid, by_building.uid, by_course.uid}

    def uids(**params):
        return set(events_by_uid(fetch(client, CATALOG + "?" + _query(params))[1]))

    assert uids() == everyone | {by_group.uid}
    assert uids(strand="rp") == {by_strand.uid}
    assert uids(building="oak") == {by_building.uid}
    assert uids(course="crt-101") == {by_course.uid}
    assert uids(course_id=str(course_session.course_id)) == {by_course.uid}
    assert uids(audience="advisory") == {by_group.uid}
    assert uids(audience="all") == everyone
    assert uids(strand="rp", building="oak") == set()
    assert uids(strand="", building="") == everyone | {by_group.uid}  # a form's "All"


def _query(params: dict) -> str:
    return urlencode(params)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("strand=nope", "strand"),
        ("building=nowhere", "building"),
        ("course_id=abc", "course_id"),
        ("audience=no-such-group", "audience"),
        ("month=1999-01", "month"),
    ],
)
def test_an_invalid_filter_is_a_400_naming_it(client, query, name):
    session_with_meeting()
    response = client.get(f"{CATALOG}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"Invalid filter {name}: ")


def test_unknown_parameters_are_ignored_and_share_the_feed(client):
    session_with_meeting(course__strand=f.StrandFactory(code="rp"))
    plain = client.get(f"{CATALOG}?strand=rp")
    tracked = client.get(f"{CATALOG}?utm_source=newsletter&strand=rp")
    assert tracked.status_code == 200
    assert tracked["ETag"] == plain["ETag"]
    assert tracked.content == plain.content


def test_the_catalog_feed_is_bounded_to_its_window(client, settings):
    session = f.SessionFactory()
    too_old = meeting(session, -32)
    recent = meeting(session, -29)
    ahead = meeting(session, 364)
    too_far = meeting(session, 367)

    _, cal = fetch(client, CATALOG)
    assert set(events_by_uid(cal)) == {recent.uid, ahead.uid}
    assert not {too_old.uid, too_far.uid} & set(events_by_uid(cal))

    settings.CALENDAR_FEED_DAYS_BACK = 40
    settings.CALENDAR_FEED_DAYS_AHEAD = 10
    _, cal = fetch(client, CATALOG)
    assert set(events_by_uid(cal)) == {too_old.uid, recent.uid}


def test_a_cancelled_session_shows_cancelled_in_the_catalog_until_it_ends(client):
    session, upcoming = session_with_meeting(status=SessionStatus.CANCELLED)
    past = meeting(session, -2)
    kept, _ = session_with_meeting()
    meeting(kept, -3, status=MeetingStatus.CANCELLED)

    _, cal = fetch(client, CATALOG)

    events = events_by_uid(cal)
    assert str(events[upcoming.uid]["STATUS"]) == "CANCELLED"
    assert past.uid not in events
    assert len(events) == 2


def test_a_new_meeting_changes_the_catalogs_etag(client):
    session, _ = session_with_meeting()
    first = client.get(CATALOG)
    meeting(session, 9)
    again = client.get(CATALOG, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert client.get(CATALOG, HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304


# One session


def test_one_session_downloads_as_an_attachment(client):
    session, first = session_with_meeting(course__code="rp-101")
    second = meeting(session, 10)
    url = reverse("calendars:session", kwargs={"pk": session.pk})

    response, cal = fetch(client, url)

    assert set(events_by_uid(cal)) == {first.uid, second.uid}
    assert (
        response["Content-Disposition"] == f'attachment; filename="rp-101-session-{session.pk}.ics"'
    )
    assert response["Cache-Control"].startswith("private")
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_the_download_names_a_file_with_any_characters_safely(client):
    session, _ = session_with_meeting()
    Course.objects.filter(pk=session.course_id).update(code="réunion-101")
    url = reverse("calendars:session", kwargs={"pk": session.pk})

    response, _ = fetch(client, url)

    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''r%C3%A9union-101-session-{session.pk}.ics"
    )


def test_the_session_download_is_named_after_the_title_escaped_as_text(client):
    session, _ = session_with_meeting(course__title='Math, Science; and \\ "Art"')
    url = reverse("calendars:session", kwargs={"pk": session.pk})

    response, _ = fetch(client, url)

    lines = response.content.decode().replace("\r\n ", "").split("\r\n")
    escaped = 'Math\\, Science\\; and \\\\ "Art"'
    assert f"NAME:{escaped}" in lines
    assert f"X-WR-CALNAME:{escaped}" in lines


def test_session_notes_are_only_for_signed_in_staff(client, teacher):
    session, shown = session_with_meeting(notes="Door code 4471, park behind the gym.")
    url = reverse("calendars:session", kwargs={"pk": session.pk})

    catalog, cal = fetch(client, CATALOG)
    anonymous, _ = fetch(client, url)
    client.force_login(teacher.user)
    signed_in, _ = fetch(client, url)

    assert shown.uid in events_by_uid(cal)
    assert b"4471" not in catalog.content
    assert b"4471" not in anonymous.content
    assert "Door code 4471" in signed_in.content.decode().replace("\r\n ", "")


def test_a_draft_session_downloads_only_for_those_who_may_see_it(client, district_pd):
    session, _ = session_with_meeting(status=SessionStatus.DRAFT)
    url = reverse("calendars:session", kwargs={"pk": session.pk})

    assert client.get(url).status_code == 404
    client.force_login(district_pd.user)
    fetch(client, url)
    assert client.get(reverse("calendars:session", kwargs={"pk": 999999})).status_code == 404


def test_the_online_link_is_in_a_session_download_for_staff_only(client, teacher):
    session, _ = session_with_meeting(virtual_url="https://meet.example.org/room")
    url = reverse("calendars:session", kwargs={"pk": session.pk})

    anonymous = client.get(url)
    client.force_login(teacher.user)
    signed_in = client.get(url)

    assert b"meet.example.org" not in anonymous.content
    assert b"https://meet.example.org/room" in signed_in.content
    assert anonymous["ETag"] != signed_in["ETag"]


# Queries: a fixed number, whatever the feed holds


def _distinct_sessions(count: int, *, staff=None) -> None:
    """Sessions of their own course, strand, building and facilitator, so nothing is shared."""
    for number in range(count):
        session, _ = session_with_meeting(number % 300 + 1)
        session.facilitators.add(f.StaffMemberFactory())
        if staff is not None:
            status = WAITLISTED if number % 5 == 0 else ENROLLED
            f.EnrollmentFactory(staff=staff, session=session, status=status)


def _queries(client, url: str, **headers) -> tuple[int, int]:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries.captured_queries), response.content.count(b"BEGIN:VEVENT")


def test_the_personal_feed_takes_the_same_queries_for_5_and_50_events(client, teacher, token):
    # Two calendar apps, so both fetches are written down.
    _distinct_sessions(5, staff=teacher)
    few, five = _queries(client, feed_url(token), HTTP_USER_AGENT="Google-Calendar-Importer")
    _distinct_sessions(45, staff=teacher)
    many, fifty = _queries(client, feed_url(token), HTTP_USER_AGENT="Microsoft Outlook")

    assert (five, fifty) == (5, 50)
    # Token with the generation, fetch record, meetings, facilitators.
    assert few == many == 4


def test_the_catalog_feed_takes_the_same_queries_for_5_and_50_events(client):
    strand = f.StrandFactory(code="all-of-them")
    _distinct_sessions(5)
    Course.objects.update(strand=strand)
    few, five = _queries(client, f"{CATALOG}?strand=all-of-them")
    _distinct_sessions(45)
    Course.objects.update(strand=strand)
    many, fifty = _queries(client, f"{CATALOG}?strand=all-of-them")

    assert (five, fifty) == (5, 50)
    assert few == many == 4


def test_versions_are_computed_without_reading_the_meetings(django_assert_num_queries):
    _distinct_sessions(5)
    now = timezone.now()
    with django_assert_num_queries(1):
        selectors.catalog_feed_version({}, at=now)


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_feeds_rendered_by_one_worker_are_served_by_another_through_redis(
    client, teacher, token, monkeypatch
):
    """With CACHE_URL pointing at Redis, every worker shares the rendered feeds: a second process
    (a fresh cache connection) serves the bytes the first one built."""
    from django.core.cache import caches
    from django.test import override_settings

    prefix = f"test-feeds-{uuid.uuid4().hex}"
    redis_cache = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # Other test runs share this Redis database: this test's keys are its own, and it
            # deletes only them (clear() would empty the database under the others).
            "KEY_PREFIX": prefix,
        }
    }
    f.EnrollmentFactory(staff=teacher, session=session_with_meeting()[0])
    builds = []
    real = rfc5545.calendar_bytes

    def counting(**kwargs):
        builds.append(1)
        return real(**kwargs)

    monkeypatch.setattr(rfc5545, "calendar_bytes", counting)
    with override_settings(CACHES=redis_cache):
        try:
            first = client.get(feed_url(token))
            # Another worker: a new cache handler, with its own connection to Redis.
            del caches["default"]
            second = client.get(feed_url(token))
            assert "RedisCache" in type(caches["default"]).__name__
        finally:
            del caches["default"]
            server = redis.Redis.from_url(REDIS_URL)
            kept = list(server.scan_iter(match=f"{prefix}:*"))
            if kept:
                server.delete(*kept)

    assert len(builds) == 1
    assert second.content == first.content

"""Report subscriptions: a building leader or district PD asks for the completion report weekly
or monthly with the filters of the page they were on; the worker mails it once a period with the
rates against the targets and what changed; a scope no longer theirs sends nothing and says why;
one click in the mail stops it. The numbers are those of tests/plan/test_report_pages.py's
fixture (Maple: Course One 3 of 4, Course Two 1 of 4)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plan import report_mail, services
from plan.models import Frequency, ReportSubscription
from tests.factories import CompletionFactory
from tests.plan import test_report_pages as report_pages

# The report pages' fixture district and its second building's leader.
today = report_pages.today
plan = report_pages.plan
oak_leader = report_pages.oak_leader
text_of = report_pages.text_of

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = reverse("leaders:subscriptions")
DETROIT = ZoneInfo("America/Detroit")


def monday(weeks_from_now: int = 1) -> dt.datetime:
    """A Monday at 06:30 in the district, in a week to come (so that it is a new period)."""
    day = timezone.localdate() + dt.timedelta(days=7 * weeks_from_now)
    day -= dt.timedelta(days=day.weekday())
    return dt.datetime.combine(day, dt.time(6, 30), tzinfo=DETROIT)


def subscribe(client, user, frequency="weekly", **filters) -> ReportSubscription:
    client.force_login(user)
    page = client.get(reverse("leaders:dashboard"), filters)
    (link,) = [href for href in _hrefs(page) if href.startswith(SUBSCRIPTIONS)]
    form = client.get(link)
    assert form.status_code == 200
    query = form.context["form"]["query"].value()
    response = client.post(SUBSCRIPTIONS, {"frequency": frequency, "query": query}, follow=True)
    assert response.status_code == 200, text_of(response)
    return ReportSubscription.objects.get(user=user, active=True, query=query, frequency=frequency)


def _hrefs(response) -> list[str]:
    import re
    from html import unescape

    return [unescape(h) for h in re.findall(r'href="([^"]+)"', response.content.decode())]


def test_a_leader_subscribes_from_the_report_with_its_filters(client, leader, plan):
    subscription = subscribe(client, leader.user, strand=plan["first"].course.strand.code)

    assert subscription.frequency == Frequency.WEEKLY
    assert subscription.query == f"strand={plan['first'].course.strand.code}"
    page = text_of(client.get(SUBSCRIPTIONS))
    strand = plan["first"].course.strand
    assert f"Weekly (Monday morning) : strand: {strand}." in page
    assert "The first comes next Monday morning" in page
    # Asking again for the same report keeps one subscription.
    client.post(SUBSCRIPTIONS, {"frequency": "weekly", "query": subscription.query})
    assert ReportSubscription.objects.filter(user=leader.user, active=True).count() == 1


def test_the_weekly_report_goes_out_once_a_week_with_what_changed(client, leader, plan, mailed):
    subscription = subscribe(client, leader.user)

    with mailed as outbox:
        first = services.report_subscriptions_send(now=monday(1))
        again = services.report_subscriptions_send(now=monday(1) + dt.timedelta(hours=3))

    assert (first.sent, again.sent) == (1, 0)
    (message,) = outbox
    assert message.to == [leader.email]
    assert message.subject.startswith("Completion report for Maple Elementary, ")
    body = message.body
    assert "Course One for teachers\n  3 of 4 (75.0%), target 80%: On track" in body
    assert "Course Two for teachers\n  1 of 4 (25.0%), target 50%: Behind" in body
    assert "The first report: changes show from the next one." in body
    assert f"{settings.SITE_URL}/leaders/completions.xlsx\n" in body
    assert f"{settings.SITE_URL}/leaders/\n" in body
    unsubscribe = report_mail.unsubscribe_url(subscription)
    assert unsubscribe in body
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    CompletionFactory(staff=plan["maple"][3], course=plan["first"].course)
    outbox.clear()
    with mailed as outbox:
        assert services.report_subscriptions_send(now=monday(2)).sent == 1

    (later,) = outbox
    assert "Course One for teachers\n  4 of 4 (100.0%), target 80%: Met" in later.body
    assert "+25.0 points, +1 completed" in later.body
    assert "Overall: 5 of 8 (62.5%); +12.5 points, +1 completed since" in later.body


def test_a_monthly_report_waits_for_the_first_of_the_month(client, leader, plan, mailed):
    subscribe(client, leader.user, frequency="monthly")
    start = timezone.localdate().replace(day=1)
    next_month = (start + dt.timedelta(days=32)).replace(day=1)
    first = dt.datetime.combine(next_month, dt.time(6, 30), tzinfo=DETROIT)

    with mailed as outbox:
        assert services.report_subscriptions_send(now=first - dt.timedelta(days=1)).sent == 0
        assert services.report_subscriptions_send(now=first).sent == 1
        assert services.report_subscriptions_send(now=first + dt.timedelta(days=1)).sent == 0

    assert len(outbox) == 1


def test_a_leader_who_no_longer_leads_the_building_gets_nothing_and_is_told_why(
    client, leader, other_building, plan, mailed
):
    leader.leads_buildings.add(other_building)
    subscription = subscribe(client, leader.user, building=other_building.code)
    leader.leads_buildings.remove(other_building)

    with mailed as outbox:
        outcome = services.report_subscriptions_send(now=monday(1))

    assert (outcome.sent, outcome.paused) == (0, 1)
    assert outbox == []
    subscription.refresh_from_db()
    assert subscription.paused_reason == (
        "You no longer see reports for Oak Middle, so no report was sent."
    )
    page = text_of(client.get(SUBSCRIPTIONS))
    assert "Not sent: You no longer see reports for Oak Middle" in page

    # Leading it again, the next week's report goes out.
    leader.leads_buildings.add(other_building)
    with mailed as outbox:
        assert services.report_subscriptions_send(now=monday(2)).sent == 1
    subscription.refresh_from_db()
    assert subscription.paused_reason == ""


def test_district_pd_who_left_the_group_gets_nothing(client, district_pd, plan, mailed):
    subscription = subscribe(client, district_pd.user)
    district_pd.user.groups.clear()

    with mailed as outbox:
        assert services.report_subscriptions_send(now=monday(1)).paused == 1

    assert outbox == []
    subscription.refresh_from_db()
    assert subscription.paused_reason == report_mail.MSG_NO_REPORTS


def test_one_click_in_the_mail_stops_it_without_signing_in(client, leader, plan):
    subscription = subscribe(client, leader.user)
    anonymous = Client(enforce_csrf_checks=True)
    link = report_mail.unsubscribe_url(subscription).removeprefix("http://127.0.0.1:8000")

    asked = anonymous.get(link)
    assert asked.status_code == 200
    assert "Stop the weekly completion report?" in text_of(asked)
    subscription.refresh_from_db()
    assert subscription.active  # opening the link stops nothing

    # What a mail client's one-click unsubscribe sends (RFC 8058): a POST, no CSRF token.
    stopped = anonymous.post(link, {"List-Unsubscribe": "One-Click"})
    assert stopped.status_code == 200
    assert "The report is stopped" in text_of(stopped)
    subscription.refresh_from_db()
    assert not subscription.active and subscription.stopped_at is not None


def test_a_tampered_link_stops_nothing(client, leader, plan):
    subscription = subscribe(client, leader.user)
    link = reverse("leaders:subscription-unsubscribe", args=[f"{subscription.pk}:forged"])

    assert Client().post(link).status_code == 404
    subscription.refresh_from_db()
    assert subscription.active


def test_stopping_from_the_settings_page_and_only_ones_own(client, leader, oak_leader, plan):
    mine = subscribe(client, leader.user)
    theirs = subscribe(client, oak_leader.user)

    client.force_login(leader.user)
    refused = client.post(reverse("leaders:subscription-stop", args=[theirs.pk]))
    assert refused.status_code == 404
    done = client.post(reverse("leaders:subscription-stop", args=[mine.pk]), follow=True)
    assert "Stopped the weekly report." in text_of(done)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.active, theirs.active) == (False, True)


def test_a_teacher_has_no_report_subscriptions(client, teacher):
    client.force_login(teacher.user)

    assert client.get(SUBSCRIPTIONS).status_code == 404


def test_a_filter_outside_ones_scope_is_refused_by_name(client, leader, other_building, plan):
    client.force_login(leader.user)

    response = client.post(
        SUBSCRIPTIONS, {"frequency": "weekly", "query": f"building={other_building.code}"}
    )

    assert response.status_code == 400
    assert (
        f"building: Select a valid choice. {other_building.code} is not one of the available "
        "choices." in text_of(response)
    )
    assert not ReportSubscription.objects.exists()


def test_no_frequency_is_named(client, leader, plan):
    client.force_login(leader.user)

    response = client.post(SUBSCRIPTIONS, {"query": ""})

    assert response.status_code == 400
    assert "Choose weekly or monthly." in text_of(response)


def test_the_job_on_the_schedule_sends_what_is_due_today(client, district_pd, plan, mailed):
    from plan import tasks

    fresh = subscribe(client, district_pd.user)
    older = subscribe(client, district_pd.user, frequency="monthly")
    # Subscribed in an earlier month: this month's report is due.
    ReportSubscription.objects.filter(pk=older.pk).update(last_period="2000-01")

    with mailed as outbox:
        result = tasks.send_report_subscriptions.call()

    # The one subscribed this week waits for next week.
    assert result == {"sent": 1, "paused": 0}
    (message,) = outbox
    assert message.subject.startswith("Completion report for Birmingham Public Schools, ")
    fresh.refresh_from_db()
    assert fresh.last_sent_at is None

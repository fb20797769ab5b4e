"""Subscribing, as a person does it: the "Your calendar" panel of /me/ for each delivery choice,
the subscribe links, rotating and revoking the feed address behind a confirmation, changing
the delivery, and the catalog's and session page's calendar links."""

import datetime as dt
import html
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from calendars import services
from calendars.models import FeedToken
from catalog.choices import SessionStatus
from learning.choices import CalendarDelivery
from tests.factories import (
    FeedTokenFactory,
    MeetingFactory,
    SessionFactory,
    StaffMemberFactory,
    StrandFactory,
    login_for,
)

pytestmark = pytest.mark.django_db

ME = reverse("enrollment:me")
PANEL = ME + "#calendar"
DELIVERY = reverse("calendars:delivery")
ROTATE = reverse("calendars:rotate")
REVOKE = reverse("calendars:revoke")
CATALOG = reverse("catalog:index")


def text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def panel(response) -> str:
    """The HTML of the "Your calendar" panel."""
    match = re.search(r'<section[^>]*id="calendar".*?</section>', response.content.decode(), re.S)
    assert match, "no calendar panel on the page"
    return html.unescape(match.group(0))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def feed_url(key: str) -> str:
    return reverse("calendars:feed", kwargs={"key": key})


def hrefs(fragment: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', fragment)


@pytest.fixture
def signed_in(client, teacher):
    client.force_login(teacher.user)
    return client


# The panel


def test_feed_panel_offers_every_way_to_subscribe(signed_in, teacher):
    response = signed_in.get(ME)

    token = FeedToken.objects.get(staff=teacher)
    https = settings.SITE_URL + feed_url(token.key)
    webcal = "webcal://" + https.split("://", 1)[1]
    part = panel(response)
    links = hrefs(part)
    assert webcal in links
    assert f"https://calendar.google.com/calendar/r?cid={quote(webcal, safe='')}" in links
    [outlook] = [link for link in links if link.startswith("https://outlook.office.com/")]
    parts = urlsplit(outlook)
    assert parts.path == "/calendar/addcalendar"
    query = parse_qs(parts.query)
    assert query["url"] == [https]
    assert query["name"] == [f"My professional learning ({settings.DISTRICT_NAME})"]
    # The plain https address in a read-only field, selectable without JavaScript.
    field = re.search(r'<input type="text" id="feed-url"[^>]*>', part).group(0)
    assert f'value="{https}"' in field
    assert "readonly" in field
    assert re.search(r'<button type="button"[^>]*data-copy="feed-url"[^>]*hidden', part)
    page = text(response)
    for client in ("Google Calendar", "Outlook", "Apple Calendar", "Thunderbird"):
        assert client in page
    assert "Add to Google Calendar" in page
    assert "Add to Outlook" in page
    assert "No calendar app has fetched your feed yet." in page
    assert f'href="{ROTATE}"' in part
    assert f'href="{REVOKE}"' in part
    assert f'action="{DELIVERY}"' in part
    assert re.search(r'value="feed"[^>]*checked', part)


def test_the_copy_button_is_a_static_script_not_inline(signed_in):
    body = signed_in.get(ME).content.decode()

    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", body, re.S)
    assert any('src="/static/js/copy.js"' in attrs for attrs, _ in scripts)
    assert all(
        re.search(r'src="/static/js/[a-z-]+\.js"', attrs) and not inline.strip()
        for attrs, inline in scripts
    )
    assert "onclick" not in body


def test_the_panel_says_when_and_by_what_the_feed_was_last_fetched(signed_in, teacher):
    FeedTokenFactory(
        staff=teacher,
        last_fetched_at=timezone.now() - dt.timedelta(hours=9, minutes=12),
        last_client="Google-Calendar-Importer",
    )

    page = text(signed_in.get(ME))

    assert (
        "Your calendar app last refreshed 9 hours ago (Google-Calendar-Importer); "
        "Google can take up to a day." in page
    )


def test_opening_the_panel_again_keeps_the_same_address(signed_in, teacher):
    signed_in.get(ME)
    key = FeedToken.objects.get(staff=teacher).key

    signed_in.get(ME)

    assert list(FeedToken.objects.filter(staff=teacher).values_list("key", flat=True)) == [key]


def test_invitations_panel_says_so_and_has_no_feed(signed_in, teacher):
    teacher.calendar_delivery = CalendarDelivery.INVITATIONS
    teacher.save()

    response = signed_in.get(ME)

    part = panel(response)
    assert "invitations by mail" in text(response)
    assert "webcal://" not in part
    assert "/calendars/feed/" not in part
    assert f'href="{ROTATE}"' not in part
    assert re.search(r'value="invitations"[^>]*checked', part)
    assert not FeedToken.objects.filter(staff=teacher).exists()


def test_none_panel_says_so_and_how_to_change(signed_in, teacher):
    teacher.calendar_delivery = CalendarDelivery.NONE
    teacher.save()

    response = signed_in.get(ME)

    part = panel(response)
    page = text(response)
    assert "We do not put your sessions in your calendar" in page
    assert "choose the feed or invitations by mail below" in page
    assert "/calendars/feed/" not in part
    assert re.search(r'value="none"[^>]*checked', part)
    assert not FeedToken.objects.filter(staff=teacher).exists()


def test_another_persons_address_is_never_shown_or_touched(signed_in, teacher, building):
    other = FeedTokenFactory(staff=StaffMemberFactory(building=building))
    login_for(other.staff)
    key = other.key

    body = signed_in.get(ME).content.decode()
    signed_in.post(ROTATE)
    signed_in.post(REVOKE)

    assert key not in body
    other.refresh_from_db()
    assert other.key == key
    assert FeedToken.objects.filter(staff=other.staff).exists()


# Choosing the delivery


def test_choosing_invitations_revokes_the_feed_address(signed_in, teacher):
    token = FeedTokenFactory(staff=teacher)

    response = signed_in.post(DELIVERY, {"delivery": "invitations"}, follow=True)

    assert response.redirect_chain == [(PANEL, 302)]
    assert messages_of(response)[0].startswith("Your sessions now come as invitations by mail")
    teacher.refresh_from_db()
    assert teacher.calendar_delivery == CalendarDelivery.INVITATIONS
    assert not FeedToken.objects.filter(staff=teacher).exists()
    assert signed_in.get(feed_url(token.key)).status_code == 404


def test_choosing_neither_revokes_the_feed_address(signed_in, teacher):
    FeedTokenFactory(staff=teacher)

    response = signed_in.post(DELIVERY, {"delivery": "none"}, follow=True)

    assert messages_of(response)[0].startswith("We no longer put your sessions in your calendar.")
    teacher.refresh_from_db()
    assert teacher.calendar_delivery == CalendarDelivery.NONE
    assert not FeedToken.objects.filter(staff=teacher).exists()


def test_choosing_the_feed_again_makes_a_new_address(signed_in, teacher):
    old = FeedTokenFactory(staff=teacher).key
    signed_in.post(DELIVERY, {"delivery": "invitations"})

    response = signed_in.post(DELIVERY, {"delivery": "feed"}, follow=True)

    assert messages_of(response)[-1].startswith("Your sessions now come through your calendar feed")
    token = FeedToken.objects.get(staff=teacher)
    assert token.key != old
    assert signed_in.get(feed_url(old)).status_code == 404
    assert signed_in.get(feed_url(token.key)).status_code == 200
    assert settings.SITE_URL + feed_url(token.key) in panel(response)


@pytest.mark.parametrize("data", [{}, {"delivery": "carrier-pigeon"}])
def test_an_unknown_choice_changes_nothing(signed_in, teacher, data):
    token = FeedTokenFactory(staff=teacher)

    response = signed_in.post(DELIVERY, data, follow=True)

    assert messages_of(response) == ["Choose the feed, invitations by mail, or neither."]
    teacher.refresh_from_db()
    assert teacher.calendar_delivery == CalendarDelivery.FEED
    assert FeedToken.objects.get(staff=teacher).key == token.key


def test_delivery_only_takes_a_post(signed_in):
    assert signed_in.get(DELIVERY).status_code == 405


def test_the_service_lets_only_the_person_choose(teacher, leader):
    with pytest.raises(PermissionDenied):
        services.calendar_delivery_set(
            staff=teacher, delivery=CalendarDelivery.NONE, actor=leader.user
        )
    with pytest.raises(ValidationError):
        services.calendar_delivery_set(staff=teacher, delivery="fax", actor=teacher.user)
    teacher.refresh_from_db()
    assert teacher.calendar_delivery == CalendarDelivery.FEED


def test_feed_token_for_makes_one_only_for_the_feed(teacher):
    token = services.feed_token_for(staff=teacher)
    assert services.feed_token_for(staff=teacher) == token
    teacher.calendar_delivery = CalendarDelivery.INVITATIONS
    assert services.feed_token_for(staff=teacher) is None


# Rotating and revoking


def test_rotating_asks_first_then_retires_the_old_address(signed_in, teacher):
    token = FeedTokenFactory(staff=teacher)
    old = token.key
    assert signed_in.get(feed_url(old)).status_code == 200

    confirm = signed_in.get(ROTATE)

    assert confirm.status_code == 200
    page = text(confirm)
    assert "The old address stops working at once" in page
    assert "give your calendar app the new address" in page
    assert f'action="{ROTATE}"' in confirm.content.decode()
    assert FeedToken.objects.get(staff=teacher).key == old

    response = signed_in.post(ROTATE, follow=True)

    assert response.redirect_chain == [(PANEL, 302)]
    assert messages_of(response) == [
        "Your calendar feed has a new address and the old one no longer works. "
        "Give your calendar app the new address below."
    ]
    new = FeedToken.objects.get(staff=teacher).key
    assert new != old
    assert signed_in.get(feed_url(old)).status_code == 404
    assert signed_in.get(feed_url(new)).status_code == 200
    assert old not in response.content.decode()
    assert settings.SITE_URL + feed_url(new) in panel(response)


def test_revoking_asks_first_then_stops_the_feed(signed_in, teacher):
    token = FeedTokenFactory(staff=teacher)
    assert signed_in.get(feed_url(token.key)).status_code == 200

    confirm = signed_in.get(REVOKE)

    assert "Its address stops working at once" in text(confirm)
    assert FeedToken.objects.filter(staff=teacher).exists()

    response = signed_in.post(REVOKE, follow=True)

    assert response.redirect_chain == [(PANEL, 302)]
    assert messages_of(response)[0].startswith("Your calendar feed address is revoked")
    assert not FeedToken.objects.filter(staff=teacher).exists()
    assert signed_in.get(feed_url(token.key)).status_code == 404
    teacher.refresh_from_db()
    # Stopped, not replaced: opening /me/ again makes no new address.
    assert teacher.calendar_delivery == CalendarDelivery.NONE
    assert "/calendars/feed/" not in panel(response)


@pytest.mark.parametrize("url", [ROTATE, REVOKE])
def test_without_an_address_there_is_nothing_to_rotate_or_revoke(signed_in, teacher, url):
    teacher.calendar_delivery = CalendarDelivery.INVITATIONS
    teacher.save()

    for method in (signed_in.get, signed_in.post):
        response = method(url, follow=True)
        assert response.redirect_chain == [(PANEL, 302)]
        assert messages_of(response) == [
            "You have no calendar feed address right now. "
            "Choose “Subscribe to my calendar feed” to get one."
        ]
    assert not FeedToken.objects.exists()


# Who may


@pytest.mark.parametrize("url", [ROTATE, REVOKE])
def test_anonymous_is_sent_to_sign_in(client, url):
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_anonymous_delivery_post_is_sent_to_sign_in_then_the_panel(client):
    response = client.post(DELIVERY, {"delivery": "none"})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={quote(PANEL, safe='/')}"


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", DELIVERY), ("get", ROTATE), ("post", ROTATE), ("get", REVOKE), ("post", REVOKE)],
)
def test_a_login_without_a_staff_record_is_told_why(client, method, url):
    client.force_login(login_for(None))

    response = getattr(client, method)(url, {"delivery": "none"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == ME
    assert messages_of(response) == [
        "Your login is not linked to a staff record, so it has no calendar. "
        "Ask district PD or HR to link your login to your staff record."
    ]
    assert not FeedToken.objects.exists()


# The catalog and session pages


def test_the_catalog_offers_its_filtered_feed(client):
    StrandFactory(code="crt", name="Culturally Responsive Teaching")
    month = timezone.localdate().strftime("%Y-%m")

    response = client.get(
        CATALOG, {"strand": "crt", "q": "circles", "building": "", "month": month}
    )

    https = settings.SITE_URL + reverse("calendars:catalog")
    links = hrefs(html.unescape(response.content.decode()))
    [offered] = [link for link in links if link.startswith(https + "?")]
    # The month on screen is left out: the feed keeps its own date window.
    assert parse_qs(urlsplit(offered).query) == {"strand": ["crt"], "q": ["circles"]}
    assert "webcal://" + offered.split("://", 1)[1] in links
    assert client.get(offered).status_code == 200
    page = text(response)
    assert "Subscribe to these sessions" in page
    assert "8 to 24 hours" in page
    assert "30 days back to a year ahead, whatever month is shown here" in page


def test_the_unfiltered_catalog_offers_the_whole_feed(client):
    response = client.get(CATALOG)

    https = settings.SITE_URL + reverse("calendars:catalog")
    assert https in hrefs(html.unescape(response.content.decode()))
    assert "of the whole catalog" in text(response)


def test_invalid_filters_offer_no_feed(client):
    response = client.get(CATALOG, {"strand": "no-such-strand"})

    assert "Subscribe to these sessions" not in text(response)


def test_the_session_page_offers_add_to_my_calendar(client):
    session = SessionFactory()
    MeetingFactory(session=session)

    response = client.get(reverse("catalog:session", args=[session.pk]))

    assert f'href="{reverse("calendars:session", args=[session.pk])}"' in response.content.decode()
    assert "Add to my calendar" in text(response)


def test_a_cancelled_session_offers_no_calendar_link(client):
    session = SessionFactory(status=SessionStatus.CANCELLED)
    MeetingFactory(session=session)

    response = client.get(reverse("catalog:session", args=[session.pk]))

    assert "Add to my calendar" not in text(response)


def test_the_panels_forms_post_with_the_pages_csrf_token(teacher):
    """The panel is rendered by the calendars app's own tag on /me/: its forms carry the page's
    CSRF token, and a client that checks CSRF can post them."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(teacher.user)
    fragment = panel(client.get(ME))
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', fragment)

    assert tokens and len(set(tokens)) == 1
    response = client.post(
        reverse("calendars:rotate"), {"csrfmiddlewaretoken": tokens[0]}, follow=False
    )
    assert response.status_code == 302

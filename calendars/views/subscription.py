"""A person's own calendar settings: the "Your calendar" panel of /me/, the choice between the
feed, invitations by mail or neither, and rotating or revoking the feed's secret address. Each
acts on the signed-in person's own record only: no URL here takes a person or a token."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timesince import timesince
from django.views.decorators.http import require_http_methods, require_POST

from learning import access
from learning.choices import CalendarDelivery
from learning.models import StaffMember

from .. import services
from ..forms import DeliveryForm
from ..links import FeedLinks, feed_links
from ..models import FeedToken
from .feeds import PERSONAL_NAME

MSG_NO_STAFF_RECORD = (
    "Your login is not linked to a staff record, so it has no calendar. "
    "Ask district PD or HR to link your login to your staff record."
)
MSG_NO_FEED = (
    "You have no calendar feed address right now. "
    "Choose “Subscribe to my calendar feed” to get one."
)
MSG_ROTATED = (
    "Your calendar feed has a new address and the old one no longer works. "
    "Give your calendar app the new address below."
)
MSG_REVOKED = (
    "Your calendar feed address is revoked and no longer works; remove the subscription from "
    "your calendar app. To subscribe again, choose the calendar feed: you get a new address."
)
MSG_DELIVERY_INVALID = "Choose the feed, invitations by mail, or neither."
# After a change away from the feed its address is dead: said so, or events would show twice.
MSG_OLD_FEED_GONE = (
    " If you subscribed to the feed, that address no longer works: remove it from your calendar "
    "app."
)
MSG_DELIVERY = {
    CalendarDelivery.FEED: (
        "Your sessions now come through your calendar feed. "
        "Subscribe to it from your calendar app with the address below."
    ),
    CalendarDelivery.INVITATIONS: (
        "Your sessions now come as invitations by mail, from your next enrollment or change on."
        + MSG_OLD_FEED_GONE
    ),
    CalendarDelivery.NONE: "We no longer put your sessions in your calendar." + MSG_OLD_FEED_GONE,
}


def _panel_url() -> str:
    return reverse("enrollment:me") + "#calendar"


@dataclass(frozen=True)
class SubscriptionPanel:
    """What the "Your calendar" panel of /me/ shows."""

    delivery: str
    token: FeedToken | None
    links: FeedLinks | None
    # "9 hours": how long ago a calendar app last fetched the feed, if ever.
    last_fetched_ago: str
    form: DeliveryForm


def subscription_panel(*, staff: StaffMember, now: dt.datetime) -> SubscriptionPanel:
    """The panel of a person's own calendar settings. Makes their feed token on first need."""
    token = services.feed_token_for(staff=staff)
    links = None
    ago = ""
    if token is not None:
        links = feed_links(
            reverse("calendars:feed", kwargs={"key": token.key}),
            name=PERSONAL_NAME.format(district=settings.DISTRICT_NAME),
        )
        if token.last_fetched_at is not None:
            ago = timesince(token.last_fetched_at, now, depth=1)
    return SubscriptionPanel(
        delivery=staff.calendar_delivery,
        token=token,
        links=links,
        last_fetched_ago=ago,
        form=DeliveryForm(initial={"delivery": staff.calendar_delivery}),
    )


@require_POST
def delivery(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        # Back to the panel after signing in: this URL only takes a POST.
        return redirect_to_login(_panel_url())
    staff = access.staff_of(request.user)
    if staff is None:
        messages.error(request, MSG_NO_STAFF_RECORD)
        return redirect("enrollment:me")
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        messages.error(request, MSG_DELIVERY_INVALID)
        return redirect(_panel_url())
    choice = form.cleaned_data["delivery"]
    services.calendar_delivery_set(staff=staff, delivery=choice, actor=request.user)
    messages.success(request, MSG_DELIVERY[choice])
    return redirect(_panel_url())


def _own_token(request: HttpRequest) -> tuple[StaffMember, FeedToken] | HttpResponse:
    """The signed-in person and their token, or the redirect that says why there is none."""
    staff = access.staff_of(request.user)
    if staff is None:
        messages.error(request, MSG_NO_STAFF_RECORD)
        return redirect("enrollment:me")
    token = FeedToken.objects.filter(staff=staff).first()
    if token is None:
        messages.error(request, MSG_NO_FEED)
        return redirect(_panel_url())
    return staff, token


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def rotate(request: HttpRequest) -> HttpResponse:
    found = _own_token(request)
    if isinstance(found, HttpResponse):
        return found
    _staff, token = found
    if request.method == "POST":
        services.feed_token_rotate(token=token)
        messages.success(request, MSG_ROTATED)
        return redirect(_panel_url())
    return render(
        request,
        "calendars/confirm.html",
        {
            "title": "Get a new calendar feed address?",
            "action": reverse("calendars:rotate"),
            "submit": "Get a new address",
            "kind": "rotate",
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def revoke(request: HttpRequest) -> HttpResponse:
    found = _own_token(request)
    if isinstance(found, HttpResponse):
        return found
    staff, _token = found
    if request.method == "POST":
        # Revoking stops the feed: with the feed still chosen, /me/ would hand out a new address
        # at once. Choosing the feed again makes one.
        services.calendar_delivery_set(
            staff=staff, delivery=CalendarDelivery.NONE, actor=request.user
        )
        messages.success(request, MSG_REVOKED)
        return redirect(_panel_url())
    return render(
        request,
        "calendars/confirm.html",
        {
            "title": "Revoke your calendar feed address?",
            "action": reverse("calendars:revoke"),
            "submit": "Revoke the address",
            "kind": "revoke",
        },
    )

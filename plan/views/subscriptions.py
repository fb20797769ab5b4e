"""/leaders/subscriptions/: the completion report by mail, weekly or monthly, with the filters of
the report page it was asked from; and the one-click stop from the mail, which needs no sign-in
(its link is signed)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from learning.selectors import mail_address
from plan import report_mail, selectors, services
from plan.models import Frequency, ReportSubscription
from plan.views.common import require_reports

MSG_SUBSCRIBED = "Subscribed: the {frequency} report comes {when}, to {email}."
MSG_STOPPED = "Stopped the {frequency} report."
WHEN = {Frequency.WEEKLY: "each Monday morning", Frequency.MONTHLY: "on the first of each month"}
FIRST = {Frequency.WEEKLY: "next Monday morning", Frequency.MONTHLY: "on the first of next month"}


class SubscriptionForm(forms.Form):
    frequency = forms.ChoiceField(
        choices=Frequency.choices,
        widget=forms.RadioSelect,
        initial=Frequency.WEEKLY,
        label="How often",
        error_messages={"required": "Choose weekly or monthly."},
    )
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    require_reports(request)
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            try:
                subscription = services.report_subscription_create(
                    user=request.user,
                    frequency=form.cleaned_data["frequency"],
                    query=form.cleaned_data["query"],
                )
            except ValidationError as error:
                named = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
                for name, found in named.items():
                    for message in found:
                        form.add_error(None, f"{name}: {message}" if name else message)
            else:
                messages.success(
                    request,
                    MSG_SUBSCRIBED.format(
                        frequency=subscription.frequency,
                        when=WHEN[subscription.frequency],
                        email=mail_address(request.user),
                    ),
                )
                return redirect("leaders:subscriptions")
        status = 400
    else:
        form = SubscriptionForm(initial={"query": report_mail.query_from(request.GET)})
        status = 200
    query = form["query"].value() or ""
    context = {
        "form": form,
        "asked_filters": report_mail.describe_query(query),
        "report_url": reverse("leaders:dashboard") + (f"?{query}" if query else ""),
        "subscriptions": [
            {
                "subscription": subscription,
                "filters": report_mail.describe_query(subscription.query),
                "first": FIRST[subscription.frequency],
            }
            for subscription in selectors.report_subscriptions_of(request.user)
        ],
        "email": mail_address(request.user),
    }
    return render(request, "plan/subscriptions.html", context, status=status)


@login_required
@require_POST
def subscription_stop(request: HttpRequest, pk: int) -> HttpResponse:
    require_reports(request)
    subscription = get_object_or_404(ReportSubscription, pk=pk, user=request.user, active=True)
    services.report_subscription_stop(subscription=subscription)
    messages.success(request, MSG_STOPPED.format(frequency=subscription.frequency))
    return redirect("leaders:subscriptions")


@csrf_exempt  # the signed link is the credential; mail clients post to it (RFC 8058)
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a link scanner opening the mail stops nothing); POST stops."""
    subscription = report_mail.subscription_for_token(token)
    if subscription is None:
        raise Http404("This link is not valid. Sign in to see your report subscriptions.")
    stopped = False
    if request.method == "POST":
        services.report_subscription_stop(subscription=subscription)
        stopped = True
    context = {
        "subscription": subscription,
        "filters": report_mail.describe_query(subscription.query),
        "stopped": stopped or not subscription.active,
    }
    return render(request, "plan/unsubscribe.html", context)

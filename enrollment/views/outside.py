"""Outside learning: a person submits an activity done elsewhere, with evidence, and follows it
on their page; district PD reviews them (approve, with the hours, or decline with a reason). The
evidence is served only to its owner, district PD and administrators."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from catalog.models import Strand
from core.refusals import Refusal
from learning import access

from .. import selectors, services
from ..models import OutsideActivity

MSG_SUBMITTED = "Submitted for review: {title}. District PD decides, and you get a mail either way."
MSG_APPROVED = "Approved: {title} ({name}), {hours} clock hours."
MSG_DECLINED = "Declined: {title} ({name}). They are mailed the reason."


class OutsideActivityForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="e.g. the conference's or the course's name.")
    provider = forms.CharField(
        max_length=200, label="Offered by", help_text="e.g. Oakland University, MiASCD."
    )
    starts_on = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(
        label="Hours",
        max_digits=6,
        decimal_places=2,
        help_text="The hours of learning, breaks and meals left out.",
    )
    strand = forms.ModelChoiceField(
        queryset=Strand.objects.order_by("order", "name"),
        label="Strand of the plan",
        empty_label="Choose the strand it serves",
    )
    description = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What you learned (optional)",
    )
    evidence = forms.FileField(
        label="Evidence",
        help_text="A certificate, transcript or agenda: a PDF, or a photo (PNG or JPEG), "
        "at most 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def outside(request: HttpRequest) -> HttpResponse:
    staff = access.staff_of(request.user)
    if staff is None:
        raise Http404("This login has no staff record.")
    status = 200
    if request.method == "POST":
        form = OutsideActivityForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                activity = services.outside_activity_submit(
                    staff=staff,
                    actor=request.user,
                    title=data["title"],
                    provider=data["provider"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    hours=data["hours"],
                    strand=data["strand"],
                    description=data["description"],
                    evidence=data["evidence"],
                )
            except Refusal as refusal:
                form.add_error(refusal.details.get("field"), refusal.message)
            else:
                messages.success(request, MSG_SUBMITTED.format(title=activity.title))
                return redirect("enrollment:outside")
        status = 400
    else:
        form = OutsideActivityForm()
    return render(
        request,
        "enrollment/outside.html",
        {"form": form, "activities": selectors.my_outside_activities(staff=staff)},
        status=status,
    )


@never_cache
@login_required
@require_safe
def outside_evidence(request: HttpRequest, pk: int) -> FileResponse:
    try:
        activity = selectors.outside_activity_for(user=request.user, pk=pk)
    except OutsideActivity.DoesNotExist:
        raise Http404("No such outside activity.") from None
    try:
        handle = activity.evidence.open("rb")
    except FileNotFoundError:
        raise Http404("The evidence file is missing.") from None
    # A photo is shown in the browser; a PDF is downloaded (a browser's PDF viewer does not run
    # in the sandbox that keeps anything in the file from running as this site).
    response = FileResponse(
        handle,
        content_type=activity.evidence_type,
        filename=activity.evidence_name,
        as_attachment=activity.evidence_type == "application/pdf",
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _district_pd(request: HttpRequest) -> None:
    if not access.is_district_pd(request.user):
        raise Http404("Only district PD reviews outside learning.")


@login_required
@require_safe
def outside_review(request: HttpRequest) -> HttpResponse:
    _district_pd(request)
    waiting, decided = selectors.outside_review()
    return render(
        request, "enrollment/outside_review.html", {"waiting": waiting, "decided": decided}
    )


def _reviewed(request: HttpRequest, pk: int) -> OutsideActivity:
    _district_pd(request)
    try:
        return selectors.outside_activity_for(user=request.user, pk=pk)
    except OutsideActivity.DoesNotExist:
        raise Http404("No such outside activity.") from None


@login_required
@require_POST
def outside_approve(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _reviewed(request, pk)
    hours = request.POST.get("hours", "").strip() or None
    try:
        approved = services.outside_activity_approve(
            activity=activity, actor=request.user, hours=hours
        )
    except Refusal as refusal:
        messages.error(request, f"{activity.title}: {refusal.message}")
    else:
        messages.success(
            request,
            MSG_APPROVED.format(
                title=approved.title,
                name=approved.staff.display_name,
                hours=f"{approved.approved_hours.normalize():f}",
            ),
        )
    return redirect("enrollment:outside-review")


@login_required
@require_POST
def outside_decline(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _reviewed(request, pk)
    try:
        services.outside_activity_decline(
            activity=activity, actor=request.user, reason=request.POST.get("reason", "")
        )
    except Refusal as refusal:
        messages.error(request, f"{activity.title}: {refusal.message}")
    else:
        messages.success(
            request, MSG_DECLINED.format(title=activity.title, name=activity.staff.display_name)
        )
    return redirect("enrollment:outside-review")

"""A person's own pages: enrolling and withdrawing, /me/, the transcript (page and xlsx), the
evaluation form, certificates, and the public verification of a certificate's code."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from catalog import access as session_access
from catalog.models import Session
from core.refusals import Refusal
from core.text import moment
from learning import access
from learning.models import StaffMember

from .. import certificates, selectors, services
from ..choices import EnrollmentStatus
from ..exporters import TranscriptExporter
from ..models import (
    COMMENT_MAX_LENGTH,
    REQUEST_NOTE_MAX_LENGTH,
    Completion,
    Enrollment,
    Evaluation,
)
from .common import safe_next

MSG_NO_STAFF_RECORD = (
    "Your login is not linked to a staff record, so you cannot enroll yourself. "
    "Ask district PD to link your login to your staff record."
)
MSG_ENROLLED = "You are enrolled in {session}."
MSG_NOTE_TOO_LONG = (
    "Your note to your building leader is {length} characters long; it may be at most {most}. "
    "Nothing was requested."
)
MSG_WAITLISTED = "You are on the waitlist for {session}: number {position}."
MSG_PENDING = (
    "Your request for {session} waits for your building leader's approval; "
    "your seat is held until {until}."
)
MSG_WITHDRAWN = "You are withdrawn from {session}."
MSG_LEFT_WAITLIST = "You left the waitlist for {session}."
MSG_REQUEST_WITHDRAWN = "Your request for {session} is withdrawn."
MSG_EVALUATION_THANKS = "Thank you: your evaluation of {session} is in."
MSG_EVALUATION_CREDITED = (
    "Thank you: your evaluation of {session} is in, and your clock hours are credited."
)
MSG_CODE_INVALID = "A verification code is made of letters and digits, like 7KXM4PQ2RT9H."

# Codes are printed in groups or typed by hand; spaces and dashes are not part of them.
CODE_SEPARATORS = re.compile(r"[\s\-]+")
CODE_SHAPE = re.compile(r"[A-Z0-9]{1,16}")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _session_url(session_id: int) -> str:
    return reverse("catalog:session", args=[session_id])


def _no_staff_page(request: HttpRequest, title: str) -> HttpResponse:
    return render(request, "enrollment/no_staff.html", {"title": title})


# Enrolling and withdrawing


def _placement_message(placement: services.Placement, session: Session) -> str:
    enrollment = placement.enrollment
    name = session.display_title
    if enrollment.status == EnrollmentStatus.WAITLISTED:
        return MSG_WAITLISTED.format(session=name, position=placement.waitlist_position)
    if enrollment.status == EnrollmentStatus.PENDING_APPROVAL:
        return MSG_PENDING.format(session=name, until=moment(enrollment.hold_expires_at))
    return MSG_ENROLLED.format(session=name)


@require_POST
def enroll(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(
        session_access.visible_sessions(request.user).select_related("course"), pk=pk
    )
    if not request.user.is_authenticated:
        # Back to the session page after signing in: the enroll URL itself only takes a POST.
        return redirect_to_login(_session_url(session.pk))
    staff = access.staff_of(request.user)
    if staff is None:
        messages.error(request, MSG_NO_STAFF_RECORD)
        return redirect("catalog:session", pk=session.pk)
    note = request.POST.get("note", "")
    if len(note) > REQUEST_NOTE_MAX_LENGTH:
        messages.error(
            request, MSG_NOTE_TOO_LONG.format(length=len(note), most=REQUEST_NOTE_MAX_LENGTH)
        )
        return redirect("catalog:session", pk=session.pk)
    try:
        placement = services.enrollment_create(
            staff=staff, session=session, actor=request.user, note=note
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _placement_message(placement, session))
    return redirect("catalog:session", pk=session.pk)


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks first, saying what withdrawing gives up (a seat, a waitlist place, a request);
    POST withdraws."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("enrollment:me"))
    try:
        enrollment = selectors.own_enrollment(user=request.user, pk=pk)
    except Enrollment.DoesNotExist:
        raise Http404("No such enrollment of yours.") from None
    back = safe_next(request) or _session_url(enrollment.session_id)
    if request.method == "GET":
        return render(
            request,
            "enrollment/withdraw_confirm.html",
            {
                "enrollment": enrollment,
                "session": enrollment.session,
                "loss": selectors.withdrawal_loss(enrollment),
                "back": back,
            },
        )
    was = enrollment.status
    name = enrollment.session.display_title
    try:
        services.enrollment_withdraw(enrollment=enrollment, actor=request.user)
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        template = {
            EnrollmentStatus.WAITLISTED: MSG_LEFT_WAITLIST,
            EnrollmentStatus.PENDING_APPROVAL: MSG_REQUEST_WITHDRAWN,
        }.get(was, MSG_WITHDRAWN)
        messages.success(request, template.format(session=name))
    return redirect(back)


# My learning and the transcript


@login_required
@require_safe
def me(request: HttpRequest) -> HttpResponse:
    staff = access.staff_of(request.user)
    if staff is None:
        return _no_staff_page(request, "My learning")
    now = timezone.now()
    page = selectors.my_learning(staff=staff, at=now)
    return render(
        request,
        "enrollment/me.html",
        {
            "page": page,
            "requirements": selectors.my_requirements(user=request.user, staff=staff, at=now),
            "staff": staff,
            "now": now,
            "has_places": any(
                [
                    page.upcoming,
                    page.pending,
                    page.waitlisted,
                    page.awaiting_evaluation,
                    page.in_progress,
                ]
            ),
        },
    )


@login_required
@require_safe
def transcript(request: HttpRequest) -> HttpResponse:
    staff = access.staff_of(request.user)
    if staff is None:
        return _no_staff_page(request, "Transcript")
    return render(
        request,
        "enrollment/transcript.html",
        {
            "transcript": selectors.transcript(staff=staff),
            "as_of": timezone.localdate(),
        },
    )


@login_required
@require_safe
def staff_transcript(request: HttpRequest, pk: int) -> HttpResponse:
    """Someone else's transcript, for those who may read their record: their building leaders
    and district PD (and the person). Anyone else gets the 404 of a person who does not
    exist."""
    try:
        staff = access.record_staff(request.user).select_related("building").get(pk=pk)
    except StaffMember.DoesNotExist:
        raise Http404("No such person.") from None
    return render(
        request,
        "enrollment/transcript.html",
        {
            "transcript": selectors.transcript(staff=staff),
            "as_of": timezone.localdate(),
            "someone_else": staff.pk != getattr(access.staff_of(request.user), "pk", None),
        },
    )


@login_required
@require_safe
def transcript_xlsx(request: HttpRequest) -> HttpResponse:
    staff = access.staff_of(request.user)
    if staff is None:
        return _no_staff_page(request, "Transcript")
    export = TranscriptExporter(
        transcript=selectors.transcript(staff=staff), as_of=timezone.localdate()
    ).xlsx()
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


# Evaluation


RATING_CHOICES = [
    (1, "1 — Strongly disagree"),
    (2, "2 — Disagree"),
    (3, "3 — Neutral"),
    (4, "4 — Agree"),
    (5, "5 — Strongly agree"),
]


def _rating_field(name: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=Evaluation._meta.get_field(name).help_text,
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a rating from 1 to 5."},
    )


class EvaluationForm(forms.Form):
    content_rating = _rating_field("content_rating")
    facilitator_rating = _rating_field("facilitator_rating")
    relevance_rating = _rating_field("relevance_rating")
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What worked, and what would you change?",
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def evaluation_form(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        enrollment = selectors.own_enrollment(user=request.user, pk=pk)
    except Enrollment.DoesNotExist:
        raise Http404("No such enrollment of yours.") from None
    refusal = None
    status = 200
    form = EvaluationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.evaluation_submit(
                enrollment=enrollment, actor=request.user, **form.cleaned_data
            )
        except Refusal as error:
            if error.status == 404:
                raise Http404(error.message) from None
            refusal, status = error, error.status
        else:
            current = selectors.own_enrollment(user=request.user, pk=pk)
            credited = current.status == EnrollmentStatus.COMPLETED
            template = MSG_EVALUATION_CREDITED if credited else MSG_EVALUATION_THANKS
            messages.success(request, template.format(session=enrollment.session.display_title))
            return redirect("enrollment:me")
    last_end = enrollment.last_ends_at
    return render(
        request,
        "enrollment/evaluation.html",
        {
            "enrollment": enrollment,
            "session": enrollment.session,
            "form": form,
            "refusal": refusal,
            # What the page can tell before a submit; the service decides on the submit itself.
            "already_in": enrollment.has_evaluation and refusal is None,
            "opens_at": last_end if last_end and last_end > timezone.now() else None,
            "minimum_responses": settings.EVALUATION_MIN_RESPONSES,
        },
        status=status,
    )


# Certificates and their verification


@login_required
@require_safe
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "enrollment/certificate.html", _certificate_context(request, pk))


def _certificate_context(request: HttpRequest, pk: int) -> dict:
    try:
        completion = selectors.completion_for_certificate(user=request.user, pk=pk)
    except Completion.DoesNotExist:
        raise Http404("No such certificate.") from None
    session = completion.enrollment.session if completion.enrollment_id else None
    return {
        "completion": completion,
        "facilitators": list(session.facilitators.all()) if session else [],
        "verify_url": _verify_url(completion.verification_code),
        "district_name": settings.DISTRICT_NAME,
    }


@never_cache
@login_required
@require_safe
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The certificate as a one-page PDF, from the same template as the page."""
    context = _certificate_context(request, pk)
    try:
        pdf = certificates.pdf_of(render_to_string("enrollment/certificate_pdf.html", context))
    except certificates.PdfUnavailable as unavailable:
        return render(
            request,
            "enrollment/certificate_pdf_unavailable.html",
            {**context, "reason": str(unavailable)},
            status=503,
        )
    completion = context["completion"]
    name = f"certificate-{completion.course.code}-{completion.verification_code}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _verify_url(code: str) -> str:
    return settings.SITE_URL + reverse("enrollment:verify", args=[code])


def _normal_code(raw: str) -> str:
    return CODE_SEPARATORS.sub("", raw or "").upper()


class VerifyForm(forms.Form):
    code = forms.CharField(
        label="Verification code",
        max_length=40,
        help_text="Printed on the certificate, e.g. 7KXM4PQ2RT9H. Letters are not case-sensitive.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        code = _normal_code(self.cleaned_data["code"])
        if not CODE_SHAPE.fullmatch(code):
            raise forms.ValidationError(MSG_CODE_INVALID)
        return code


def _not_indexed(response: HttpResponse) -> HttpResponse:
    # A verification page names a person; it is for those who hold the code, not for search.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def verify_lookup(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.GET if "code" in request.GET else None)
    if form.is_bound and form.is_valid():
        return redirect("enrollment:verify", code=form.cleaned_data["code"])
    return _not_indexed(render(request, "enrollment/verify_lookup.html", {"form": form}))


@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    normal = _normal_code(code)
    # Anything but a code's characters cannot match; it never reaches the database (PostgreSQL
    # rejects some characters, such as NUL, outright).
    completion = selectors.completion_by_code(normal) if CODE_SHAPE.fullmatch(normal) else None
    if completion is None:
        shown = CONTROL_CHARACTERS.sub("", code)[:40]
        response = render(
            request,
            "enrollment/verify_unknown.html",
            {"form": VerifyForm(initial={"code": shown}), "code": shown},
            status=404,
        )
        return _not_indexed(response)
    return _not_indexed(render(request, "enrollment/verify.html", {"completion": completion}))


MSG_CHECKED_IN = "You are checked in: present at {session}, {when}."
MSG_ALREADY_CHECKED_IN = "You were already checked in at {session}, {when}."


class CheckInForm(forms.Form):
    code = forms.CharField(
        label="Check-in code",
        max_length=40,
        help_text="The code on the facilitator's screen, e.g. K7Q2ZP.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, code: str = "") -> HttpResponse:
    """Self check-in: GET shows the code (from the QR code's address, or typed) with one button;
    POST marks the person present at their meeting of that code."""
    error, status = "", 200
    if request.method == "POST":
        form = CheckInForm(request.POST)
        if form.is_valid():
            try:
                done = services.attendance_check_in(
                    user=request.user, code=form.cleaned_data["code"]
                )
            except Refusal as refusal:
                if refusal.status == 404:
                    raise Http404(refusal.message) from None
                error, status = refusal.message, refusal.status
            else:
                template = MSG_ALREADY_CHECKED_IN if done.already else MSG_CHECKED_IN
                messages.success(
                    request,
                    template.format(
                        session=done.meeting.session.display_title,
                        when=moment(done.meeting.starts_at),
                    ),
                )
                return redirect("enrollment:me")
        else:
            status = 400
    else:
        form = CheckInForm(initial={"code": code})
    return render(
        request,
        "enrollment/check_in.html",
        {"form": form, "error": error, "from_qr": bool(code)},
        status=status,
    )

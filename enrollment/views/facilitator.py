"""Facilitators' pages (district PD may use them for any session): the roster with attendance
and evaluations, the attendance sheet of one meeting, and the printable sign-in sheet. A session
the user does not manage is a 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from catalog import access as session_access
from catalog.choices import MeetingStatus
from catalog.models import Meeting, Session
from catalog.selectors import attach_states, shape_sessions
from core import refusals as r
from core.refusals import Refusal
from learning import access

from .. import checkin, selectors, services
from ..exporters import SigninSheetExporter
from ..models import Evaluation

MSG_ATTENDANCE_SAVED = (
    "Attendance saved: {present} present, {absent} absent; {changed} marks changed."
)
MSG_ATTENDANCE_UNREADABLE = (
    "The attendance form could not be read (it holds something other than participants' "
    "numbers). Nothing was saved; check the boxes again and save."
)
RATING_LABELS = {
    name: Evaluation._meta.get_field(name).help_text.removesuffix(" (1-5).")
    for name in services.RATING_FIELDS
}


def _managed_session(request: HttpRequest, pk: int) -> Session:
    """The session, shaped like the catalog's, if the user manages it; a 404 otherwise."""
    try:
        session = shape_sessions(session_access.manageable_sessions(request.user)).get(pk=pk)
    except Session.DoesNotExist:
        raise Http404("No such session.") from None
    attach_states([session], at=timezone.now())
    return session


def _attendance_opens_on(meeting: Meeting) -> dt.date:
    # The day services.attendance_record starts accepting marks for the meeting.
    return timezone.localdate(meeting.starts_at)


@dataclass
class MeetingEntry:
    meeting: Meeting
    number: int
    cancelled: bool
    opens_on: dt.date
    is_open: bool
    present: int = 0
    absent: int = 0

    @property
    def recorded(self) -> int:
        return self.present + self.absent


@login_required
@require_safe
def teaching(request: HttpRequest) -> HttpResponse:
    """Sessions I lead: today's meetings with their attendance one click away, then the sessions
    to come and those that are over."""
    staff = access.staff_of(request.user)
    if staff is None:
        raise Http404("This login has no staff record.")
    now = timezone.now()
    return render(
        request,
        "enrollment/teaching.html",
        {
            "page": selectors.sessions_led(staff=staff, at=now),
            "now": now,
            "time_zone": timezone.get_current_timezone_name(),
        },
    )


@login_required
@require_safe
def roster(request: HttpRequest, pk: int) -> HttpResponse:
    session = _managed_session(request, pk)
    now = timezone.now()
    today = timezone.localdate(now)
    data = selectors.roster(session=session)
    entries = [
        MeetingEntry(
            meeting=meeting,
            number=number,
            cancelled=meeting.status == MeetingStatus.CANCELLED,
            opens_on=_attendance_opens_on(meeting),
            is_open=meeting.status != MeetingStatus.CANCELLED
            and _attendance_opens_on(meeting) <= today,
        )
        for number, meeting in enumerate(session.meetings.all(), start=1)
    ]
    rows = []
    for row in data.rows:
        cells = []
        for entry in entries:
            mark = row.marks.get(entry.meeting.pk)
            if mark is True:
                entry.present += 1
            elif mark is False:
                entry.absent += 1
            cells.append((entry, mark))
        rows.append(
            {
                "enrollment": row.enrollment,
                "cells": cells,
                "missing": selectors.missing_for_credit(
                    row.enrollment, at=now, include_evaluation=False
                ),
            }
        )
    summary = selectors.evaluation_summary(session=session)
    roles = access.roles_of(request.user)
    return render(
        request,
        "enrollment/roster.html",
        {
            "session": session,
            "course": session.course,
            "meetings": entries,
            "rows": rows,
            "pending": data.pending,
            "waitlist": data.waitlist,
            "summary": summary,
            "averages": [(RATING_LABELS[name], value) for name, value in summary.averages.items()],
            "leads": bool({access.Role.BUILDING_LEADER, access.Role.DISTRICT_PD} & roles),
            "now": now,
            "time_zone": timezone.get_current_timezone_name(),
        },
    )


class _IdListField(forms.Field):
    """Enrollment ids from checkboxes (several values) or one comma-separated hidden value."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": MSG_ATTENDANCE_UNREADABLE}

    def to_python(self, value) -> list[int]:
        if value in self.empty_values:
            return []
        if isinstance(value, str):
            value = value.split(",")
        ids = []
        for item in value:
            item = str(item).strip()
            if not item:
                continue
            if not item.isascii() or not item.isdigit() or len(item) > 18:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(item))
        return ids


class AttendanceForm(forms.Form):
    """What the attendance sheet posts: every roster id shown (so an unchecked box is an
    absence) and the ids checked present."""

    roster = _IdListField(widget=forms.HiddenInput)
    present = _IdListField(required=False)

    def marks(self) -> dict[int, bool]:
        present = set(self.cleaned_data["present"])
        marks = {pk: pk in present for pk in self.cleaned_data["roster"]}
        # A present id missing from the roster list is passed on, so the service refuses it by
        # name instead of it being silently dropped.
        marks.update({pk: True for pk in present if pk not in marks})
        return marks


@login_required
@require_http_methods(["GET", "POST"])
def attendance(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    session = _managed_session(request, pk)
    meeting = next((m for m in session.meetings.all() if m.pk == meeting_pk), None)
    if meeting is None:
        raise Http404("No such meeting in this session.")
    error, status, submitted = "", 200, None
    if request.method == "POST":
        form = AttendanceForm(request.POST)
        if not form.is_valid():
            error, status = MSG_ATTENDANCE_UNREADABLE, 400
        else:
            marks = form.marks()
            if request.POST.get("everyone_present"):
                marks = dict.fromkeys(marks, True)
            submitted = {pk for pk, present in marks.items() if present}
            try:
                changes = services.attendance_record(
                    meeting=meeting, marks=marks, actor=request.user
                )
            except Refusal as refusal:
                if refusal.status == 404:
                    raise Http404(refusal.message) from None
                error, status = refusal.message, refusal.status
            else:
                present = sum(marks.values())
                messages.success(
                    request,
                    MSG_ATTENDANCE_SAVED.format(
                        present=present, absent=len(marks) - present, changed=len(changes)
                    ),
                )
                return redirect("enrollment:roster", pk=session.pk)

    cancelled = meeting.status == MeetingStatus.CANCELLED
    opens_on = _attendance_opens_on(meeting)
    notice = ""
    if cancelled:
        notice = r.MSG_MEETING_CANCELLED
    elif opens_on > timezone.localdate():
        notice = r.MSG_MEETING_NOT_STARTED.format(when=formats.date_format(opens_on, "F j, Y"))
    sheet = [
        {
            "enrollment": enrollment,
            "mark": mark,
            "checked": (enrollment.pk in submitted)
            if submitted is not None
            else bool(mark and mark.present),
        }
        for enrollment, mark in selectors.attendance_sheet(session=session, meeting=meeting)
    ]
    meetings = list(session.meetings.all())
    return render(
        request,
        "enrollment/attendance.html",
        {
            "session": session,
            "course": session.course,
            "meeting": meeting,
            "number": meetings.index(meeting) + 1,
            "meeting_count": len(meetings),
            "sheet": sheet,
            "roster_ids": ",".join(str(row["enrollment"].pk) for row in sheet),
            "recorded": sum(1 for row in sheet if row["mark"] is not None),
            "error": error,
            # A refused save already says why; the standing notice would repeat it.
            "notice": "" if error == notice else notice,
            "editable": not notice,
            "check_in_open": not cancelled and checkin.is_open(meeting, timezone.now()),
            "time_zone": timezone.get_current_timezone_name(),
        },
        status=status,
    )


@never_cache
@login_required
@require_safe
def check_in_screen(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    """The screen a facilitator shows during a meeting: a QR code of the check-in address and
    the short code, which change every CHECK_IN_CODE_SECONDS (its script fetches them again)."""
    session = _managed_session(request, pk)
    meeting = next((m for m in session.meetings.all() if m.pk == meeting_pk), None)
    if meeting is None:
        raise Http404("No such meeting in this session.")
    now = timezone.now()
    showing = meeting.status != MeetingStatus.CANCELLED and checkin.is_open(meeting, now)
    code = checkin.current_code(meeting, now) if showing else ""
    address = (
        request.build_absolute_uri(reverse("enrollment:check-in-code", args=[code]))
        if showing
        else ""
    )
    present, roster = selectors.meeting_presence(meeting=meeting)
    return render(
        request,
        "enrollment/check_in_screen.html",
        {
            "session": session,
            "course": session.course,
            "meeting": meeting,
            "showing": showing,
            "cancelled": meeting.status == MeetingStatus.CANCELLED,
            "code": code,
            "address": address,
            "check_in_address": request.build_absolute_uri(reverse("enrollment:check-in")),
            "qr": mark_safe(checkin.qr_svg(address)) if showing else "",  # noqa: S308 (drawn here)
            "opens_at": checkin.opens_at(meeting),
            "closes_at": checkin.closes_at(meeting),
            "changes_at": checkin.changes_at(now),
            "refresh_seconds": min(30, settings.CHECK_IN_CODE_SECONDS),
            "present": present,
            "roster": roster,
            "now": now,
        },
    )


@never_cache
@login_required
@require_safe
def signin_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    session = _managed_session(request, pk)
    exporter = SigninSheetExporter(
        session=session,
        meetings=list(session.meetings.all()),
        rows=selectors.signin_rows(session=session),
    )
    export = exporter.xlsx()
    return HttpResponse(
        export.content,
        content_type=export.content_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )

"""Admin for the catalog's sessions, with their meetings inline, and for meetings. It lives with
enrollments because what follows a change reaches the people enrolled: cancelling a session or a
meeting goes through the enrollment services, more seats promote from the waitlist, and a new
time or place is mailed to the participants."""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import (
    Count,
    DateTimeField,
    IntegerField,
    Min,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import formats, timezone

from catalog import services as catalog_services
from catalog.choices import SessionStatus
from catalog.models import Meeting, Session
from catalog.selectors import per_session_meetings
from core import refusals
from core.admin import (
    TIMESTAMPS,
    KnownKeysAutocompleteMixin,
    NamedInputsMixin,
    TabularInline,
    confirm_with_reason,
)
from core.refusals import Refusal

from .. import services
from ..selectors import sessions_with_seats

MSG_CANCEL_WITH_THE_ACTION = (
    "A session is cancelled with “Cancel selected sessions” in the session list, so its "
    "enrollments are cancelled and the participants told."
)
MSG_SESSIONS_CANCELLED = (
    "Cancelled {sessions} session(s); {enrollments} enrollment(s) cancelled and the people told."
)
MSG_MEETINGS_CANCELLED = "Cancelled {meetings} meeting(s); the participants were told."


def _moment(value: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "l, F j, Y, g:i A")


def _session_changes(session: Session, changed_fields) -> list[str]:
    """The session's changes of place, in words for the participants' mail."""
    changed = set(changed_fields)
    words = []
    if "building" in changed:
        words.append(
            f"it now takes place at {session.building.name}"
            if session.building
            else "it no longer takes place at a school building"
        )
    if "room" in changed:
        words.append(f"the room is now {session.room}" if session.room else "the room is not set")
    if "virtual_url" in changed:
        words.append(
            "the online meeting link is new (see the session page)"
            if session.virtual_url
            else "it no longer has an online meeting link"
        )
    return words


def _meeting_changes(meeting: Meeting, initial: dict, changed_fields) -> list[str]:
    """A meeting's changes of time or place, in words for the participants' mail."""
    changed = set(changed_fields)
    was = _moment(initial.get("starts_at") or meeting.starts_at)
    words = []
    if changed & {"starts_at", "ends_at"}:
        ends = formats.date_format(timezone.localtime(meeting.ends_at), "g:i A")
        words.append(f"the meeting of {was} now runs {_moment(meeting.starts_at)} to {ends}")
    if "room" in changed:
        room = f"in {meeting.room}" if meeting.room else "back in the session's room"
        words.append(f"the meeting of {was} is now {room}")
    return words


class MeetingInline(TabularInline):
    model = Meeting
    fields = ("starts_at", "ends_at", "room", "status", "sequence", "uid")
    # A meeting is cancelled with the meetings' "Cancel selected meetings" action, which tells
    # the participants and settles their credit.
    readonly_fields = ("status", "sequence", "uid")
    extra = 1
    show_change_link = True
    # A deleted meeting silently stays in subscribers' calendars; cancelling it (status) sends
    # STATUS:CANCELLED.
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Meeting]:
        # str() of each row names its session and course.
        return super().get_queryset(request).select_related("session__course")


class SessionAdminForm(forms.ModelForm):
    def clean_status(self):
        status = self.cleaned_data["status"]
        was = self.instance.status if self.instance.pk else None
        if status == SessionStatus.CANCELLED and was != SessionStatus.CANCELLED:
            raise ValidationError(MSG_CANCEL_WITH_THE_ACTION)
        return status


@admin.register(Session)
class SessionAdmin(NamedInputsMixin, KnownKeysAutocompleteMixin, admin.ModelAdmin):
    form = SessionAdminForm
    # Links typed without a scheme are meeting URLs: https, as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = (
        "__str__",
        "course_code",
        "building",
        "status",
        "first_meeting",
        "meeting_count",
        "capacity",
        "seats_taken",
        "seats_left",
        "waitlist_length",
    )
    list_select_related = ("course", "building")
    list_filter = ("status", "building", "course__strand")
    search_fields = ("course__code", "course__title", "title", "room")
    search_help_text = "Course code or title, session title, room."
    ordering = ("course__code", "id")
    autocomplete_fields = ("course", "building", "facilitators", "restricted_to_group")
    readonly_fields = TIMESTAMPS
    inlines = (MeetingInline,)
    actions = ("cancel_selected",)
    fieldsets = (
        (None, {"fields": ("course", "title", "status", "facilitators")}),
        ("Place", {"fields": ("building", "room", "virtual_url")}),
        (
            "Registration",
            {
                "fields": (
                    "capacity",
                    "registration_opens_at",
                    "registration_closes_at",
                    "restricted_to_group",
                    "requires_approval",
                )
            },
        ),
        (None, {"fields": ("notes",)}),
        ("Record", {"fields": TIMESTAMPS}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Session]:
        # str() of a session names its course, so the course is joined for autocompletes too.
        # Joined here, not only in list_select_related: the changelist ignores that as soon as
        # the queryset joins anything itself.
        sessions = super().get_queryset(request).select_related(*self.list_select_related)
        return sessions_with_seats(sessions).annotate(
            meeting_total=Coalesce(per_session_meetings(Count("pk"), IntegerField()), Value(0)),
            first_starts_at=per_session_meetings(Min("starts_at"), DateTimeField()),
        )

    @admin.display(description="course", ordering="course__code")
    def course_code(self, session: Session) -> str:
        return session.course.code.upper()

    @admin.display(description="first meeting", ordering="first_starts_at")
    def first_meeting(self, session: Session):
        return session.first_starts_at

    @admin.display(description="meetings", ordering="meeting_total")
    def meeting_count(self, session: Session) -> int:
        return session.meeting_total

    @admin.display(description="seats taken", ordering="seats_taken")
    def seats_taken(self, session: Session) -> int:
        return session.seats_taken

    @admin.display(description="seats left", ordering="seats_left")
    def seats_left(self, session: Session) -> int:
        return session.seats_left

    @admin.display(description="waitlist", ordering="waitlist_length")
    def waitlist_length(self, session: Session) -> int:
        return session.waitlist_length

    def save_formset(self, request, form, formset, change):
        if formset.model is Meeting:
            for meeting_form in formset.forms:
                if meeting_form.has_changed():
                    catalog_services.meeting_note_changes(
                        meeting=meeting_form.instance, changed_fields=meeting_form.changed_data
                    )
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        session = form.instance
        changes = [
            words
            for formset in formsets
            if formset.model is Meeting
            for meeting_form in formset.forms
            if meeting_form.instance.pk is not None and meeting_form.has_changed()
            for words in _meeting_changes(
                meeting_form.instance, meeting_form.initial, meeting_form.changed_data
            )
        ]
        super().save_related(request, form, formsets, change)
        if not change:
            return
        # After the inline meetings are saved, so their own save cannot write an older sequence.
        if catalog_services.session_note_changes(session=session, changed_fields=form.changed_data):
            changes = _session_changes(session, form.changed_data) + changes
        if "capacity" in form.changed_data and session.capacity > form.initial["capacity"]:
            services.waitlist_fill(session=session)
        if changes:
            services.session_changed_notify(session=session, what="; ".join(changes))

    @admin.action(description="Cancel selected sessions", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Session]):
        """Ask for the reason, then cancel each session through the enrollment service: its
        enrollments are cancelled, calendars updated and the participants mailed."""
        sessions = list(queryset)

        def run(reason: str) -> str | None:
            cancelled = enrollments = 0
            for session in sessions:
                try:
                    enrollments += services.session_cancel(
                        session=session, actor=request.user, reason=reason
                    )
                except Refusal as refusal:
                    if refusal.code == refusals.REASON_REQUIRED:
                        return refusal.message
                    self.message_user(request, f"{session}: {refusal.message}", messages.ERROR)
                else:
                    cancelled += 1
            if cancelled:
                self.message_user(
                    request,
                    MSG_SESSIONS_CANCELLED.format(sessions=cancelled, enrollments=enrollments),
                    messages.SUCCESS,
                )
            return None

        return confirm_with_reason(
            self,
            request,
            sessions,
            action="cancel_selected",
            title="Cancel sessions",
            intro=(
                "These sessions will be cancelled: their enrollments are cancelled (completed "
                "ones stay), subscribed calendars show the meetings as cancelled, and everyone "
                "with a place is mailed the reason. Nothing is deleted."
            ),
            submit=f"Cancel {len(sessions)} session{'s' if len(sessions) != 1 else ''}",
            reason_help="Told to the participants, e.g. “The facilitator is ill”.",
            reason_required=True,
            run=run,
        )


@admin.register(Meeting)
class MeetingAdmin(NamedInputsMixin, KnownKeysAutocompleteMixin, admin.ModelAdmin):
    list_display = ("__str__", "starts_at", "ends_at", "status", "sequence")
    list_select_related = ("session__course",)
    list_filter = ("status", "session__building")
    search_fields = ("uid", "session__course__code", "session__course__title", "session__title")
    ordering = ("-starts_at", "id")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("session",)
    fields = ("session", "starts_at", "ends_at", "room", "status", "sequence", "uid", *TIMESTAMPS)
    # Cancelled with the "Cancel selected meetings" action, which tells the participants.
    readonly_fields = ("status", "sequence", "uid", *TIMESTAMPS)
    actions = ("cancel_selected",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Meeting]:
        # str() of a meeting names its session and course.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Subscribers only learn of a cancellation from the event itself (STATUS:CANCELLED);
        # a deleted meeting would stay in their calendars. Cancel it with its status.
        return False

    def save_model(self, request, obj, form, change):
        changed = change and catalog_services.meeting_note_changes(
            meeting=obj, changed_fields=form.changed_data
        )
        super().save_model(request, obj, form, change)
        if changed and (words := _meeting_changes(obj, form.initial, form.changed_data)):
            services.session_changed_notify(session=obj.session, what="; ".join(words))

    @admin.action(description="Cancel selected meetings", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Meeting]):
        """Ask for the reason, then cancel each meeting through the enrollment service: it stays,
        marked cancelled, the participants are mailed, and whoever attended every other meeting
        gets the credit."""
        meetings = list(queryset)

        def run(reason: str) -> str | None:
            cancelled = 0
            for meeting in meetings:
                try:
                    services.meeting_cancel(meeting=meeting, actor=request.user, reason=reason)
                except Refusal as refusal:
                    if refusal.code == refusals.REASON_REQUIRED:
                        return refusal.message
                    self.message_user(request, f"{meeting}: {refusal.message}", messages.ERROR)
                else:
                    cancelled += 1
            if cancelled:
                self.message_user(
                    request, MSG_MEETINGS_CANCELLED.format(meetings=cancelled), messages.SUCCESS
                )
            return None

        return confirm_with_reason(
            self,
            request,
            meetings,
            action="cancel_selected",
            title="Cancel meetings",
            intro=(
                "These meetings will be cancelled: they stay in subscribed calendars marked "
                "cancelled, the participants are mailed the reason, and credit then needs only "
                "the meetings still held. Nothing is deleted."
            ),
            submit=f"Cancel {len(meetings)} meeting{'s' if len(meetings) != 1 else ''}",
            reason_help="Told to the participants, e.g. “Snow day”.",
            reason_required=True,
            run=run,
        )

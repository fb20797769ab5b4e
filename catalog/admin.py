"""Admin for the catalog: strands, courses, sessions with their meetings inline."""

from django.contrib import admin
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

from enrollment.selectors import sessions_with_seats
from learning.admin import TIMESTAMPS

from . import services
from .models import Course, Meeting, Session, Strand
from .selectors import per_session_meetings


@admin.register(Strand)
class StrandAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "colour", "order", "course_count")
    search_fields = ("code", "name")
    ordering = ("order", "name")
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Strand]:
        return super().get_queryset(request).annotate(course_total=Count("courses"))

    @admin.display(description="courses", ordering="course_total")
    def course_count(self, strand: Strand) -> int:
        return strand.course_total

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            services.strand_note_changes(strand=obj, changed_fields=form.changed_data)


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "title",
        "strand",
        "clock_hours",
        "format",
        "session_count",
        "evaluation_required",
        "requires_approval",
        "active",
    )
    list_display_links = ("code", "title")
    list_select_related = ("strand",)
    list_filter = ("strand", "format", "active", "evaluation_required", "requires_approval")
    search_fields = ("code", "title")
    ordering = ("strand__order", "code")
    autocomplete_fields = ("strand", "prerequisites")
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Course]:
        return super().get_queryset(request).annotate(session_total=Count("sessions"))

    @admin.display(description="sessions", ordering="session_total")
    def session_count(self, course: Course) -> int:
        return course.session_total

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            services.course_note_changes(course=obj, changed_fields=form.changed_data)


class MeetingInline(admin.TabularInline):
    model = Meeting
    fields = ("starts_at", "ends_at", "room", "status", "sequence", "uid")
    readonly_fields = ("sequence", "uid")
    extra = 1
    show_change_link = True
    # A deleted meeting silently stays in subscribers' calendars; cancelling it (status) sends
    # STATUS:CANCELLED.
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Meeting]:
        # str() of each row names its session and course.
        return super().get_queryset(request).select_related("session__course")


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
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
                    services.meeting_note_changes(
                        meeting=meeting_form.instance, changed_fields=meeting_form.changed_data
                    )
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the inline meetings are saved, so their own save cannot write an older sequence.
        if change:
            services.session_note_changes(session=form.instance, changed_fields=form.changed_data)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "starts_at", "ends_at", "status", "sequence")
    list_select_related = ("session__course",)
    list_filter = ("status", "session__building")
    search_fields = ("uid", "session__course__code", "session__course__title", "session__title")
    ordering = ("-starts_at", "id")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("session",)
    fields = ("session", "starts_at", "ends_at", "room", "status", "sequence", "uid", *TIMESTAMPS)
    readonly_fields = ("sequence", "uid", *TIMESTAMPS)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Meeting]:
        # str() of a meeting names its session and course.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Subscribers only learn of a cancellation from the event itself (STATUS:CANCELLED);
        # a deleted meeting would stay in their calendars. Cancel it with its status.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            services.meeting_note_changes(meeting=obj, changed_fields=form.changed_data)
        super().save_model(request, obj, form, change)

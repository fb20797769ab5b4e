"""Admin for enrollments, attendance, evaluations and completions. None of them can be deleted
here: withdrawing, declining and voiding are statuses, so the history stays."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from learning.admin import TIMESTAMPS

from .models import Attendance, Completion, Enrollment, Evaluation

STAFF_SEARCH = ("last_name", "first_name", "preferred_name", "employee_id")


class HistoryAdmin(admin.ModelAdmin):
    """Records that history points at: viewable and correctable, never deleted."""

    readonly_fields = TIMESTAMPS

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(HistoryAdmin):
    list_display = ("staff", "session", "status", "source", "requested_at")
    list_select_related = ("staff", "session__course")
    list_filter = ("status", "source")
    search_fields = (
        *(f"staff__{name}" for name in STAFF_SEARCH),
        "session__course__code",
    )
    search_help_text = "Staff name or employee id, course code."
    ordering = ("-requested_at", "id")
    date_hierarchy = "requested_at"
    autocomplete_fields = ("staff", "session", "acted_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enrollment]:
        # str() of an enrollment names the person, the session and its course.
        return super().get_queryset(request).select_related(*self.list_select_related)


@admin.register(Attendance)
class AttendanceAdmin(HistoryAdmin):
    list_display = ("staff", "meeting", "present", "recorded_at")
    list_select_related = ("enrollment__staff", "meeting__session__course")
    list_filter = ("present",)
    search_fields = (
        *(f"enrollment__staff__{name}" for name in STAFF_SEARCH),
        "meeting__session__course__code",
    )
    ordering = ("-meeting__starts_at", "id")
    autocomplete_fields = ("enrollment", "meeting", "recorded_by")

    @admin.display(description="staff member", ordering="enrollment__staff__last_name")
    def staff(self, attendance: Attendance):
        return attendance.enrollment.staff


@admin.register(Evaluation)
class EvaluationAdmin(HistoryAdmin):
    list_display = (
        "staff",
        "session",
        "content_rating",
        "facilitator_rating",
        "relevance_rating",
        "submitted_at",
    )
    list_select_related = ("enrollment__staff", "enrollment__session__course")
    list_filter = ("content_rating", "facilitator_rating", "relevance_rating")
    search_fields = (
        *(f"enrollment__staff__{name}" for name in STAFF_SEARCH),
        "enrollment__session__course__code",
    )
    ordering = ("-submitted_at", "id")
    autocomplete_fields = ("enrollment",)

    @admin.display(description="staff member", ordering="enrollment__staff__last_name")
    def staff(self, evaluation: Evaluation):
        return evaluation.enrollment.staff

    @admin.display(description="session", ordering="enrollment__session__course__code")
    def session(self, evaluation: Evaluation):
        return evaluation.enrollment.session


class VoidedListFilter(admin.SimpleListFilter):
    title = "voided"
    parameter_name = "voided"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(voided_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(voided_at__isnull=True)
        return queryset


@admin.register(Completion)
class CompletionAdmin(HistoryAdmin):
    list_display = (
        "staff",
        "course",
        "completed_on",
        "clock_hours",
        "source",
        "voided",
        "verification_code",
    )
    list_select_related = ("staff", "course")
    list_filter = ("source", VoidedListFilter, "course__strand")
    search_fields = (
        *(f"staff__{name}" for name in STAFF_SEARCH),
        "course__code",
        "=verification_code",
    )
    search_help_text = "Staff name or employee id, course code, verification code."
    ordering = ("-completed_on", "id")
    date_hierarchy = "completed_on"
    autocomplete_fields = ("staff", "course", "enrollment", "recorded_by", "voided_by")
    readonly_fields = ("verification_code", *TIMESTAMPS)
    fieldsets = (
        (None, {"fields": ("staff", "course", "enrollment", "completed_on", "clock_hours")}),
        ("Source", {"fields": ("source", "evidence", "recorded_by", "verification_code")}),
        (
            "Void",
            {
                "description": "A wrong completion is voided with a reason, never deleted.",
                "fields": ("voided_at", "voided_by", "void_reason"),
            },
        ),
        ("Record", {"fields": TIMESTAMPS}),
    )

    @admin.display(description="voided", boolean=True, ordering="voided_at")
    def voided(self, completion: Completion) -> bool:
        return completion.is_voided

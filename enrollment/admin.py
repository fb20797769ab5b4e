"""Admin for enrollments, attendance, evaluations and completions. None of them can be deleted
here: withdrawing, declining and voiding are statuses, so the history stays."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from learning.admin import TIMESTAMPS

from . import services
from .models import Attendance, Completion, Enrollment, Evaluation

STAFF_SEARCH = ("last_name", "first_name", "preferred_name", "employee_id")


class HistoryAdmin(admin.ModelAdmin):
    """Records that history points at: never deleted."""

    readonly_fields = TIMESTAMPS

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ViewOnlyAdmin(HistoryAdmin):
    """Records written only through the enrollment rules (capacity, waitlist order, one live
    enrollment per person and session): the admin shows them and never adds or changes them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(ViewOnlyAdmin):
    list_display = ("staff", "session", "status", "source", "requested_at")
    list_select_related = ("staff", "session__course")
    list_filter = ("status", "source", "staff__building", "session__course__strand")
    search_fields = (
        *(f"staff__{name}" for name in STAFF_SEARCH),
        "session__course__code",
    )
    search_help_text = "Staff name or employee id, course code."
    ordering = ("-requested_at", "id")
    date_hierarchy = "requested_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enrollment]:
        # str() of an enrollment names the person, the session and its course.
        return super().get_queryset(request).select_related(*self.list_select_related)


@admin.register(Attendance)
class AttendanceAdmin(ViewOnlyAdmin):
    list_display = ("staff", "meeting", "present", "recorded_at")
    list_select_related = ("enrollment__staff", "meeting__session__course")
    list_filter = ("present",)
    search_fields = (
        *(f"enrollment__staff__{name}" for name in STAFF_SEARCH),
        "meeting__session__course__code",
    )
    ordering = ("-meeting__starts_at", "id")

    @admin.display(description="staff member", ordering="enrollment__staff__last_name")
    def staff(self, attendance: Attendance):
        return attendance.enrollment.staff


@admin.register(Evaluation)
class EvaluationAdmin(ViewOnlyAdmin):
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


class VoidForm(forms.Form):
    # Not required here: the service refuses a blank reason, with its own message.
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept with each completion, e.g. “Entered twice”.",
    )


# Voided by the "Void selected completions" action only, so the service records who and when.
VOID_FIELDS = ("voided_at", "voided_by", "void_reason")
# A completion is corrected by voiding it and recording a new one, never by editing what it says.
RECORDED_FIELDS = ("staff", "course", "enrollment", "completed_on", "clock_hours", "source")


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
    list_filter = ("source", VoidedListFilter, "staff__building", "course__strand")
    search_fields = (
        *(f"staff__{name}" for name in STAFF_SEARCH),
        "course__code",
        "=verification_code",
    )
    search_help_text = "Staff name or employee id, course code, verification code."
    ordering = ("-completed_on", "id")
    date_hierarchy = "completed_on"
    autocomplete_fields = ("staff", "course", "enrollment", "recorded_by")
    readonly_fields = ("verification_code", *VOID_FIELDS, *TIMESTAMPS)
    actions = ("void_selected",)
    fieldsets = (
        (None, {"fields": ("staff", "course", "enrollment", "completed_on", "clock_hours")}),
        ("Source", {"fields": ("source", "evidence", "recorded_by", "verification_code")}),
        (
            "Void",
            {
                "description": (
                    "A wrong completion is voided with a reason, never deleted or edited: use "
                    "“Void selected completions” in the list, then record the right one."
                ),
                "fields": VOID_FIELDS,
            },
        ),
        ("Record", {"fields": TIMESTAMPS}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None:
            return (*RECORDED_FIELDS, *self.readonly_fields)
        return self.readonly_fields

    @admin.display(description="voided", boolean=True, ordering="voided_at")
    def voided(self, completion: Completion) -> bool:
        return completion.is_voided

    @admin.action(description="Void selected completions", permissions=["change"])
    def void_selected(self, request: HttpRequest, queryset: QuerySet[Completion]):
        """Ask for a reason on a confirmation page (like deleting), then void them all or none."""
        completions = list(queryset.select_related("staff", "course"))
        form = VoidForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            refusal = self._void(request, completions, form.cleaned_data["reason"])
            if refusal is None:
                self.message_user(
                    request, f"Voided {len(completions)} completion(s).", messages.SUCCESS
                )
                return None  # back to the list
            form.add_error(*refusal)
        context = {
            **self.admin_site.each_context(request),
            "title": "Void completions",
            "subtitle": None,
            "opts": self.opts,
            "completions": completions,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/enrollment/completion/void.html", context)

    def _void(
        self, request: HttpRequest, completions: list[Completion], reason: str
    ) -> tuple[str | None, ValidationError] | None:
        """Void every completion through the service. On the first refusal, undo them all and
        return the form field and error to show."""
        with transaction.atomic():
            for completion in completions:
                try:
                    services.completion_void(
                        completion=completion, reason=reason, actor=request.user
                    )
                except ValidationError as error:
                    transaction.set_rollback(True)
                    if error.message == services.COMPLETION_VOID_NEEDS_REASON:
                        return "reason", error
                    return None, ValidationError(f"{completion}: {error.message}")
        return None

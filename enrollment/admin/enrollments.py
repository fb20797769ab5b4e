"""Admin for enrollments, attendance, evaluations and completions. None of them can be deleted
here: withdrawing, declining and voiding are statuses, so the history stays. What the admin
writes (withdrawals, manual completions, voids) goes through the enrollment services, so their
rules, waitlist promotions and mail apply as everywhere else."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import QuerySet
from django.http import HttpRequest

from core import refusals as r
from core.admin import TIMESTAMPS, KnownKeysAutocompleteMixin, confirm_with_reason
from core.refusals import Refusal

from .. import services
from ..models import Attendance, Completion, Enrollment, Evaluation

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

    actions = ("withdraw_selected",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enrollment]:
        # str() of an enrollment names the person, the session and its course.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def has_withdraw_permission(self, request: HttpRequest) -> bool:
        # The enrollment's change permission allows withdrawing through the rules; the row
        # itself still cannot be edited here.
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    @admin.action(description="Withdraw selected enrollments", permissions=["withdraw"])
    def withdraw_selected(self, request: HttpRequest, queryset: QuerySet[Enrollment]):
        """Ask for an optional reason, then withdraw each enrollment through the service: each
        freed seat goes to the head of the waitlist, and each refusal is reported by row."""
        enrollments = list(queryset.order_by("session", "requested_at", "pk"))

        def run(reason: str) -> None:
            withdrawn = 0
            for enrollment in enrollments:
                try:
                    services.enrollment_withdraw(
                        enrollment=enrollment, actor=request.user, reason=reason
                    )
                except Refusal as refusal:
                    self.message_user(request, f"{enrollment}: {refusal.message}", messages.ERROR)
                else:
                    withdrawn += 1
            if withdrawn:
                self.message_user(request, MSG_WITHDRAWN.format(count=withdrawn), messages.SUCCESS)

        return confirm_with_reason(
            self,
            request,
            enrollments,
            action="withdraw_selected",
            title="Withdraw enrollments",
            intro=(
                "These enrollments will be withdrawn and the people told by mail. Each seat "
                "that frees goes at once to the next person on the waitlist. Nothing is deleted."
            ),
            submit=f"Withdraw {len(enrollments)} enrollment{'s' if len(enrollments) != 1 else ''}",
            reason_help="Optional; told to the person, e.g. “Left the building”.",
            reason_required=False,
            run=run,
        )


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


MSG_WITHDRAWN = "Withdrew {count} enrollment(s); freed seats went to the waitlist."


class CompletionAddForm(forms.ModelForm):
    """A manual completion (external PD): the person, the course, the day, the hours and the
    evidence. enrollment.services.completion_record checks and writes it."""

    clock_hours = forms.DecimalField(
        required=False,
        max_digits=5,
        decimal_places=2,
        help_text="Leave blank for the course's clock hours.",
    )
    # Set by CompletionAdmin when the service refused the data posted: shown as a form error.
    refusal: Refusal | None = None

    class Meta:
        model = Completion
        fields = ("staff", "course", "completed_on", "clock_hours", "evidence")
        help_texts = {"evidence": "Required: the certificate, agenda or sign-in sheet it rests on."}

    def clean(self):
        cleaned = super().clean()
        if self.refusal is not None:
            field = self.refusal.details.get("field")
            self.add_error(field if field in self.fields else None, self.refusal.message)
        return cleaned

    def _post_clean(self):
        # No model validation here: completion_record validates (constraints included) and
        # answers with its own messages.
        pass


# Voided by the "Void selected completions" action only, so the service records who and when.
VOID_FIELDS = ("voided_at", "voided_by", "void_reason")
# A completion is corrected by voiding it and recording a new one, never by editing what it says.
RECORDED_FIELDS = (
    "staff",
    "course",
    "enrollment",
    "completed_on",
    "clock_hours",
    "source",
    "recorded_by",
)
ADD_FIELDS = ("staff", "course", "completed_on", "clock_hours", "evidence")


@admin.register(Completion)
class CompletionAdmin(KnownKeysAutocompleteMixin, HistoryAdmin):
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

    def get_fieldsets(self, request: HttpRequest, obj=None):
        if obj is None:
            return ((None, {"fields": ADD_FIELDS}),)
        return super().get_fieldsets(request, obj)

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            refusal = getattr(request, "completion_refusal", None)
            kwargs["form"] = type("CompletionAddForm", (CompletionAddForm,), {"refusal": refusal})
        return super().get_form(request, obj, change=change, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refusal as refusal:
            # completion_record refused in save_model, inside the admin's transaction, which
            # rolled back: nothing was saved. Show the form again with the refusal.
            request.completion_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        completion = services.completion_record(
            staff=data["staff"],
            course=data["course"],
            completed_on=data["completed_on"],
            clock_hours=data["clock_hours"],
            evidence=data["evidence"],
            actor=request.user,
        )
        # The admin goes on with `obj` (log entry, message, redirect): make it the recorded row.
        obj.pk = completion.pk
        obj.refresh_from_db()

    @admin.display(description="voided", boolean=True, ordering="voided_at")
    def voided(self, completion: Completion) -> bool:
        return completion.is_voided

    @admin.action(description="Void selected completions", permissions=["change"])
    def void_selected(self, request: HttpRequest, queryset: QuerySet[Completion]):
        """Ask for the reason on a confirmation page (like deleting), then void each completion
        through the service, reporting any refusal by row."""
        completions = list(queryset.select_related("staff", "course"))

        def run(reason: str) -> str | None:
            voided = 0
            for completion in completions:
                try:
                    services.completion_void(
                        completion=completion, reason=reason, actor=request.user
                    )
                except Refusal as refusal:
                    if refusal.code == r.REASON_REQUIRED:
                        return refusal.message
                    self.message_user(request, f"{completion}: {refusal.message}", messages.ERROR)
                else:
                    voided += 1
            if voided:
                self.message_user(request, f"Voided {voided} completion(s).", messages.SUCCESS)
            return None

        count = len(completions)
        return confirm_with_reason(
            self,
            request,
            completions,
            action="void_selected",
            title="Void completions",
            intro=(
                "These completions will be marked void with the reason below. They stay on "
                "record, with who voided them and when, but no longer count as credit. Record "
                "the right completion afterwards if there is one."
            ),
            submit=f"Void {count} completion{'s' if count != 1 else ''}",
            reason_help="Kept with each completion, e.g. “Entered twice”.",
            reason_required=True,
            run=run,
        )

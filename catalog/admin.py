"""Admin for the catalog: strands and courses. Sessions and meetings are administered in
enrollment/admin/sessions.py: every change to them reaches the people enrolled (mail, waitlist
promotions, cancelled places), which is the enrollment app's work."""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from core.admin import TIMESTAMPS, KnownKeysAutocompleteMixin

from . import services
from .models import Course, Strand


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
class CourseAdmin(KnownKeysAutocompleteMixin, admin.ModelAdmin):
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

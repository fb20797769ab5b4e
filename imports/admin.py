"""Admin for import runs: a record of what was imported, viewable and never changed here."""

import json

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from core.admin import TIMESTAMPS

from .models import ImportRun


def _pretty(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, default=str))


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "file_name", "outcome", "created_by", "committed_at")
    list_select_related = ("created_by",)
    list_filter = ("kind", "outcome")
    search_fields = ("file_name", "=file_sha256", "created_by__username", "message")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
    fields = (
        "kind",
        "file_name",
        "file_sha256",
        "file_size",
        "created_by",
        "outcome",
        "committed_at",
        "message",
        "options_display",
        "counts_display",
        "errors_display",
        "change_set_display",
        *TIMESTAMPS,
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportRun]:
        return super().get_queryset(request).select_related(*self.list_select_related)

    # Runs are written by the importers only; here they can be read, never added, edited or
    # deleted, so the record stays what happened.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="options")
    def options_display(self, run: ImportRun) -> str:
        return _pretty(run.options)

    @admin.display(description="counts")
    def counts_display(self, run: ImportRun) -> str:
        return _pretty(run.counts)

    @admin.display(description="row errors")
    def errors_display(self, run: ImportRun) -> str:
        return _pretty(run.errors)

    @admin.display(description="change set")
    def change_set_display(self, run: ImportRun) -> str:
        return _pretty(run.change_set)

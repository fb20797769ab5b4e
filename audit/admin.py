"""The audit history in the admin: read only, filtered by kind of row, action, source and date,
searched by the person concerned or the actor."""

from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from learning.models import StaffMember

from .models import AuditEntry
from .selectors import describe, tracked_model_choices


class ModelListFilter(admin.SimpleListFilter):
    title = "kind of row"
    parameter_name = "model"

    def lookups(self, request, model_admin):
        return tracked_model_choices()

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(model=self.value())
        return queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "source", "action", "model", "object_id", "person")
    list_filter = (ModelListFilter, "action", "source", ("at", admin.DateFieldListFilter))
    date_hierarchy = "at"
    list_select_related = ("staff",)
    search_fields = (
        "staff__employee_id",
        "staff__last_name",
        "staff__first_name",
        "staff__email",
        "actor_label",
        "reference",
    )
    search_help_text = "The person's name, employee id or email; who made it; an import run."
    fields = (
        "at",
        "actor_label",
        "actor",
        "source",
        "reference",
        "action",
        "model",
        "object_id",
        "person",
        "changes_table",
        "changes_json",
    )
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="person", ordering="staff__last_name")
    def person(self, entry: AuditEntry):
        if entry.staff_id is None:
            return "—"
        try:
            staff = entry.staff
        except StaffMember.DoesNotExist:
            staff = None
        if staff is None:
            # The person's record was deleted; the history keeps their id.
            return f"#{entry.staff_id}"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("audit:staff-history", args=[entry.staff_id]),
            f"{staff.display_name} ({staff.employee_id})",
        )

    @admin.display(description="changes")
    def changes_table(self, entry: AuditEntry):
        (item,) = describe([entry])
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            ((change.label, change.before, change.after) for change in item.changes),
        )
        return format_html(
            "<p>{}</p><table><thead><tr><th>Field</th><th>Before</th><th>After</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            item.what,
            rows,
        )

    @admin.display(description="as stored")
    def changes_json(self, entry: AuditEntry) -> str:
        return json.dumps(entry.changes, indent=1, ensure_ascii=False)

"""Admin for calendar feed tokens. The key is a secret URL: it is never shown here, not even to
superusers (an admin page ends up in screenshots, shared screens and browser caches)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from learning.admin import TIMESTAMPS

from .models import FeedToken, new_feed_key

USAGE = ("last_fetched_at", "last_client", "fetch_count")


@admin.register(FeedToken)
class FeedTokenAdmin(admin.ModelAdmin):
    list_display = ("staff", "last_fetched_at", "fetch_count", "last_client", "created_at")
    list_select_related = ("staff",)
    search_fields = (
        "staff__last_name",
        "staff__first_name",
        "staff__preferred_name",
        "staff__employee_id",
    )
    ordering = ("staff__last_name", "staff__first_name", "staff__employee_id")
    date_hierarchy = "last_fetched_at"
    autocomplete_fields = ("staff",)
    # "key" is left out of every list here, so no page, form or export of the admin contains it.
    fields = ("staff", *USAGE, *TIMESTAMPS)
    readonly_fields = (*USAGE, *TIMESTAMPS)
    actions = ("rotate_keys",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[FeedToken]:
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # Moving a token to another person would hand them the first person's feed URL.
        if obj is not None:
            return ("staff", *self.readonly_fields)
        return self.readonly_fields

    @admin.action(description="Rotate the keys of the selected feeds (their old URLs stop working)")
    def rotate_keys(self, request: HttpRequest, queryset: QuerySet[FeedToken]) -> None:
        now = timezone.now()
        tokens = list(queryset)
        for token in tokens:
            token.key = new_feed_key()
            token.updated_at = now
        FeedToken.objects.bulk_update(tokens, ["key", "updated_at"])
        self.message_user(request, f"Rotated {len(tokens)} feed key(s).", messages.SUCCESS)

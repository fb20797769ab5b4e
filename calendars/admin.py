"""Admin for calendar feed tokens. The key is a secret URL: it is never shown here, not even to
superusers (an admin page ends up in screenshots, shared screens and browser caches)."""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import TIMESTAMPS, KnownKeysAutocompleteMixin

from . import services
from .models import FeedToken

USAGE = ("last_fetched_at", "last_client", "fetch_count")


@admin.register(FeedToken)
class FeedTokenAdmin(KnownKeysAutocompleteMixin, admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A token follows the person's calendar delivery choice (calendars.services
        # calendar_delivery_set): one added here would also reach someone who chose invitations,
        # and show every event twice.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # Moving a token to another person would hand them the first person's feed URL.
        if obj is not None:
            return ("staff", *self.readonly_fields)
        return self.readonly_fields

    @admin.action(description="Rotate the keys of the selected feeds (their old URLs stop working)")
    def rotate_keys(self, request: HttpRequest, queryset: QuerySet[FeedToken]) -> None:
        tokens = list(queryset)
        with transaction.atomic():
            for token in tokens:
                services.feed_token_rotate(token=token)
        self.message_user(request, f"Rotated {len(tokens)} feed key(s).", messages.SUCCESS)

    # Deleting a token is revoking it: both the delete page and the bulk action go through the
    # service.
    def delete_model(self, request: HttpRequest, obj: FeedToken) -> None:
        services.feed_token_revoke(token=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[FeedToken]) -> None:
        with transaction.atomic():
            for token in queryset:
                services.feed_token_revoke(token=token)

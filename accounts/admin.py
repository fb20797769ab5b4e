"""django-allauth's records in the admin, read-only: which login a provider's account or a
second factor belongs to is never edited by hand (the roster links logins, a person sets up their
own factors). An administrator may delete a lost second factor or end a session. Addresses,
provider apps and tokens are not kept here (settings say which providers; addresses are HR's)."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from allauth.usersessions.models import UserSession
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import ngettext

from learning.admin import StaffMemberAdmin
from learning.models import StaffMember

from . import services

for model in (EmailAddress, SocialApp, SocialToken, SocialAccount, Authenticator, UserSession):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SocialAccount)
class SocialAccountAdmin(ReadOnlyAdmin):
    list_display = ("user", "provider", "uid", "last_login", "date_joined")
    list_filter = ("provider",)
    search_fields = ("uid", "user__username", "user__email")
    list_select_related = ("user",)


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyAdmin):
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    exclude = ("data",)  # secrets of the factor

    def delete_model(self, request, obj) -> None:
        self.delete_queryset(request, Authenticator.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset) -> None:
        services.authenticators_delete(authenticators=queryset)


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    list_display = ("user", "ip", "user_agent", "created_at", "last_seen_at")
    search_fields = ("user__username", "ip")
    list_select_related = ("user",)
    exclude = ("session_key", "data")

    # Deleting the row ends the session it stands for: the browser is signed out.
    def delete_model(self, request, obj) -> None:
        obj.end()

    def delete_queryset(self, request, queryset) -> None:
        for session in queryset:
            session.end()


@admin.action(permissions=["change"], description="Invite the selected people to sign in")
def invite_to_sign_in(modeladmin, request: HttpRequest, queryset: QuerySet[StaffMember]) -> None:
    """HR's invitations in bulk from the staff list: a mail to each person still employed,
    saying how to sign in; their login is made when they first do."""
    people = list(queryset.order_by())
    invited = services.invitations_send(staff=people)
    skipped = len(people) - invited
    text = ngettext(
        "Invited %(count)d person to sign in.", "Invited %(count)d people to sign in.", invited
    ) % {"count": invited}
    if skipped:
        text += " " + ngettext(
            "%(count)d was left out: separated, or with no address.",
            "%(count)d were left out: separated, or with no address.",
            skipped,
        ) % {"count": skipped}
    modeladmin.message_user(request, text, messages.SUCCESS if invited else messages.WARNING)


# The staff list is learning's; sign-in adds its action there.
StaffMemberAdmin.actions = (*(StaffMemberAdmin.actions or ()), invite_to_sign_in)

"""Admin for the district (the plan's admin is plan/admin.py). Changelists stay a fixed number
of queries whatever the number of rows (25,000 staff): related columns are joined, counts are
annotations, and every foreign key to a large table is an autocomplete."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from core.admin import (
    TIMESTAMPS,
    KnownKeysAutocompleteMixin,
)

from .access import access_change_refusal
from .models import (
    Building,
    Position,
    StaffAssignment,
    StaffGroup,
    StaffMember,
)
from .services import staff_assignments_record, staff_placements
from .signals import building_changed, staff_changed

admin.site.site_header = "Professional Learning administration"
admin.site.site_title = "Professional Learning administration"
admin.site.index_title = "Professional Learning administration"


# Every admin shows these and none lets them be edited.
class AccessRuleForm:
    """Mixed into the form of an admin with access fields (AccessFieldsMixin): a change to one of
    them is checked against the access rule again when the form is cleaned. This catches what
    read-only fields cannot: an administrator choosing their own login for a staff record, and
    an access field left editable by mistake."""

    access_actor: User
    access_admin: "AccessFieldsMixin"

    def clean(self):
        cleaned_data = super().clean()
        changed = [
            name
            for name in self.access_admin.access_fields
            if name in self.fields and name in self.changed_data
        ]
        if changed:
            # The instance still holds the stored values: the form fills it in after clean().
            login_ids = self.access_admin.access_login_ids(self.instance, cleaned_data)
            refusal = access_change_refusal(self.access_actor, login_ids=login_ids)
            if refusal:
                for name in changed:
                    self.add_error(name, refusal)
        return cleaned_data


class AccessFieldsMixin:
    """For admins whose forms hold fields that grant access (`access_fields`): only an
    administrator edits them, and never on their own login's record (learning.access
    access_change_refusal); to anyone else they are read-only, so a value posted for them is
    ignored, and the form refuses a change the rule refuses."""

    access_fields: tuple[str, ...] = ()

    def access_login_ids(self, obj, cleaned_data: dict | None = None) -> list[int | None]:
        """The logins whose access `obj` concerns, and with `cleaned_data` those it would."""
        raise NotImplementedError

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if access_change_refusal(request.user, login_ids=self.access_login_ids(obj)):
            readonly += tuple(name for name in self.access_fields if name not in readonly)
        return readonly

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        attrs = {"access_actor": request.user, "access_admin": self}
        return type(form.__name__, (AccessRuleForm, form), attrs)


class AdministratorsOnlyMixin:
    """For the admins of what access is made of (logins, groups, API tokens): administrators
    only, whatever permissions a group is given. Changing a login's groups, renaming a role's
    group or minting a token for someone else's login is every access at once."""

    def _administrator(self, request: HttpRequest) -> bool:
        return access_change_refusal(request.user) is None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._administrator(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._administrator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._administrator(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._administrator(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._administrator(request)


# Django's own admins of logins and groups, and DRF's of API tokens, for administrators only.
admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.unregister(TokenProxy)

# What a login may do; the Django admin's names.
LOGIN_ACCESS_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class LoginAdmin(AccessFieldsMixin, AdministratorsOnlyMixin, UserAdmin):
    """An administrator's own login shows its access read-only: another administrator changes
    it."""

    access_fields = LOGIN_ACCESS_FIELDS
    # Bookkeeping, not edited by hand: the form would round them to the second on every save,
    # a change in the audit history each time.
    readonly_fields = ("last_login", "date_joined")

    def access_login_ids(self, obj, cleaned_data=None):
        return [obj.pk if obj is not None else None]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Deleting one's own login is the end of one's own access.
        own = obj is not None and obj.pk == request.user.pk
        return not own and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest):
        # Deleting logins in bulk could take one's own with them; each is deleted from its page.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Group)
class RoleGroupAdmin(AdministratorsOnlyMixin, GroupAdmin):
    """The District PD and HR groups are roles (learning.access): their names and permissions
    are access."""


@admin.register(TokenProxy)
class APITokenAdmin(AdministratorsOnlyMixin, TokenAdmin):
    """An API token signs its holder in as its login."""


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "staff_count", "active", "is_demo")
    list_filter = ("kind", "active", "is_demo")
    search_fields = ("code", "name")
    ordering = ("name",)
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Building]:
        return super().get_queryset(request).annotate(staff_total=Count("staff"))

    @admin.display(description="staff", ordering="staff_total")
    def staff_count(self, building: Building) -> int:
        return building.staff_total

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            # Its name and address are the LOCATION of the events held there.
            building_changed.send(sender=Building, building=obj, changed_fields=form.changed_data)


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "category")
    list_filter = ("category",)
    search_fields = ("code", "name")
    ordering = ("name",)
    readonly_fields = TIMESTAMPS


class StaffAssignmentInline(admin.TabularInline):
    """Where the person worked over time: written by roster imports and edits here, read by
    the reports; never edited by hand."""

    model = StaffAssignment
    fields = ("starts_on", "ends_on", "building", "position", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "assignment history"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# Who leads which building, and which login is whose.
STAFF_ACCESS_FIELDS = ("leads_buildings", "user")


@admin.register(StaffMember)
class StaffMemberAdmin(AccessFieldsMixin, KnownKeysAutocompleteMixin, admin.ModelAdmin):
    """HR keeps staff records; their access (the "Access" fieldset) is an administrator's."""

    access_fields = STAFF_ACCESS_FIELDS
    inlines = (StaffAssignmentInline,)
    list_display = (
        "employee_id",
        "last_name",
        "first_name",
        "preferred_name",
        "email",
        "building",
        "position",
        "status",
        "managed_manually",
        "is_demo",
    )
    list_display_links = ("employee_id", "last_name")
    list_select_related = ("building", "position")
    list_filter = ("building", "position", "status", "managed_manually", "is_demo")
    search_fields = ("employee_id", "first_name", "last_name", "preferred_name", "email")
    search_help_text = "Name, employee id or email."
    ordering = ("last_name", "first_name", "employee_id")
    autocomplete_fields = ("building", "position", "leads_buildings", "user")
    # The person chooses their calendar delivery on /me/, where the choice also revokes or makes
    # their feed URL.
    readonly_fields = ("calendar_delivery", *TIMESTAMPS, "history")
    fieldsets = (
        (None, {"fields": ("employee_id", "first_name", "last_name", "preferred_name", "email")}),
        ("Employment", {"fields": ("building", "position", "status", "hired_on", "separated_on")}),
        ("Roster sync", {"fields": ("managed_manually", "is_demo")}),
        ("Access", {"fields": STAFF_ACCESS_FIELDS}),
        ("Calendar", {"fields": ("calendar_delivery",)}),
        ("Record", {"fields": (*TIMESTAMPS, "history")}),
    )

    def access_login_ids(self, obj, cleaned_data=None):
        login_ids = [obj.user_id if obj is not None else None]
        if cleaned_data and cleaned_data.get("user") is not None:
            login_ids.append(cleaned_data["user"].pk)
        return login_ids

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Separation is a status; enrollments and completions keep pointing at the person.
        return False

    @admin.display(description="history")
    def history(self, staff: StaffMember):
        if staff.pk is None:
            return "—"
        return format_html(
            '<a href="{}">Who changed this record, the enrollments, attendance and completions</a>',
            reverse("audit:staff-history", args=[staff.pk]),
        )

    def save_model(self, request, obj, form, change):
        placed_before = staff_placements([obj.pk]) if change else {}
        super().save_model(request, obj, form, change)
        if placed_before:
            # Reports count people where they were on a due date: keep where they were before.
            staff_assignments_record(before=placed_before)
        if change:
            # A facilitator's name is in the events of the sessions they facilitate.
            staff_changed.send(sender=StaffMember, staff=obj, changed_fields=form.changed_data)


@admin.register(StaffGroup)
class StaffGroupAdmin(KnownKeysAutocompleteMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "member_count")
    list_filter = ("kind",)
    search_fields = ("name", "slug")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("members",)
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaffGroup]:
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description="members", ordering="member_total")
    def member_count(self, group: StaffGroup) -> int:
        return group.member_total

"""Admin for the district and its plan. Changelists stay a fixed number of queries whatever the
number of rows (25,000 staff): related columns are joined, counts are annotations, and every
foreign key to a large table is an autocomplete."""

from collections.abc import Callable, Sequence

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin import widgets as admin_widgets
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.forms.utils import pretty_name
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from catalog import services as catalog_services
from core.ids import beyond_id_range

from .access import access_change_refusal
from .forms import IdMultipleChoiceField
from .models import (
    Building,
    Goal,
    Plan,
    PlanYear,
    Position,
    Requirement,
    StaffAssignment,
    StaffGroup,
    StaffMember,
)
from .services import (
    plan_year_date_errors,
    requirement_due_errors,
    staff_assignments_record,
    staff_placements,
)

admin.site.site_header = "Professional Learning administration"
admin.site.site_title = "Professional Learning administration"
admin.site.index_title = "Professional Learning administration"

# Every admin shows these and none lets them be edited.
TIMESTAMPS = ("created_at", "updated_at")


class _KnownKeysOnly:
    """Django's autocomplete widgets look the posted values up again when a form is shown with
    its errors; a value that cannot be a key ("abc", or a number beyond any 64-bit id) made that
    query fail with a server error. Such a value names nothing, so it is left out of the
    look-up; the field's own error still says it is not a valid choice."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        target = remote.model._meta.get_field(
            getattr(remote, "field_name", None) or remote.model._meta.pk.name
        )
        kept = []
        for candidate in value:
            try:
                key = target.to_python(candidate)
            except ValidationError:
                continue
            if isinstance(key, int) and beyond_id_range(key):
                continue
            kept.append(candidate)
        return super().optgroups(name, kept, attr)


class AutocompleteSelect(_KnownKeysOnly, admin_widgets.AutocompleteSelect):
    pass


class AutocompleteSelectMultiple(_KnownKeysOnly, admin_widgets.AutocompleteSelectMultiple):
    pass


class IdsChoiceField(IdMultipleChoiceField):
    """Several objects by id; an id beyond the database's range is an invalid choice (Django's
    own field let it reach the database, which failed)."""

    widget = forms.SelectMultiple


class KnownKeysAutocompleteMixin:
    """For admins with autocomplete_fields: a form posted with a value that is not a key shows
    again with its error instead of failing."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", IdsChoiceField)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def name_inputs(fields: dict[str, forms.Field], *, every_input: bool) -> None:
    """Names the inputs of `fields` that have no <label> by their field's label: the date and
    the time input of a date and time (the field's label points at neither), and with
    `every_input` all of them, for a tabular inline's rows, whose column headings are no
    labels."""
    for name, field in fields.items():
        widget = field.widget
        if isinstance(widget, admin_widgets.RelatedFieldWidgetWrapper):
            widget = widget.widget
        if widget.is_hidden:
            continue
        label = field.label or pretty_name(name)
        if isinstance(widget, forms.SplitDateTimeWidget):
            date, time = widget.widgets
            date.attrs["aria-label"] = f"{label}, date"
            time.attrs["aria-label"] = f"{label}, time"
        elif every_input:
            widget.attrs["aria-label"] = label


class NamedInputsMixin:
    """For admins whose forms have dates and times: their date and time inputs are named."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            name_inputs({db_field.name: formfield}, every_input=False)
        return formfield


class NamedInputsFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        name_inputs(form.fields, every_input=True)


class TabularInline(admin.TabularInline):
    """A tabular inline whose inputs, the delete checkbox included, are named by their column."""

    formset = NamedInputsFormSet


class ReasonForm(forms.Form):
    # Never required here: the service decides whether it needs a reason, with its own message.
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


def confirm_with_reason(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Sequence[Model],
    *,
    action: str,
    title: str,
    intro: str,
    submit: str,
    reason_help: str,
    reason_required: bool,
    run: Callable[[str], str | None],
) -> TemplateResponse | None:
    """The confirmation page of an action that asks for a reason, shaped like Django's delete
    confirmation: the selected objects, the reason, and the action posted again. Once confirmed,
    `run(reason)` does the work (reporting per object with message_user) and returns None, or
    the message to show on the reason field when the reason itself was refused."""
    form = ReasonForm(request.POST if "post" in request.POST else None)
    form.fields["reason"].help_text = reason_help
    if form.is_bound and form.is_valid():
        error = run(form.cleaned_data["reason"])
        if error is None:
            return None  # back to the list, with the messages
        form.add_error("reason", error)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "intro": intro,
        "submit": submit,
        "action": action,
        "reason_required": reason_required,
        "opts": model_admin.opts,
        "objects": objects,
        "form": form,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": model_admin.media,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/confirm_with_reason.html", context)


class PlanYearListFilter(admin.RelatedFieldListFilter):
    """The default choices call str() on every plan year, and that reads its plan once per year;
    here the plans come in the same query."""

    def field_choices(self, field, request, model_admin):
        years = PlanYear.objects.select_related("plan").order_by("-plan__starts_on", "starts_on")
        return [(year.pk, str(year)) for year in years]


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
            catalog_services.building_note_changes(building=obj, changed_fields=form.changed_data)


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
            catalog_services.facilitator_note_changes(staff=obj, changed_fields=form.changed_data)


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


class PlanRulesForm(forms.ModelForm):
    """An admin form that applies the rules the plan pages apply (dates of a year within its
    plan and apart from its other years; a requirement due within its year), once the model's
    own checks have filled in the instance."""

    plan_rules: Callable[[Model], dict[str, list[str]]]

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        for name, messages in type(self).plan_rules(self.instance).items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class PlanYearForm(PlanRulesForm):
    plan_rules = staticmethod(plan_year_date_errors)


class RequirementForm(PlanRulesForm):
    plan_rules = staticmethod(requirement_due_errors)


class PlanYearInline(TabularInline):
    model = PlanYear
    form = PlanYearForm
    fields = ("name", "starts_on", "ends_on")
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanYear]:
        # str() of each row names its plan.
        return super().get_queryset(request).select_related("plan")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "starts_on", "ends_on")
    search_fields = ("name", "slug")
    ordering = ("-starts_on",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = TIMESTAMPS
    inlines = (PlanYearInline,)


class GoalInline(TabularInline):
    model = Goal
    fields = ("order", "title", "description")
    extra = 0
    show_change_link = True


@admin.register(PlanYear)
class PlanYearAdmin(admin.ModelAdmin):
    form = PlanYearForm
    list_display = ("name", "plan", "starts_on", "ends_on")
    list_select_related = ("plan",)
    list_filter = ("plan",)
    search_fields = ("name", "plan__name")
    ordering = ("-plan__starts_on", "starts_on")
    readonly_fields = TIMESTAMPS
    inlines = (GoalInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanYear]:
        # str() of a plan year names its plan: autocompletes and inlines need it joined too.
        return super().get_queryset(request).select_related(*self.list_select_related)


class RequirementInline(KnownKeysAutocompleteMixin, TabularInline):
    model = Requirement
    form = RequirementForm
    fields = ("title", "kind", "course", "strand", "clock_hours", "target_percent", "due_on")
    autocomplete_fields = ("course", "strand")
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Requirement]:
        # str() of an untitled requirement describes its course or strand.
        return super().get_queryset(request).select_related("course", "strand")


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ("title", "plan_year", "order", "requirement_count")
    list_select_related = ("plan_year__plan",)
    list_filter = (("plan_year", PlanYearListFilter),)
    search_fields = ("title", "description")
    ordering = ("-plan_year__plan__starts_on", "plan_year__starts_on", "order", "id")
    readonly_fields = TIMESTAMPS
    inlines = (RequirementInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Goal]:
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .annotate(requirement_total=Count("requirements"))
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "plan_year":
            # Each choice's label names its plan.
            kwargs["queryset"] = PlanYear.objects.select_related("plan")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="requirements", ordering="requirement_total")
    def requirement_count(self, goal: Goal) -> int:
        return goal.requirement_total


@admin.register(Requirement)
class RequirementAdmin(KnownKeysAutocompleteMixin, admin.ModelAdmin):
    form = RequirementForm
    list_display = ("__str__", "goal", "plan_year", "kind", "target_percent", "due_on")
    list_select_related = ("goal__plan_year__plan", "course", "strand")
    list_filter = (("goal__plan_year", PlanYearListFilter), "kind")
    search_fields = ("title", "goal__title", "course__code", "course__title", "strand__name")
    ordering = ("due_on", "id")
    autocomplete_fields = (
        "goal",
        "course",
        "strand",
        "audience_positions",
        "audience_buildings",
        "audience_groups",
    )
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("goal", "title", "kind", "course", "strand", "clock_hours")}),
        ("Target", {"fields": ("target_percent", "due_on", "count_completions_before_plan_year")}),
        (
            "Audience",
            {
                "description": "Leave all three empty for every active staff member.",
                "fields": ("audience_positions", "audience_buildings", "audience_groups"),
            },
        ),
        ("Record", {"fields": TIMESTAMPS}),
    )

    @admin.display(description="plan year", ordering="goal__plan_year__starts_on")
    def plan_year(self, requirement: Requirement) -> PlanYear:
        return requirement.goal.plan_year

"""Admin machinery every app's admin shares: autocomplete widgets that survive a value that is
not a key, id fields with the 64-bit guard, inputs named for screen readers, inlines, and the
page that asks for a reason before a change that mails people; and the mail outbox's own
admin. Imports no app."""

from collections.abc import Callable, Sequence

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin import widgets as admin_widgets
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.models import BaseInlineFormSet
from django.forms.utils import pretty_name
from django.http import HttpRequest
from django.template.response import TemplateResponse

from . import outbox
from .ids import IdMultipleChoiceField, beyond_id_range
from .models import OutboxMessage

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


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The mail outbox for district PD: what is queued, what was sent, what failed with the mail
    server's answer, and "retry" for the failed. Messages are a record: nobody edits, adds or
    deletes one here (old sent ones are pruned on the worker's schedule)."""

    list_display = ("created_at", "recipient", "subject", "status", "attempts", "last_error")
    list_filter = ("status", "kind")
    search_fields = ("recipient", "subject", "message_id")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    actions = ("retry",)
    readonly_fields = (
        "message_id",
        "kind",
        "recipient",
        "from_email",
        "to",
        "subject",
        "body",
        "headers",
        "calendar_method",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "created_at",
    )
    exclude = ("alternatives",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Retry the selected failed messages", permissions=["change"])
    def retry(self, request: HttpRequest, queryset) -> None:
        count = outbox.retry_failed(queryset.values_list("pk", flat=True))
        skipped = queryset.count() - count
        self.message_user(request, f"{count} message(s) queued to be sent again.")
        if skipped:
            self.message_user(
                request,
                f"{skipped} message(s) left as they were: only failed messages are retried.",
                level="warning",
            )

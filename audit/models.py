"""The audit history: one entry per change of a tracked row, never changed or deleted."""

from django.conf import settings
from django.db import models

from .choices import AuditAction, AuditSource

MSG_APPEND_ONLY = "The audit history is append-only: its entries are never changed or deleted."


class AppendOnlyError(Exception):
    """Raised by any attempt to change or delete an audit entry through the ORM."""


class AuditEntryQuerySet(models.QuerySet):
    """Adds entries, reads them, and refuses to change or delete any."""

    def update(self, **kwargs):
        raise AppendOnlyError(MSG_APPEND_ONLY)

    def delete(self):
        raise AppendOnlyError(MSG_APPEND_ONLY)

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(MSG_APPEND_ONLY)

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise AppendOnlyError(MSG_APPEND_ONLY)

    def select_for_update(self, **kwargs):
        raise AppendOnlyError(MSG_APPEND_ONLY)


class AuditEntry(models.Model):
    """Who changed which row, when, from where, and each changed field's value before and after
    (`changes`: {field: [before, after]}; a creation lists the first values with None before, a
    deletion the last values with None after; foreign keys as ids, dates and times in ISO form).

    The actor and the person concerned are kept by id without a database constraint, so the
    history of a deleted login or person stays exactly as written; `actor_label` keeps the
    actor's name. No secret (password, token) is ever a tracked field."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who made the change; empty for the system or the command line.",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    model = models.CharField(max_length=100, help_text='e.g. "enrollment.completion".')
    object_id = models.BigIntegerField()
    # Indexed by audit_staff_at_idx, which begins with it.
    staff = models.ForeignKey(
        "learning.StaffMember",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person the changed row is about, if any.",
    )
    changes = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=AuditSource.choices)
    reference = models.CharField(
        max_length=100, blank=True, help_text='What the change was part of, e.g. "import run 12".'
    )

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit history"
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["staff", "-at"], name="audit_staff_at_idx"),
            models.Index(fields=["model", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor_label or "System"
        return f"{who} {self.action} {self.model} {self.object_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError(MSG_APPEND_ONLY)
        # An insert, even when an id is given: never an UPDATE of an entry with that id.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(MSG_APPEND_ONLY)

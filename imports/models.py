"""A record of every import: the file, who ran it, the previewed change set and the outcome."""

from django.conf import settings
from django.db import models

from learning.models import TimeStampedModel

from .choices import ImportKind, ImportOutcome


class ImportRun(TimeStampedModel):
    """One import of one file: previewed first, then committed (or refused)."""

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_runs",
    )
    options = models.JSONField(
        default=dict, blank=True, help_text="Mode and flags: sync, create_missing, skip_invalid."
    )
    outcome = models.CharField(
        max_length=20, choices=ImportOutcome.choices, default=ImportOutcome.PREVIEWED
    )
    counts = models.JSONField(default=dict, blank=True)
    change_set = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "import run"
        indexes = [models.Index(fields=["kind", "created_at"], name="import_kind_created_idx")]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} import of {self.file_name} ({self.get_outcome_display()})"
        )

"""What the reports keep of their own: leaders' subscriptions to the completion report."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly (Monday morning)"
    MONTHLY = "monthly", "Monthly (the first of the month)"


class ReportSubscription(models.Model):
    """A building leader's or district PD's completion report, mailed weekly or monthly: their
    own scope (as on the day it is sent), their filters, the headline rates against the targets
    and what changed since the last one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    # The report's filters as /leaders/ takes them (strand, building, position, requirement).
    query = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    # The period (2026-W50, 2026-12) of the last report sent: one per period, however often the
    # job runs.
    last_period = models.CharField(max_length=10, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # The numbers of the last report, by requirement id: {"12": [completed, audience]}.
    last_numbers = models.JSONField(default=dict, blank=True)
    # Why no report went out (the scope or filters are no longer the person's); empty when well.
    paused_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} report for {self.user}"

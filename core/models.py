"""The mail outbox (core/outbox.py): every message the service sends, recorded in the
transaction of the change that caused it and delivered by the worker."""

from django.db import models
from django.utils import timezone


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    """One message, kept as its parts so that every attempt sends the same message: the same
    Message-ID and Date, so a receiver that sees it twice (a worker died after the server
    accepted it) knows it is one message."""

    message_id = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=40, blank=True)
    # The first addressee, lower-cased: messages to one person go out in the order recorded.
    recipient = models.CharField(max_length=254)
    from_email = models.CharField(max_length=254)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=998)
    body = models.TextField()
    # Message-ID, Date and any other header, as recorded.
    headers = models.JSONField(default=dict)
    # [content, mimetype] pairs (an HTML part, a text/calendar part).
    alternatives = models.JSONField(default=list)
    # The iTIP method of a calendar invitation (REQUEST, CANCEL), put in its part's content type.
    calendar_method = models.CharField(max_length=16, blank=True)
    status = models.CharField(
        max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The mail server's answer to the last failed attempt.
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "outbox message"
        indexes = [
            models.Index(fields=["status", "next_attempt_at", "id"], name="outbox_due"),
            models.Index(fields=["recipient", "id"], name="outbox_by_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {', '.join(self.to)}"

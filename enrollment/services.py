"""Writes to enrollments and completions that carry a rule. The admin and, later, the pages and
API call these."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Completion

COMPLETION_VOID_NEEDS_REASON = "Voiding a completion needs a reason."
COMPLETION_ALREADY_VOIDED = "This completion is already voided."


@transaction.atomic
def completion_void(*, completion: Completion, reason: str, actor: User | None) -> Completion:
    """Void a wrong completion, keeping the row: who voided it, when and why. A correction is
    recorded as a new completion."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(COMPLETION_VOID_NEEDS_REASON, code="void_reason_required")
    # Locked and read afresh, so two people voiding at once cannot both pass the check.
    current = Completion.objects.select_for_update().only("voided_at").get(pk=completion.pk)
    if completion.is_voided or current.is_voided:
        raise ValidationError(COMPLETION_ALREADY_VOIDED, code="already_voided")
    completion.voided_at = timezone.now()
    completion.voided_by = actor
    completion.void_reason = reason
    completion.full_clean()
    completion.save(update_fields=["voided_at", "voided_by", "void_reason", "updated_at"])
    return completion

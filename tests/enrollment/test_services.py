"""Voiding a completion keeps the row and says who voided it, when and why; a blank reason or a
second void is refused and writes nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from enrollment import services
from enrollment.models import Completion
from tests.factories import CompletionFactory, login_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(db):
    return login_for(None, username="records")


def test_void_records_who_when_and_why(actor):
    completion = CompletionFactory()
    before = timezone.now()

    voided = services.completion_void(completion=completion, reason="  Entered twice ", actor=actor)

    assert voided is completion
    stored = Completion.objects.get(pk=completion.pk)
    assert stored.is_voided
    assert stored.voided_at >= before
    assert stored.voided_by == actor
    assert stored.void_reason == "Entered twice"
    # Nothing else about the completion changes: it is kept as it was recorded.
    assert (stored.clock_hours, stored.completed_on) == (
        completion.clock_hours,
        completion.completed_on,
    )


def test_void_frees_the_day_for_the_corrected_completion(actor):
    completion = CompletionFactory()
    services.completion_void(completion=completion, reason="Wrong hours", actor=actor)
    corrected = CompletionFactory(
        staff=completion.staff, course=completion.course, completed_on=completion.completed_on
    )
    assert Completion.objects.filter(staff=completion.staff).count() == 2
    assert not corrected.is_voided


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_void_without_a_reason_is_refused(actor, reason):
    completion = CompletionFactory()
    with pytest.raises(ValidationError) as refused:
        services.completion_void(completion=completion, reason=reason, actor=actor)
    assert refused.value.messages == [services.COMPLETION_VOID_NEEDS_REASON]
    stored = Completion.objects.get(pk=completion.pk)
    assert (stored.voided_at, stored.voided_by, stored.void_reason) == (None, None, "")


def test_voiding_twice_is_refused_and_keeps_the_first_void(actor):
    completion = CompletionFactory()
    services.completion_void(completion=completion, reason="Entered twice", actor=actor)
    first = Completion.objects.get(pk=completion.pk)
    other = login_for(None, username="someone-else")

    with pytest.raises(ValidationError) as refused:
        services.completion_void(completion=completion, reason="Another reason", actor=other)

    assert refused.value.messages == [services.COMPLETION_ALREADY_VOIDED]
    stored = Completion.objects.get(pk=completion.pk)
    assert (stored.voided_at, stored.voided_by, stored.void_reason) == (
        first.voided_at,
        actor,
        "Entered twice",
    )


def test_a_stale_copy_of_a_voided_completion_cannot_void_it_again(actor):
    completion = CompletionFactory()
    stale = Completion.objects.get(pk=completion.pk)
    services.completion_void(completion=completion, reason="Entered twice", actor=actor)

    with pytest.raises(ValidationError) as refused:
        services.completion_void(completion=stale, reason="Again", actor=actor)

    assert refused.value.messages == [services.COMPLETION_ALREADY_VOIDED]
    assert Completion.objects.get(pk=completion.pk).void_reason == "Entered twice"

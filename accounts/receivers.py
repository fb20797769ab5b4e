"""Sign-in keeps in step with the roster: a person the roster separates loses access at once,
and gets it back when rehired."""

from django.dispatch import receiver

from learning.signals import staff_rehired, staff_separated

from . import services


@receiver(staff_separated)
def end_access_of_separated(sender, *, staff_ids, **kwargs) -> None:
    services.access_end(staff_ids=staff_ids)


@receiver(staff_rehired)
def restore_access_of_rehired(sender, *, staff_ids, **kwargs) -> None:
    services.access_restore(staff_ids=staff_ids)

"""The catalog's answers to the district's signals (learning.signals): calendar events carry a
building's name and address and their facilitators' names, so a change to those raises their
meetings' sequence (catalog.services)."""

from django.dispatch import receiver

from learning.signals import building_changed, staff_changed

from . import services


@receiver(building_changed, dispatch_uid="catalog.building_changed")
def building_changed_note(sender, *, building, changed_fields, **kwargs) -> None:
    services.building_note_changes(building=building, changed_fields=changed_fields)


@receiver(staff_changed, dispatch_uid="catalog.staff_changed")
def staff_changed_note(sender, *, staff, changed_fields, **kwargs) -> None:
    services.facilitator_note_changes(staff=staff, changed_fields=changed_fields)

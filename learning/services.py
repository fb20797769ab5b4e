"""Writes to the district's records that carry a rule: the history of where people work, and the
plan's goals and requirements (managed by district PD)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from .choices import StaffStatus
from .models import StaffAssignment, StaffMember

# building_id, position_id, status
Placement = tuple[int | None, int | None, str]
PLACEMENT_FIELDS = ("building_id", "position_id", "status")


def staff_placements(staff_ids: Iterable[int]) -> dict[int, Placement]:
    """Where each of these people is now; taken before a change so the change can be recorded."""
    return {
        pk: (building_id, position_id, status)
        for pk, building_id, position_id, status in StaffMember.objects.filter(
            pk__in=list(staff_ids)
        ).values_list("pk", *PLACEMENT_FIELDS)
    }


def _effective_on(staff: StaffMember, before: Placement, today: dt.date) -> dt.date:
    """A separation counts from the day after the person's last day when that day is known (a
    roster often reports it after the fact); every other change from today."""
    if (
        staff.status == StaffStatus.SEPARATED
        and before[2] != StaffStatus.SEPARATED
        and staff.separated_on is not None
        and staff.separated_on < today
    ):
        return staff.separated_on + dt.timedelta(days=1)
    return today


@transaction.atomic
def staff_assignments_record(*, before: dict[int, Placement], on: dt.date | None = None) -> int:
    """Record, for every person in `before` whose building, position or status now differs, the
    stretch that ended and the one that began. The first change of a person also records the
    stretch before it (from their hire date), so a report can place them on any earlier date.
    A fixed number of queries whatever the number of people; returns how many people changed."""
    today = on or timezone.localdate()
    people = {
        staff.pk: staff
        for staff in StaffMember.objects.filter(pk__in=list(before)).only(
            "pk", "hired_on", "separated_on", *PLACEMENT_FIELDS
        )
    }
    changed = {
        pk: staff
        for pk, staff in people.items()
        if (staff.building_id, staff.position_id, staff.status) != before[pk]
    }
    if not changed:
        return 0
    current = {
        row.staff_id: row
        for row in StaffAssignment.objects.select_for_update().filter(
            staff_id__in=list(changed), ends_on__isnull=True
        )
    }
    known = set(
        StaffAssignment.objects.filter(staff_id__in=list(changed))
        .values_list("staff_id", flat=True)
        .distinct()
    )
    to_close, to_delete, to_create = [], [], []
    for pk, staff in changed.items():
        starts_on = _effective_on(staff, before[pk], today)
        building_id, position_id, status = before[pk]
        open_row = current.get(pk)
        if open_row is not None and open_row.starts_on and open_row.starts_on >= starts_on:
            # Changed again the same day (or a separation dated back past the last change):
            # the latest word replaces that stretch, which keeps the stretches contiguous.
            starts_on = open_row.starts_on
            to_delete.append(open_row.pk)
            open_row = None
        if open_row is not None:
            open_row.ends_on = starts_on
            open_row.updated_at = timezone.now()
            to_close.append(open_row)
        elif pk not in known:
            hired_on = staff.hired_on if staff.hired_on and staff.hired_on < starts_on else None
            to_create.append(
                StaffAssignment(
                    staff_id=pk,
                    building_id=building_id,
                    position_id=position_id,
                    status=status,
                    starts_on=hired_on,
                    ends_on=starts_on,
                )
            )
        to_create.append(
            StaffAssignment(
                staff_id=pk,
                building_id=staff.building_id,
                position_id=staff.position_id,
                status=staff.status,
                starts_on=starts_on,
            )
        )
    if to_delete:
        StaffAssignment.objects.filter(pk__in=to_delete).delete()
    if to_close:
        StaffAssignment.objects.bulk_update(to_close, ["ends_on", "updated_at"], batch_size=1000)
    StaffAssignment.objects.bulk_create(to_create, batch_size=1000)
    return len(changed)

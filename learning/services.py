"""Writes to the district's records that carry a rule: the history of where people work and the
password reset throttle. The plan's writes are plan.services."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from . import changes
from .choices import StaffStatus
from .models import (
    PasswordResetRequest,
    StaffAssignment,
    StaffMember,
)
from .selectors import normalized_email
from .signals import staff_rehired, staff_separated

logger = logging.getLogger(__name__)

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
    """A separation counts from the day after the person's last day when that day is known and
    not in the future (a roster often reports it on the day or after the fact); every other
    change from today."""
    if (
        staff.status == StaffStatus.SEPARATED
        and before[2] != StaffStatus.SEPARATED
        and staff.separated_on is not None
        and staff.separated_on <= today
    ):
        return staff.separated_on + dt.timedelta(days=1)
    return today


@transaction.atomic
def staff_assignments_record(*, before: dict[int, Placement], on: dt.date | None = None) -> int:
    """Record, for every person in `before` whose building, position or status now differs, the
    stretch that ended and the one that began. The first change of a person also records the
    stretch before it (from their hire date), so a report can place them on any earlier date.
    A fixed number of queries whatever the number of people; returns how many people changed.
    Those the change separated lose their access in the same transaction (staff_separated), and
    those it employs again get it back (staff_rehired)."""
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
    changes.record()
    if to_delete:
        StaffAssignment.objects.filter(pk__in=to_delete).delete()
    if to_close:
        StaffAssignment.objects.bulk_update(to_close, ["ends_on", "updated_at"], batch_size=1000)
    StaffAssignment.objects.bulk_create(to_create, batch_size=1000)
    separated = [
        pk
        for pk, staff in changed.items()
        if staff.status == StaffStatus.SEPARATED and before[pk][2] != StaffStatus.SEPARATED
    ]
    if separated:
        staff_separated.send(sender=StaffMember, staff_ids=separated)
    rehired = [
        pk
        for pk, staff in changed.items()
        if staff.status != StaffStatus.SEPARATED and before[pk][2] == StaffStatus.SEPARATED
    ]
    if rehired:
        staff_rehired.send(sender=StaffMember, staff_ids=rehired)
    return len(changed)


# --- password reset throttle ---------------------------------------------------------------------

PASSWORD_RESET_WINDOW = dt.timedelta(hours=1)
# PostgreSQL advisory lock namespaces (the first key of pg_advisory_xact_lock(int, int)): one
# lock per address, one per client, and one for whoever prunes.
_LOCK_RESET_EMAIL = 0x50570001
_LOCK_RESET_CLIENT = 0x50570002
_LOCK_RESET_PRUNE = 0x50570003
_CLIENT_KEY_LENGTH = PasswordResetRequest._meta.get_field("client_address").max_length


def password_reset_email_digest(email: str) -> str:
    """The address as the throttle keeps it: an HMAC under SECRET_KEY, so the table does not
    list who asked, and a list of the district's addresses does not undo it."""
    return salted_hmac(
        "learning.password_reset", normalized_email(email), algorithm="sha256"
    ).hexdigest()


def password_reset_client_key(address: str) -> str:
    """The client a request is counted under: its IPv4 address, or the /64 network of an IPv6
    one (a single household or office is given a whole /64, so counting single IPv6 addresses
    would let one client count as billions). Anything that is not an address (a server that
    reports none) is kept as it is."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:_CLIENT_KEY_LENGTH]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


def _lock_key(value: str) -> int:
    return int.from_bytes(hashlib.sha256(value.encode()).digest()[:4], "big", signed=True)


def _hold_reset_locks(email_digest: str, client_key: str) -> None:
    """Until the transaction ends, be the only request counting for this address and this
    client. PostgreSQL: transaction-level advisory locks, always the address's before the
    client's, so two requests never wait for each other in a circle. SQLite: the IMMEDIATE
    transaction already holds the database's write lock from its start."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        locks = ((_LOCK_RESET_EMAIL, email_digest), (_LOCK_RESET_CLIENT, client_key))
        for namespace, value in locks:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)",
                [namespace, _lock_key(value)],
            )


def _prune_password_reset_requests(before: dt.datetime) -> None:
    """Delete rows past the window. On PostgreSQL one request at a time prunes (the others
    skip it rather than wait), so two deletes never lock the same old rows in opposite
    orders."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s::integer, 0)", [_LOCK_RESET_PRUNE])
            if not cursor.fetchone()[0]:
                return
    PasswordResetRequest.objects.filter(requested_at__lte=before).delete()


@transaction.atomic
def password_reset_request_create(
    *, email: str, client_address: str
) -> PasswordResetRequest | None:
    """Record a password reset request for `email` from `client_address` (as
    core.client_ip reads it), unless that address already had PASSWORD_RESET_EMAIL_LIMIT or
    that client PASSWORD_RESET_CLIENT_LIMIT requests let through in the last hour: then None,
    nothing written, and a warning logged. The caller mails a link only for a recorded request,
    after this transaction commits. Counts hold across every worker and app server: they are
    read and written under a lock in the shared database. Rows past the hour are pruned."""
    email_digest = password_reset_email_digest(email)
    client_key = password_reset_client_key(client_address)
    _hold_reset_locks(email_digest, client_key)
    now = timezone.now()
    since = now - PASSWORD_RESET_WINDOW
    _prune_password_reset_requests(since)
    counts = PasswordResetRequest.objects.filter(
        Q(email_digest=email_digest) | Q(client_address=client_key), requested_at__gt=since
    ).aggregate(
        for_email=Count("pk", filter=Q(email_digest=email_digest)),
        from_client=Count("pk", filter=Q(client_address=client_key)),
    )
    if counts["for_email"] >= settings.PASSWORD_RESET_EMAIL_LIMIT:
        logger.warning(
            "Password reset refused: %s requests for one address (digest %s) in the last hour, "
            "the limit (PASSWORD_RESET_EMAIL_LIMIT); client %s",
            counts["for_email"],
            email_digest[:12],
            client_key or "unknown",
        )
        return None
    if counts["from_client"] >= settings.PASSWORD_RESET_CLIENT_LIMIT:
        logger.warning(
            "Password reset refused: %s requests from client %s in the last hour, the limit "
            "(PASSWORD_RESET_CLIENT_LIMIT)",
            counts["from_client"],
            client_key or "unknown",
        )
        return None
    request = PasswordResetRequest(
        email_digest=email_digest, client_address=client_key, requested_at=now
    )
    request.full_clean()
    request.save()
    return request

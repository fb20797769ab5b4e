"""Who may see and act on whom. Pages, API, feeds and reports all scope through this module, so a
rule about scope is written once. An object outside someone's scope is a 404 to them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Q, QuerySet

from .choices import StaffStatus
from .models import StaffMember

DISTRICT_PD_GROUP = "District PD"
HR_GROUP = "HR"

AnyUser = User | AnonymousUser
_UNSET = object()


class Role(StrEnum):
    STAFF = "staff"
    FACILITATOR = "facilitator"
    BUILDING_LEADER = "building_leader"
    DISTRICT_PD = "district_pd"
    HR = "hr"
    ADMIN = "admin"


def staff_of(user: AnyUser | None) -> StaffMember | None:
    """The staff member behind a login, or None: anonymous, a login with no staff record, or a
    person who has left the district (separated staff keep no scope, whatever they led)."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_learning_staff", _UNSET)
    if cached is not _UNSET:
        return cached
    staff = (
        StaffMember.objects.filter(user=user)
        .exclude(status=StaffStatus.SEPARATED)
        .select_related("position", "building")
        .annotate(
            leads_any=Exists(
                StaffMember.leads_buildings.through.objects.filter(staffmember=OuterRef("pk"))
            ),
            # The sessions a person facilitates, through the reverse of the catalog's relation.
            facilitates_any=Exists(
                StaffMember.facilitating.through.objects.filter(staffmember=OuterRef("pk"))
            ),
        )
        .first()
    )
    user._learning_staff = staff
    return staff


def roles_of(user: AnyUser | None) -> frozenset[Role]:
    """Every role the user holds; two queries, once per user object (a request)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_learning_roles", None)
    if cached is not None:
        return cached
    roles: set[Role] = set()
    if user.is_superuser:
        roles.update({Role.ADMIN, Role.DISTRICT_PD, Role.HR})
    group_names = set(user.groups.values_list("name", flat=True))
    if DISTRICT_PD_GROUP in group_names:
        roles.add(Role.DISTRICT_PD)
    if HR_GROUP in group_names:
        roles.add(Role.HR)
    staff = staff_of(user)
    if staff is not None:
        roles.add(Role.STAFF)
        if staff.leads_any:
            roles.add(Role.BUILDING_LEADER)
        if staff.facilitates_any:
            roles.add(Role.FACILITATOR)
    result = frozenset(roles)
    user._learning_roles = result
    return result


MSG_ACCESS_BY_ADMINISTRATORS = (
    "Only an administrator grants access: who leads which building, which login is whose, and "
    "a login's groups, permissions, staff and superuser status."
)
MSG_ACCESS_NOT_OWN = (
    "Nobody changes their own access: another administrator has to make this change."
)


def access_change_refusal(user: AnyUser, *, login_ids: Iterable[int | None] = ()) -> str | None:
    """Why `user` may not change access (who leads which building, which login is whose, a
    login's groups, permissions, staff, superuser and active status), or None when they may.
    Only an active administrator (superuser) grants access, and never to the logins in
    `login_ids` that are their own: the access an edit concerns, before and after. HR keeps
    staff records, not what they open; and an administrator's slip on their own login would
    lock them out."""
    if not (user.is_authenticated and user.is_active and user.is_superuser):
        return MSG_ACCESS_BY_ADMINISTRATORS
    if user.pk in set(login_ids):
        return MSG_ACCESS_NOT_OWN
    return None


def is_district_pd(user: AnyUser | None) -> bool:
    return Role.DISTRICT_PD in roles_of(user)


def is_hr(user: AnyUser) -> bool:
    return Role.HR in roles_of(user)


def led_building_ids(user: AnyUser) -> list[int]:
    staff = staff_of(user)
    if staff is None or not staff.leads_any:
        return []
    return list(staff.leads_buildings.values_list("id", flat=True))


def _staff_within_reach(user: AnyUser, *, everyone_for: frozenset[Role]) -> QuerySet[StaffMember]:
    """All staff for a user holding one of the roles `everyone_for` (or an administrator); the
    staff of their buildings and themselves for a building leader; only themselves otherwise;
    nobody for a login without a staff record."""
    everyone = StaffMember.objects.all()
    if not user.is_authenticated:
        return everyone.none()
    if everyone_for & roles_of(user):
        return everyone
    staff = staff_of(user)
    if staff is None:
        return everyone.none()
    buildings = led_building_ids(user)
    if buildings:
        return everyone.filter(Q(building_id__in=buildings) | Q(pk=staff.pk))
    return everyone.filter(pk=staff.pk)


def visible_staff(user: AnyUser) -> QuerySet[StaffMember]:
    """Staff whose records the user may see: everyone for district PD, HR and admins; the staff of
    their buildings (and themselves) for a building leader; only themselves for anyone else."""
    return _staff_within_reach(user, everyone_for=frozenset({Role.DISTRICT_PD, Role.HR}))


def can_see_staff(user: AnyUser, staff: StaffMember) -> bool:
    return visible_staff(user).filter(pk=staff.pk).exists()


def actionable_staff(user: AnyUser) -> QuerySet[StaffMember]:
    """Staff the user may enroll or assign: all staff for district PD and admins; the staff of
    their buildings for a building leader (and themselves); only themselves otherwise. HR keeps
    staff records but does not enroll people."""
    return _staff_within_reach(user, everyone_for=frozenset({Role.DISTRICT_PD}))


def may_see_meeting_links(user: AnyUser | None) -> bool:
    """Virtual meeting links go to current staff and the district's central roles only: a link
    published to the whole internet invites uninvited guests into the meeting."""
    return staff_of(user) is not None or is_district_pd(user)


@dataclass(frozen=True)
class RecordScope:
    """Whose personal details (employee id, the reasons given on their requests) a user may read
    in lists they otherwise share: their own, their buildings' staff for a leader, everyone's for
    district PD. A facilitator reads only names on their roster. Decided once per request, so
    checking a row costs no query.

    The one rule for both sides of a list: serializers show a detail where `covers(staff)`, and
    filters and searches match it only on rows of `staff_q()`, so a filter never confirms a
    value the list hides (tests/permissions/test_hidden_fields.py walks every filter)."""

    own_staff_id: int | None
    everyone: bool
    building_ids: frozenset[int]

    def covers(self, staff: StaffMember) -> bool:
        return (
            self.everyone
            or staff.pk == self.own_staff_id
            or (staff.building_id is not None and staff.building_id in self.building_ids)
        )

    def staff_q(self, path: str = "") -> Q:
        """The rows whose person `covers` accepts, as a filter on the person at `path` (e.g.
        "staff" on enrollments; "" on staff members)."""
        prefix = f"{path}__" if path else ""
        if self.everyone:
            return Q()
        covered = Q(**{f"{prefix}building_id__in": sorted(self.building_ids)})
        if self.own_staff_id is not None:
            covered |= Q(**{f"{prefix}pk": self.own_staff_id})
        return covered


def record_scope(user: AnyUser | None) -> RecordScope:
    """The user's RecordScope, once per user object (a request)."""
    cached = getattr(user, "_learning_record_scope", None)
    if cached is not None:
        return cached
    staff = staff_of(user)
    scope = RecordScope(
        own_staff_id=staff.pk if staff is not None else None,
        everyone=is_district_pd(user),
        building_ids=frozenset(led_building_ids(user)),
    )
    if user is not None:
        user._learning_record_scope = scope
    return scope


def record_staff(user: AnyUser | None) -> QuerySet[StaffMember]:
    """Staff whose personal details the user may read (their RecordScope), e.g. the people a
    filter by employee id may name."""
    return StaffMember.objects.filter(record_scope(user).staff_q())


def may_see_reports(user: AnyUser) -> bool:
    """Progress reports are for district PD (and admins) and building leaders."""
    return is_district_pd(user) or Role.BUILDING_LEADER in roles_of(user)


def report_building_ids(user: AnyUser) -> frozenset[int] | None:
    """The buildings whose people a user's reports count: None for the whole district (district
    PD and admins), the buildings they lead for a building leader, and nothing for anyone
    else. A leader's report counts people where they were on each requirement's count date."""
    if is_district_pd(user):
        return None
    return frozenset(led_building_ids(user))

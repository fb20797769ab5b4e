"""The admin fields that grant access, for every role: who leads which building, which login is
whose, a login's groups, permissions, staff, superuser and active status, a role group's name and
permissions, and whose login an API token opens. DESIGN.md's Roles: only an administrator grants
access, and nobody changes their own.

Every role signs in to the admin here (is_staff: the worst case, a login let through the admin's
door by mistake; HR and District PD have it in the demo). For each row of ACCESS_FIELDS, on the
role's own record and on someone else's: the change form shows the field editable to the
administrator only, and not on the administrator's own record; the form posted as the
administrator sees it, with the field set to a value that grants access, changes it for the
administrator on someone else's record and for nobody else.

A field of an admin form (or inline) that touches access and has no row here, nor a reason in
NOT_ACCESS, fails test_every_admin_field_that_touches_access_has_a_row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import TokenProxy

from audit.models import AuditEntry
from catalog.models import Session
from learning.access import (
    DISTRICT_PD_GROUP,
    HR_GROUP,
    MSG_ACCESS_BY_ADMINISTRATORS,
    MSG_ACCESS_NOT_OWN,
)
from learning.admin import StaffMemberAdmin
from learning.models import StaffMember
from tests import factories as f
from tests.html_forms import posted_as_shown

from .world import ROLES, World

pytestmark = pytest.mark.django_db

SIGNED_IN = [role for role in ROLES if role != "anon"]


def _ids(related) -> list[int]:
    return sorted(related.values_list("pk", flat=True))


def _flipped(value: bool) -> bool:
    return not value


@dataclass(frozen=True)
class AccessField:
    """One admin field that grants access. `own` is the role's own record (None: it has none),
    `other` someone else's; `granted` is the value the crafted POST asks for, given the value
    stored now; `stored` reads it back."""

    model: type[models.Model]
    name: str
    own: Callable[[World, str], models.Model | None]
    other: Callable[[World], models.Model]
    granted: Callable[[World, object], object]
    stored: Callable[[models.Model], object]
    # The id in the change page's address: an API token's page is addressed by its login's id.
    url_id: Callable[[models.Model], int] = lambda obj: obj.pk

    @property
    def key(self) -> tuple[str, str]:
        return (self.model._meta.label_lower, self.name)

    def url(self, obj: models.Model) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.url_id(obj)])


def _own_staff(w: World, role: str) -> StaffMember | None:
    return w.staff.get(role)


def _own_login(w: World, role: str) -> User:
    return w.users[role]


def _role_groups(w: World, current) -> list[int]:
    return sorted(
        Group.objects.filter(name__in=[HR_GROUP, DISTRICT_PD_GROUP]).values_list("pk", flat=True)
    )


def _change_logins(w: World, current) -> list[int]:
    return [Permission.objects.get(codename="change_user").pk]


def _no_own(w: World, role: str) -> None:
    return None


def _hr_group(w: World) -> Group:
    return Group.objects.get(name=HR_GROUP)


# The policy, one row per field: adding a row runs every check below on it, for every role.
ACCESS_FIELDS = [
    AccessField(
        StaffMember,
        "leads_buildings",
        own=_own_staff,
        other=lambda w: w.o.peer,
        granted=lambda w, current: sorted([w.o.x.pk, w.o.y.pk]),
        stored=lambda staff: _ids(staff.leads_buildings),
    ),
    AccessField(
        StaffMember,
        "user",
        own=_own_staff,
        other=lambda w: w.o.outsider_idle,
        granted=lambda w, current: w.o.spare_login.pk,
        stored=lambda staff: staff.user_id,
    ),
    *(
        AccessField(
            User,
            flag,
            own=_own_login,
            other=lambda w: w.o.peer.user,
            granted=lambda w, current: _flipped(current),
            stored=lambda login, flag=flag: getattr(login, flag),
        )
        for flag in ("is_active", "is_staff", "is_superuser")
    ),
    AccessField(
        User,
        "groups",
        own=_own_login,
        other=lambda w: w.o.peer.user,
        granted=_role_groups,
        stored=lambda login: _ids(login.groups),
    ),
    AccessField(
        User,
        "user_permissions",
        own=_own_login,
        other=lambda w: w.o.peer.user,
        granted=_change_logins,
        stored=lambda login: _ids(login.user_permissions),
    ),
    AccessField(
        Group,
        "name",
        own=_no_own,
        other=_hr_group,
        granted=lambda w, current: "Renamed",
        stored=lambda group: group.name,
    ),
    AccessField(
        Group,
        "permissions",
        own=_no_own,
        other=_hr_group,
        granted=_change_logins,
        stored=lambda group: _ids(group.permissions),
    ),
    AccessField(
        TokenProxy,
        "user",
        own=_no_own,
        other=lambda w: TokenProxy.objects.get(pk=w.o.peer_token.pk),
        granted=lambda w, current: w.o.spare_login.pk,
        stored=lambda token: token.user_id,
        url_id=lambda token: token.user_id,
    ),
]

# Fields of admin forms that touch access by the rule of touches_access but grant none, and why.
NOT_ACCESS = {
    ("auth.user", "username"): "the login's name; whose login it is is the staff record's link",
    ("auth.user", "first_name"): "a detail of the login",
    ("auth.user", "last_name"): "a detail of the login",
    ("auth.user", "email"): "a detail of the login; sign-in is by username and password",
    ("catalog.session", "facilitators"): (
        "naming a session's facilitators is District PD's catalog work (DESIGN.md Roles); it "
        "opens that session's roster, which District PD sees already"
    ),
}


@pytest.fixture(scope="module")
def admin_door(world, django_db_blocker) -> World:
    """Every role's login signs in to the admin, inside the module's rolled-back transaction."""
    with django_db_blocker.unblock():
        User.objects.filter(pk__in=[user.pk for user in world.users.values() if user]).update(
            is_staff=True
        )
    return world


def _targets(w: World, role: str, field: AccessField) -> Iterator[tuple[str, models.Model]]:
    own = field.own(w, role)
    if own is not None:
        yield "own", own
    yield "other", field.other(w)


def _may_change(role: str, whose: str) -> bool:
    return role == "admin" and whose == "other"


def _form_value(value) -> str | list[str] | None:
    """A value as a form posts it: None for an unticked box (not posted at all)."""
    if value is True:
        return "on"
    if value is False or value is None:
        return None
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


_shown_to_admin: dict[str, dict] = {}


def _as_shown(client: Client, url: str) -> dict:
    """The change form at `url` as the client's browser would post it untouched."""
    page = client.get(url)
    assert page.status_code == 200, url
    return posted_as_shown(page.content.decode())


def _as_the_administrator_sees_it(w: World, url: str) -> dict:
    """The form of a record of the world as the administrator would post it; read once per page,
    as every test starts from the same world."""
    if url not in _shown_to_admin:
        _shown_to_admin[url] = _as_shown(signed_in(w.users["admin"]), url)
    return dict(_shown_to_admin[url])


def _stored_again(obj: models.Model) -> models.Model:
    # By the primary key's own field: an API token's `pk` is its login's id.
    key = obj._meta.pk.attname
    return type(obj)._default_manager.get(**{key: getattr(obj, key)})


def _editable(response, name: str) -> bool:
    return response.status_code == 200 and name in response.context["adminform"].form.fields


@pytest.mark.parametrize("role", SIGNED_IN)
def test_only_an_administrator_sees_an_access_field_editable_and_not_on_their_own(admin_door, role):
    client = signed_in(admin_door.users[role])
    mismatches = []
    for field in ACCESS_FIELDS:
        for whose, obj in _targets(admin_door, role, field):
            response = client.get(field.url(obj))
            assert response.status_code in (200, 403), (field.key, whose, response.status_code)
            if _editable(response, field.name) != _may_change(role, whose):
                shown = "editable" if _editable(response, field.name) else "not editable"
                mismatches.append(f"{role}: {field.key} on {whose} record is {shown}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("role", SIGNED_IN)
def test_a_crafted_post_changes_an_access_field_only_for_an_administrator(admin_door, role):
    w = admin_door
    client = signed_in(w.users[role])
    mismatches = []
    for field in ACCESS_FIELDS:
        for whose, shared in _targets(w, role, field):
            obj = _stored_again(shared)
            url = field.url(obj)
            before = field.stored(obj)
            wanted = field.granted(w, before)
            assert wanted != before, f"{field.key}: the crafted value must change something"
            data = _as_the_administrator_sees_it(w, url)
            data.pop(field.name, None)
            posted = _form_value(wanted)
            if posted is not None:
                data[field.name] = posted
            with transaction.atomic():
                response = client.post(url, {**data, "_save": "Save"})
                after = field.stored(_stored_again(obj))
                transaction.set_rollback(True)
            label = f"{role}: {field.key} on {whose} record"
            if _may_change(role, whose):
                if (response.status_code, after) != (302, wanted):
                    mismatches.append(f"{label}: answered {response.status_code}, not changed")
            elif response.status_code not in (302, 403) or after != before:
                mismatches.append(f"{label}: answered {response.status_code}, {before} -> {after}")
    assert not mismatches, "\n".join(mismatches)


def test_an_administrator_does_not_link_their_own_login_to_a_staff_record(admin_door):
    w = admin_door
    client = signed_in(w.users["admin"])
    url = reverse("admin:learning_staffmember_change", args=[w.o.outsider_idle.pk])
    data = _as_the_administrator_sees_it(w, url)
    response = client.post(url, {**data, "user": w.users["admin"].pk, "_save": "Save"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"] == [MSG_ACCESS_NOT_OWN]
    w.o.outsider_idle.refresh_from_db()
    assert w.o.outsider_idle.user_id is None


def test_an_administrator_with_a_staff_record_does_not_change_its_access(admin_door):
    w = admin_door
    boss = f.login_for(f.StaffMemberFactory(building=w.o.x), superuser=True, username="boss")
    staff = boss.staff_member
    client = signed_in(boss)
    url = reverse("admin:learning_staffmember_change", args=[staff.pk])
    assert not _editable(client.get(url), "leads_buildings")
    data = _as_shown(client, url)
    response = client.post(
        url, {**data, "leads_buildings": [w.o.x.pk, w.o.y.pk], "user": "", "_save": "Save"}
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert (_ids(staff.leads_buildings), staff.user_id) == ([], boss.pk)


def test_the_form_refuses_an_access_field_left_editable_by_mistake(admin_door):
    """The second layer: were the field shown editable to HR, the form still refuses it."""
    w = admin_door
    request = RequestFactory().get("/")
    request.user = w.users["admin"]
    staff_admin = admin.site._registry[StaffMember]
    assert isinstance(staff_admin, StaffMemberAdmin)
    form_class = staff_admin.get_form(request, w.o.hr, change=True)
    form_class.access_actor = w.users["hr"]
    data = _as_the_administrator_sees_it(
        w, reverse("admin:learning_staffmember_change", args=[w.o.hr.pk])
    )
    data["leads_buildings"] = [str(w.o.x.pk), str(w.o.y.pk)]
    form = form_class(data=data, instance=w.o.hr)
    assert not form.is_valid()
    assert form.errors["leads_buildings"] == [MSG_ACCESS_BY_ADMINISTRATORS]


def test_an_administrator_does_not_delete_their_own_login(admin_door):
    w = admin_door
    client = signed_in(w.users["admin"])
    own = reverse("admin:auth_user_delete", args=[w.users["admin"].pk])
    assert client.get(own).status_code == 403
    assert client.post(own, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=w.users["admin"].pk).exists()
    request = RequestFactory().get("/")
    request.user = w.users["admin"]
    assert "delete_selected" not in admin.site._registry[User].get_actions(request)
    # Another's login is still theirs to delete.
    assert (
        client.get(reverse("admin:auth_user_delete", args=[w.o.spare_login.pk])).status_code == 200
    )


def test_an_access_grant_by_an_administrator_is_recorded(admin_door):
    w = admin_door
    client = signed_in(w.users["admin"])
    url = reverse("admin:learning_staffmember_change", args=[w.o.peer.pk])
    data = _as_the_administrator_sees_it(w, url)
    client.post(url, {**data, "leads_buildings": [w.o.y.pk], "_save": "Save"})
    entry = AuditEntry.objects.filter(model="learning.staffmember", object_id=w.o.peer.pk).latest(
        "id"
    )
    assert entry.changes == {"leads_buildings": [[], [w.o.y.pk]]}
    assert (entry.actor_id, entry.source) == (w.users["admin"].pk, "admin")

    url = reverse("admin:auth_user_change", args=[w.o.peer.user.pk])
    data = _as_the_administrator_sees_it(w, url)
    client.post(url, {**data, "is_superuser": "on", "_save": "Save"})
    entry = AuditEntry.objects.filter(model="auth.user", object_id=w.o.peer.user.pk).latest("id")
    assert entry.changes == {"is_superuser": [False, True]}
    assert (entry.actor_id, entry.staff_id) == (w.users["admin"].pk, w.o.peer.pk)


# Whether an admin form's field touches access: every field of a login or group, a relation to
# a login, group or permission, and the links that give a role (learning.access roles_of).
ACCESS_MODELS = ("auth.user", "auth.group", "auth.permission")


def _role_links() -> set[type[models.Model]]:
    return {
        StaffMember.leads_buildings.through,
        Session.facilitators.through,
        User.groups.through,
        User.user_permissions.through,
        Group.permissions.through,
    }


def touches_access(model: type[models.Model], name: str) -> bool:
    """Whether the field `name` of a form for `model` could change what someone may do."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False  # a form's own field (a new login's password twice)
    label = model._meta.label_lower
    if label in ACCESS_MODELS or model in _role_links():
        return True
    if field.is_relation and field.related_model._meta.label_lower in ACCESS_MODELS:
        return True
    return getattr(field.remote_field, "through", None) in _role_links()


def _editable_fields(model_admin, request) -> Iterator[tuple[type[models.Model], str]]:
    """The fields an administrator can change on the admin's add and change pages, inlines
    included."""
    model = model_admin.model
    for obj in (None, model()):
        if obj is None and not model_admin.has_add_permission(request):
            continue
        if obj is not None and not model_admin.has_change_permission(request, obj):
            continue
        form = model_admin.get_form(request, obj, change=obj is not None)
        for name, form_field in form.base_fields.items():
            if not form_field.disabled:
                yield model, name
        for inline in model_admin.get_inline_instances(request, obj):
            if not (
                inline.has_add_permission(request, obj)
                or inline.has_change_permission(request, obj)
            ):
                continue
            formset = inline.get_formset(request, obj)
            for name, form_field in formset.form.base_fields.items():
                if not form_field.disabled:
                    yield inline.model, name


def unlisted_access_fields(site: AdminSite, user: User) -> list[str]:
    request = RequestFactory().get("/")
    request.user = user
    listed = {field.key for field in ACCESS_FIELDS} | set(NOT_ACCESS)
    found = set()
    for model_admin in site._registry.values():
        for model, name in _editable_fields(model_admin, request):
            if touches_access(model, name):
                found.add((model._meta.label_lower, name))
    return sorted(f"{label}.{name}" for label, name in found - listed)


def test_every_admin_field_that_touches_access_has_a_row(admin_door):
    assert unlisted_access_fields(admin.site, admin_door.users["admin"]) == []


def test_every_row_names_a_field_an_administrator_can_change(admin_door):
    request = RequestFactory().get("/")
    request.user = admin_door.users["admin"]
    editable = {
        (model._meta.label_lower, name)
        for model_admin in admin.site._registry.values()
        for model, name in _editable_fields(model_admin, request)
    }
    assert {field.key for field in ACCESS_FIELDS} <= editable
    assert set(NOT_ACCESS) <= editable, "a stale reason"


def test_a_new_admin_field_that_touches_access_is_caught(admin_door):
    site = AdminSite(name="with_a_new_field")
    # Who made a change is no access, but it points at a login and has no row: it is caught.
    site.register(AuditEntry, admin.ModelAdmin)
    assert unlisted_access_fields(site, admin_door.users["admin"]) == ["audit.auditentry.actor"]

"""Sign-in's writes: the login a person on the roster gets when they first sign in, the record of a
sign-in the roster refused, the end of a person's access when their employment ends, and
invitations to sign in."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import import_module

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from rest_framework.authtoken.models import Token

from audit import services as audit
from audit.choices import AuditAction
from core import outbox
from learning.access import DISTRICT_PD_GROUP, HR_GROUP
from learning.choices import StaffStatus
from learning.models import StaffMember

from . import selectors

# The roles a provider's group claim may carry (SSO_GROUP_ROLES); nothing else is mapped.
MAPPABLE_ROLES = (HR_GROUP, DISTRICT_PD_GROUP)


class Refusal(StrEnum):
    """Why the roster let nobody in: the code kept in the audit history."""

    NO_EMAIL = "no_email"
    UNVERIFIED = "unverified"
    DOMAIN = "domain"
    NOT_ON_ROSTER = "not_on_roster"
    SEPARATED = "separated"
    SWITCHED_OFF = "switched_off"
    PROVIDER_ERROR = "provider_error"


# What happened, said to the person, with what to do next on the page (accounts/refused.html).
REFUSAL_TEXT = {
    Refusal.NO_EMAIL: "{provider} did not tell us your email address, so we cannot tell who you "
    "are on the staff roster.",
    Refusal.UNVERIFIED: "{provider} has not verified your email address {email}, so we cannot "
    "match it to the staff roster.",
    Refusal.DOMAIN: "{email} is not an address of the district ({domains}). Sign in with your "
    "district account.",
    Refusal.NOT_ON_ROSTER: "Nobody on the district's staff roster has the address {email}, so "
    "no account was made.",
    Refusal.SEPARATED: "The staff roster shows that you no longer work for the district, so "
    "this service no longer lets you in.",
    Refusal.SWITCHED_OFF: "Your login here has been switched off by an administrator, so this "
    "service does not let you in.",
    Refusal.PROVIDER_ERROR: "The answer from {provider} could not be trusted ({reason}), so "
    "nobody was signed in.",
}


@dataclass(frozen=True)
class Identity:
    """Who an identity provider (or a sign-in code request) says is signing in."""

    provider: str
    email: str = ""
    email_verified: bool = False
    employee_id: str = ""
    groups: tuple[str, ...] = field(default_factory=tuple)
    uid: str = ""


class SignInRefused(Exception):
    def __init__(self, refusal: Refusal, identity: Identity, *, staff=None, reason: str = ""):
        self.refusal = refusal
        self.identity = identity
        self.staff = staff
        self.reason = reason
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return REFUSAL_TEXT[self.refusal].format(
            provider=self.identity.provider,
            email=self.identity.email,
            domains=", ".join(settings.SSO_ALLOWED_EMAIL_DOMAINS),
            reason=self.reason,
        )


def email_domain_allowed(email: str) -> bool:
    allowed = settings.SSO_ALLOWED_EMAIL_DOMAINS
    return not allowed or email.rpartition("@")[2].lower() in allowed


def roster_match(identity: Identity) -> StaffMember:
    """The one staff record the identity names: by the employee id claim when the provider sends
    one that is on the roster, otherwise by the verified email address. Raises SignInRefused
    when the roster lets nobody in."""
    email = identity.email.strip()
    if email and not email_domain_allowed(email):
        raise SignInRefused(Refusal.DOMAIN, identity)
    staff = None
    if identity.employee_id:
        staff = selectors.staff_by_employee_id(identity.employee_id)
    if staff is None:
        if not email:
            raise SignInRefused(Refusal.NO_EMAIL, identity)
        if not identity.email_verified:
            raise SignInRefused(Refusal.UNVERIFIED, identity)
        matches = selectors.staff_by_email(email)
        if len(matches) != 1:
            raise SignInRefused(Refusal.NOT_ON_ROSTER, identity)
        staff = matches[0]
    if staff.status == StaffStatus.SEPARATED:
        raise SignInRefused(Refusal.SEPARATED, identity, staff=staff)
    return staff


def sign_in_refusal_record(refused: SignInRefused) -> None:
    """An audit entry of a refused sign-in: who the provider said it was and why the roster let
    nobody in. Written in its own transaction, as the request itself changes nothing."""
    identity = refused.identity
    details = {
        "reason": refused.refusal.value,
        "provider": identity.provider,
        "email": identity.email,
        "employee_id": identity.employee_id,
    }
    if refused.reason:
        details["detail"] = refused.reason[:300]
    with transaction.atomic():
        audit.write(
            [
                audit.entry(
                    action=AuditAction.REFUSED,
                    label="accounts.signin",
                    object_id=refused.staff.pk if refused.staff else 0,
                    staff_id=refused.staff.pk if refused.staff else None,
                    changes={name: [None, value] for name, value in details.items() if value},
                    by=audit.who(),
                )
            ]
        )


def _free_username(staff: StaffMember) -> str:
    """A login name from HR's employee id, which the roster keeps unique; a suffix when an older
    login (an administrator's) already has it."""
    base = re.sub(r"[^\w.@+-]", "", staff.employee_id.lower())[:140] or f"staff{staff.pk}"
    name, suffix = base, 1
    while User.objects.filter(username__iexact=name).exists():
        suffix += 1
        name = f"{base}-{suffix}"
    return name


@transaction.atomic
def login_for_staff(
    *, staff: StaffMember, identity: Identity | None = None, groups: Sequence[str] | None = None
) -> User:
    """The person's login, made now if they have none (linked to their staff record) and
    carrying the roster's name and address. A login switched off is not switched on here (an
    administrator did it, or a separation, which a rehire undoes: access_restore); nor is one
    for a person the roster separated meanwhile. With SSO_GROUP_ROLES set and the provider's
    `groups` given, the mapped roles follow the provider's groups."""
    staff = (
        StaffMember.objects.select_for_update(of=("self",)).select_related("user").get(pk=staff.pk)
    )
    identity = identity or Identity(provider="this service", email=staff.email)
    if staff.status == StaffStatus.SEPARATED:
        raise SignInRefused(Refusal.SEPARATED, identity, staff=staff)
    user = staff.user
    if user is None:
        user = User(
            username=_free_username(staff),
            email=staff.email,
            first_name=(staff.preferred_name or staff.first_name)[:150],
            last_name=staff.last_name[:150],
        )
        user.set_unusable_password()
        user.save()
        staff.user = user
        staff.save(update_fields=["user", "updated_at"])
    else:
        if not user.is_active:
            raise SignInRefused(Refusal.SWITCHED_OFF, identity, staff=staff)
        wanted = {
            "email": staff.email,
            "first_name": (staff.preferred_name or staff.first_name)[:150],
            "last_name": staff.last_name[:150],
        }
        changed = [name for name, value in wanted.items() if getattr(user, name) != value]
        if changed:
            for name in changed:
                setattr(user, name, wanted[name])
            user.save(update_fields=changed)
    if groups is not None and settings.SSO_GROUP_ROLES:
        _roles_from_claim(user, groups)
    return user


def _roles_from_claim(user: User, claimed: Sequence[str]) -> None:
    wanted = {
        settings.SSO_GROUP_ROLES[name] for name in claimed if name in settings.SSO_GROUP_ROLES
    }
    mapped = set(settings.SSO_GROUP_ROLES.values()) & set(MAPPABLE_ROLES)
    held = set(user.groups.filter(name__in=mapped).values_list("name", flat=True))
    if wanted - held:
        user.groups.add(*Group.objects.filter(name__in=wanted - held))
    if (held - wanted) & mapped:
        user.groups.remove(*Group.objects.filter(name__in=(held - wanted) & mapped))


@transaction.atomic
def access_end(*, staff_ids: Iterable[int]) -> int:
    """End the access of these people, whose employment has ended: their logins can no longer
    sign in (inactive), every session they have is ended and their API tokens are deleted. Their
    calendar feeds stop answering by the staff record's status (calendars.selectors). A rehire
    switches the login back on (access_restore). Returns how many logins lost access."""
    user_ids = list(
        StaffMember.objects.filter(
            pk__in=list(staff_ids), status=StaffStatus.SEPARATED, user__isnull=False
        ).values_list("user_id", flat=True)
    )
    if not user_ids:
        return 0
    logins = User.objects.filter(pk__in=user_ids)
    # Tracked by id: the update takes the rows out of an "is_active" selection.
    with audit.tracking(logins):
        ended = logins.filter(is_active=True).update(is_active=False)
    Token.objects.filter(user_id__in=user_ids).delete()
    _sessions_end(user_ids)
    return ended


@transaction.atomic
def access_restore(*, staff_ids: Iterable[int]) -> int:
    """Give back the logins of these people, whom the roster employs again (rehired): they sign
    in as before. Returns how many logins were switched on."""
    user_ids = list(
        StaffMember.objects.filter(pk__in=list(staff_ids), user__isnull=False)
        .exclude(status=StaffStatus.SEPARATED)
        .values_list("user_id", flat=True)
    )
    if not user_ids:
        return 0
    logins = User.objects.filter(pk__in=user_ids)
    with audit.tracking(logins):
        return logins.filter(is_active=False).update(is_active=True)


def _sessions_end(user_ids: list[int]) -> None:
    """Delete these logins' sessions from the session store (in one statement on the database's
    store), so no browser stays signed in."""
    tracked = UserSession.objects.filter(user_id__in=user_ids)
    keys = list(tracked.values_list("session_key", flat=True))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if issubclass(store, DatabaseSessionStore):
        store.get_model_class().objects.filter(session_key__in=keys).delete()
    else:
        for key in keys:
            store().delete(key)
    tracked.delete()


@transaction.atomic
def authenticators_delete(*, authenticators) -> None:
    """Delete second factors (a lost phone, a lost key): with them go the recovery codes of a
    login left with no app and no passkey, which alone are no second factor, so the person
    sets one up again at their next sign-in."""
    user_ids = set(authenticators.values_list("user_id", flat=True))
    authenticators.delete()
    real = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
    still = set(
        Authenticator.objects.filter(user_id__in=user_ids, type__in=real).values_list(
            "user_id", flat=True
        )
    )
    Authenticator.objects.filter(
        user_id__in=user_ids - still, type=Authenticator.Type.RECOVERY_CODES
    ).delete()


# --- invitations ---------------------------------------------------------------------------------


def invitation_message(staff: StaffMember) -> EmailMessage:
    context = {
        "staff": staff,
        "district_name": settings.DISTRICT_NAME,
        "site_url": settings.SITE_URL,
        "sign_in_url": settings.SITE_URL + reverse("login"),
        "code_sign_in": settings.EMAIL_CODE_SIGN_IN,
        "single_sign_on": bool(settings.SOCIALACCOUNT_PROVIDERS),
    }
    return EmailMessage(
        subject=f"{settings.DISTRICT_NAME} professional learning: you can sign in",
        body=render_to_string("accounts/invitation_email.txt", context),
        to=[staff.email],
    )


@transaction.atomic
def invitations_send(*, staff: Iterable[StaffMember]) -> int:
    """Mail each person who is still employed an invitation to sign in (no login is made until
    they do); returns how many were invited."""
    people = [person for person in staff if person.status != StaffStatus.SEPARATED and person.email]
    outbox.record([invitation_message(person) for person in people], kind="invitation")
    return len(people)

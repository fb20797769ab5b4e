"""django-allauth's hooks (ACCOUNT_ADAPTER, SOCIALACCOUNT_ADAPTER): nobody signs up, every login
comes from the roster (accounts.services), mail goes through the outbox, and a refused sign-in
gets a page that says what happened and whom to ask."""

from __future__ import annotations

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal.datakit import parse_bool_safely
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core import outbox
from core.client_ip import client_ip_address
from learning.choices import StaffStatus

from . import services
from .providers.district_oidc.provider import DistrictOIDCProvider, NonceMismatch
from .services import Identity, Refusal, SignInRefused

REFUSED_STATUS = 403
REAUTHENTICATION_SECONDS = account_settings.REAUTHENTICATION_TIMEOUT


def refused_page(request: HttpRequest, refused: SignInRefused) -> HttpResponse:
    return render(
        request,
        "accounts/refused.html",
        {
            "message": refused.message,
            "refusal": refused.refusal.value,
            "contact": settings.SIGN_IN_HELP_CONTACT,
        },
        status=REFUSED_STATUS,
    )


def refuse(request: HttpRequest, refused: SignInRefused) -> ImmediateHttpResponse:
    services.sign_in_refusal_record(refused)
    return ImmediateHttpResponse(refused_page(request, refused))


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # The words Django's own sign-in form used, which the site has always shown.
        "username_password_mismatch": (
            "Please enter a correct username and password. Note that both fields may be "
            "case-sensitive."
        ),
        "too_many_login_attempts": (
            "Too many tries from here or for this address: wait an hour, then try again."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Logins come from the roster, made at a person's first sign-in.
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # The address the login throttle counts, behind the service's proxies (core.client_ip).
        return client_ip_address(request)

    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        context = {
            "district_name": settings.DISTRICT_NAME,
            "site_url": settings.SITE_URL,
            "contact": settings.SIGN_IN_HELP_CONTACT,
            **context,
        }
        message = self.render_mail(template_prefix, email, {"email": email, **context})
        outbox.record([message], kind=template_prefix.rpartition("/")[2][:40])

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """A sign-in in the last few minutes (ACCOUNT_REAUTHENTICATION_TIMEOUT) counts as
        confirming who one is: a power role sent to set up its second factor right after
        signing in is not asked for its password again."""
        request = context.request
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            records = get_authentication_records(request, user)
            if records and time.time() - records[-1].get("at", 0) < REAUTHENTICATION_SECONDS:
                return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def pre_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse | None:
        staff = getattr(user, "staff_member", None)
        if staff is not None and staff.status == StaffStatus.SEPARATED:
            raise refuse(
                request,
                SignInRefused(
                    Refusal.SEPARATED,
                    Identity(provider="this service", email=staff.email),
                    staff=staff,
                ),
            )
        return super().pre_login(request, user, **kwargs)


def identity_of(sociallogin) -> Identity:
    """What the provider said about the person, from the ID token's claims (OpenID Connect) or
    the assertion's attributes (SAML)."""
    provider = sociallogin.account.get_provider()
    extra = sociallogin.account.extra_data or {}
    if provider.id == "saml":
        # allauth mapped the assertion's address (an attribute, or an emailAddress NameID) onto
        # the login it would make; the rest is read from the attributes it keeps.
        attributes = {name: list(values or []) for name, values in extra.items()}
        verified = _first(attributes.get("email_verified"))
        return Identity(
            provider=provider.name,
            email=(sociallogin.user.email or "").strip(),
            # The district's identity provider vouches for the address it asserts, unless it
            # says otherwise.
            email_verified=not verified or bool(parse_bool_safely(verified)),
            employee_id=_first(attributes.get(settings.SSO_EMPLOYEE_ID_CLAIM)),
            groups=tuple(str(group) for group in attributes.get(settings.SSO_GROUP_CLAIM, [])),
            uid=sociallogin.account.uid,
        )
    claims = extra.get("id_token") or extra.get("userinfo") or {}
    groups = claims.get(settings.SSO_GROUP_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    return Identity(
        provider=provider.name,
        email=str(claims.get("email") or "").strip(),
        email_verified=bool(parse_bool_safely(claims.get("email_verified")))
        or settings.SSO_OIDC_TRUST_EMAIL,
        employee_id=str(claims.get(settings.SSO_EMPLOYEE_ID_CLAIM) or "").strip(),
        groups=tuple(str(group) for group in groups),
        uid=sociallogin.account.uid,
    )


def _first(values) -> str:
    if not values:
        return ""
    return str(values[0]).strip()


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        # pre_social_login links every roster match to its login; nothing signs up.
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:
        identity = identity_of(sociallogin)
        provider = sociallogin.account.get_provider()
        if isinstance(provider, DistrictOIDCProvider):
            try:
                provider.nonce_checked(sociallogin)
            except NonceMismatch as mismatch:
                raise refuse(
                    request, SignInRefused(Refusal.PROVIDER_ERROR, identity, reason=str(mismatch))
                ) from None
        try:
            staff = services.roster_match(identity)
            user = services.login_for_staff(staff=staff, identity=identity, groups=identity.groups)
        except SignInRefused as refused:
            raise refuse(request, refused) from None
        if sociallogin.is_existing:
            if sociallogin.account.user_id != user.pk:
                # The roster decides whose login a provider's account opens.
                sociallogin.account.user = user
                sociallogin.account.save(update_fields=["user"])
                sociallogin.user = user
        else:
            sociallogin.connect(request, user)

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        """A sign-in the provider's answer could not complete (a tampered state, a replayed
        code, a bad ID token or SAML response, the person cancelling): recorded, and a page that
        says what happened."""
        extra_context = extra_context or {}
        if str(error) == "cancelled":
            return
        reason = (
            extra_context.get("saml_last_error_reason")
            or (str(exception) if exception else "")
            or str(error or "unknown error")
        )
        raise refuse(
            request,
            SignInRefused(
                Refusal.PROVIDER_ERROR,
                Identity(provider=getattr(provider, "name", "the identity provider")),
                reason=_reason_in_words(reason),
            ),
        )


def _reason_in_words(reason: str) -> str:
    """The technical reason, short, for the page and the audit entry."""
    reason = " ".join(reason.split())
    return reason[:200] if reason else "unknown error"

"""The sign-in forms (ACCOUNT_FORMS): a username and password, where passwords are allowed, and a
code mailed to the person's address on the roster."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm, RequestLoginCodeForm
from allauth.core import context, ratelimit
from django import forms
from django.conf import settings
from django.contrib.auth.models import User

from . import selectors, services
from .services import Identity, Refusal, SignInRefused

MSG_PASSWORDS_OFF = (
    "Passwords are only for administrators here: sign in with your district account or with a "
    "code by email."
)


class SignInForm(LoginForm):
    """allauth's sign-in form, its login field named `username` as the site's has always been
    (password managers and django-axes' count know it by that name)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].widget.attrs.pop("placeholder", None)
        # The page starts in its username field, as Django's own sign-in form did.
        self.fields["login"].widget.attrs["autofocus"] = True
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""

    def add_prefix(self, field_name: str) -> str:
        return super().add_prefix("username" if field_name == "login" else field_name)

    def clean(self):
        # Refused before any password is checked: the answer must not tell a right password
        # from a wrong one, and a guess at a password that is turned off is no guess at all.
        login = (self.cleaned_data.get("login") or "").strip()
        if (
            login
            and settings.PASSWORD_SIGN_IN == "administrators"
            and not User.objects.filter(username__iexact=login, is_superuser=True).exists()
        ):
            raise forms.ValidationError(MSG_PASSWORDS_OFF, code="passwords_off")
        return super().clean()


class RosterLoginCodeForm(RequestLoginCodeForm):
    """A sign-in code goes to a person on the roster (not separated) at the address HR keeps;
    their login is made now if they have none. Any other address gets the same answer (so the
    page tells nobody who works here), no code, and an audit entry."""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if not email:
            return email
        if not ratelimit.consume(context.request, action="request_login_code", key=email.lower()):
            raise get_adapter().validation_error("too_many_login_attempts")
        identity = Identity(provider="sign-in by email", email=email, email_verified=True)
        matches = selectors.staff_by_email(email)
        try:
            if len(matches) != 1:
                raise SignInRefused(Refusal.NOT_ON_ROSTER, identity)
            staff = matches[0]
            self._user = services.login_for_staff(staff=staff, identity=identity)
        except SignInRefused as refused:
            services.sign_in_refusal_record(refused)
            self._user = None
            return email
        # The code goes to the address the roster keeps, never to the one typed.
        return staff.email

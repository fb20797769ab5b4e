"""The password reset form, which mails the logins learning.selectors names."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordResetForm

from . import selectors


class SitePasswordResetForm(PasswordResetForm):
    """Django's reset form, mailing only the logins learning.selectors.password_reset_users
    names (no one who has left the district)."""

    def get_users(self, email):
        return selectors.password_reset_users(email)

"""The password reset form, which mails the logins learning.selectors names."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template import loader

from core import outbox

from . import selectors

PASSWORD_RESET = "password_reset"


class SitePasswordResetForm(PasswordResetForm):
    """Django's reset form, mailing only the logins learning.selectors.password_reset_users
    names (no one who has left the district), through the mail outbox like all the service's
    mail: the page answers at once and the link is sent again if the mail server is down."""

    def get_users(self, email):
        return selectors.password_reset_users(email)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        if html_email_template_name is not None:
            html = loader.render_to_string(html_email_template_name, context)
            message.attach_alternative(html, "text/html")
        outbox.record([message], kind=PASSWORD_RESET)

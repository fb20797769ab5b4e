"""/accounts/: Django's sign-in, sign-out and password views in the site's own pages, the password
reset by mail behind PASSWORD_RESET_ENABLED and the throttle of learning.services."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from core.client_ip import client_ip_address
from core.lockout import duration_in_words

from .. import services
from ..forms import SitePasswordResetForm


def reset_link_lifetime() -> str:
    """How long a reset link works, in words ("72 hours")."""
    return duration_in_words(dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT))


class PasswordResetEnabledMixin:
    """The reset pages exist only while PASSWORD_RESET_ENABLED is on: otherwise 404."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.PASSWORD_RESET_ENABLED:
            raise Http404("Password reset by mail is turned off.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        return {**super().get_context_data(**kwargs), "link_lifetime": reset_link_lifetime()}


class PasswordResetView(PasswordResetEnabledMixin, auth_views.PasswordResetView):
    form_class = SitePasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form: SitePasswordResetForm) -> HttpResponse:
        recorded = services.password_reset_request_create(
            email=form.cleaned_data["email"], client_address=client_ip_address(self.request)
        )
        if recorded is None:
            # Over a limit: no mail, and the same page as a request that mailed a link, so the
            # answer says nothing about the address or the throttle.
            return HttpResponseRedirect(self.get_success_url())
        # Links are built on SITE_URL, as in the service's other mail, not on the request's Host.
        self.extra_email_context = {
            "site_url": settings.SITE_URL,
            "district_name": settings.DISTRICT_NAME,
            "link_lifetime": reset_link_lifetime(),
        }
        return super().form_valid(form)


class PasswordResetDoneView(PasswordResetEnabledMixin, auth_views.PasswordResetDoneView):
    pass


class PasswordResetConfirmView(PasswordResetEnabledMixin, auth_views.PasswordResetConfirmView):
    pass


class PasswordResetCompleteView(PasswordResetEnabledMixin, auth_views.PasswordResetCompleteView):
    pass


# The admin's own password change (/admin/password_change/) renders Django's default template
# names; the site's pages have names of their own so that the admin keeps its look.
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/site_password_change_form.html"


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/site_password_change_done.html"

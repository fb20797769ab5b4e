"""/accounts/: sign-in (django-allauth: a password, a code by mail, the district's provider, a
second factor, one's sessions) in the site's own pages, with the names and paths the site has
always used for signing in and out and for passwords (learning.views.accounts). Pages of allauth
that do not fit a roster's logins (signing up, adding addresses, linking other providers, a
second password reset) lead to the site's own."""

from allauth.account import views as allauth_views
from allauth.socialaccount import views as socialaccount_views
from allauth.socialaccount.providers.saml import views as saml_views
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import views as sign_in_views

from .views import accounts

urlpatterns = [
    path("login/", sign_in_views.sign_in, name="login"),
    path("logout/", allauth_views.logout, name="logout"),
    # The same pages under allauth's names, which its own pages and mail use.
    path("login/", sign_in_views.sign_in, name="account_login"),
    path("logout/", allauth_views.logout, name="account_logout"),
    path("password_change/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        accounts.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        accounts.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # Logins come from the roster and addresses from HR: no signing up, no addresses of one's
    # own, no other providers; one password reset and one password change.
    path("signup/", RedirectView.as_view(pattern_name="login"), name="account_signup"),
    path("email/", RedirectView.as_view(pattern_name="home"), name="account_email"),
    path("3rdparty/", RedirectView.as_view(pattern_name="home"), name="socialaccount_connections"),
    path(
        "password/reset/",
        RedirectView.as_view(pattern_name="password_reset"),
        name="account_reset_password",
    ),
    path(
        "password/change/",
        RedirectView.as_view(pattern_name="password_change"),
        name="account_change_password",
    ),
    # allauth's pages the site uses: a locked login, confirming who one is before a change to
    # one's sign-in, a code by mail, a second factor, the providers' ends, one's sessions.
    path("inactive/", allauth_views.account_inactive, name="account_inactive"),
    path("reauthenticate/", allauth_views.reauthenticate, name="account_reauthenticate"),
    path(
        "reauthenticate/code/",
        allauth_views.request_reauthentication_code,
        name="account_request_reauthentication_code",
    ),
    path(
        "reauthenticate/code/confirm/",
        allauth_views.confirm_reauthentication_code,
        name="account_confirm_reauthentication_code",
    ),
    path("login/code/", allauth_views.request_login_code, name="account_request_login_code"),
    path(
        "login/code/confirm/",
        allauth_views.confirm_login_code,
        name="account_confirm_login_code",
    ),
    path("2fa/", include("allauth.mfa.urls")),
    path(
        "3rdparty/login/cancelled/",
        socialaccount_views.login_cancelled,
        name="socialaccount_login_cancelled",
    ),
    path(
        "3rdparty/login/error/",
        socialaccount_views.login_error,
        name="socialaccount_login_error",
    ),
    path("saml/<slug:organization_slug>/login/", saml_views.login, name="saml_login"),
    path("saml/<slug:organization_slug>/acs/", saml_views.acs, name="saml_acs"),
    path(
        "saml/<slug:organization_slug>/acs/finish/",
        sign_in_views.saml_finish,
        name="saml_finish_acs",
    ),
    path("saml/<slug:organization_slug>/metadata/", saml_views.metadata, name="saml_metadata"),
    # Single logout, which the service's SAML metadata names.
    path(
        "saml/<slug:organization_slug>/sls/",
        sign_in_views.saml_single_logout,
        name="saml_sls",
    ),
    path("", include("accounts.providers.district_oidc.urls")),
    path("sessions/", include("allauth.usersessions.urls")),
]

"""The web shell: home, sign in and out, navigation by role, the base page's landmarks, error
pages and the stylesheet."""

import re

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.views.defaults import permission_denied

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

CATALOG = reverse("catalog:index")
LOGIN = reverse("login")
LOGOUT = reverse("logout")


def nav_of(response) -> str:
    match = re.search(
        r'<nav class="site-nav" aria-label="Main">(.*?)</nav>', response.content.decode(), re.S
    )
    assert match, "no main navigation"
    return match.group(1)


def test_home_redirects_to_the_catalog(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url == CATALOG


def test_login_page_has_labelled_fields(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    body = response.content.decode()
    assert '<label for="id_username">Username</label>' in body
    assert '<label for="id_password">Password</label>' in body
    assert body.count("<h1") == 1


def test_teacher_signs_in_and_lands_on_the_catalog(client, teacher):
    response = client.post(LOGIN, {"username": "teacher", "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == CATALOG
    assert response.status_code == 200
    assert int(client.session["_auth_user_id"]) == teacher.user.pk
    assert "Tess Teacher" in response.content.decode()


def test_bad_password_shows_an_error(client, teacher):
    response = client.post(LOGIN, {"username": "teacher", "password": "wrong"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "You could not be signed in" in body
    assert "Please enter a correct username and password" in body
    assert "_auth_user_id" not in client.session


def test_anonymous_nav_offers_sign_in_but_not_admin_api_or_sign_out(client):
    response = client.get(CATALOG)

    body = response.content.decode()
    assert f'href="{LOGIN}?next=/catalog/"' in body
    assert f'action="{LOGOUT}"' not in body
    nav = nav_of(response)
    assert ">Admin<" not in nav
    assert ">API<" not in nav


def test_teacher_nav_has_api_and_sign_out_but_no_admin(client, teacher):
    client.force_login(teacher.user)

    response = client.get(CATALOG)

    nav = nav_of(response)
    assert 'href="/api/docs/"' in nav
    assert ">Admin<" not in nav
    body = response.content.decode()
    assert re.search(rf'<form[^>]*method="post" action="{LOGOUT}"', body)
    assert 'name="csrfmiddlewaretoken"' in body
    assert ">Sign in<" not in body


def test_staff_user_sees_the_admin_link(client, admin_user):
    client.force_login(admin_user)

    nav = nav_of(client.get(CATALOG))

    assert 'href="/admin/">Admin</a>' in nav


def test_sign_out_is_a_post(client, teacher):
    client.force_login(teacher.user)

    response = client.post(LOGOUT, follow=True)

    assert response.redirect_chain[-1][0] == CATALOG
    assert "_auth_user_id" not in client.session
    assert ">Sign in<" in response.content.decode()


def test_base_page_landmarks(client):
    body = client.get(CATALOG).content.decode()

    assert '<html lang="en">' in body
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in body
    assert '<main id="main"' in body
    assert "<header" in body and "<footer" in body
    assert body.count("<h1") == 1
    assert "Birmingham Public Schools" in body.split("<footer", 1)[1]
    assert 'href="/catalog/" aria-current="page">Catalog</a>' in body


def test_stylesheet_is_linked_and_served(client, settings):
    # WhiteNoise serves from the finders here because tests have no collected STATIC_ROOT; the
    # setting is read when the client's handler loads its middleware, at the first request.
    settings.WHITENOISE_USE_FINDERS = True
    css_url = static("css/site.css")
    assert finders.find("css/site.css")

    page = client.get(CATALOG).content.decode()
    response = client.get(css_url)

    assert f'<link rel="stylesheet" href="{css_url}">' in page
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b".skip-link" in b"".join(response.streaming_content)


def test_messages_are_shown_with_their_level_in_words(rf):
    request = rf.get(CATALOG)
    request.user = AnonymousUser()
    request._messages = CookieStorage(request)
    messages.error(request, "Nothing was saved.")

    body = loader.render_to_string("base.html", request=request)

    assert "Error:</strong> Nothing was saved." in body


def test_404_page_uses_the_site_shell(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>Page not found</h1>" in body
    assert "Skip to main content" in body


def test_403_page_uses_the_site_shell(rf):
    request = rf.get("/somewhere/")
    request.user = AnonymousUser()

    response = permission_denied(request, PermissionDenied())

    assert response.status_code == 403
    assert "You cannot do that here" in response.content.decode()


def test_500_page_renders_without_context_or_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        body = loader.get_template("500.html").render()

    assert "<h1>Something went wrong</h1>" in body
    assert static("css/site.css") in body

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

from tests.factories import PASSWORD, login_for

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


def test_teacher_signs_in_and_lands_on_my_learning(client, teacher):
    response = client.post(LOGIN, {"username": "teacher", "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == "/me/"
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


def test_teacher_nav_has_sign_out_but_no_api_or_admin(client, teacher):
    client.force_login(teacher.user)

    response = client.get(CATALOG)

    nav = nav_of(response)
    # The API's documentation is offered to the roles that script against it.
    assert 'href="/api/docs/"' not in nav
    assert ">Admin<" not in nav
    body = response.content.decode()
    assert re.search(rf'<form[^>]*method="post" action="{LOGOUT}"', body)
    assert 'name="csrfmiddlewaretoken"' in body
    assert ">Sign in<" not in body


def test_staff_user_sees_the_admin_link(client, admin_user):
    client.force_login(admin_user)

    nav = nav_of(client.get(CATALOG))

    assert 'href="/admin/">Admin</a>' in nav


def test_login_ignores_a_next_that_leaves_the_site(client, teacher):
    for target in ("https://evil.example/", "//evil.example/", "https:evil.example"):
        client.logout()
        in_query = client.post(
            f"{LOGIN}?next={target}", {"username": "teacher", "password": PASSWORD}
        )
        in_form = client.post(LOGIN, {"username": "teacher", "password": PASSWORD, "next": target})

        for response in (in_query, in_form):
            assert response.status_code == 302, target
            assert response.url == reverse("home"), (target, response.url)
            assert "evil.example" not in response.url
            assert int(client.session["_auth_user_id"]) == teacher.user.pk


def test_login_follows_a_next_on_this_site(client, teacher):
    response = client.post(
        f"{LOGIN}?next=/catalog/%3Fstrand%3Drp", {"username": "teacher", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == "/catalog/?strand=rp"


# Navigation by role: the roles in words after the name, and each role's links.


def role_words(response) -> list[str]:
    match = re.search(
        r'<ul class="account__roles" aria-label="Your roles">(.*?)</ul>',
        response.content.decode(),
        re.S,
    )
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


def nav_links(response) -> list[tuple[str, str]]:
    return [
        (label, href)
        for href, label in re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', nav_of(response))
    ]


def page_as(client, user):
    client.force_login(user)
    return client.get(CATALOG)


CATALOG_LINK = ("Catalog", CATALOG)
API_LINK = ("API", "/api/docs/")
ME_LINK = ("My learning", "/me/")
APPROVALS_LINK = ("Approvals", "/leaders/approvals/")
IMPORTS_LINK = ("Imports", "/hr/imports/")
PROGRESS_LINK = ("Progress", "/leaders/")
LEADERS_START = ("Start", "/leaders/start/")
HR_START = ("Start", "/hr/")
STAFF_LINK = ("Staff", "/hr/staff/")


def test_anonymous_sees_no_roles_and_only_the_catalog(client):
    response = client.get(CATALOG)

    assert role_words(response) == []
    assert nav_links(response) == [CATALOG_LINK]


def test_teacher_sees_their_position_and_no_management_links(client, teacher):
    response = page_as(client, teacher.user)

    assert role_words(response) == ["Teacher"]
    assert nav_links(response) == [CATALOG_LINK, ME_LINK]


def test_facilitator_and_leader_roles_are_named(client, facilitated_session, facilitator, leader):
    assert role_words(page_as(client, facilitator.user)) == ["Teacher", "Facilitator"]
    leader_page = page_as(client, leader.user)
    assert role_words(leader_page) == ["Principal", "Building leader"]
    assert nav_links(leader_page) == [
        LEADERS_START,
        CATALOG_LINK,
        ME_LINK,
        PROGRESS_LINK,
        APPROVALS_LINK,
    ]


def test_district_pd_is_named_and_offered_the_catalog_admin_once_staff(client, district_pd):
    user = district_pd.user
    without_admin = page_as(client, user)
    user.is_staff = True
    user.save(update_fields=["is_staff"])

    response = page_as(client, user)

    assert role_words(without_admin) == ["Teacher", "District PD"]
    # Without is_staff the admin would only answer with its login page.
    assert nav_links(without_admin) == [
        LEADERS_START,
        CATALOG_LINK,
        ME_LINK,
        PROGRESS_LINK,
        APPROVALS_LINK,
        API_LINK,
    ]
    assert role_words(response) == ["Teacher", "District PD"]
    # Their part of the admin by its own link; no second link to the admin's index.
    assert nav_links(response) == [
        LEADERS_START,
        CATALOG_LINK,
        ME_LINK,
        PROGRESS_LINK,
        APPROVALS_LINK,
        ("Manage catalog", "/admin/catalog/"),
        API_LINK,
    ]
    assert client.get("/admin/catalog/").status_code == 200


def test_hr_is_named_and_offered_its_staff_list(client, hr):
    user = hr.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])

    response = page_as(client, user)

    assert role_words(response) == ["Teacher", "HR"]
    # The service's own staff list, which opens each record in the admin (is_staff).
    assert nav_links(response) == [
        HR_START,
        CATALOG_LINK,
        ME_LINK,
        IMPORTS_LINK,
        STAFF_LINK,
        API_LINK,
    ]
    assert client.get("/hr/staff/").status_code == 200
    assert client.get("/admin/learning/staffmember/").status_code == 200


def test_superuser_is_an_administrator_with_one_admin_link(client, admin_user):
    response = page_as(client, admin_user)

    assert role_words(response) == ["Administrator"]
    # No staff record, so no "My learning"; an administrator approves anyone's requests and
    # runs HR's imports.
    assert nav_links(response) == [
        LEADERS_START,
        CATALOG_LINK,
        PROGRESS_LINK,
        APPROVALS_LINK,
        IMPORTS_LINK,
        STAFF_LINK,
        API_LINK,
        ("Admin", "/admin/"),
    ]


def test_login_without_any_role_shows_no_roles(client):
    response = page_as(client, login_for(None, username="nobody"))

    assert "nobody" in response.content.decode()
    assert 'class="account__roles"' not in response.content.decode()
    assert nav_links(response) == [CATALOG_LINK]


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


def test_the_api_documentation_has_a_way_back_to_the_site(client, district_pd):
    client.force_login(district_pd.user)

    body = client.get("/api/docs/").content.decode()

    assert '<a href="/">Back to Professional Learning</a>' in body

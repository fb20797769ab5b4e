from django.urls import include, path, re_path

from . import views

urlpatterns = [
    path(
        "oidc/",
        include(
            [
                re_path(
                    r"^(?P<provider_id>[^/]+)/",
                    include(
                        [
                            path("login/", views.login, name="district_oidc_login"),
                            path(
                                "login/callback/",
                                views.callback,
                                name="district_oidc_callback",
                            ),
                        ]
                    ),
                )
            ]
        ),
    )
]

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

# The admin signs in through the site's sign-in page, so its second factor and its throttle hold
# there too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("learning.urls_accounts")),
    path("catalog/", include("catalog.urls")),
    path("", include("enrollment.urls")),
    path("leaders/", include("plan.urls")),
    path("calendars/", include("calendars.urls")),
    path("hr/imports/", include("imports.urls")),
    path("hr/", include("imports.urls_hr")),
    path("", include("audit.urls")),
    path("api/v1/", include("learning.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves the Swagger UI's start-up script as a file of its own (?script), so
    # the page runs under the Content-Security-Policy without inline scripts.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("health/", include("worker.urls")),
    path("jobs/", include("worker.urls_jobs")),
    path("backups/", include("backups.urls")),
]

# Under /api/, a URL that names nothing answers JSON like the API's other 404s.
handler404 = "core.api.exceptions.page_not_found"

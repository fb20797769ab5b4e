"""/api/v1/: each app's own API URLs (`<app>/api_urls.py`), included by name, and the API's index
listing every app's resources."""

from importlib import import_module

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView
from rest_framework.urlpatterns import format_suffix_patterns

# The apps with a part in the API, in the order the index lists their resources.
API_APPS = ("catalog", "enrollment", "imports", "plan", "worker")


class PublicAPIRootView(APIRootView):
    """The index of the API. It only lists the resources' URLs, so, like the public catalog and
    the schema, anyone may read it; each resource still applies its own permissions."""

    permission_classes = [AllowAny]


def _resources() -> dict[str, str]:
    """Each app router's resources: prefix -> the URL name of its list."""
    resources = {}
    for app in API_APPS:
        router = getattr(import_module(f"{app}.api_urls"), "router", None)
        if router is not None:
            list_name = router.routes[0].name
            for prefix, _viewset, basename in router.registry:
                resources[prefix] = list_name.format(basename=basename)
    return resources


urlpatterns = [
    *format_suffix_patterns(
        [path("", PublicAPIRootView.as_view(api_root_dict=_resources()), name="api-root")]
    ),
    *(path("", include(f"{app}.api_urls")) for app in API_APPS),
]

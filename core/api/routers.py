"""The router of an app's part of the API."""

from rest_framework.routers import DefaultRouter


class AppRouter(DefaultRouter):
    """DefaultRouter's routes and `.json` format suffixes, without an index of its own: the
    project's API index (learning/api/urls.py) lists every app's resources."""

    include_root_view = False

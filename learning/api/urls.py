"""The /api/v1/ router: one registration per resource."""

from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView, DefaultRouter

from catalog import api as catalog_api


class PublicAPIRootView(APIRootView):
    """The index of the API. It only lists the resources' URLs, so, like the public catalog and
    the schema, anyone may read it; each resource still applies its own permissions."""

    permission_classes = [AllowAny]


router = DefaultRouter()
router.APIRootView = PublicAPIRootView
router.register("strands", catalog_api.StrandViewSet, basename="strand")
router.register("courses", catalog_api.CourseViewSet, basename="course")
router.register("buildings", catalog_api.BuildingViewSet, basename="building")
router.register("sessions", catalog_api.SessionViewSet, basename="session")

urlpatterns = router.urls

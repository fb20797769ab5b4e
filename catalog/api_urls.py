"""The catalog's part of /api/v1/ (read-only): strands, courses, buildings and sessions."""

from core.api.routers import AppRouter

from . import api

router = AppRouter()
router.register("strands", api.StrandViewSet, basename="strand")
router.register("courses", api.CourseViewSet, basename="course")
router.register("buildings", api.BuildingViewSet, basename="building")
router.register("sessions", api.SessionViewSet, basename="session")

urlpatterns = router.urls

from core.api.routers import AppRouter

from .api import JobViewSet

router = AppRouter()
router.register("jobs", JobViewSet, basename="job")

urlpatterns = router.urls

"""The imports' part of /api/v1/: import runs (preview, commit, history) and the staff records
they keep."""

from core.api.routers import AppRouter

from . import api

router = AppRouter()
router.register("imports", api.ImportRunViewSet, basename="import-run")
router.register("staff", api.StaffViewSet, basename="staff")

urlpatterns = router.urls

"""The imports' part of /api/v1/: import runs (preview, commit, history)."""

from core.api.routers import AppRouter

from . import api

router = AppRouter()
router.register("imports", api.ImportRunViewSet, basename="import-run")

urlpatterns = router.urls

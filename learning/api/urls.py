"""The /api/v1/ router: one registration per resource, plus the enrollment actions on sessions
(the catalog's read-only session resource stays the catalog's) and the plan's progress reports
(JSON, the people behind the numbers, and the workbook and CSV downloads)."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView, DefaultRouter

from catalog import api as catalog_api
from enrollment import api as enrollment_api
from imports import api as imports_api
from plan import api as progress


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
router.register("enrollments", enrollment_api.EnrollmentViewSet, basename="enrollment")
router.register("completions", enrollment_api.CompletionViewSet, basename="completion")
router.register("evaluations", enrollment_api.EvaluationViewSet, basename="evaluation")
router.register("imports", imports_api.ImportRunViewSet, basename="import-run")

session_actions = enrollment_api.SessionActionsViewSet

urlpatterns = [
    path(
        "sessions/<int:pk>/enroll/",
        session_actions.as_view({"post": "enroll"}),
        name="session-enroll",
    ),
    path(
        "sessions/<int:pk>/attendance/",
        session_actions.as_view({"post": "attendance"}),
        name="session-attendance",
    ),
    path(
        "sessions/<int:pk>/evaluation-summary/",
        session_actions.as_view({"get": "evaluation_summary"}),
        name="session-evaluation-summary",
    ),
    path("me/transcript/", enrollment_api.TranscriptView.as_view(), name="me-transcript"),
    path("progress/", progress.ProgressView.as_view(), name="progress"),
    path("progress/people/", progress.ProgressPeopleView.as_view(), name="progress-people"),
    path(
        "progress/completions.xlsx",
        progress.CompletionsWorkbookView.as_view(),
        name="progress-workbook",
    ),
    path(
        "progress/outstanding.csv",
        progress.OutstandingCsvView.as_view(),
        name="progress-outstanding-csv",
    ),
    *router.urls,
]

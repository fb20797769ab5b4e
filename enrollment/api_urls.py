"""Enrollment's part of /api/v1/: enrollments, completions and evaluations, the enrollment
actions on a session (the session resource itself is the catalog's) and one's transcript."""

from django.urls import path

from core.api.routers import AppRouter

from . import api

router = AppRouter()
router.register("enrollments", api.EnrollmentViewSet, basename="enrollment")
router.register("completions", api.CompletionViewSet, basename="completion")
router.register("evaluations", api.EvaluationViewSet, basename="evaluation")

session_actions = api.SessionActionsViewSet

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
    path(
        "sessions/<int:pk>/eligibility/",
        session_actions.as_view({"get": "eligibility"}),
        name="session-eligibility",
    ),
    path("me/transcript/", api.TranscriptView.as_view(), name="me-transcript"),
    *router.urls,
]

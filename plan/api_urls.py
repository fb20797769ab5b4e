"""The plan's part of /api/v1/: progress against the plan (JSON), the people behind the numbers,
and the workbook and CSV downloads."""

from django.urls import path

from . import api

urlpatterns = [
    path("progress/", api.ProgressView.as_view(), name="progress"),
    path("progress/people/", api.ProgressPeopleView.as_view(), name="progress-people"),
    path("progress/seats/", api.ProgressSeatsView.as_view(), name="progress-seats"),
    path(
        "progress/completions.xlsx",
        api.CompletionsWorkbookView.as_view(),
        name="progress-workbook",
    ),
    path(
        "progress/outstanding.csv",
        api.OutstandingCsvView.as_view(),
        name="progress-outstanding-csv",
    ),
]

from django.urls import path

from . import views_jobs

app_name = "jobs"

urlpatterns = [
    path("<int:pk>/", views_jobs.job, name="job"),
    path("<int:pk>/state/", views_jobs.job_state, name="state"),
    path("<int:pk>/file/", views_jobs.job_file, name="file"),
]

from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("staff/<int:pk>/history/", views.staff_history, name="staff-history"),
]

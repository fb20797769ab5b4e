from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.catalog_index, name="index"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
]

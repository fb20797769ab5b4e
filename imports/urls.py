"""The HR imports page, under /hr/imports/."""

from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.run, name="run"),
    path("<int:pk>/commit/", views.commit, name="commit"),
    path("<int:pk>/errors.<str:fmt>", views.error_report, name="errors"),
    path("template/<str:kind>.<str:fmt>", views.template, name="template"),
]

"""HR's own pages under /hr/: the start page and the staff directory (the imports are under
/hr/imports/)."""

from django.urls import path

from . import views

app_name = "hr"

urlpatterns = [
    path("", views.hr_start, name="start"),
    path("staff/", views.staff_list, name="staff"),
]

"""Calendar feeds (no login: the secret key or the public catalog) and the person's own
subscription settings."""

from django.urls import path

from . import views

app_name = "calendars"

urlpatterns = [
    path("feed/<str:key>.ics", views.feeds.personal_feed, name="feed"),
    path("catalog.ics", views.feeds.catalog_feed, name="catalog"),
    path("sessions/<int:pk>.ics", views.feeds.session_feed, name="session"),
    path("subscription/", views.subscription.delivery, name="delivery"),
    path("subscription/rotate/", views.subscription.rotate, name="rotate"),
    path("subscription/revoke/", views.subscription.revoke, name="revoke"),
]

from django.apps import AppConfig


class WorkerConfig(AppConfig):
    """The background worker: its schedule, its heartbeats, and the health of the service it
    reports to operators."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "worker"

from django.apps import AppConfig


class LearningConfig(AppConfig):
    """The district and its plan: buildings, positions, staff, groups, plan, goals, requirements."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "learning"
    verbose_name = "District and plan"

    def ready(self) -> None:
        from .changes import connect_signals

        connect_signals()

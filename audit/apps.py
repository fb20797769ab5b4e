from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who changed what and when: the append-only history of staff records, logins and groups
    (access), enrollments, attendance, completions, requirements and sessions."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = "Audit history"

    def ready(self) -> None:
        from .signals import connect_signals

        connect_signals()

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared machinery that imports no app of the project (core/README.md)."""

    name = "core"
    # Its one model in the admin is the mail outbox.
    verbose_name = "Mail"

    def ready(self) -> None:
        # Registers the OpenAPI schema extensions before any schema is generated.
        from . import checks  # noqa: F401
        from .api import schema  # noqa: F401

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"

    def ready(self) -> None:
        # Connects the receivers of the district's signals (learning.signals).
        from . import receivers  # noqa: F401

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in: logins that come from the staff roster, through the district's identity provider
    or a code by mail, and a second factor for the roles that hold power."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Sign-in"

    def ready(self) -> None:
        from . import receivers  # noqa: F401

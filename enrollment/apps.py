from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "enrollment"

    def ready(self) -> None:
        # The catalog shows seats on its pages, API and feeds; enrollments are counted here.
        from catalog import seats

        from .selectors import sessions_with_seats

        seats.count_seats_with(sessions_with_seats)

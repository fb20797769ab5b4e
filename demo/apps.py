from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and synthetic data: the Birmingham demo district (seed_demo) and districts of any
    size for benchmarks (generate_district). No models; nothing in the service imports it."""

    name = "demo"
    verbose_name = "Demo data"

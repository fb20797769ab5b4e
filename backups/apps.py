from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """The whole database to a folder of CSV files and workbooks, and back (export_all,
    import_all). No models; nothing in the service imports it."""

    name = "backups"
    verbose_name = "Backups"

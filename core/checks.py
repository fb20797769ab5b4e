"""System checks for the shared machinery."""

from django.core.checks import Error, register

from .db.compiled import changed_internals, compiled_queries_enabled


@register()
def compiled_queries_check(app_configs=None, **kwargs):
    """core.E001: with COMPILED_QUERIES on, every Django internal core.db.compiled uses is still
    there, as it uses it; otherwise the check names each one that changed."""
    if not compiled_queries_enabled():
        return []
    return [
        Error(
            f"core.db.compiled relies on Django's {name}, which this Django version changed.",
            hint="Set COMPILED_QUERIES=false (the plain ORM then runs the same reads) until "
            "core/db/compiled.py is brought up to date.",
            id="core.E001",
        )
        for name in changed_internals()
    ]

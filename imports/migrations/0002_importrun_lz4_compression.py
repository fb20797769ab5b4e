"""A roster preview stores every row of the file in its change set: 15 MB of JSON for 100,000
people. PostgreSQL compresses such a value with pglz by default, which took longer than parsing
it; lz4 (PostgreSQL 14 and later, when built with it) takes half as long. Elsewhere, or on a
server without lz4, the columns keep the default."""

from django.db import DatabaseError, migrations, transaction

COLUMNS = ("change_set", "errors")


def use_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    run = apps.get_model("imports", "ImportRun")
    quote = connection.ops.quote_name
    table = quote(run._meta.db_table)
    changes = ", ".join(
        f"ALTER COLUMN {quote(run._meta.get_field(name).column)} SET COMPRESSION lz4"
        for name in COLUMNS
    )
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute(f"ALTER TABLE {table} {changes}")
    except DatabaseError:
        pass  # no lz4 on this server: the default compression stays


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_initial")]

    operations = [migrations.RunPython(use_lz4, migrations.RunPython.noop)]

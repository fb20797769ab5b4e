"""On PostgreSQL, Django gives a unique text column a second index for LIKE 'prefix%' queries
(varchar_pattern_ops). Nothing looks staff up by the start of an employee ID (the admin's search
is a LIKE '%...%' that no index serves), and each new person costs that index an entry: a tenth
of the time of storing 100,000 people. Employee IDs stay unique by their own constraint."""

from django.db import migrations

COLUMN = "employee_id"


def _index(schema_editor, apps) -> tuple[str, str, str]:
    model = apps.get_model("learning", "StaffMember")
    table = model._meta.db_table
    column = model._meta.get_field(COLUMN).column
    return table, column, schema_editor._create_index_name(table, [column], suffix="_like")


def drop_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _table, _column, name = _index(schema_editor, apps)
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table, column, name = _index(schema_editor, apps)
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
        f"({quote(column)} varchar_pattern_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [("learning", "0008_drop_indexes_covered_by_composites")]

    operations = [migrations.RunPython(drop_pattern_index, create_pattern_index)]

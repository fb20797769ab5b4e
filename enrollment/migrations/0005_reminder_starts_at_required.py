"""Separate from 0004, so that PostgreSQL alters the table in a transaction of its own, after
the rows were filled."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0004_reminder_starts_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reminder",
            name="starts_at",
            field=models.DateTimeField(),
        ),
        migrations.RemoveConstraint(
            model_name="reminder",
            name="one_reminder_per_enrollment_meeting_kind",
        ),
        migrations.AddConstraint(
            model_name="reminder",
            constraint=models.UniqueConstraint(
                fields=("enrollment", "meeting", "kind", "starts_at"),
                name="one_reminder_per_enrollment_meeting_kind_start",
                violation_error_message="This reminder has already been sent.",
            ),
        ),
    ]

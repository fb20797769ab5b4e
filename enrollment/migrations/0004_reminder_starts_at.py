"""Reminders record when the meeting started as they told it: added empty, then filled from the
meeting (its current start, the best known for a reminder already sent)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_starts_at(apps, schema_editor):
    Reminder = apps.get_model("enrollment", "Reminder")
    Meeting = apps.get_model("catalog", "Meeting")
    Reminder.objects.filter(starts_at__isnull=True).update(
        starts_at=Subquery(
            Meeting.objects.filter(pk=OuterRef("meeting_id")).values("starts_at")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_initial"),
        ("enrollment", "0003_reminder"),
    ]

    operations = [
        migrations.AddField(
            model_name="reminder",
            name="starts_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(fill_starts_at, migrations.RunPython.noop),
    ]

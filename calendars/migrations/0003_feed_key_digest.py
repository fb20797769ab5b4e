import hashlib

from django.db import migrations, models


def fill_digests(apps, schema_editor):
    FeedToken = apps.get_model("calendars", "FeedToken")
    tokens = list(FeedToken.objects.only("pk", "key"))
    for token in tokens:
        token.key_digest = hashlib.sha256(token.key.encode()).hexdigest()
    FeedToken.objects.bulk_update(tokens, ["key_digest"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("calendars", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedtoken",
            name="key_digest",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="feedtoken",
            name="key_digest",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]

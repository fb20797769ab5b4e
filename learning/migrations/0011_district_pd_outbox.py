"""District PD sees the mail outbox in the admin and may send failed messages again."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ("view_outboxmessage", "change_outboxmessage")


def grant(apps, schema_editor):
    core = apps.get_app_config("core")
    core.models_module = True
    create_permissions(core, apps=apps, verbosity=0)
    core.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="District PD")
    permissions = Permission.objects.filter(content_type__app_label="core", codename__in=CODENAMES)
    assert permissions.count() == len(CODENAMES)
    group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="District PD"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="core", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0010_password_reset_request"),
        ("core", "0001_outbox"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

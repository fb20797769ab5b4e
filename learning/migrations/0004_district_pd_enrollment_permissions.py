"""District PD keeps completion records in the admin: records manual completions (external PD)
and voids wrong ones, both through the enrollment rules, and withdraws enrollments through the
"Withdraw selected enrollments" action. Enrollments, attendance and evaluations stay view-only
rows: the change permission on enrollments only opens that action."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "District PD"
GRANTED = {
    "completion": ("add", "change", "view"),
    "enrollment": ("change", "view"),
    "attendance": ("view",),
    "evaluation": ("view",),
}
# Given by 0003 already: they stay when this migration is reversed.
GRANTED_BEFORE = {"view_completion", "view_enrollment", "view_attendance", "view_evaluation"}


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    codenames = [f"{action}_{model}" for model, actions in GRANTED.items() for action in actions]
    permissions = Permission.objects.filter(
        content_type__app_label="enrollment", codename__in=codenames
    )
    assert permissions.count() == len(codenames), codenames
    return permissions


def grant(apps, schema_editor):
    # As in 0003: permissions are normally created after all migrations.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps).exclude(codename__in=GRANTED_BEFORE))


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0003_role_group_permissions"),
        ("enrollment", "0002_enrollment_approval"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

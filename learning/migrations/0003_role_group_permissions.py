"""What the District PD and HR groups may do in the admin.

District PD keeps the catalog and the plan; HR keeps staff records, buildings and positions. Both
may view what they report on. Enrollments, attendance and completions change only through the
enrollment rules, so no group is given add or change on them here."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGE = ("add", "change", "view")
VIEW = ("view",)

ROLE_PERMISSIONS = {
    "District PD": {
        "catalog": {"strand": MANAGE, "course": MANAGE, "session": MANAGE, "meeting": MANAGE},
        "learning": {
            "plan": MANAGE,
            "planyear": MANAGE,
            "goal": MANAGE,
            "requirement": MANAGE,
            "staffgroup": MANAGE,
            "staffmember": VIEW,
            "building": VIEW,
            "position": VIEW,
        },
        "enrollment": {
            "enrollment": VIEW,
            "attendance": VIEW,
            "evaluation": VIEW,
            "completion": VIEW,
        },
    },
    "HR": {
        "learning": {
            "staffmember": MANAGE,
            "building": MANAGE,
            "position": MANAGE,
            "staffgroup": VIEW,
        },
        "imports": {"importrun": VIEW},
        "enrollment": {"completion": VIEW},
    },
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now so they can be
    # granted in the same run that creates the tables.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, by_model in by_app.items():
            for model, actions in by_model.items():
                codenames = [f"{action}_{model}" for action in actions]
                permissions = Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
                assert permissions.count() == len(codenames), (app_label, codenames)
                group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0002_role_groups"),
        ("catalog", "0002_initial"),
        ("enrollment", "0001_initial"),
        ("imports", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

"""Editors triage: they may change a tip's status (the review queue)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="intake", codename="change_tip")
    Group.objects.get(name="Editors").permissions.add(permission)


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="intake", codename="change_tip")
    Group.objects.get(name="Editors").permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [("newsroom", "0003_review_queue_actions")]

    operations = [migrations.RunPython(grant, revoke)]
